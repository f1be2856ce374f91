import type { RuntimeContext } from './process-function.js';

/**
 * What a user source gets to emit records. Backpressure without a promise per record: collect()
 * is synchronous and returns false once the source should pause (the framework looks every 256
 * records: the outputs are full, the task was canceled, or the source has run for a few
 * milliseconds without giving the task's event loop a turn); the source then awaits
 * waitForOutputs(). A source that produces records in batches can instead await
 * collectBatch(records), which pauses when needed. A source that never awaits can't be canceled.
 *
 *   async run(ctx) {
 *     for (let i = 0; !ctx.isCanceled; i++) {
 *       if (!ctx.collect(makeRecord(i))) await ctx.waitForOutputs();
 *     }
 *   }
 */
export interface SourceContext<T> {
  /** Emits one record. Returns false when the source should await waitForOutputs() before the next. */
  collect(record: T): boolean;
  /**
   * collect() with the timestamp the record carries (epoch ms; a Kafka record's): its event time,
   * or what a WatermarkStrategy's timestamp assigner gets as recordTimestamp.
   */
  collectWithTimestamp(record: T, timestamp: number): boolean;
  /** Emits the records, then waits while the outputs are back-pressured. One promise per batch. */
  collectBatch(records: Iterable<T>): Promise<void>;
  /** Resolves when the outputs can take records again, or the task is canceled. */
  waitForOutputs(): Promise<void>;
  /** True once the task is canceled: run() should return soon. */
  readonly isCanceled: boolean;
  /** Aborted when the task is canceled, for handing to fetch() and the like. */
  readonly signal: AbortSignal;
}

/**
 * A user source (Flink's Source / SourceFunction). It runs in every subtask of its vertex; split
 * the work by getRuntimeContext's indexOfThisSubtask / numberOfParallelSubtasks (or set
 * parallelism 1). run() returning ends a bounded source; an unbounded one runs until canceled.
 */
export interface Source<T> {
  /**
   * A source whose splits a SplitEnumerator of the runtime assigns on the JobMaster (FLIP-27's
   * createEnumerator, as data): the enumerator's kind and its settings (JSON-safe), put into the
   * job's plan. Only the runtime's own kinds exist ('kafka', for @eddy/connector-kafka's
   * KafkaSource); such a source takes its splits with `requestSplit` of its context (see
   * SplitRequestingSourceContext). Most sources have none and split their work by subtask.
   */
  splitEnumerator?(): SplitEnumeratorDescriptor;
  open?(context: RuntimeContext): void | Promise<void>;
  run(ctx: SourceContext<T>): void | Promise<void>;
  /** Called when the task is canceled while run() is still going. */
  cancel?(): void;
  close?(): void | Promise<void>;
}

/** What Source.splitEnumerator returns: which of the runtime's SplitEnumerators, and its settings. */
export interface SplitEnumeratorDescriptor {
  readonly kind: string;
  readonly settings: Readonly<Record<string, unknown>>;
}

/** A split the JobMaster's enumerator assigned to this subtask (its id, and its JSON). */
export interface SourceSplit {
  readonly id: string;
  readonly split: string;
}

/** The answer to requestSplit: a split, or none now (`moreMayCome`: ask again later; else none are left for this subtask). */
export interface SplitRequestResult {
  readonly split: SourceSplit | undefined;
  readonly moreMayCome: boolean;
}

/**
 * The SourceContext a source with a splitEnumerator() gets: it asks the JobMaster's enumerator for
 * its splits. One call is one request to the JobMaster, held there up to `waitMs` while no split is
 * there for the subtask but more may come: a source keeps one request outstanding beside its
 * reading, never one per record.
 */
export interface SplitRequestingSourceContext<T> extends SourceContext<T> {
  requestSplit(waitMs: number): Promise<SplitRequestResult>;
}
