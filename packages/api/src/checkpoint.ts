/**
 * Checkpointing as a job sees it (Flink's CheckpointConfig, CheckpointedFunction and
 * CheckpointListener).
 *
 *   env.enableCheckpointing(1000);                                   // every second, EXACTLY_ONCE
 *   env.getCheckpointConfig().setCheckpointingMode('AT_LEAST_ONCE');
 *
 * A function keeps state across failures either as keyed state (getRuntimeContext().getState(...)
 * on a keyed stream) or, not tied to a key, as operator state by implementing CheckpointedFunction.
 */
import { parseDurationMs } from './internal/config.js';
import type { ListState, ListStateDescriptor, MapState, MapStateDescriptor, ValueState, ValueStateDescriptor } from './state.js';

export type CheckpointingMode = 'EXACTLY_ONCE' | 'AT_LEAST_ONCE';

/** What happens to retained checkpoints when the job ends (Flink's ExternalizedCheckpointRetention). */
export type ExternalizedCheckpointRetention = 'NO_EXTERNALIZED_CHECKPOINTS' | 'DELETE_ON_CANCELLATION' | 'RETAIN_ON_CANCELLATION';

/** Operator state: lists not tied to a key (Flink's OperatorStateStore). */
export interface OperatorStateStore {
  /** Split evenly among the subtasks when the job is restored at another parallelism. */
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  /** Every subtask gets the whole list (the union of all subtasks' lists) on a restore. */
  getUnionListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getRegisteredStateNames(): string[];
}

/** Keyed state outside open() (Flink's KeyedStateStore). */
export interface KeyedStateStore {
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV>;
}

export interface FunctionInitializationContext {
  /** True when the function starts from a checkpoint (after a failure, or from execution.savepoint.path). */
  isRestored(): boolean;
  getRestoredCheckpointId(): number | undefined;
  getOperatorStateStore(): OperatorStateStore;
  /** Keyed state, on a keyed stream; undefined elsewhere. */
  getKeyedStateStore(): KeyedStateStore | undefined;
}

export interface FunctionSnapshotContext {
  getCheckpointId(): number;
  /** When the JobMaster triggered the checkpoint, in epoch milliseconds. */
  getCheckpointTimestamp(): number;
}

/**
 * A function with operator state (Flink's CheckpointedFunction). initializeState runs before
 * open(), restoring or fresh; snapshotState runs between two records when a checkpoint is taken:
 * put into the operator state what the function must find again after a failure. A source's
 * state must always match the records it has collected so far (snapshots are taken at its awaits).
 *
 *   class BufferingSink implements Sink<string>, CheckpointedFunction {
 *     private buffered: string[] = [];
 *     private state!: ListState<string>;
 *     initializeState(ctx: FunctionInitializationContext) {
 *       this.state = ctx.getOperatorStateStore().getListState(new ListStateDescriptor<string>('buffered'));
 *       this.buffered = [...this.state.get()];
 *     }
 *     snapshotState() { this.state.update(this.buffered); }
 *     invoke(value: string) { this.buffered.push(value); }
 *   }
 */
export interface CheckpointedFunction {
  initializeState(context: FunctionInitializationContext): void | Promise<void>;
  /** Synchronous: it runs between two records. */
  snapshotState(context: FunctionSnapshotContext): void;
}

/**
 * A sink whose writes finish asynchronously (Flink's SinkWriter.flush at a checkpoint): called
 * right after snapshotState, between two records. Checkpoint N is acknowledged only once the
 * promise resolves (what was written before the barrier is durable), and declined when it rejects.
 */
export interface FlushingFunction {
  flushForCheckpoint(checkpointId: number): Promise<void> | undefined;
}

/** Told when checkpoints complete or are aborted (Flink's CheckpointListener); a sink commits here. */
export interface CheckpointListener {
  notifyCheckpointComplete(checkpointId: number): void | Promise<void>;
  notifyCheckpointAborted?(checkpointId: number): void;
}

/** Job configuration keys of checkpointing (Flink's). */
export const CHECKPOINTING_INTERVAL_KEY = 'execution.checkpointing.interval';
export const CHECKPOINTING_MODE_KEY = 'execution.checkpointing.mode';

/** How a job's checkpoints are taken (Flink's CheckpointConfig); every setter writes the job's configuration. */
export class CheckpointConfig {
  constructor(private readonly configuration: Map<string, string>) {}

  isCheckpointingEnabled(): boolean {
    return this.getCheckpointInterval() > 0;
  }

  /** Milliseconds between checkpoints; 0 when checkpointing is off. */
  getCheckpointInterval(): number {
    const value = this.configuration.get(CHECKPOINTING_INTERVAL_KEY);
    return value === undefined ? 0 : Math.max(0, parseDurationMs(value, CHECKPOINTING_INTERVAL_KEY));
  }

  setCheckpointInterval(intervalMs: number): this {
    if (!Number.isInteger(intervalMs) || intervalMs < 10) throw new RangeError(`the checkpoint interval must be a whole number of at least 10 ms, got ${intervalMs}`);
    return this.set(CHECKPOINTING_INTERVAL_KEY, `${intervalMs} ms`);
  }

  getCheckpointingMode(): CheckpointingMode {
    return (this.configuration.get(CHECKPOINTING_MODE_KEY) as CheckpointingMode | undefined) ?? 'EXACTLY_ONCE';
  }

  setCheckpointingMode(mode: CheckpointingMode): this {
    if (mode !== 'EXACTLY_ONCE' && mode !== 'AT_LEAST_ONCE') throw new RangeError(`the checkpointing mode is EXACTLY_ONCE or AT_LEAST_ONCE, got ${String(mode)}`);
    return this.set(CHECKPOINTING_MODE_KEY, mode);
  }

  setCheckpointTimeout(timeoutMs: number): this {
    return this.set('execution.checkpointing.timeout', `${positiveWhole(timeoutMs, 'the checkpoint timeout')} ms`);
  }

  setMinPauseBetweenCheckpoints(pauseMs: number): this {
    if (!Number.isInteger(pauseMs) || pauseMs < 0) throw new RangeError(`the minimum pause between checkpoints must be a whole number of at least 0 ms, got ${pauseMs}`);
    return this.set('execution.checkpointing.min-pause', `${pauseMs} ms`);
  }

  setMaxConcurrentCheckpoints(max: number): this {
    return this.set('execution.checkpointing.max-concurrent-checkpoints', String(positiveWhole(max, 'the maximum of concurrent checkpoints')));
  }

  setTolerableCheckpointFailureNumber(failures: number): this {
    if (!Number.isInteger(failures) || failures < 0) throw new RangeError(`the tolerable checkpoint failure number must be a whole number of at least 0, got ${failures}`);
    return this.set('execution.checkpointing.tolerable-failed-checkpoints', String(failures));
  }

  /** The directory checkpoints go to (state.checkpoints.dir): a path or file:// URI every TaskManager shares. */
  setCheckpointStorage(directory: string): this {
    if (typeof directory !== 'string' || directory.trim() === '') throw new TypeError('setCheckpointStorage needs a directory');
    return this.set('state.checkpoints.dir', directory);
  }

  setExternalizedCheckpointRetention(retention: ExternalizedCheckpointRetention): this {
    return this.set('execution.checkpointing.externalized-checkpoint-retention', retention);
  }

  private set(key: string, value: string): this {
    this.configuration.set(key, value);
    return this;
  }
}

function positiveWhole(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${what} must be a whole number of at least 1, got ${value}`);
  return value;
}
