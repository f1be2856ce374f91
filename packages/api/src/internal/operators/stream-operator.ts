import { keyGroupRangeForOperatorIndex } from '../../key-groups.js';
import type { RuntimeContext } from '../../process-function.js';
import type { CheckpointedFunction, CheckpointListener, FunctionInitializationContext, FunctionSnapshotContext } from '../../checkpoint.js';
import type { ChainContext } from '../contract.js';
import { HeapKeyedStateBackend, type KeyedStateBackend } from '../state/keyed-state-backend.js';
import { KeyedStateSnapshot, restoreKeyedState, type KeyedTimer, type RestoredKeyedState } from '../state/keyed-state-snapshot.js';
import { DefaultOperatorStateStore, type OperatorStateSnapshotResult, type RestoredOperatorState } from '../state/operator-state-store.js';

/**
 * The operators of a task's chain (Flink's StreamOperator). Chained operators are plain method
 * calls: an operator *is* the Output of the one before it, so passing a record on is one call of
 * `collect`. Nothing on that path allocates a promise or a closure, logs, or sends a message.
 *
 * Lifecycle, as in Flink (every call on the task's thread):
 *
 *   initializeState ─► open ─► collect* ─┬─► endInput ─► finish ─► close
 *   (restored or fresh)                  │   snapshotState / notifyCheckpointComplete|Aborted
 *                                        │   happen between records, any number of times
 *                                        └─► close (failure or cancel: without finish)
 *
 * initializeState and open run tail first, so what an operator emits finds its successors ready;
 * endInput and finish run head first, so flushed records reach operators that are still open.
 */
export interface Output {
  collect(record: unknown): void;
}

/** What the chain gives each operator. */
export interface OperatorContext {
  readonly chain: ChainContext;
  readonly operatorId: string;
  readonly operatorName: string;
  /** The vertex name. */
  readonly taskName: string;
  /** Reports an error raised outside a call from the runtime (a timer): the task fails with it. */
  failAsync(error: unknown): void;
  /** A RuntimeContext for user functions; with keyed state when a backend is given. */
  createRuntimeContext(backend?: KeyedStateBackend): RuntimeContext;
}

/** The state an operator starts from: empty lists for a fresh start. */
export interface OperatorStateInitialization {
  /** The checkpoint restored from; undefined for a fresh start. */
  readonly restoredCheckpointId: number | undefined;
  readonly keyed: readonly RestoredKeyedState[];
  readonly operatorState: readonly RestoredOperatorState[];
}

export const FRESH_START: OperatorStateInitialization = Object.freeze({ restoredCheckpointId: undefined, keyed: [], operatorState: [] });

/** The synchronous part of an operator's snapshot: a frozen view, written afterwards off the record path. */
export interface OperatorSnapshot {
  readonly keyed: KeyedStateSnapshot | undefined;
  readonly operatorState: OperatorStateSnapshotResult | undefined;
}

export interface StreamOperator extends Output {
  initializeState(context: OperatorContext, state: OperatorStateInitialization): void | Promise<void>;
  open(context: OperatorContext): void | Promise<void>;
  /** The input ended (bounded input); called head first. */
  endInput(): void;
  /** After endInput: flushes what is buffered (a file sink moves its part file to pending); head first. */
  finish(): void | Promise<void>;
  /** Releases everything; after finish, or after a failure or cancel without it. Must not throw for a half-open operator. */
  close(): void | Promise<void>;
  /** Before barrier N goes downstream: send on what is buffered, so it is before the barrier. */
  prepareSnapshotPreBarrier(checkpointId: number): void;
  /** Takes the synchronous part of snapshot N; undefined when the operator has no state. */
  snapshotState(checkpointId: number, timestamp: number): OperatorSnapshot | undefined;
  /** Checkpoint N completed (exactly-once sinks commit what it covers). */
  notifyCheckpointComplete(checkpointId: number): void | Promise<void>;
  notifyCheckpointAborted(checkpointId: number): void;
}

/**
 * The common part of the built-in operators: keyed state (for operators after keyBy), operator
 * state, and the calls into a user function that implements CheckpointedFunction or
 * CheckpointListener.
 */
export abstract class AbstractStreamOperator implements StreamOperator {
  protected keyedBackend: HeapKeyedStateBackend | undefined;
  protected readonly operatorStateStore = new DefaultOperatorStateStore();
  protected restoredCheckpointId: number | undefined;

  constructor(protected readonly output: Output) {}

  abstract collect(record: unknown): void;

  /** Keyed operators create their backend here (see keyed()). */
  protected get isKeyed(): boolean {
    return false;
  }

  /** The user function whose checkpoint hooks this operator calls, if any. */
  protected get userFunction(): unknown {
    return undefined;
  }

  initializeState(context: OperatorContext, state: OperatorStateInitialization): void | Promise<void> {
    this.restoredCheckpointId = state.restoredCheckpointId;
    if (this.isKeyed) {
      const { maxParallelism, parallelism, subtaskIndex } = context.chain;
      this.keyedBackend = new HeapKeyedStateBackend(maxParallelism, keyGroupRangeForOperatorIndex(maxParallelism, parallelism, subtaskIndex));
      restoreKeyedState(this.keyedBackend, state.keyed, (key, time) => this.restoreTimer(key, time));
    } else if (state.keyed.length > 0) {
      throw new Error(`operator '${context.operatorName}' (${context.operatorId}) is not keyed, but the state it is restored from has keyed state`);
    }
    this.operatorStateStore.restore(state.operatorState);
    return initializeUserState(this.userFunction, {
      isRestored: () => state.restoredCheckpointId !== undefined,
      getRestoredCheckpointId: () => state.restoredCheckpointId,
      getOperatorStateStore: () => this.operatorStateStore,
      getKeyedStateStore: () => (this.keyedBackend === undefined ? undefined : context.createRuntimeContext(this.keyedBackend)),
    });
  }

  open(_context: OperatorContext): void | Promise<void> {}
  endInput(): void {}
  finish(): void | Promise<void> {}
  close(): void | Promise<void> {
    this.keyedBackend?.dispose();
  }

  prepareSnapshotPreBarrier(_checkpointId: number): void {}

  snapshotState(checkpointId: number, timestamp: number): OperatorSnapshot | undefined {
    snapshotUserState(this.userFunction, { getCheckpointId: () => checkpointId, getCheckpointTimestamp: () => timestamp });
    const keyed = this.keyedBackend === undefined ? undefined : new KeyedStateSnapshot(this.keyedBackend, this.timersToSnapshot());
    const operatorState = this.operatorStateStore.snapshot();
    if (keyed === undefined && operatorState === undefined) return undefined;
    return { keyed, operatorState };
  }

  notifyCheckpointComplete(checkpointId: number): void | Promise<void> {
    return notifyUserCheckpointComplete(this.userFunction, checkpointId);
  }

  notifyCheckpointAborted(checkpointId: number): void {
    const fn = this.userFunction as Partial<CheckpointListener> | undefined;
    fn?.notifyCheckpointAborted?.(checkpointId);
  }

  /** Keyed operators with timers list them for the snapshot. */
  protected timersToSnapshot(): readonly KeyedTimer[] {
    return [];
  }

  /** Keyed operators with timers take restored ones back. */
  protected restoreTimer(_key: unknown, _time: number): void {
    throw new Error(`operator ${this.constructor.name} has no timers, but its restored state holds one`);
  }
}

function isCheckpointedFunction(fn: unknown): fn is CheckpointedFunction {
  return typeof fn === 'object' && fn !== null && typeof (fn as CheckpointedFunction).snapshotState === 'function' && typeof (fn as CheckpointedFunction).initializeState === 'function';
}

export function initializeUserState(fn: unknown, context: FunctionInitializationContext): void | Promise<void> {
  if (isCheckpointedFunction(fn)) return fn.initializeState(context);
}

export function snapshotUserState(fn: unknown, context: FunctionSnapshotContext): void {
  if (isCheckpointedFunction(fn)) {
    const result = fn.snapshotState(context) as unknown;
    if (result instanceof Promise) throw new Error('snapshotState must be synchronous: it runs between two records, and what it leaves in its operator state is what is saved');
  }
}

export function notifyUserCheckpointComplete(fn: unknown, checkpointId: number): void | Promise<void> {
  const listener = fn as Partial<CheckpointListener> | undefined;
  if (typeof listener?.notifyCheckpointComplete === 'function') return listener.notifyCheckpointComplete(checkpointId);
}

/** Where the records of an operator without consumers go. */
export class NoOpOutput implements Output {
  collect(_record: unknown): void {}
}

/** Hands each record to several outputs (an operator whose stream is consumed more than once). */
export class BroadcastingOutput implements Output {
  constructor(private readonly outputs: readonly Output[]) {}
  collect(record: unknown): void {
    const outputs = this.outputs;
    for (let i = 0; i < outputs.length; i++) (outputs[i] as Output).collect(record);
  }
}
