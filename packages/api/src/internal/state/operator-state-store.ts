/**
 * Operator state (Flink's OperatorStateStore): named lists per operator subtask that are not tied
 * to a key, such as a source reader's splits with their positions or a user function's buffered
 * items (CheckpointedFunction). On a restore at another parallelism a SPLIT_DISTRIBUTE list is
 * split evenly among the new subtasks and a UNION list is given whole to each of them.
 *
 * Snapshot: every list is copied when the checkpoint is taken (operator state is small), then its
 * elements are serialized one by one, so the offsets of the handle name each element.
 */
import type { ListState } from '../../state.js';
import { ListStateDescriptor } from '../../state.js';
import { copyStateValue } from './state-table.js';
import { decodeStateValue, encodeStateValue } from './state-serializer.js';
import { parseStateTypeJson, type StateTypeJson } from '../../types.js';
import { checkStateCompatibility, StateMigrationError, type StateMetaInfo } from './state-compatibility.js';

/** The kind operator state lists have in state meta infos (keyed states are 'value', 'list', 'map'). */
export const OPERATOR_LIST_KIND = 'operator-list';

export type OperatorStateMode = 'SPLIT_DISTRIBUTE' | 'UNION';

/** How a function's operator state is reached (Flink's OperatorStateStore). */
export interface OperatorStateStore {
  /** A list state split evenly among the subtasks on a restore at another parallelism. */
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  /** A list state every subtask gets whole on a restore (the union of every subtask's list). */
  getUnionListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getRegisteredStateNames(): string[];
}

/** One list state's elements in a snapshot. */
export interface OperatorStateSnapshotEntry {
  readonly name: string;
  readonly mode: OperatorStateMode;
  readonly offsets: number[];
  /** The list's type in canonical form (LIST of the element type); absent: unchecked. */
  readonly type?: StateTypeJson;
}

export interface OperatorStateSnapshotResult {
  readonly bytes: Uint8Array;
  readonly states: OperatorStateSnapshotEntry[];
}

/** A restored operator state handle. */
export interface RestoredOperatorState {
  readonly bytes: Uint8Array;
  /**
   * Each list's elements: where they start and, when `ends` is not empty, where they end (a handle
   * restricted to the elements a subtask was assigned on a restore at another parallelism;
   * otherwise an element ends where the next element of the handle starts).
   */
  readonly states: readonly { readonly name: string; readonly mode: string; readonly offsets: readonly number[]; readonly type?: unknown; readonly ends?: readonly number[] }[];
  readonly where: string;
  /** Another subtask's handle: only its UNION lists are taken (the rest belongs to that subtask). */
  readonly unionOnly?: boolean;
}

class OperatorListState<T> implements ListState<T> {
  values: T[] = [];
  constructor(
    readonly mode: OperatorStateMode,
    readonly type: StateTypeJson | undefined,
  ) {}
  get(): readonly T[] {
    return this.values;
  }
  add(value: T): void {
    this.values.push(value);
  }
  addAll(values: Iterable<T>): void {
    for (const value of values) this.values.push(value);
  }
  update(values: Iterable<T>): void {
    this.values = [...values];
  }
  clear(): void {
    this.values = [];
  }
}

export class DefaultOperatorStateStore implements OperatorStateStore {
  private readonly lists = new Map<string, OperatorListState<unknown>>();
  /**
   * Restored elements by state name, waiting for the operator to ask for the state: all of them,
   * and those of this subtask's own handles (what a snapshot keeps of a union list nobody asks
   * for again, so it does not grow by the other subtasks' lists on every restore).
   */
  private readonly restored = new Map<string, { mode: string; type: StateTypeJson | undefined; values: unknown[]; own: unknown[] }>();
  /** The operator's uid, for messages (set when the operator's state is initialized). */
  operatorUid = 'unknown';

  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T> {
    return this.list(descriptor, 'SPLIT_DISTRIBUTE') as ListState<T>;
  }

  getUnionListState<T>(descriptor: ListStateDescriptor<T>): ListState<T> {
    return this.list(descriptor, 'UNION') as ListState<T>;
  }

  getRegisteredStateNames(): string[] {
    return [...this.lists.keys()];
  }

  /** Every list (registered, or restored and not asked for again) with its type, as a snapshot records them. */
  stateMetaInfos(): StateMetaInfo[] {
    const infos: StateMetaInfo[] = [...this.lists].map(([name, list]) => ({ name, kind: OPERATOR_LIST_KIND, type: list.type }));
    for (const [name, { type }] of this.restored) if (!this.lists.has(name)) infos.push({ name, kind: OPERATOR_LIST_KIND, type });
    return infos;
  }

  /** Whether any state was restored into this store. */
  get isRestored(): boolean {
    return this.restored.size > 0 || this.restoredAny;
  }

  private restoredAny = false;

  /** Copies every list and serializes it; empty when the operator has no operator state. */
  snapshot(): OperatorStateSnapshotResult | undefined {
    if (this.lists.size === 0 && this.restored.size === 0) return undefined;
    const chunks: Uint8Array[] = [];
    const states: OperatorStateSnapshotEntry[] = [];
    let position = 0;
    const add = (name: string, mode: OperatorStateMode, values: readonly unknown[], type: StateTypeJson | undefined): void => {
      const offsets: number[] = [];
      for (const value of values) {
        const bytes = encodeStateValue(value);
        offsets.push(position);
        chunks.push(bytes);
        position += bytes.byteLength;
      }
      states.push(type === undefined ? { name, mode, offsets } : { name, mode, offsets, type });
    };
    for (const [name, list] of this.lists) add(name, list.mode, list.values, list.type);
    // State restored for a name the operator did not ask for again: kept, so it is not lost.
    for (const [name, { mode, own, type }] of this.restored) if (!this.lists.has(name)) add(name, mode === 'UNION' ? 'UNION' : 'SPLIT_DISTRIBUTE', own, type);
    return { bytes: Buffer.concat(chunks), states };
  }

  /**
   * Puts restored elements back; each state gets them when the operator asks for it. A UNION list
   * collects the elements of every handle that has it (this subtask's and, marked unionOnly, the
   * other subtasks'), in the order of the handles.
   */
  restore(handles: readonly RestoredOperatorState[]): void {
    for (const handle of handles) {
      const { bytes, where } = handle;
      for (const state of handle.states) {
        if (handle.unionOnly === true && state.mode !== 'UNION') continue;
        const entry = this.restored.get(state.name) ?? { mode: state.mode, type: state.type === undefined ? undefined : parseStateTypeJson(state.type, `${where} (operator state '${state.name}')`), values: [], own: [] };
        state.offsets.forEach((from, i) => {
          const ends = state.ends;
          const to = ends !== undefined && ends.length > 0 ? (ends[i] ?? -1) : i + 1 < state.offsets.length ? (state.offsets[i + 1] as number) : nextOffsetAfter(handle, state.name, from);
          if (from < 0 || to > bytes.byteLength || to < from) throw new Error(`${where} is truncated or corrupt: element ${i} of operator state '${state.name}' runs from byte ${from} to ${to} of ${bytes.byteLength}`);
          const value = decodeStateValue(bytes.subarray(from, to), `element ${i} of operator state '${state.name}' in ${where}`);
          entry.values.push(value);
          if (handle.unionOnly !== true) entry.own.push(value);
        });
        this.restored.set(state.name, entry);
        this.restoredAny = true;
      }
    }
  }

  private list(descriptor: ListStateDescriptor<unknown>, mode: OperatorStateMode): OperatorListState<unknown> {
    const existing = this.lists.get(descriptor.name);
    if (existing !== undefined) {
      if (existing.mode !== mode) throw new Error(`operator state '${descriptor.name}' is already registered as a ${existing.mode === 'UNION' ? 'union ' : ''}list state`);
      return existing;
    }
    const list = new OperatorListState<unknown>(mode, descriptor.stateType());
    const restored = this.restored.get(descriptor.name);
    if (restored !== undefined) {
      const { problems } = checkStateCompatibility(
        this.operatorUid,
        { name: descriptor.name, kind: OPERATOR_LIST_KIND, type: restored.type },
        { name: descriptor.name, kind: OPERATOR_LIST_KIND, type: list.type },
      );
      if (problems.length > 0) {
        throw StateMigrationError.of(problems);
      }
      list.values = restored.values;
      this.restored.delete(descriptor.name);
    }
    this.lists.set(descriptor.name, list);
    return list;
  }
}

/** Where the element starting at `from` ends: at the next element of any state of the handle, or the end. */
function nextOffsetAfter(handle: RestoredOperatorState, _name: string, from: number): number {
  let end = handle.bytes.byteLength;
  for (const state of handle.states) for (const offset of state.offsets) if (offset > from && offset < end) end = offset;
  return end;
}

/** A copy of `values` that later changes to the originals do not reach. */
export function copyOperatorStateValues<T>(values: readonly T[]): T[] {
  return values.map((value) => copyStateValue(value));
}
