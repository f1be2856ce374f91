import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ListStateDescriptor } from '@eddy/api';
import { DefaultOperatorStateStore, keyGroupRangeForOperatorIndex } from '@eddy/api/internal';
import type { eddy_checkpoint_v1 as cp } from '@eddy/proto';
import type { VertexCheckpointState } from '../../src/checkpoint/checkpoint-metadata.js';
import { assignSubtaskState, evenShare, reassignmentProblem } from '../../src/checkpoint/state-assignment.js';
import { StaticSplitEnumerator } from '../../src/source/split-enumerator.js';

const MAX = 128;

/** A keyed handle of the key groups old subtask `subtask` of `parallelism` owned; its inline bytes name it. */
function keyedHandle(subtask: number, parallelism: number): cp.KeyedStateHandle {
  const range = keyGroupRangeForOperatorIndex(MAX, parallelism, subtask);
  const name = `keyed-${subtask}`;
  return {
    keyGroupStart: range.startKeyGroup,
    keyGroupEnd: range.endKeyGroup,
    keyGroupOffsets: Array.from({ length: range.endKeyGroup - range.startKeyGroup + 1 }, () => 0),
    handle: { path: '', inlineBytes: Buffer.from(name), size: name.length },
  };
}

/** Operator state as a task's store writes it: `lists` by name, SPLIT_DISTRIBUTE unless named u*. */
function operatorHandle(lists: Record<string, unknown[]>): cp.OperatorStateHandle {
  const store = new DefaultOperatorStateStore();
  for (const [name, values] of Object.entries(lists)) {
    const descriptor = new ListStateDescriptor<unknown>(name);
    (name.startsWith('u') ? store.getUnionListState(descriptor) : store.getListState(descriptor)).update(values);
  }
  const snapshot = store.snapshot()!;
  return {
    handle: { path: '', inlineBytes: snapshot.bytes, size: snapshot.bytes.byteLength },
    states: snapshot.states.map((entry) => ({ name: entry.name, mode: entry.mode, offsets: entry.offsets, type: '', ends: [] })),
  };
}

function vertex(parallelism: number, stateOf: (subtask: number) => Partial<cp.OperatorSubtaskState>, extra: Partial<VertexCheckpointState> = {}): VertexCheckpointState {
  return {
    vertexId: 'v',
    name: 'Keyed Aggregation',
    parallelism,
    maxParallelism: MAX,
    operatorIds: ['op'],
    finishedSplitIds: [],
    subtasks: Array.from({ length: parallelism }, (_, subtask) => ({
      subtask,
      state: {
        operators: [{ operatorId: 'op', keyedState: [], operatorState: [], unionOperatorState: [], states: [], ...stateOf(subtask) }],
        heldSplitIds: [],
        finishedSplitIds: [],
        endOfInput: false,
      },
    })),
    ...extra,
  };
}

const keyedVertex = (parallelism: number): VertexCheckpointState => vertex(parallelism, (subtask) => ({ keyedState: [keyedHandle(subtask, parallelism)] }));

const keyedNames = (state: cp.TaskStateSnapshot): string[] => (state.operators[0]?.keyedState ?? []).map((k) => Buffer.from(k.handle!.inlineBytes).toString());

/** What a task restores from an assignment: each list's elements, as its store hands them out. */
/** An entry as the state loader hands it to the chain: an empty type is no type. */
function untyped({ type: _type, ...entry }: cp.OperatorStateEntry): Omit<cp.OperatorStateEntry, 'type'> {
  return entry;
}

function restoredLists(state: cp.TaskStateSnapshot, names: readonly string[]): Record<string, unknown[]> {
  const store = new DefaultOperatorStateStore();
  const operator = state.operators[0];
  const handles = [
    ...(operator?.operatorState ?? []).map((h) => ({ bytes: h.handle!.inlineBytes, states: h.states.map(untyped), where: 'test' })),
    ...(operator?.unionOperatorState ?? []).map((h) => ({ bytes: h.handle!.inlineBytes, states: h.states.map(untyped), where: 'test', unionOnly: true })),
  ];
  store.restore(handles);
  const lists: Record<string, unknown[]> = {};
  for (const name of names) {
    const descriptor = new ListStateDescriptor<unknown>(name);
    lists[name] = [...(name.startsWith('u') ? store.getUnionListState(descriptor) : store.getListState(descriptor)).get()];
  }
  return lists;
}

describe('state assignment (restoring at another parallelism)', () => {
  it('hands each new subtask every old keyed handle whose key groups overlap its range: 2->3, 2->1, 3->2, 1->4', () => {
    const assigned = (from: number, to: number): string[][] => Array.from({ length: to }, (_, subtask) => keyedNames(assignSubtaskState(keyedVertex(from), subtask, to, ['op'])));
    assert.deepEqual(assigned(2, 3), [['keyed-0'], ['keyed-0', 'keyed-1'], ['keyed-1']]);
    assert.deepEqual(assigned(2, 1), [['keyed-0', 'keyed-1']]);
    assert.deepEqual(assigned(3, 2), [['keyed-0', 'keyed-1'], ['keyed-1', 'keyed-2']]);
    assert.deepEqual(assigned(1, 4), [['keyed-0'], ['keyed-0'], ['keyed-0'], ['keyed-0']]);
  });

  it('covers every key group a new subtask owns, and hands it no handle without one of them, for every pair of parallelisms up to 16 and at max parallelism', () => {
    const pairs: [number, number][] = [];
    for (let from = 1; from <= 16; from++) for (let to = 1; to <= 16; to++) pairs.push([from, to]);
    pairs.push([2, MAX], [MAX, 3], [MAX, 1]);
    for (const [from, to] of pairs) {
      const old = keyedVertex(from);
      for (let subtask = 0; subtask < to; subtask++) {
        const range = keyGroupRangeForOperatorIndex(MAX, to, subtask);
        const handles = assignSubtaskState(old, subtask, to, ['op']).operators[0]?.keyedState ?? [];
        for (let group = range.startKeyGroup; group <= range.endKeyGroup; group++) {
          assert.ok(
            handles.some((h) => h.keyGroupStart <= group && group <= h.keyGroupEnd),
            `${from}->${to}: subtask ${subtask} has key group ${group}`,
          );
        }
        for (const h of handles) assert.ok(h.keyGroupStart <= range.endKeyGroup && h.keyGroupEnd >= range.startKeyGroup, `${from}->${to}: subtask ${subtask} gets only overlapping handles`);
      }
    }
  });

  it('concatenates SPLIT_DISTRIBUTE lists over the old subtasks and cuts them into contiguous shares, the first ones larger, without copying bytes', () => {
    const old = vertex(2, (subtask) => ({ operatorState: [operatorHandle(subtask === 0 ? { s: ['a0', 'a1', 'a2'] } : { s: ['b0', 'b1'] })] }));
    const lists = (to: number): unknown[][] => Array.from({ length: to }, (_, subtask) => restoredLists(assignSubtaskState(old, subtask, to, ['op']), ['s'])['s']!);
    assert.deepEqual(lists(3), [['a0', 'a1'], ['a2', 'b0'], ['b1']]);
    assert.deepEqual(lists(1), [['a0', 'a1', 'a2', 'b0', 'b1']]);
    assert.deepEqual(lists(4), [['a0', 'a1'], ['a2'], ['b0'], ['b1']]);
    assert.deepEqual(lists(6), [['a0'], ['a1'], ['a2'], ['b0'], ['b1'], []]);
    const handle = assignSubtaskState(old, 1, 3, ['op']).operators[0]!.operatorState[0]!;
    assert.equal(handle.handle, old.subtasks[0]!.state.operators[0]!.operatorState[0]!.handle, 'the old handle itself, restricted by offsets');
    assert.deepEqual(evenShare(5, 0, 3), [0, 2]);
    assert.deepEqual(evenShare(5, 2, 3), [4, 5]);
  });

  it('gives every new subtask the union of every UNION list, each element once, next to its share of the SPLIT_DISTRIBUTE lists of the same handles: 3->2 and 2->3', () => {
    const old3 = vertex(3, (subtask) => ({ operatorState: [operatorHandle({ u: [`u${subtask}`], s: [`s${subtask}a`, `s${subtask}b`] })] }));
    const at2 = [0, 1].map((subtask) => restoredLists(assignSubtaskState(old3, subtask, 2, ['op']), ['u', 's']));
    for (const lists of at2) assert.deepEqual([...lists['u']!].sort(), ['u0', 'u1', 'u2']);
    assert.deepEqual(
      at2.map((lists) => lists['s']),
      [
        ['s0a', 's0b', 's1a'],
        ['s1b', 's2a', 's2b'],
      ],
    );
    // Old subtask j's union list is the own list of new subtask j % 2 (kept if nobody asks for it again).
    const own = (subtask: number): string[] =>
      assignSubtaskState(old3, subtask, 2, ['op'])
        .operators[0]!.operatorState.filter((h) => h.states.some((e) => e.mode === 'UNION'))
        .map((h) => Buffer.from(h.handle!.inlineBytes).toString('hex'));
    assert.equal(own(0).length, 2);
    assert.equal(own(1).length, 1);

    const old2 = vertex(2, (subtask) => ({ operatorState: [operatorHandle({ u: [`u${subtask}`, `v${subtask}`] })] }));
    for (const subtask of [0, 1, 2]) assert.deepEqual([...restoredLists(assignSubtaskState(old2, subtask, 3, ['op']), ['u'])['u']!].sort(), ['u0', 'u1', 'v0', 'v1']);
  });

  it('keeps the same-parallelism restore as it was: own state plus the other subtasks\' UNION handles', () => {
    const old = vertex(2, (subtask) => ({ keyedState: [keyedHandle(subtask, 2)], operatorState: [operatorHandle({ u: [`u${subtask}`], s: [`s${subtask}`] })] }));
    const state = assignSubtaskState(old, 1, 2, ['op']);
    assert.deepEqual(keyedNames(state), ['keyed-1']);
    assert.deepEqual(restoredLists(state, ['u', 's']), { u: ['u1', 'u0'], s: ['s1'] });
    assert.deepEqual(assignSubtaskState(old, 0, 2, ['other']).operators, [], 'operators the job does not name get nothing');
  });

  it('refuses a changed max parallelism for an operator with keyed state, and says what to set', () => {
    const old = keyedVertex(2);
    const operator = old.subtasks[0]!.state.operators[0]!;
    assert.equal(reassignmentProblem(old, operator, { name: 'Keyed Aggregation', parallelism: 3, maxParallelism: MAX }), undefined);
    assert.match(
      reassignmentProblem(old, operator, { name: 'Keyed Aggregation', parallelism: 3, maxParallelism: 256 }) ?? '',
      /operator op has keyed state cut into 128 key groups .* max parallelism 256\. The max parallelism of an operator with keyed state cannot change: set it back to 128/,
    );
    const listsOnly = vertex(2, () => ({ operatorState: [operatorHandle({ s: [1] })] }));
    assert.equal(reassignmentProblem(listsOnly, listsOnly.subtasks[0]!.state.operators[0]!, { name: 'Map', parallelism: 3, maxParallelism: 256 }), undefined, 'operator state has no key groups');
  });
});

describe('StaticSplitEnumerator on a restore', () => {
  const cutFor = (parallelism: number): string[] => Array.from({ length: parallelism }, (_, subtask) => JSON.stringify({ start: subtask * 10, end: subtask * 10 + 10, subtask }));

  it("hands out the checkpoint's splits, not the new plan's, to any subtask when they were cut for another parallelism", () => {
    const enumerator = new StaticSplitEnumerator('src', cutFor(3), 3);
    // The checkpoint at parallelism 2: split 0 finished, split 1 unassigned.
    enumerator.reset(new Set(['0']), new Set(), { splits: cutFor(2), cutForParallelism: 2 });
    assert.equal(enumerator.remaining, 1);
    assert.deepEqual(enumerator.nextSplit(2), { id: '1', split: cutFor(2)[1] }, 'subtask 2 takes the split cut for old subtask 1');
    assert.equal(enumerator.nextSplit(0), undefined);
    assert.deepEqual(enumerator.checkpointState, { splits: cutFor(2), cutForParallelism: 2 }, 'and its next checkpoints keep them');
  });

  it('keeps splits bound to their subtask at the parallelism they were cut for, and starts from the plan without a checkpoint', () => {
    const enumerator = new StaticSplitEnumerator('src', cutFor(2), 2);
    assert.equal(enumerator.nextSplit(1)?.id, '1');
    assert.equal(enumerator.nextSplit(1), undefined, "split 0 is subtask 0's");
    enumerator.reset(new Set(), new Set(['1']), { splits: cutFor(2), cutForParallelism: 2 });
    assert.equal(enumerator.nextSplit(1), undefined, 'held splits are not handed out again');
    assert.equal(enumerator.nextSplit(0)?.id, '0');
  });
});
