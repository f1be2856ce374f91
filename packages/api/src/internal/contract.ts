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

/** A job module's default export. */
export type JobMain = (env: unknown, args: string[]) => void | Promise<void>;

export type PartitionerName = 'forward' | 'rebalance' | 'rescale' | 'hash' | 'broadcast';

export interface PlanOperator {
  /** Stable id (uid() or derived); unique in the plan. */
  readonly id: string;
  readonly name: string;
  /** e.g. 'source', 'map', 'flatMap', 'filter', 'keyedReduce', 'process', 'keyedProcess', 'sink'. */
  readonly kind: string;
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
}

export interface PlanEdge {
  readonly source: string;
  readonly target: string;
  readonly partitioner: PartitionerName;
  readonly distributionPattern: 'POINTWISE' | 'ALL_TO_ALL';
  /** Which input of the target this edge feeds (0 unless the target has several, e.g. after union it is still 0). */
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
  /** Hands one record to channel `channel` (0-based). Cheap; batching happens behind it. */
  emit(record: unknown, channel: number): void;
  /** Hands one record to every channel. */
  broadcastEmit(record: unknown): void;
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
  nextInputSplit(): Promise<string | undefined>;
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
}

/** A task's chain of operators, built in the worker from the rebuilt plan. */
export interface TaskChain {
  /** True when the chain starts with a source. */
  readonly isSource: boolean;
  /** Opens every operator (state, files, sockets). */
  open(): Promise<void>;
  /** Source chains: runs the source until it ends (bounded) or the signal aborts. */
  runSource(): Promise<void>;
  /** Non-source chains: processes a batch of records that arrived on input `input`. */
  processBatch(input: number, records: readonly unknown[]): void;
  /** All channels of input `input` ended. */
  endInput(input: number): void;
  /** Flushes and closes every operator (sinks commit their files); called once the chain's inputs or source ended. */
  close(): Promise<void>;
  /** Releases resources after a failure or cancel, without committing anything. */
  dispose(): Promise<void>;
}
