/**
 * The contract between a job's bundle and the rest of Eddy. Plain types only: the client and the
 * TaskManager's worker threads use it through `@eddy/api/internal`, which every job bundle
 * re-exports as `__eddy`, so the code that runs a job is always the bundle's own copy of the API.
 *
 *   client:  bundle.__eddy.buildPlan(bundle.default, args)  -> JobPlan  -> JobGraph (client side)
 *   worker:  bundle.__eddy.createTaskChain(bundle.default, args, vertexId, context) -> TaskChain
 *
 * A JobPlan is deterministic for the same code and arguments: operator ids are stable across runs
 * (a user uid(), or derived from the operator's position in the pipeline), and the worker checks
 * that the plan it rebuilds matches the submitted one (`planFingerprint`).
 */
import type { UserMetricsBacking } from './user-metrics.js';

/**
 * The version of this contract. The runtime checks that a job bundle's copy of the API speaks the
 * version it does, and refuses the bundle with both versions named when it does not: a bundle built
 * by an older or newer client must be rebuilt with the CLI that matches the cluster.
 *
 *   1  wave 1: open/close/dispose chains, no checkpoints
 *   2  checkpoints: initializeState/snapshotState/notifyCheckpoint*, finish/close, splits with ids
 *   3  event time: records carry timestamps (emit's timestamp, processBatch's timestamp column),
 *      watermarks and watermark statuses travel both ways (ChainOutput.emitWatermark*,
 *      TaskChain.processWatermark*), keyed snapshots hold event- and processing-time timers
 *   4  state types: plan operators list their declared states, snapshot views list every state with
 *      its kind and type, restored operator state lists carry their recorded type
 *   5  state larger than memory: ChainContext.keyedStateStores, keyed snapshots that write change
 *      logs (KeyedStateWriter.write's `full`, `changes`), snapshotState's `savepoint`; connectors:
 *      ChainSnapshot.flushed (a sink's writes before the barrier are durable)
 *   6  splits found while the job runs (Kafka partitions): PlanVertex.splitEnumerator (a source's
 *      SplitEnumerator, kind and settings, for the JobMaster to run) and ChainContext.requestSplit
 *      (ask that enumerator, held up to a wait, answer says whether more may come)
 */
export const CONTRACT_VERSION = 6;

/** A job module's default export. */
export type JobMain = (env: unknown, args: string[]) => void | Promise<void>;

export type PartitionerName = 'forward' | 'rebalance' | 'rescale' | 'hash' | 'broadcast';

export interface PlanOperator {
  /** Stable id (uid() or derived); unique in the plan. */
  readonly id: string;
  readonly name: string;
  /** e.g. 'source', 'map', 'flatMap', 'filter', 'keyedReduce', 'process', 'keyedProcess', 'sink'. */
  readonly kind: string;
  /**
   * The states the operator declares, as far as the plan can see them: state descriptors that are
   * own properties of the user's function object, and the internal states of built-in operators.
   * Descriptors created in open() are not here; they are checked when the state is restored.
   */
  readonly states: readonly StateInfo[];
}

/** A chain of operators that runs as one task per subtask. */
export interface PlanVertex {
  /** The id of its first operator. */
  readonly id: string;
  /** Operator names joined by " -> ". */
  readonly name: string;
  readonly parallelism: number;
  /** 0 when not set (the runtime applies Flink's default). */
  readonly maxParallelism: number;
  readonly slotSharingGroup: string;
  readonly operators: readonly PlanOperator[];
  /** Input splits handed out lazily at run time (a file source's byte ranges), JSON each. */
  readonly inputSplits: readonly string[];
  /**
   * A source whose splits a SplitEnumerator of the runtime finds while the job runs (Kafka's
   * partitions): JSON of its Source.splitEnumerator() ({ kind, settings }); absent for the others.
   */
  readonly splitEnumerator?: string;
}

export interface PlanEdge {
  readonly source: string;
  readonly target: string;
  readonly partitioner: PartitionerName;
  readonly distributionPattern: 'POINTWISE' | 'ALL_TO_ALL';
  /** Which logical input of the target this edge feeds: 0, or 1 for the second input of a two-input operator (connect, joins); a union's edges all feed 0. */
  readonly targetInput: number;
}

export interface JobPlan {
  readonly jobName: string;
  /** Job configuration set through the environment (Flink-style keys, string values). */
  readonly configuration: Readonly<Record<string, string>>;
  readonly vertices: readonly PlanVertex[];
  readonly edges: readonly PlanEdge[];
  /** Hash of the above; the worker refuses to run a rebuilt plan whose fingerprint differs. */
  readonly fingerprint: string;
}

/** One outgoing edge of a task, as the runtime wires it. */
export interface ChainOutput {
  /** Target vertex id of the edge. */
  readonly target: string;
  /** Number of channels (consumer subtasks this subtask may send to). */
  readonly numberOfChannels: number;
  /**
   * Hands one record to channel `channel` (0-based) with its event timestamp (-Infinity, the API's
   * NO_TIMESTAMP, when it has none). Cheap; batching happens behind it.
   */
  emit(record: unknown, channel: number, timestamp: number): void;
  /** Hands one record to every channel. */
  broadcastEmit(record: unknown, timestamp: number): void;
  /**
   * Sends a watermark on every channel, after the records emitted before it. The runtime drops one
   * that does not advance the edge's last watermark.
   */
  emitWatermark(watermark: number): void;
  /** Sends IDLE (true) or ACTIVE (false) on every channel when it changes (Flink's WatermarkStatus). */
  emitWatermarkStatus(idle: boolean): void;
}

/** A split the JobMaster handed to a source subtask. */
export interface InputSplitAssignment {
  /** Stable within the source (checkpoints name splits by it). */
  readonly id: string;
  /** JSON, as the source cut it when the job was planned. */
  readonly split: string;
}

/** What the runtime gives a task's chain. */
export interface ChainContext {
  readonly jobId: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  /** Effective max parallelism of this vertex (key groups). */
  readonly maxParallelism: number;
  readonly attemptNumber: number;
  /** The job's configuration, with the task's effective `execution.buffer-timeout` (the TaskManager's when the job sets none). */
  readonly configuration: Readonly<Record<string, string>>;
  /** One per outgoing edge, in plan edge order. */
  readonly outputs: readonly ChainOutput[];
  /** For each outgoing edge: parallelism and max parallelism of the target vertex (for keyBy). */
  readonly targets: readonly { readonly parallelism: number; readonly maxParallelism: number }[];
  /** Aborted when the task is canceled. */
  readonly signal: AbortSignal;
  /** The next input split of this vertex, or undefined when none are left. */
  nextInputSplit(): Promise<InputSplitAssignment | undefined>;
  /**
   * Sources with a splitEnumerator: the next split the JobMaster's enumerator assigned to this
   * subtask, the call held there up to `waitMs` while there is none yet; `moreMayCome` false once
   * none are left for it. Optional: a runtime of an older contract has none.
   */
  requestSplit?(waitMs: number): Promise<{ readonly split: InputSplitAssignment | undefined; readonly moreMayCome: boolean }>;
  /**
   * Checkpoints are taken for this job: exactly-once sinks commit on completed checkpoints, and a
   * task that reached the end of its input finishes after one more.
   */
  readonly checkpointingEnabled: boolean;
  /**
   * Backpressure for sources: true when an output cannot take more now. A source checks it every
   * few hundred records and then awaits waitForOutputs() before producing more.
   */
  isBackPressured(): boolean;
  waitForOutputs(): Promise<void>;
  /** Writes text to the task's stdout (print sinks). */
  writeStdout(text: string): void;
  /** Sends records to the client that submitted the job (collect sink). */
  collect(records: unknown[]): void;
  log(message: string, fields?: object): void;
  /**
   * Fails the task with an error raised outside any call into the chain (a processing-time timer
   * fires between batches). Optional: without it the chain rethrows the error as an uncaught error
   * of the task's thread; either way the next call into the chain throws it.
   */
  failTask?(error: unknown): void;
  /**
   * Keyed state larger than memory (`state.backend.type: lmdb`): the task's store, one per keyed
   * operator, that the runtime opens in a TaskManager-local directory and deletes when the task
   * ends. Undefined for the heap backend (`hashmap`, the default), and from an older runtime.
   */
  readonly keyedStateStores?: KeyedStateStores;
  /** Where user metrics live (see user-metrics.ts); undefined from an older runtime: they then work locally and are reported nowhere. */
  readonly userMetrics?: UserMetricsBacking;
}

/** A key of a keyed state store: what an ordered-binary key holds (the API tags other keys as strings). */
export type KeyedStateStoreKey = string | number | boolean;

/** Opens the keyed state store of one operator of the task (see ChainContext.keyedStateStores). */
export interface KeyedStateStores {
  /** 'lmdb': for messages. */
  readonly type: string;
  /**
   * Bytes (estimated) of decoded entries the task's keyed operators keep on the heap between
   * batches, all together (state.backend.lmdb.cache.size); 0 or undefined (an older runtime): an
   * entry is kept only until the end of the batch that wrote it out.
   */
  readonly cacheBytes?: number;
  open(operatorId: string): KeyedStateStore;
}

/**
 * An ordered key-value store of one operator's keyed state, synchronous throughout: entries are
 * keyed (key group, state index, key), so a key group is one contiguous range of the store.
 * Values are state values (what a snapshot can hold: primitives, bigint, arrays, plain objects,
 * Map, Set, Date, typed arrays); the store encodes them, and a get returns a fresh copy.
 */
export interface KeyedStateStore {
  /**
   * True: the store held no entry when it was opened, so everything in it is what the backend
   * wrote (it then knows which keys are absent without a get). Undefined (an older runtime): unknown.
   */
  readonly startedEmpty?: boolean;
  /** A copy of one entry's value. */
  get(keyGroup: number, state: number, key: KeyedStateStoreKey): unknown;
  /** Runs `writes` (calls of put and remove) as one write transaction. */
  transaction(writes: () => void): void;
  /** Inside transaction(): writes one entry. */
  put(keyGroup: number, state: number, key: KeyedStateStoreKey, value: unknown): void;
  /** Inside transaction(): removes one entry, if there is one. */
  remove(keyGroup: number, state: number, key: KeyedStateStoreKey): void;
  /** A read view of the entries as they are now (a read transaction: O(1)); later writes do not show in it. */
  snapshot(): KeyedStateStoreSnapshot;
}

export interface KeyedStateStoreSnapshot {
  /** A copy of one entry's value as it was when the view was taken. */
  get(keyGroup: number, state: number, key: KeyedStateStoreKey): unknown;
  /** Visits the entries of key group `keyGroup` in key order (state index, then key). */
  forEachInKeyGroup(keyGroup: number, visit: (state: number, key: KeyedStateStoreKey, value: unknown) => void): void;
  /** Ends the read transaction; the view cannot be read afterwards. */
  release(): void;
}

/** Keyed state of one operator as the runtime hands it back on a restore (bytes loaded from wherever they were). */
export interface RestoredKeyedStateHandle {
  readonly keyGroupStart: number;
  readonly keyGroupEnd: number;
  readonly offsets: readonly number[];
  readonly bytes: Uint8Array;
  /** Where the bytes came from, for messages. */
  readonly where: string;
}

export interface RestoredOperatorStateHandle {
  readonly bytes: Uint8Array;
  /** `type`: the list's type in canonical form as the snapshot recorded it (parsed JSON; absent: unchecked). `ends`, when not empty, says where each element of `offsets` ends (a handle restricted to some of its elements on a rescale). */
  readonly states: readonly { readonly name: string; readonly mode: string; readonly offsets: readonly number[]; readonly type?: unknown; readonly ends?: readonly number[] }[];
  readonly where: string;
  /** Another subtask's handle: only its UNION lists are restored (every subtask gets the union). */
  readonly unionOnly?: boolean;
}

/** The state a task starts from. */
export interface RestoredTaskState {
  readonly checkpointId: number;
  /** By operator id; an operator without an entry starts empty. */
  readonly operators: ReadonlyMap<string, { readonly keyed: readonly RestoredKeyedStateHandle[]; readonly operatorState: readonly RestoredOperatorStateHandle[] }>;
}

/** Writes one operator's keyed state in chunks, off the record path; resolves to where each key group starts. */
export interface KeyedStateWriter {
  readonly keyGroupStart: number;
  readonly keyGroupEnd: number;
  /**
   * Writes the keyed state in key group order. An incremental snapshot (once a checkpoint of the
   * operator completed) writes a change log of what changed since then, `changes: true`, unless
   * `full`: the restore applies it over the handles of that checkpoint.
   */
  write(
    sink: (chunk: Uint8Array) => void | Promise<void>,
    yieldTurn?: () => Promise<void>,
    full?: boolean,
  ): Promise<{ readonly offsets: number[]; readonly size: number; readonly changes?: boolean }>;
}

/**
 * A state of an operator as a snapshot records it and as a plan declares it: its name, its kind
 * ('value', 'list', 'map' for keyed state; 'operator-list' for operator state; in a plan also
 * 'timers' for a built-in operator's timers) and its type in canonical form (see Types, format 1;
 * absent: unchecked).
 */
export interface StateInfo {
  readonly name: string;
  readonly kind: string;
  readonly type?: unknown;
}

/** One operator's part of a task's snapshot. */
export interface OperatorSnapshotView {
  readonly operatorId: string;
  readonly keyed: KeyedStateWriter | undefined;
  readonly operatorState: { readonly bytes: Uint8Array; readonly states: readonly { readonly name: string; readonly mode: string; readonly offsets: number[]; readonly type?: unknown }[] } | undefined;
  /** Every state of the operator (keyed and operator state) with its kind and type. */
  readonly states: readonly StateInfo[];
}

/** The synchronous part of a task's snapshot: frozen views to write, and the source's splits. */
export interface ChainSnapshot {
  readonly operators: readonly OperatorSnapshotView[];
  readonly heldSplitIds: readonly string[];
  readonly finishedSplitIds: readonly string[];
  /** Settles when what the operators wrote before the barrier is durable (sinks that write asynchronously); the acknowledgement waits for it. */
  readonly flushed?: Promise<void>;
  /** The views are written (or abandoned): state folds the changes made meanwhile back in. Idempotent. */
  release(): void;
}

/**
 * A task's chain of operators, built in the worker from the rebuilt plan. Lifecycle:
 *
 *   initializeState ─► open ─► runSource, or processBatch (many) and endInput ─► finish ─► close
 *                     snapshotState, notifyCheckpointComplete/Aborted between records
 *                     close without finish after a failure or cancel
 */
export interface TaskChain {
  /** True when the chain starts with a source. */
  readonly isSource: boolean;
  /** Restores (or starts fresh) every operator's state; before open. */
  initializeState(restored: RestoredTaskState | undefined): Promise<void>;
  /** Opens every operator (state, files, sockets). */
  open(): Promise<void>;
  /** Source chains: runs the source until it ends (bounded), stopSource is called, or the signal aborts. */
  runSource(): Promise<void>;
  /**
   * Source chains, for a stop-with-savepoint: the source stops reading at the next record
   * boundary and runSource resolves. With `drain` the chain then ends as a bounded source does
   * (the maximum watermark, every operator's endInput); without, event time and input stay open.
   * Optional: a bundle of an older contract has none (the runtime refuses the stop).
   */
  stopSource?(drain: boolean): void;
  /**
   * Non-source chains: processes a batch of records that arrived on input `input`; `timestamps[i]`
   * is the event timestamp of records[i] (-Infinity: none), or undefined when none has one.
   */
  processBatch(input: number, records: readonly unknown[], timestamps?: ArrayLike<number>): void;
  /**
   * The input watermark of input `input` advanced (the runtime's valve: the minimum over the
   * input's active channels; a channel that ended counts as Infinity). Before endInput, the
   * runtime sends Infinity.
   */
  processWatermark(input: number, watermark: number): void;
  /** Every channel of input `input` became idle (true), or one became active again (false). */
  processWatermarkStatus(input: number, idle: boolean): void;
  /** All channels of input `input` ended. */
  endInput(input: number): void;
  /** Flushes every operator once the chain's inputs or source ended (without checkpoints, sinks commit here). */
  finish(): Promise<void>;
  /** Releases every operator's resources; after finish, or after a failure or cancel without it. */
  close(): Promise<void>;
  /** Before barrier N goes downstream: operators send on what they buffer. */
  prepareSnapshotPreBarrier(checkpointId: number): void;
  /**
   * Takes the synchronous part of snapshot N of every operator (O(1) per keyed state). A savepoint
   * (`savepoint`) is written full and canonical and never becomes the base of an incremental one.
   */
  snapshotState(checkpointId: number, timestamp: number, savepoint?: boolean): ChainSnapshot;
  notifyCheckpointComplete(checkpointId: number): Promise<void>;
  notifyCheckpointAborted(checkpointId: number): void;
}
