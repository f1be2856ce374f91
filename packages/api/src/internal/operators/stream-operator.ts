import { keyGroupRangeForOperatorIndex } from '../../key-groups.js';
import type { RuntimeContext } from '../../process-function.js';
import type { CheckpointedFunction, CheckpointListener, FlushingFunction, FunctionInitializationContext, FunctionSnapshotContext } from '../../checkpoint.js';
import type { ChainContext } from '../contract.js';
import { HeapKeyedStateBackend, type KeyedStateBackend } from '../state/keyed-state-backend.js';
import { KeyedStateSnapshot, restoreKeyedState, type KeyedSnapshotWriter, type RestoredKeyedState } from '../state/keyed-state-snapshot.js';
import { stateCacheBudgetOf, StoreKeyedStateBackend } from '../state/store-keyed-state-backend.js';
import { INCREMENTAL_CHECKPOINTS_KEY } from '../config.js';
import { InternalTimeServiceManager, type InternalTimerService, type Triggerable } from '../state/internal-timer-service.js';
import type { OutputTag } from '../../output-tag.js';
import type { Collector } from '../../functions.js';

/** A record without a timestamp (Flink's Long.MIN_VALUE): what records carry until a timestamp assigner or a source gives them one. */
export const NO_TIMESTAMP = Number.NEGATIVE_INFINITY;
/** The end of event time: a bounded input that ended, or a channel that ended. Fires every remaining event-time timer and window. */
export const MAX_WATERMARK = Number.POSITIVE_INFINITY;
/** The watermark before any was seen. */
export const MIN_WATERMARK = Number.NEGATIVE_INFINITY;
import { DefaultOperatorStateStore, OPERATOR_LIST_KIND, type OperatorStateSnapshotResult, type RestoredOperatorState } from '../state/operator-state-store.js';
import { StateDescriptor } from '../../state.js';
import type { StateInfo } from '../contract.js';
import type { StateMetaInfo } from '../state/state-compatibility.js';

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
 *
 * Event time: a record's timestamp travels beside it as a plain number argument (NO_TIMESTAMP when
 * it has none), never in a wrapper object. Watermarks travel in order with the records through
 * emitWatermark (an operator's processWatermark) and never go backwards on an output.
 */
export interface Output {
  /** Hands on a record with its timestamp (NO_TIMESTAMP when it has none). */
  collect(record: unknown, timestamp: number): void;
  /** Event time has reached `watermark`: no record with a timestamp <= watermark should follow. */
  emitWatermark(watermark: number): void;
  /**
   * Flink's WatermarkStatus: an idle output holds no watermark back downstream (its channels leave
   * the consumers' minimum) until it emits a record or ACTIVE again.
   */
  emitWatermarkStatus(idle: boolean): void;
  /** Hands a record to the side output `tag` (the streams of getSideOutput(tag)); dropped when nobody reads the tag. */
  collectSide(tag: OutputTag<unknown>, record: unknown, timestamp: number): void;
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
  /** Calls `listener` after every input batch and watermark the chain processes (a store backend writes its batch then). */
  onEndOfBatch(listener: () => void): void;
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
  readonly keyed: KeyedSnapshotWriter | undefined;
  readonly operatorState: OperatorStateSnapshotResult | undefined;
  /** Every state of the operator with its kind and type (what checkpoint metadata lists). */
  readonly states: readonly StateMetaInfo[];
  /** Settles when what the operator wrote before the barrier is durable (a FlushingFunction's flush). */
  readonly flushed?: Promise<void>;
}

export interface StreamOperator extends Output {
  initializeState(context: OperatorContext, state: OperatorStateInitialization): void | Promise<void>;
  open(context: OperatorContext): void | Promise<void>;
  /** The input ended (bounded input); called head first. */
  endInput(): void;
  /** After endInput: flushes what is buffered (a file sink moves its part file to pending); head first. */
  finish(): void | Promise<void>;
  /**
   * Event time reached `watermark` on this operator's input (its tasks's input watermark, the
   * minimum over its active input channels). AbstractStreamOperator fires its event-time timers
   * <= watermark, in time order, then forwards the watermark.
   */
  processWatermark(watermark: number): void;
  /** The input became idle (true) or active again (false); forwarded by default. */
  processWatermarkStatus(idle: boolean): void;
  /** Releases everything; after finish, or after a failure or cancel without it. Must not throw for a half-open operator. */
  close(): void | Promise<void>;
  /** Before barrier N goes downstream: send on what is buffered, so it is before the barrier. */
  prepareSnapshotPreBarrier(checkpointId: number): void;
  /** Takes the synchronous part of snapshot N; undefined when the operator has no state. */
  snapshotState(checkpointId: number, timestamp: number, savepoint?: boolean): OperatorSnapshot | undefined;
  /** Checkpoint N completed (exactly-once sinks commit what it covers). */
  notifyCheckpointComplete(checkpointId: number): void | Promise<void>;
  notifyCheckpointAborted(checkpointId: number): void;
  /**
   * The states the operator declares before it runs (for the plan): its own internal states and
   * the descriptors that are own properties of its user function. Called on an operator that is
   * never initialized.
   */
  declaredStates?(): StateInfo[];
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
  /** Keyed operators' timer services (created with the keyed backend). */
  protected timeServiceManager: InternalTimeServiceManager | undefined;
  /** The last watermark this operator processed (and forwarded): its current event time. */
  protected lastWatermark = MIN_WATERMARK;
  private operatorContext: OperatorContext | undefined;

  constructor(protected readonly output: Output) {}

  /** Processes one record of the input with its timestamp (NO_TIMESTAMP when it has none). */
  abstract collect(record: unknown, timestamp: number): void;

  /** As the Output of the operator before it: a watermark arrived. */
  emitWatermark(watermark: number): void {
    this.processWatermark(watermark);
  }

  emitWatermarkStatus(idle: boolean): void {
    this.processWatermarkStatus(idle);
  }

  /**
   * As the Output of the operator before it: a side-output record. The chain hands an operator
   * directly as an output only when no stream reads any side output of its predecessor (see
   * SideOutputRouter), so this drops it.
   */
  collectSide(_tag: OutputTag<unknown>, _record: unknown, _timestamp: number): void {}

  processWatermark(watermark: number): void {
    if (watermark <= this.lastWatermark) return;
    this.lastWatermark = watermark;
    this.timeServiceManager?.advanceWatermark(watermark);
    this.output.emitWatermark(watermark);
  }

  processWatermarkStatus(idle: boolean): void {
    this.output.emitWatermarkStatus(idle);
  }

  /**
   * A keyed operator's timer service `name` (Flink's getInternalTimerService): timers register for
   * the backend's current key and namespace; `toKey` gives a namespace's identity (for
   * deduplication and deletion); `restoreNamespace` rebuilds a namespace from what a snapshot kept
   * of it (the codec's copy: a class instance comes back as a plain object). Call it in open():
   * restored timers of this name are handed to the service then.
   */
  protected getInternalTimerService<N>(name: string, toKey: (namespace: N) => string, triggerable: Triggerable<N>, restoreNamespace?: (stored: unknown) => N): InternalTimerService<N> {
    const manager = this.timeServiceManager;
    if (manager === undefined) {
      throw new Error(`operator ${this.constructor.name} asked for timer service '${name}', but timers need a keyed operator whose state is initialized (after keyBy, in open())`);
    }
    return manager.getInternalTimerService(name, toKey, triggerable, restoreNamespace);
  }

  /** Keyed operators create their backend here (see keyed()). */
  protected get isKeyed(): boolean {
    return false;
  }

  /** The user function whose checkpoint hooks this operator calls, if any. */
  protected get userFunction(): unknown {
    return undefined;
  }

  initializeState(context: OperatorContext, state: OperatorStateInitialization): void | Promise<void> {
    this.operatorContext = context;
    this.restoredCheckpointId = state.restoredCheckpointId;
    if (this.isKeyed) {
      const { maxParallelism, parallelism, subtaskIndex } = context.chain;
      const range = keyGroupRangeForOperatorIndex(maxParallelism, parallelism, subtaskIndex);
      const stores = context.chain.keyedStateStores;
      if (stores === undefined) this.keyedBackend = new HeapKeyedStateBackend(maxParallelism, range, context.operatorId);
      else {
        const incremental = context.chain.configuration[INCREMENTAL_CHECKPOINTS_KEY] === 'true';
        const backend = new StoreKeyedStateBackend(maxParallelism, range, stores.open(context.operatorId), incremental, context.operatorId, stateCacheBudgetOf(stores));
        context.onEndOfBatch(() => backend.endOfBatch());
        this.keyedBackend = backend;
      }
      const manager = new InternalTimeServiceManager(this.keyedBackend, (error) => context.failAsync(error));
      this.timeServiceManager = manager;
      restoreKeyedState(this.keyedBackend, state.keyed, (timer) => manager.addRestored(timer));
    } else if (state.keyed.length > 0) {
      throw new Error(`operator '${context.operatorName}' (${context.operatorId}) is not keyed, but the state it is restored from has keyed state`);
    }
    this.operatorStateStore.operatorUid = context.operatorId;
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
    this.timeServiceManager?.quiesceProcessingTime();
    this.keyedBackend?.dispose();
  }

  /**
   * Stops the processing-time timers at the end of input (Flink does not fire the pending ones) and
   * logs, once, how many it dropped. Event-time timers fired with the end of input's MAX_WATERMARK.
   */
  protected dropProcessingTimeTimers(): void {
    const manager = this.timeServiceManager;
    if (manager === undefined) return;
    const pending = manager.pendingProcessingTimeTimers;
    manager.quiesceProcessingTime();
    const context = this.operatorContext;
    if (pending > 0 && context !== undefined) {
      context.chain.log('Dropped processing-time timers still pending at the end of input', { operator: context.operatorName, operatorId: context.operatorId, timers: pending });
    }
  }

  prepareSnapshotPreBarrier(_checkpointId: number): void {}

  snapshotState(checkpointId: number, timestamp: number, savepoint = false): OperatorSnapshot | undefined {
    snapshotUserState(this.userFunction, { getCheckpointId: () => checkpointId, getCheckpointTimestamp: () => timestamp });
    const backend = this.keyedBackend;
    const timers = backend === undefined ? [] : (this.timeServiceManager?.snapshotTimers() ?? []);
    const keyed = backend === undefined ? undefined : backend instanceof StoreKeyedStateBackend ? backend.snapshot(timers, checkpointId, savepoint) : new KeyedStateSnapshot(backend, timers);
    const operatorState = this.operatorStateStore.snapshot();
    const flushed = flushUserFunction(this.userFunction, checkpointId);
    if (keyed === undefined && operatorState === undefined && flushed === undefined) return undefined;
    const states = [...(this.keyedBackend?.stateMetaInfos() ?? []), ...this.operatorStateStore.stateMetaInfos()];
    return flushed === undefined ? { keyed, operatorState, states } : { keyed, operatorState, states, flushed };
  }

  notifyCheckpointComplete(checkpointId: number): void | Promise<void> {
    if (this.keyedBackend instanceof StoreKeyedStateBackend) this.keyedBackend.notifyCheckpointComplete(checkpointId);
    return notifyUserCheckpointComplete(this.userFunction, checkpointId);
  }

  notifyCheckpointAborted(checkpointId: number): void {
    const fn = this.userFunction as Partial<CheckpointListener> | undefined;
    fn?.notifyCheckpointAborted?.(checkpointId);
  }

  declaredStates(): StateInfo[] {
    return [...this.internalStates(), ...descriptorsOf(this.userFunction, this.isKeyed)];
  }

  /** The states a built-in operator keeps for itself (kinds only: their values are unchecked). */
  protected internalStates(): StateInfo[] {
    return [];
  }
}

/**
 * The state descriptors that are own properties of a user function object, in property order: a
 * keyed operator's as keyed state of their kind; a non-keyed operator's list descriptors as
 * operator state. Descriptors created in open() are not seen here.
 */
export function descriptorsOf(fn: unknown, keyed: boolean): StateInfo[] {
  if ((typeof fn !== 'object' && typeof fn !== 'function') || fn === null) return [];
  const states: StateInfo[] = [];
  const seen = new Set<string>();
  for (const value of Object.values(fn as object)) {
    if (!(value instanceof StateDescriptor) || seen.has(value.name)) continue;
    if (!keyed && value.kind !== 'list') continue;
    seen.add(value.name);
    const type = value.stateType();
    const kind = keyed ? value.kind : OPERATOR_LIST_KIND;
    states.push(type === undefined ? { name: value.name, kind } : { name: value.name, kind, type });
  }
  return states;
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

function flushUserFunction(fn: unknown, checkpointId: number): Promise<void> | undefined {
  const flushing = fn as Partial<FlushingFunction> | undefined;
  return typeof flushing?.flushForCheckpoint === 'function' ? flushing.flushForCheckpoint(checkpointId) : undefined;
}

export function notifyUserCheckpointComplete(fn: unknown, checkpointId: number): void | Promise<void> {
  const listener = fn as Partial<CheckpointListener> | undefined;
  if (typeof listener?.notifyCheckpointComplete === 'function') return listener.notifyCheckpointComplete(checkpointId);
}

/** Where the records of an operator without consumers go. */
export class NoOpOutput implements Output {
  collect(_record: unknown, _timestamp: number): void {}
  emitWatermark(_watermark: number): void {}
  emitWatermarkStatus(_idle: boolean): void {}
  collectSide(_tag: OutputTag<unknown>, _record: unknown, _timestamp: number): void {}
}

/** Hands each record to several outputs (an operator whose stream is consumed more than once). */
export class BroadcastingOutput implements Output {
  constructor(private readonly outputs: readonly Output[]) {}
  collect(record: unknown, timestamp: number): void {
    const outputs = this.outputs;
    for (let i = 0; i < outputs.length; i++) (outputs[i] as Output).collect(record, timestamp);
  }
  emitWatermark(watermark: number): void {
    for (const output of this.outputs) output.emitWatermark(watermark);
  }
  emitWatermarkStatus(idle: boolean): void {
    for (const output of this.outputs) output.emitWatermarkStatus(idle);
  }
  collectSide(tag: OutputTag<unknown>, record: unknown, timestamp: number): void {
    for (const output of this.outputs) output.collectSide(tag, record, timestamp);
  }
}

/**
 * The output of an operator whose side outputs some stream reads: main records go to `main`,
 * side records to the outputs of their tag (by tag id), watermarks and statuses to all of them.
 */
export class SideOutputRouter implements Output {
  private readonly all: readonly Output[];
  constructor(
    private readonly main: Output,
    private readonly sides: ReadonlyMap<string, Output>,
  ) {
    this.all = [main, ...sides.values()];
  }
  collect(record: unknown, timestamp: number): void {
    this.main.collect(record, timestamp);
  }
  collectSide(tag: OutputTag<unknown>, record: unknown, timestamp: number): void {
    this.sides.get(tag.id)?.collect(record, timestamp);
  }
  emitWatermark(watermark: number): void {
    for (const output of this.all) output.emitWatermark(watermark);
  }
  emitWatermarkStatus(idle: boolean): void {
    for (const output of this.all) output.emitWatermarkStatus(idle);
  }
}

/**
 * The Collector a user function gets (Flink's TimestampedCollector): what it collects carries the
 * timestamp the operator set, the input record's (or a firing event-time timer's). One per
 * operator, reused for every record.
 */
export class TimestampedCollector implements Collector<unknown> {
  timestamp = NO_TIMESTAMP;
  constructor(private readonly output: Output) {}
  collect(record: unknown): void {
    this.output.collect(record, this.timestamp);
  }
}
