/**
 * What task code sees: the TaskContext handed to an invokable inside its worker thread.
 *
 * This file imports nothing on purpose. Task code runs from a job's bundle and never holds a
 * gateway, a logger or a port: everything it may ask of the cluster goes through this interface,
 * which the worker implements by messaging the TaskExecutor (see task-messages.ts).
 */

/** One operator chained into the task, as the JobGraph described it. */
export interface TaskOperator {
  /** Stable across runs of the same code. */
  readonly id: string;
  readonly name: string;
  /** The operator's settings parsed from JSON; undefined when the JobGraph carried none. */
  readonly config: unknown;
}

/** A split and its id (stable within its source). */
export interface InputSplitAssignment {
  readonly id: string;
  readonly split: string;
}

export interface TaskContext {
  readonly jobId: string;
  readonly jobName: string;
  readonly vertexId: string;
  readonly vertexName: string;
  /** 0-based. */
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  /** 0 for the first attempt, incremented by every restart. */
  readonly attemptNumber: number;
  readonly operators: readonly TaskOperator[];
  /** The job's configuration. */
  readonly configuration: Readonly<Record<string, string>>;
  /**
   * Aborted (with an AbortError) when the task is canceled. Task code should stop promptly and
   * return, or throw the AbortError; if it has not ended within `task.cancellation.timeout`, its
   * thread is terminated.
   */
  readonly signal: AbortSignal;
  /**
   * The next input split for this subtask, assigned by the JobMaster; undefined when none are left.
   * Rejects with the error of a failed request, and with an AbortError once the task is canceled.
   */
  nextInputSplit(): Promise<InputSplitAssignment | undefined>;
  /**
   * For a source with a SplitEnumerator (Kafka's): the next split assigned to this subtask, the
   * request held by the JobMaster up to `waitMs` while none is there yet; `moreMayCome` false once
   * none are left for it. Rejects as nextInputSplit does.
   */
  requestSplit(waitMs: number): Promise<{ readonly split: InputSplitAssignment | undefined; readonly moreMayCome: boolean }>;
  /** Logs one info line on the TaskManager, tagged with the task. Keep `message` constant; put data in `fields`. */
  log(message: string, fields?: object): void;
}

/**
 * A task's code: a named export of the job's bundle. The task FINISHES when it returns (or its
 * promise resolves) and FAILS when it throws; after a cancel, returning or throwing an AbortError
 * makes it CANCELED.
 */
export type Invokable = (ctx: TaskContext) => void | Promise<void>;
