/**
 * StateAssignment: which parts of a checkpoint's state each subtask of a vertex starts from, at
 * the parallelism the checkpoint was taken with or at another one (Flink's
 * StateAssignmentOperation). The JobMaster computes it from the handles alone: no state bytes are
 * read, copied or rewritten.
 *
 *   same parallelism   subtask i gets its own state, plus the handles of the other subtasks that
 *                      hold UNION lists (it takes their UNION lists only)
 *   other parallelism  keyed state: every old handle whose key-group range overlaps the new
 *                      subtask's range (contiguous ranges from maxParallelism and parallelism, as
 *                      keyBy routes); the task restores the key groups it owns and skips the rest.
 *                      SPLIT_DISTRIBUTE lists: the elements of every old subtask, concatenated in
 *                      subtask order and cut into contiguous shares (the first ones one element
 *                      larger), as Flink's RoundRobinOperatorStateRepartitioner does; a share is
 *                      named by element offsets and ends into the old handles.
 *                      UNION lists: every new subtask gets every old subtask's list; old subtask
 *                      j's list counts as the own list of new subtask j % parallelism (what a
 *                      snapshot keeps of a union list nobody asks for again, so nothing is lost
 *                      and nothing multiplies).
 *
 * Source splits ride in the source operator's SPLIT_DISTRIBUTE list, with their positions, so they
 * move with it; the split ids a rescaled subtask holds are not known here (they are in the bytes),
 * so heldSplitIds is left empty and the enumerator takes the held ids from the whole vertex.
 */
import { keyGroupRangeForOperatorIndex } from '@eddy/api/internal';
import type { eddy_checkpoint_v1 as cp } from '@eddy/proto';
import type { VertexCheckpointState } from './checkpoint-metadata.js';

/** The state of `vertex`'s operators `operatorIds` for subtask `subtask` of `parallelism`. */
export function assignSubtaskState(vertex: VertexCheckpointState, subtask: number, parallelism: number, operatorIds: readonly string[]): cp.TaskStateSnapshot {
  const known = new Set(operatorIds);
  if (parallelism === vertex.parallelism) {
    const state = vertex.subtasks.find((s) => s.subtask === subtask)?.state;
    if (state === undefined) return emptyTaskState();
    const operators = state.operators.filter((op) => known.has(op.operatorId)).map((op) => ({ ...op, unionOperatorState: unionStateOfOthers(vertex, subtask, op.operatorId) }));
    return { ...state, operators };
  }
  const operators: cp.OperatorSubtaskState[] = [];
  for (const operatorId of operatorIds) {
    const old = operatorStatesOf(vertex, operatorId);
    if (old.length === 0) continue;
    const keyedState = assignKeyedState(old, vertex.maxParallelism, subtask, parallelism);
    const { own, unionOnly } = assignOperatorState(old, subtask, parallelism);
    if (keyedState.length === 0 && own.length === 0 && unionOnly.length === 0) continue;
    operators.push({ operatorId, keyedState, operatorState: own, unionOperatorState: unionOnly, states: stateMetaInfosOf(old) });
  }
  return { operators, heldSplitIds: [], finishedSplitIds: [], endOfInput: false };
}

/** How the job runs the vertex that now holds a checkpointed operator. */
export interface RestoringVertex {
  readonly name: string;
  readonly parallelism: number;
  readonly maxParallelism: number;
}

/**
 * Why operator `operator` of checkpointed vertex `old` cannot start in the job's vertex `now`, or
 * undefined when it can (at the same parallelism or, reassigned, at another one).
 */
export function reassignmentProblem(old: VertexCheckpointState, operator: cp.OperatorSubtaskState, now: RestoringVertex): string | undefined {
  if (operator.keyedState.length > 0 && old.maxParallelism !== now.maxParallelism) {
    return (
      `operator ${operator.operatorId} has keyed state cut into ${old.maxParallelism} key groups (max parallelism ${old.maxParallelism} in '${old.name}'), ` +
      `the job runs it (in '${now.name}') with max parallelism ${now.maxParallelism}. The max parallelism of an operator with keyed state cannot change: ` +
      `set it back to ${old.maxParallelism} (setMaxParallelism on the operator or the environment; when unset it is derived from the parallelism: 128 up to parallelism 85, more above)`
    );
  }
  if (now.parallelism > now.maxParallelism) {
    return `operator ${operator.operatorId} (in '${now.name}') would run at parallelism ${now.parallelism}, above its max parallelism ${now.maxParallelism}`;
  }
  if (now.parallelism !== old.parallelism && operator.operatorState.length > 0 && old.subtasks.some((s) => s.state.heldSplitIds.length > 0 || s.state.finishedSplitIds.length > 0) && old.enumerator === undefined) {
    return (
      `source operator ${operator.operatorId} ran at parallelism ${old.parallelism} there, the job runs it (in '${now.name}') at ${now.parallelism}, ` +
      `and the checkpoint was taken by an earlier version of Eddy that did not record the source's splits; start it at parallelism ${old.parallelism}`
    );
  }
  return undefined;
}

export function emptyTaskState(): cp.TaskStateSnapshot {
  return { operators: [], heldSplitIds: [], finishedSplitIds: [], endOfInput: false };
}

/** One operator's state in each old subtask, in subtask order. */
interface OldOperatorState {
  readonly subtask: number;
  readonly state: cp.OperatorSubtaskState;
}

function operatorStatesOf(vertex: VertexCheckpointState, operatorId: string): OldOperatorState[] {
  const states: OldOperatorState[] = [];
  for (const { subtask, state } of [...vertex.subtasks].sort((a, b) => a.subtask - b.subtask)) {
    for (const op of state.operators) if (op.operatorId === operatorId) states.push({ subtask, state: op });
  }
  return states;
}

/** The states the old subtasks recorded for the operator (each name once), so the restore checks their types. */
function stateMetaInfosOf(old: readonly OldOperatorState[]): cp.StateMetaInfo[] {
  const byName = new Map<string, cp.StateMetaInfo>();
  for (const { state } of old) for (const info of state.states ?? []) if (!byName.has(info.name)) byName.set(info.name, info);
  return [...byName.values()];
}

/** The old keyed handles whose key groups overlap those subtask `subtask` of `parallelism` owns. */
export function assignKeyedState(old: readonly OldOperatorState[], maxParallelism: number, subtask: number, parallelism: number): cp.KeyedStateHandle[] {
  const range = keyGroupRangeForOperatorIndex(maxParallelism, parallelism, subtask);
  const handles: cp.KeyedStateHandle[] = [];
  for (const { state } of old) {
    for (const handle of state.keyedState) {
      if (handle.keyGroupStart <= range.endKeyGroup && handle.keyGroupEnd >= range.startKeyGroup) handles.push(handle);
    }
  }
  return handles;
}

/** Where the element starting at `from` ends in `handle`: at the next element of any of its lists, or at its end. */
function elementEnd(handle: cp.OperatorStateHandle, from: number): number {
  let end = handle.handle?.size ?? 0;
  for (const entry of handle.states) for (const offset of entry.offsets) if (offset > from && offset < end) end = offset;
  return end;
}

/** Flink's even split: `total` elements over `parallelism` subtasks, contiguous, the first `total % parallelism` one larger. */
export function evenShare(total: number, subtask: number, parallelism: number): [start: number, end: number] {
  const base = Math.floor(total / parallelism);
  const remainder = total % parallelism;
  const start = subtask * base + Math.min(subtask, remainder);
  return [start, start + base + (subtask < remainder ? 1 : 0)];
}

/**
 * The operator state handles of subtask `subtask` of `parallelism`: `own` are old handles
 * restricted to its share of each SPLIT_DISTRIBUTE list and to the UNION lists it keeps as its
 * own; `unionOnly` are the other old handles that hold UNION lists (the task takes those lists only).
 */
export function assignOperatorState(old: readonly OldOperatorState[], subtask: number, parallelism: number): { own: cp.OperatorStateHandle[]; unionOnly: cp.OperatorStateHandle[] } {
  // Every SPLIT_DISTRIBUTE list's elements over all old handles, in order: [handle, entry, element].
  const handles = old.flatMap(({ subtask: oldSubtask, state }) => state.operatorState.map((handle) => ({ oldSubtask, handle })));
  const splitElements = new Map<string, { handle: number; entry: number; element: number }[]>();
  handles.forEach(({ handle }, h) =>
    handle.states.forEach((entry, e) => {
      if (entry.mode === 'UNION') return;
      let elements = splitElements.get(entry.name);
      if (elements === undefined) splitElements.set(entry.name, (elements = []));
      entry.offsets.forEach((_, element) => elements.push({ handle: h, entry: e, element }));
    }),
  );
  // The elements this subtask gets, by handle and entry.
  const selected = new Map<number, Map<number, number[]>>();
  for (const elements of splitElements.values()) {
    const [start, end] = evenShare(elements.length, subtask, parallelism);
    for (const { handle, entry, element } of elements.slice(start, end)) {
      let entries = selected.get(handle);
      if (entries === undefined) selected.set(handle, (entries = new Map()));
      let list = entries.get(entry);
      if (list === undefined) entries.set(entry, (list = []));
      list.push(element);
    }
  }
  const own: cp.OperatorStateHandle[] = [];
  const unionOnly: cp.OperatorStateHandle[] = [];
  handles.forEach(({ oldSubtask, handle }, h) => {
    const keepsUnion = oldSubtask % parallelism === subtask;
    const hasUnion = handle.states.some((entry) => entry.mode === 'UNION');
    const states: cp.OperatorStateEntry[] = [];
    handle.states.forEach((entry, e) => {
      if (entry.mode === 'UNION' && !keepsUnion) return; // taken from unionOnly
      const elements = entry.mode === 'UNION' ? (keepsUnion ? entry.offsets.map((_, i) => i) : []) : (selected.get(h)?.get(e) ?? []);
      // A SPLIT_DISTRIBUTE list this subtask gets nothing of is still named: it was restored, empty.
      const offsets = elements.map((i) => entry.offsets[i] as number);
      states.push({ name: entry.name, mode: entry.mode, offsets, type: entry.type, ends: offsets.map((from) => elementEnd(handle, from)) });
    });
    if (states.some((entry) => entry.offsets.length > 0) || (keepsUnion && states.length > 0)) own.push({ handle: handle.handle, states });
    if (hasUnion && !keepsUnion) unionOnly.push(handle);
  });
  return { own, unionOnly };
}

/**
 * The operator state handles of operator `operatorId` in the subtasks other than `subtask` that
 * hold a UNION list, in subtask order: the restoring subtask takes their UNION lists, so each
 * subtask starts with the union of every subtask's list, as in Flink.
 */
function unionStateOfOthers(vertex: VertexCheckpointState, subtask: number, operatorId: string): cp.OperatorStateHandle[] {
  const handles: cp.OperatorStateHandle[] = [];
  for (const other of operatorStatesOf(vertex, operatorId)) {
    if (other.subtask === subtask) continue;
    for (const handle of other.state.operatorState) if (handle.states.some((entry) => entry.mode === 'UNION')) handles.push(handle);
  }
  return handles;
}
