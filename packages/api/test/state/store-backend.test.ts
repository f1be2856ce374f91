import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor } from '../../src/index.js';
import { keyGroupFor, keyGroupRangeForOperatorIndex } from '../../src/key-groups.js';
import type { KeyedStateStore, KeyedStateStoreKey, KeyedStateStoreSnapshot, RestoredKeyedStateHandle } from '../../src/internal/contract.js';
import { HeapKeyedStateBackend, type KeyedStateBackend } from '../../src/internal/state/keyed-state-backend.js';
import { KeyedStateSnapshot, restoreKeyedState, type KeyedSnapshotWriter, type KeyedTimer } from '../../src/internal/state/keyed-state-snapshot.js';
import { estimateHeapBytes, StateCacheBudget, stateCacheBudgetOf, StoreKeyedStateBackend } from '../../src/internal/state/store-keyed-state-backend.js';
import { StoreKeyFilter } from '../../src/internal/state/store-key-filter.js';
import { writeToMemory } from './snapshot-test-utils.js';

const MAX = 128;

/**
 * An in-memory KeyedStateStore with the contract of the runtime's LMDB store (a unit-test double):
 * values kept as copies and read back as copies, a snapshot a copy, writes only inside
 * transaction(), and a count of the write transactions.
 */
class MemoryStore implements KeyedStateStore {
  readonly entries = new Map<string, { group: number; state: number; key: KeyedStateStoreKey; value: unknown }>();
  transactions = 0;
  gets = 0;
  private inTransaction = false;

  /** As the runtime's store: whether it held nothing when a backend opened it. */
  get startedEmpty(): boolean {
    return this.entries.size === 0;
  }

  get(keyGroup: number, state: number, key: KeyedStateStoreKey): unknown {
    this.gets++;
    return structuredClone(this.entries.get(id(keyGroup, state, key))?.value);
  }
  transaction(writes: () => void): void {
    this.transactions++;
    this.inTransaction = true;
    try {
      writes();
    } finally {
      this.inTransaction = false;
    }
  }
  put(keyGroup: number, state: number, key: KeyedStateStoreKey, value: unknown): void {
    assert.ok(this.inTransaction, 'put only inside a transaction');
    this.entries.set(id(keyGroup, state, key), { group: keyGroup, state, key, value: structuredClone(value) });
  }
  remove(keyGroup: number, state: number, key: KeyedStateStoreKey): void {
    assert.ok(this.inTransaction, 'remove only inside a transaction');
    this.entries.delete(id(keyGroup, state, key));
  }
  snapshot(): KeyedStateStoreSnapshot {
    const copy = [...this.entries.values()].map((entry) => ({ ...entry, value: structuredClone(entry.value) }));
    let released = false;
    const byId = new Map(copy.map((entry) => [id(entry.group, entry.state, entry.key), entry.value]));
    return {
      get: (group, state, key) => structuredClone(byId.get(id(group, state, key))),
      forEachInKeyGroup: (group, visit) => {
        assert.ok(!released, 'read after release');
        for (const entry of copy.filter((e) => e.group === group).sort((a, b) => a.state - b.state || String(a.key).localeCompare(String(b.key)))) visit(entry.state, entry.key, structuredClone(entry.value));
      },
      release: () => {
        released = true;
      },
    };
  }
}

function id(group: number, state: number, key: KeyedStateStoreKey): string {
  return `${group}/${state}/${typeof key}:${String(key)}`;
}

/** The cache's bytes the backends of a suite get (state.backend.lmdb.cache.size): the suites run without a cache, with one that holds everything, and with a small one. */
let cacheBytes = 0;
const CACHE_SIZES = [0, 64 * 1024 * 1024, 4 * 1024];

function storeBackend(store = new MemoryStore(), parallelism = 1, subtask = 0, incremental = false): StoreKeyedStateBackend {
  return new StoreKeyedStateBackend(MAX, keyGroupRangeForOperatorIndex(MAX, parallelism, subtask), store, incremental, 'op', new StateCacheBudget(cacheBytes));
}

function heapBackend(parallelism = 1, subtask = 0): HeapKeyedStateBackend {
  return new HeapKeyedStateBackend(MAX, keyGroupRangeForOperatorIndex(MAX, parallelism, subtask));
}


function takeSnapshot(backend: HeapKeyedStateBackend, timers: readonly KeyedTimer[] = []): KeyedSnapshotWriter {
  return backend instanceof StoreKeyedStateBackend ? backend.snapshot(timers) : new KeyedStateSnapshot(backend, timers);
}

const KEYS: unknown[] = ['alice', 'bob', 42, -1.5, true, null, undefined, 12345678901234567890n, ['composite', 1], { user: 'carol' }];

/** Writes a store backend's cached entries out (what the end of a long enough input batch does). */
function writeOut(backend: HeapKeyedStateBackend): void {
  if (backend instanceof StoreKeyedStateBackend) backend.flush();
}

/** Fills value, list and map state for every key of KEYS, the way operators do (list add and map values changed in place), writing out between steps. */
function fill(backend: HeapKeyedStateBackend): void {
  const counts = backend.getValueState(new ValueStateDescriptor<number>('count'));
  const pages = backend.getListState(new ListStateDescriptor<string>('pages'));
  const perPage = backend.getMapState(new MapStateDescriptor<string, { hits: number }>('per-page'));
  KEYS.forEach((key, i) => {
    backend.setCurrentKey(key);
    counts.update(i + 1);
    pages.add(`p${i}`);
    writeOut(backend);
    backend.setCurrentKey(key);
    pages.add(`q${i}`);
    perPage.put(`p${i}`, { hits: 0 });
    writeOut(backend);
    backend.setCurrentKey(key);
    perPage.get(`p${i}`)!.hits = i; // changed in place, no put
    writeOut(backend);
  });
}

function assertFilled(backend: KeyedStateBackend, keys: readonly unknown[] = KEYS): void {
  const counts = backend.getValueState(new ValueStateDescriptor<number>('count'));
  const pages = backend.getListState(new ListStateDescriptor<string>('pages'));
  const perPage = backend.getMapState(new MapStateDescriptor<string, { hits: number }>('per-page'));
  for (const key of keys) {
    const i = KEYS.indexOf(key);
    backend.setCurrentKey(key);
    assert.equal(counts.value(), i + 1, `count of ${String(key)}`);
    assert.deepEqual(pages.get(), [`p${i}`, `q${i}`], `pages of ${String(key)}`);
    assert.deepEqual([...perPage.entries()], [[`p${i}`, { hits: i }]], `per-page of ${String(key)}`);
  }
}

for (const cacheSize of CACHE_SIZES) {
describe(`StoreKeyedStateBackend (state.backend.type lmdb, over a store double, a cache of ${cacheSize} bytes)`, () => {
  before(() => {
    cacheBytes = cacheSize;
  });

  it('keeps value, list and map state in the store, with values changed in place, across batches, for every kind of key', () => {
    const store = new MemoryStore();
    const backend = storeBackend(store);
    fill(backend);
    if (cacheBytes === 0) assert.equal(backend.cachedEntries, 0, 'everything written out');
    assert.ok(store.entries.size >= KEYS.length * 3, `entries in the store (${store.entries.size})`);
    assertFilled(backend);
    // A second backend over the same store reads the same state: nothing stayed on the heap only.
    assertFilled(storeBackend(store));
  });

  it('writes what the cache holds in one transaction at the end of a batch once it is large, and nothing for entries only read as numbers', (t) => {
    if (cacheBytes !== 0) return t.skip('without a cache only');
    const store = new MemoryStore();
    const backend = storeBackend(store);
    const counts = backend.getValueState(new ValueStateDescriptor<number>('count'));
    for (let i = 0; i < 1000; i++) {
      backend.setCurrentKey(`k${i % 100}`);
      counts.update((counts.value() ?? 0) + 1);
    }
    assert.equal(store.gets, 0, 'keys never written are not read from the store (it started empty)');
    backend.endOfBatch();
    assert.equal(store.transactions, 0, 'a small batch stays in the cache');
    backend.flush();
    assert.equal(store.transactions, 1);
    assert.equal(store.entries.size, 100);
    const many = 20_000;
    for (let i = 0; i < many; i++) {
      backend.setCurrentKey(`m${i}`);
      counts.update(i);
    }
    backend.endOfBatch();
    assert.equal(store.transactions, 2, 'a batch that left many entries cached is written in one transaction');
    assert.equal(backend.cachedEntries, 0);
    for (let i = 0; i < many; i++) {
      backend.setCurrentKey(`m${i}`);
      assert.equal(counts.value(), i);
    }
    assert.equal(store.gets, many, 'keys written are read from the store');
    backend.endOfBatch();
    assert.equal(store.transactions, 2, 'entries only read as numbers are not written again');
    backend.setCurrentKey('k0');
    counts.clear();
    backend.flush();
    assert.equal(store.entries.size, 100 + many - 1, 'a cleared value is removed from the store');
  });

  it('writes the same EKS1 snapshots as the heap: a store checkpoint restores on the heap and back, with timers, and at parallelism 2', async () => {
    const timers: KeyedTimer[] = [
      { service: 'user-timers', domain: 'PROCESSING_TIME', namespace: undefined, time: 1000, key: 'alice' },
      { service: 'windows', domain: 'EVENT_TIME', namespace: { start: 0, end: 10 }, time: 2000, key: ['composite', 1] },
    ];
    const store = storeBackend();
    fill(store);
    const snapshot = takeSnapshot(store, timers);
    // Written after the barrier: not in the snapshot.
    store.setCurrentKey('alice');
    store.getValueState(new ValueStateDescriptor<number>('count')).update(1000);
    store.flush();
    const fromStore = await writeToMemory(snapshot);
    snapshot.release();

    const heap = heapBackend();
    const restoredTimers: KeyedTimer[] = [];
    restoreKeyedState(heap, [fromStore], (timer) => restoredTimers.push(timer));
    assertFilled(heap);
    assert.deepEqual(
      restoredTimers.sort((a, b) => a.time - b.time).map(({ key, time }) => [key, time]),
      [
        ['alice', 1000],
        [['composite', 1], 2000],
      ],
    );

    const fromHeap = await writeToMemory(takeSnapshot(heap, restoredTimers));
    const back = storeBackend();
    const timersBack: KeyedTimer[] = [];
    restoreKeyedState(back, [fromHeap], (timer) => timersBack.push(timer));
    assertFilled(back);
    assert.equal(timersBack.length, 2);

    for (const subtask of [0, 1]) {
      const part = storeBackend(new MemoryStore(), 2, subtask);
      restoreKeyedState(part, [fromStore], () => {});
      const range = part.keyGroupRange;
      const owned = KEYS.filter((key) => {
        const group = keyGroupFor(key, MAX);
        return group >= range.startKeyGroup && group <= range.endKeyGroup;
      });
      assertFilled(part, owned);
      const counts = part.getValueState(new ValueStateDescriptor<number>('count'));
      for (const key of KEYS.filter((k) => !owned.includes(k))) {
        part.setCurrentKey(key);
        assert.equal(counts.value(), undefined, `${String(key)} belongs to the other subtask`);
      }
    }
  });

  it('walks every entry by key group, and clears a state', () => {
    const backend = storeBackend();
    fill(backend);
    const seen: [number, string, unknown][] = [];
    backend.forEachEntryByKeyGroup((group, name, key) => seen.push([group, name, key]));
    assert.equal(seen.length, KEYS.length * 3);
    assert.deepEqual(
      seen.map(([group]) => group),
      seen.map(([group]) => group).sort((a, b) => a - b),
      'in key group order',
    );
    for (const [group, , key] of seen) assert.equal(group, keyGroupFor(key, MAX));
    backend.getListState(new ListStateDescriptor<string>('pages'));
    const table = backend.restoreTable('pages', 'list');
    assert.equal(table.size, KEYS.length);
    table.clear();
    assert.equal(table.size, 0);
    backend.setCurrentKey('alice');
    assert.equal(backend.getValueState(new ValueStateDescriptor<number>('count')).value(), 1, 'other states kept');
  });
});

describe('StoreKeyedStateBackend incremental snapshots', () => {
  before(() => {
    cacheBytes = cacheSize;
  });

  it('writes a change log of the entries written since the last completed checkpoint (over aborted ones), removals and replaced timers included; the chain restores the latest state', async () => {
    const backend = storeBackend(new MemoryStore(), 1, 0, true);
    const counts = backend.getValueState(new ValueStateDescriptor<number>('count'));
    const keys = Array.from({ length: 2000 }, (_, i) => `key-${i}`);
    const put = (key: string, value: number | undefined): void => {
      backend.setCurrentKey(key);
      counts.update(value);
    };
    for (const key of keys) put(key, 1);
    backend.flush();
    const timer: KeyedTimer = { service: 'user-timers', domain: 'EVENT_TIME', namespace: undefined, time: 10, key: 'key-100' };
    const firstSnapshot = backend.snapshot([timer], 1);
    const first = await writeToMemory(firstSnapshot);
    assert.equal((await firstSnapshot.write(() => undefined, async () => undefined)).changes, undefined, 'no completed checkpoint yet: full');
    backend.notifyCheckpointComplete(1);

    put('key-7', 2);
    const second = await backend.snapshot([timer], 2).write(() => undefined, async () => undefined);
    assert.equal(second.changes, true);
    // 2 never completes; 3 logs what changed since 1, over both snapshots; the timer of key-100 fired meanwhile.
    put('key-9', 3);
    put('key-11', undefined);
    const thirdSnapshot = backend.snapshot([], 3);
    const third = await writeToMemory(thirdSnapshot);
    assert.ok(third.bytes.byteLength * 20 < first.bytes.byteLength, `the change log (${third.bytes.byteLength} bytes) is a small part of the full snapshot (${first.bytes.byteLength} bytes)`);
    const full = await thirdSnapshot.write(() => undefined, async () => undefined, true);
    assert.equal(full.changes, undefined, 'full when the runtime asks');
    assert.ok(full.size > 20 * third.bytes.byteLength, `the full snapshot of 3 holds every key (${full.size} bytes)`);

    for (const target of [heapBackend(), storeBackend()]) {
      const timers: KeyedTimer[] = [];
      restoreKeyedState(target, [first, third], (t) => timers.push(t));
      const restored = target.getValueState(new ValueStateDescriptor<number>('count'));
      for (const key of keys) {
        target.setCurrentKey(key);
        const expected = key === 'key-7' ? 2 : key === 'key-9' ? 3 : key === 'key-11' ? undefined : 1;
        assert.equal(restored.value(), expected, `${key} restored from the chain into ${target.constructor.name}`);
      }
      assert.deepEqual(timers, [], 'the timer that fired after checkpoint 1 is not restored');
    }
  });
  it('writes a savepoint full even after a completed checkpoint, and never takes it as the base of a change log', async () => {
    const backend = storeBackend(new MemoryStore(), 1, 0, true);
    const counts = backend.getValueState(new ValueStateDescriptor<number>('count'));
    const put = (key: string, value: number): void => {
      backend.setCurrentKey(key);
      counts.update(value);
    };
    for (let i = 0; i < 500; i++) put(`key-${i}`, 1);
    const first = await writeToMemory(backend.snapshot([], 1));
    backend.notifyCheckpointComplete(1);

    put('key-1', 2);
    const savepoint = backend.snapshot([], 2, true);
    assert.equal((await savepoint.write(() => undefined, async () => undefined)).changes, undefined, 'a savepoint is full');
    backend.notifyCheckpointComplete(2);
    put('key-2', 3);
    // Checkpoint 3 logs what changed since checkpoint 1 (key-1 and key-2), not since the savepoint.
    const third = await writeToMemory(backend.snapshot([], 3));
    const target = heapBackend();
    restoreKeyedState(target, [first, third], () => undefined);
    const restored = target.getValueState(new ValueStateDescriptor<number>('count'));
    for (const [key, expected] of [['key-1', 2], ['key-2', 3], ['key-3', 1]] as const) {
      target.setCurrentKey(key);
      assert.equal(restored.value(), expected, `${key} restored from checkpoint 1 and the change log of 3`);
    }
  });
});
}

describe('StoreKeyedStateBackend cache (state.backend.lmdb.cache.size)', () => {
  const cached = (limitBytes: number, store = new MemoryStore(), incremental = false): StoreKeyedStateBackend =>
    new StoreKeyedStateBackend(MAX, { startKeyGroup: 0, endKeyGroup: MAX - 1 }, store, incremental, 'op', new StateCacheBudget(limitBytes));

  it('keeps hot keys decoded across batches: each is read once, nothing is written at the snapshot, and the snapshot holds exactly the state at the barrier', async () => {
    const store = new MemoryStore();
    const backend = cached(64 * 1024 * 1024, store, true);
    const totals = backend.getValueState(new ValueStateDescriptor<{ n: number }>('totals'));
    // More keys than a batch without a cache keeps (16,384), each counted in 10 passes of batches of 1,000.
    const keys = 20_000;
    for (let pass = 0; pass < 10; pass++) {
      for (let i = 0; i < keys; i++) {
        backend.setCurrentKey(`k${i}`);
        const total = totals.value();
        if (total === undefined) totals.update({ n: 1 });
        else total.n++; // changed in place
        if (i % 1000 === 999) backend.endOfBatch();
      }
    }
    assert.equal(store.gets, 0, 'new keys are known absent (the store started empty), and every key stays cached over 200 batches: nothing read from the store');
    assert.equal(store.transactions, 0, 'nothing written while the cache holds it');
    const snapshot = backend.snapshot([], 1);
    assert.equal(store.transactions, 0, 'the snapshot writes nothing to the store at the barrier (its synchronous part is O(1))');
    backend.setCurrentKey('k0');
    totals.value()!.n = -1; // after the barrier
    backend.flush();
    assert.equal(store.entries.size, keys, 'written out after the barrier, in one transaction');
    const first = await writeToMemory(snapshot);
    const restored = heapBackend();
    restoreKeyedState(restored, [first], () => {});
    const restoredTotals = restored.getValueState(new ValueStateDescriptor<{ n: number }>('totals'));
    for (let i = 0; i < keys; i += 97) {
      restored.setCurrentKey(`k${i}`);
      assert.deepEqual(restoredTotals.value(), { n: 10 }, `k${i} as it was at the barrier`);
    }
    backend.notifyCheckpointComplete(1);
    backend.setCurrentKey('k1');
    totals.value()!.n = 5000;
    const log = await writeToMemory(backend.snapshot([], 2));
    const chained = heapBackend();
    restoreKeyedState(chained, [first, log], () => {});
    const chainedTotals = chained.getValueState(new ValueStateDescriptor<{ n: number }>('totals'));
    for (const [key, n] of [['k0', -1], ['k1', 5000], ['k2', 10]] as const) {
      chained.setCurrentKey(key);
      assert.deepEqual(chainedTotals.value(), { n }, `${key}: the change log records the entries changed in the cache`);
    }
  });

  it('freezes the cache at the barrier by copy-on-write: writes, values changed in place, removals, write-outs and evictions after it never reach the snapshot', async () => {
    for (const limitBytes of [64 * 1024 * 1024, 32 * 1024]) {
      const store = new MemoryStore();
      const backend = cached(limitBytes, store, true);
      const heap = heapBackend();
      const states = [backend, heap].map((b) => ({ b, counts: b.getValueState(new ValueStateDescriptor<number>('count')), totals: b.getValueState(new ValueStateDescriptor<{ n: number }>('totals')), seen: b.getListState(new ListStateDescriptor<number>('seen')) }));
      const keys = 40_000;
      const round = (from: number, to: number, salt: number): void => {
        for (let i = from; i < to; i++) {
          const key = (i * 7919 + salt) % keys;
          for (const { b, counts, totals, seen } of states) {
            b.setCurrentKey(key);
            counts.update((counts.value() ?? 0) + salt);
            const total = totals.value();
            if (total === undefined) totals.update({ n: i });
            else total.n += salt; // changed in place
            if (i % 5 === 0) seen.add(i);
            if (i % 17 === 0) counts.clear();
            if (i % 23 === 0) seen.clear();
          }
          if (i % 200 === 199) backend.endOfBatch();
        }
      };
      round(0, 50_000, 1);
      const transactions = store.transactions;
      // The checkpoint: the heap's snapshot is the independent computation of the state at the barrier.
      const expected = await writeToMemory(new KeyedStateSnapshot(heap, []));
      const snapshot = backend.snapshot([], 1);
      assert.equal(store.transactions, transactions, `cache of ${limitBytes}: nothing written at the barrier`);
      // After the barrier: changes of every kind, batches that evict and write out, and a flush.
      round(50_000, 60_000, 3);
      backend.flush();
      assert.ok(store.transactions > transactions, 'entries were written out after the barrier');
      let turns = 0;
      const written = await writeToMemory(snapshot, () => {
        // Records between the turns of the snapshot's asynchronous part.
        round(60_000 + turns * 500, 60_500 + turns * 500, 5);
        turns++;
        return Promise.resolve();
      });
      snapshot.release();
      assert.ok(turns > 0, 'the snapshot yielded to records');
      const fromStore = heapBackend();
      restoreKeyedState(fromStore, [written], () => {});
      const fromHeap = heapBackend();
      restoreKeyedState(fromHeap, [expected], () => {});
      for (const name of ['count', 'totals', 'seen']) {
        const actual = new Map(fromStore.stateTables().find((table) => table.name === name)!.entries());
        const wanted = new Map(fromHeap.stateTables().find((table) => table.name === name)!.entries());
        assert.equal(actual.size, wanted.size, `cache of ${limitBytes}: ${name} has the barrier's keys`);
        for (const [key, value] of wanted) assert.deepEqual(actual.get(key), value, `cache of ${limitBytes}: ${name} of ${String(key)} as at the barrier`);
      }
      // The next snapshot, incremental over the first, holds the state after everything.
      backend.notifyCheckpointComplete(1);
      const heapNow = await writeToMemory(new KeyedStateSnapshot(heap, []));
      const log = await writeToMemory(backend.snapshot([], 2));
      const chained = heapBackend();
      restoreKeyedState(chained, [written, log], () => {});
      const now = heapBackend();
      restoreKeyedState(now, [heapNow], () => {});
      for (const name of ['count', 'totals', 'seen']) {
        const actual = new Map(chained.stateTables().find((table) => table.name === name)!.entries());
        const wanted = new Map(now.stateTables().find((table) => table.name === name)!.entries());
        assert.deepEqual(actual, wanted, `cache of ${limitBytes}: ${name} after the change log`);
      }
    }
  });

  it('a snapshot released before it collected leaves its entries pending for the next one, and a second snapshot finishes the first one collecting', async () => {
    const store = new MemoryStore();
    const backend = cached(64 * 1024 * 1024, store, true);
    const counts = backend.getValueState(new ValueStateDescriptor<number>('count'));
    const setAll = (value: number): void => {
      for (let i = 0; i < 1000; i++) {
        backend.setCurrentKey(i);
        counts.update(value + i);
      }
    };
    const readAll = async (writer: KeyedSnapshotWriter, chain: Awaited<ReturnType<typeof writeToMemory>>[] = []): Promise<number[]> => {
      const restored = heapBackend();
      restoreKeyedState(restored, [...chain, await writeToMemory(writer)], () => {});
      const state = restored.getValueState(new ValueStateDescriptor<number>('count'));
      return Array.from({ length: 1000 }, (_, i) => (restored.setCurrentKey(i), state.value() as number));
    };
    setAll(0);
    backend.snapshot([], 1).release(); // aborted before it was written
    setAll(10_000);
    const first = backend.snapshot([], 2);
    setAll(20_000);
    const second = backend.snapshot([], 3); // while the first is in flight
    setAll(30_000);
    assert.deepEqual(await readAll(first), Array.from({ length: 1000 }, (_, i) => 10_000 + i));
    const secondBytes = await writeToMemory(second);
    const restored = heapBackend();
    restoreKeyedState(restored, [secondBytes], () => {});
    const state = restored.getValueState(new ValueStateDescriptor<number>('count'));
    restored.setCurrentKey(999);
    assert.equal(state.value(), 20_999);
    first.release();
    second.release();
    backend.notifyCheckpointComplete(3);
    // Incremental over checkpoint 3: the entries changed since, though never written to the store.
    assert.equal(store.transactions, 0);
    const fourth = backend.snapshot([], 4);
    assert.deepEqual(await readAll(fourth, [secondBytes]), Array.from({ length: 1000 }, (_, i) => 30_000 + i));
    fourth.release();
    backend.notifyCheckpointComplete(4);
    // Ten keys change: the next change log holds them, not the thousand entries still only in the cache.
    for (let i = 0; i < 10; i++) {
      backend.setCurrentKey(i);
      counts.update(-i);
    }
    const log = await writeToMemory(backend.snapshot([], 5));
    assert.ok(log.bytes.byteLength * 20 < secondBytes.bytes.byteLength, `a change log of ten entries takes ${log.bytes.byteLength} bytes against ${secondBytes.bytes.byteLength} for the whole state`);
  });

  it('stays within its bytes: entries not used since the last round leave, the changed ones written out, and every value reads back as on the heap', () => {
    const limitBytes = 256 * 1024;
    const store = new MemoryStore();
    const backend = cached(limitBytes, store);
    const heap = heapBackend();
    const states = [backend, heap].map((b) => ({ b, counts: b.getValueState(new ValueStateDescriptor<number>('count')), lists: b.getListState(new ListStateDescriptor<number>('seen')) }));
    let records = 0;
    for (let pass = 0; pass < 3; pass++) {
      for (let i = 0; i < 30_000; i++) {
        const key = i % 7 === 0 ? `hot-${i % 50}` : (i * 7919) % 20_000;
        for (const { b, counts, lists } of states) {
          b.setCurrentKey(key);
          counts.update((counts.value() ?? 0) + 1);
          if (i % 11 === 0) lists.add(i);
          if (i % 13 === 0) counts.clear();
        }
        if (++records % 200 === 0) {
          backend.endOfBatch();
          if (backend.cachedEntries >= 16_384) assert.ok(backend.cache.usedBytes <= limitBytes + 200 * 400, `the cache holds ${backend.cache.usedBytes} bytes against ${limitBytes}`);
        }
      }
    }
    assert.ok(store.transactions > 0, 'entries were evicted');
    const fresh = cached(0, store);
    for (const { b, counts, lists } of [...states, { b: fresh, counts: fresh.getValueState(new ValueStateDescriptor<number>('count')), lists: fresh.getListState(new ListStateDescriptor<number>('seen')) }]) {
      if (b === fresh) backend.flush();
      for (let k = 0; k < 20_000; k += 37) {
        b.setCurrentKey(k);
        const count = counts.value();
        const seen = lists.get();
        heap.setCurrentKey(k);
        assert.equal(count, states[1]!.counts.value(), `count of ${k} in ${b === fresh ? 'the store' : 'the backend'}`);
        assert.deepEqual(seen, states[1]!.lists.get(), `list of ${k}`);
      }
    }
  });

  it('shrinks a full cache that finds under a tenth of its reads, and tries its full size again after sixteen times as many reads', () => {
    const budget = new StateCacheBudget(64 * 1024 * 1024);
    const judge = (entries: number, hits: number, misses: number): number => {
      budget.usedEntries = entries;
      budget.hits = hits;
      budget.misses = misses;
      budget.review();
      return budget.effectiveBytes;
    };
    assert.equal(judge(100_000, 1_000, 50_000), 64 * 1024 * 1024, 'not judged before as many reads as entries');
    assert.equal(judge(100_000, 9_000, 91_000), 4 * 1024 * 1024, 'a full cache finding 9 % of 100,000 reads shrinks');
    assert.equal(judge(20_000, 0, 1_500_000), 4 * 1024 * 1024, 'small until sixteen times the reads that judged it');
    assert.equal(judge(20_000, 0, 1_600_000), 64 * 1024 * 1024, 'then it tries its full size');
    assert.equal(judge(100_000, 20_000, 80_000), 64 * 1024 * 1024, 'and keeps it when it finds a fifth of its reads');
    const small = new StateCacheBudget(4 * 1024 * 1024);
    small.usedEntries = 10;
    small.misses = 1_000;
    small.review();
    assert.equal(small.effectiveBytes, 4 * 1024 * 1024, 'a cache no larger than the small size is left alone');
  });

  it('with a working set far larger than the cache walked in a cycle, shrinks to the small size and keeps every value', () => {
    const limitBytes = 8 * 1024 * 1024;
    const store = new MemoryStore();
    const backend = cached(limitBytes, store);
    const counts = backend.getValueState(new ValueStateDescriptor<number>('count'));
    const keys = 200_000;
    let peak = 0;
    for (let i = 0; i < 2 * keys; i++) {
      backend.setCurrentKey(i % keys);
      counts.update((counts.value() ?? 0) + 1);
      if (i % 1000 === 999) {
        backend.endOfBatch();
        if (backend.cache.effectiveBytes < limitBytes) peak = Math.max(peak, backend.cache.usedBytes);
      }
    }
    assert.equal(backend.cache.effectiveBytes, 4 * 1024 * 1024, 'the cache found none of its reads, and shrank');
    assert.ok(backend.cache.usedBytes <= 4 * 1024 * 1024 + 2000 * 200, `it holds ${backend.cache.usedBytes} bytes`);
    assert.ok(peak > 0);
    for (let key = 0; key < keys; key += 101) {
      backend.setCurrentKey(key);
      assert.equal(counts.value(), 2, `count of ${key}`);
    }
  });

  it('shares one budget between the keyed operators of a task, and gives it back when they end', () => {
    const stores = { cacheBytes: 100_000 };
    const budget = stateCacheBudgetOf(stores);
    assert.equal(stateCacheBudgetOf(stores), budget, 'one budget per task');
    const backends = [0, 1].map(() => new StoreKeyedStateBackend(MAX, { startKeyGroup: 0, endKeyGroup: MAX - 1 }, new MemoryStore(), false, 'op', budget));
    for (const backend of backends) {
      const counts = backend.getValueState(new ValueStateDescriptor<number>('count'));
      for (let i = 0; i < 20_000; i++) {
        backend.setCurrentKey(i);
        counts.update(i);
        if (i % 100 === 99) backend.endOfBatch();
      }
    }
    assert.equal(budget.usedBytes, backends[0]!.cachedBytes + backends[1]!.cachedBytes);
    assert.ok(budget.usedBytes <= 100_000 + 100 * 200, `both together hold ${budget.usedBytes} bytes`);
    for (const backend of backends) backend.dispose();
    assert.equal(budget.usedBytes, 0);
  });

  it('estimates what a value takes on the heap', () => {
    assert.ok(estimateHeapBytes('x'.repeat(1000)) >= 1000);
    assert.ok(estimateHeapBytes([1, 2]) < 100);
    assert.ok(estimateHeapBytes(new Map(Array.from({ length: 1000 }, (_, i) => [i, { hits: i }]))) > 40_000);
    assert.ok(estimateHeapBytes(Array.from({ length: 10_000 }, () => 'abcdefgh')) > 10_000 * 40);
  });
});

describe('StoreKeyFilter', () => {
  it('never says a key it saw is absent, rarely says one it did not see may be present, and stops once it is too full to tell', () => {
    const filter = new StoreKeyFilter();
    const keys: (string | number | boolean)[] = [true, 0, -0.5, 1e300, 'alice', '', '\u0000n:12345678901234567890'];
    for (let i = 0; i < 200_000; i++) keys.push(i % 2 === 0 ? i * 3 : `user-${i}`);
    for (const key of keys) filter.add(1, key);
    for (const key of keys) assert.ok(filter.mightContain(1, key), `${String(key)} was added`);
    let falsePositives = 0;
    for (let i = 0; i < 100_000; i++) if (filter.mightContain(1, i * 3 + 1) || filter.mightContain(1, `other-${i}`)) falsePositives++;
    assert.ok(falsePositives < 1000, `${falsePositives} of 100,000 absent keys may be present`);
    assert.ok(!filter.mightContain(2, 'alice') || !filter.mightContain(2, 0), 'another state is another key');
    for (let i = 0; i < 4_200_000; i++) filter.add(0, i);
    assert.equal(filter.active, false);
    assert.ok(filter.mightContain(5, 'never added'), 'once stopped, every key may be present');
  });
});
