import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor } from '../../src/index.js';
import { keyGroupFor, keyGroupRangeForOperatorIndex } from '../../src/key-groups.js';
import { HeapKeyedStateBackend } from '../../src/internal/state/keyed-state-backend.js';
import { KeyedStateSnapshot, restoreKeyedState, type KeyedTimer } from '../../src/internal/state/keyed-state-snapshot.js';
import { DefaultOperatorStateStore } from '../../src/internal/state/operator-state-store.js';
import { StateTable } from '../../src/internal/state/state-table.js';
import { writeToMemory } from './snapshot-test-utils.js';

const MAX = 128;

function backend(parallelism = 1, subtask = 0): HeapKeyedStateBackend {
  return new HeapKeyedStateBackend(MAX, keyGroupRangeForOperatorIndex(MAX, parallelism, subtask));
}


describe('StateTable (copy-on-write)', () => {
  it('keeps the snapshot as it was while the live view changes, then folds the changes back in', () => {
    const table = new StateTable('t', 'value');
    table.set('a', 1);
    table.set('b', { n: 1 });
    table.set('c', [1, 2]);
    const frozen = table.snapshot();
    table.set('a', 2);
    table.delete('c');
    table.set('d', 4);
    (table.get('b') as { n: number }).n = 99; // a caller changing a value it read, in place
    assert.deepEqual([...frozen], [['a', 1], ['b', { n: 1 }], ['c', [1, 2]]], 'the snapshot sees the state at snapshot()');
    assert.equal(table.get('a'), 2);
    assert.equal(table.get('c'), undefined);
    assert.equal(table.has('c'), false);
    assert.deepEqual(table.get('b'), { n: 99 });
    assert.deepEqual(new Map(table.entries()), new Map<unknown, unknown>([['a', 2], ['b', { n: 99 }], ['d', 4]]));
    table.release();
    assert.deepEqual(new Map(table.entries()), new Map<unknown, unknown>([['a', 2], ['b', { n: 99 }], ['d', 4]]));
  });

  it('copies a value once per snapshot, on its first access, so later accesses see the caller’s changes', () => {
    const table = new StateTable('t', 'value');
    table.set('k', [0]);
    const frozen = table.snapshot();
    const first = table.get('k') as number[];
    first.push(1);
    assert.equal(table.get('k'), first, 'the same copy on the second access');
    assert.deepEqual(frozen.get('k'), [0]);
    table.clear();
    assert.equal(table.get('k'), undefined);
    assert.deepEqual(frozen.get('k'), [0]);
    table.release();
    assert.equal(table.size, 0);
  });
});

describe('keyed state snapshots', () => {
  it('restore value, list and map state and timers of every key, as they were at the snapshot', async () => {
    const source = backend();
    const counts = source.getValueState(new ValueStateDescriptor<number>('count'));
    const pages = source.getListState(new ListStateDescriptor<string>('pages'));
    const perPage = source.getMapState(new MapStateDescriptor<string, { hits: number }>('per-page'));
    const keys = ['alice', 'bob', 42, ['composite', 1], { user: 'carol' }];
    keys.forEach((key, i) => {
      source.setCurrentKey(key);
      counts.update(i + 1);
      pages.add(`p${i}`);
      pages.add(`q${i}`);
      perPage.put(`p${i}`, { hits: i });
    });
    const snapshot = new KeyedStateSnapshot(source, [
      { service: 'user-timers', domain: 'PROCESSING_TIME', namespace: undefined, time: 1000, key: 'alice' },
      { service: 'windows', domain: 'EVENT_TIME', namespace: { start: 0, end: 10 }, time: 2000, key: ['composite', 1] },
    ]);
    // Changes after the snapshot must not reach it.
    source.setCurrentKey('alice');
    counts.update(1000);
    pages.add('late');
    perPage.get('p0')!.hits = 1000;
    const handle = await writeToMemory(snapshot);
    snapshot.release();

    const target = backend();
    const timers: [unknown, number][] = [];
    const restoredTimers: KeyedTimer[] = [];
    restoreKeyedState(target, [handle], (timer) => {
      restoredTimers.push(timer);
      timers.push([timer.key, timer.time]);
    });
    const restoredCounts = target.getValueState(new ValueStateDescriptor<number>('count'));
    const restoredPages = target.getListState(new ListStateDescriptor<string>('pages'));
    const restoredPerPage = target.getMapState(new MapStateDescriptor<string, { hits: number }>('per-page'));
    keys.forEach((key, i) => {
      target.setCurrentKey(key);
      assert.equal(restoredCounts.value(), i + 1, `count of ${JSON.stringify(key)}`);
      assert.deepEqual(restoredPages.get(), [`p${i}`, `q${i}`]);
      assert.deepEqual([...restoredPerPage.entries()], [[`p${i}`, { hits: i }]]);
    });
    assert.deepEqual(timers.sort((a, b) => a[1] - b[1]), [
      ['alice', 1000],
      [['composite', 1], 2000],
    ]);
    // Both domains, with their service and namespace.
    assert.deepEqual(
      restoredTimers.sort((a, b) => a.time - b.time).map(({ service, domain, namespace }) => ({ service, domain, namespace })),
      [
        { service: 'user-timers', domain: 'PROCESSING_TIME', namespace: undefined },
        { service: 'windows', domain: 'EVENT_TIME', namespace: { start: 0, end: 10 } },
      ],
    );
    // The live state kept its changes after the release.
    source.setCurrentKey('alice');
    assert.equal(counts.value(), 1000);
    assert.deepEqual(pages.get(), ['p0', 'q0', 'late']);
  });

  it('hands a subtask only the key groups it owns when restored at a narrower range', async () => {
    const whole = backend(1, 0);
    const state = whole.getValueState(new ValueStateDescriptor<string>('v'));
    const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`);
    for (const key of keys) {
      whole.setCurrentKey(key);
      state.update(key.toUpperCase());
    }
    const snapshot = new KeyedStateSnapshot(whole, []);
    const handle = await writeToMemory(snapshot);
    for (const subtask of [0, 1]) {
      const part = backend(2, subtask);
      restoreKeyedState(part, [handle], () => assert.fail('no timers'));
      const range = part.keyGroupRange;
      const restored = part.getValueState(new ValueStateDescriptor<string>('v'));
      for (const key of keys) {
        part.setCurrentKey(key);
        const group = keyGroupFor(key, MAX);
        const owned = group >= range.startKeyGroup && group <= range.endKeyGroup;
        assert.equal(restored.value(), owned ? key.toUpperCase() : undefined, `${key} (group ${group}) on subtask ${subtask}`);
      }
    }
  });

  it('refuses bytes that are not a snapshot, a truncated snapshot and another max parallelism, saying which', async () => {
    const source = backend();
    source.setCurrentKey('k');
    source.getValueState(new ValueStateDescriptor<number>('v')).update(1);
    const handle = await writeToMemory(new KeyedStateSnapshot(source, []));
    assert.throws(() => restoreKeyedState(backend(), [{ ...handle, bytes: Buffer.from('garbage!') }], () => {}), /test snapshot is not a keyed state snapshot/);
    const truncated = handle.bytes.subarray(0, handle.bytes.byteLength - 3);
    assert.throws(() => restoreKeyedState(backend(), [{ ...handle, bytes: truncated }], () => {}), /test snapshot|cannot be decoded|truncated/);
    const other = new HeapKeyedStateBackend(256, { startKeyGroup: 0, endKeyGroup: 255 });
    assert.throws(() => restoreKeyedState(other, [handle], () => {}), /max parallelism 128, the job now has 256/);
  });
});

describe('operator state', () => {
  it('restores split and union list states with every element, and keeps a state nobody asked for again', () => {
    const store = new DefaultOperatorStateStore();
    store.getListState(new ListStateDescriptor<{ split: string; position: number }>('splits')).update([
      { split: 'a', position: 3 },
      { split: 'b', position: 0 },
    ]);
    store.getUnionListState(new ListStateDescriptor<string>('offsets')).add('x');
    store.getListState(new ListStateDescriptor<Map<string, number>>('maps')).add(new Map([['m', 1]]));
    const snapshot = store.snapshot();
    assert.ok(snapshot !== undefined);
    assert.deepEqual(
      snapshot.states.map((s) => [s.name, s.mode, s.offsets.length]),
      [
        ['splits', 'SPLIT_DISTRIBUTE', 2],
        ['offsets', 'UNION', 1],
        ['maps', 'SPLIT_DISTRIBUTE', 1],
      ],
    );
    const restored = new DefaultOperatorStateStore();
    restored.restore([{ bytes: snapshot.bytes, states: snapshot.states, where: 'test' }]);
    assert.deepEqual(restored.getListState(new ListStateDescriptor('splits')).get(), [
      { split: 'a', position: 3 },
      { split: 'b', position: 0 },
    ]);
    assert.deepEqual(restored.getUnionListState(new ListStateDescriptor('offsets')).get(), ['x']);
    const again = restored.snapshot();
    assert.deepEqual(again?.states.map((s) => s.name).sort(), ['maps', 'offsets', 'splits'], 'the maps state survives a snapshot without being asked for');
  });

  it("gives a subtask the union of every subtask's UNION list, and of the other subtasks' split lists nothing", () => {
    const snapshotOf = (subtask: number): { bytes: Uint8Array; states: { name: string; mode: string; offsets: number[] }[] } => {
      const store = new DefaultOperatorStateStore();
      store.getListState(new ListStateDescriptor<string>('splits')).update([`split-${subtask}-a`, `split-${subtask}-b`]);
      store.getUnionListState(new ListStateDescriptor<string>('offsets')).update([`offset-${subtask}`]);
      store.getListState(new ListStateDescriptor<string>('tail')).add(`tail-${subtask}`);
      const snapshot = store.snapshot();
      assert.ok(snapshot !== undefined);
      return snapshot;
    };
    const [own, other] = [snapshotOf(0), snapshotOf(1)];
    const restored = new DefaultOperatorStateStore();
    restored.restore([
      { bytes: own.bytes, states: own.states, where: 'subtask 0' },
      { bytes: other.bytes, states: other.states, where: 'subtask 1', unionOnly: true },
    ]);
    assert.deepEqual(restored.getUnionListState(new ListStateDescriptor('offsets')).get(), ['offset-0', 'offset-1']);
    assert.deepEqual(restored.getListState(new ListStateDescriptor('splits')).get(), ['split-0-a', 'split-0-b']);
    assert.deepEqual(restored.getListState(new ListStateDescriptor('tail')).get(), ['tail-0'], "the other subtask's element after its union list is not read into it");

    // A union list nobody asks for again keeps this subtask's own elements only: restored again
    // with the other subtasks' lists, it would otherwise grow on every restore.
    const unasked = new DefaultOperatorStateStore();
    unasked.restore([
      { bytes: own.bytes, states: own.states, where: 'subtask 0' },
      { bytes: other.bytes, states: other.states, where: 'subtask 1', unionOnly: true },
    ]);
    const again = unasked.snapshot();
    assert.ok(again !== undefined);
    const readBack = new DefaultOperatorStateStore();
    readBack.restore([{ bytes: again.bytes, states: again.states, where: 'again' }]);
    assert.deepEqual(readBack.getUnionListState(new ListStateDescriptor('offsets')).get(), ['offset-0']);
  });
});
