/**
 * The user functions of the DataStream API. Plain functions where Flink has single-method
 * interfaces; Flink's rich functions (open/close, runtime context) are the classes in
 * process-function.ts and the Source/Sink interfaces.
 *
 * Records are passed by reference through chained operators, and the same record may reach
 * several operators when a stream is consumed twice: a function must not change a record it was
 * given (build a new one instead).
 */

/** Hands records to the next operator. */
export interface Collector<T> {
  collect(record: T): void;
}

export type MapFunction<T, R> = (value: T) => R;

/** Emits any number of records for each input through `out`: `(line, out) => { for (const w of line.split(' ')) out.collect(w); }`. */
export type FlatMapFunction<T, R> = (value: T, out: Collector<R>) => void;

/**
 * Returns the records for each input as a collection: an array, a Set, a generator, any iterable
 * object: `(line) => line.split(' ')`. A string is refused (it would emit its characters): return
 * `[s]` for one record, `[...s]` for its characters.
 */
export type IterableFlatMapFunction<T, R> = (value: T) => Iterable<R> & object;

export type FilterFunction<T> = (value: T) => boolean;

/**
 * Extracts the key of a record. Keys are compared by value: strings, numbers, booleans and bigints
 * as such, arrays and plain objects by their canonical JSON (so [a, b] works as a composite key).
 * A Map or Set (anywhere in a key) fails the task at the first record that has one: in JSON every
 * one of them is {}, so they would all be one key. Use [...map.entries()] or [...set].sort().
 */
export type KeySelector<T, K> = (value: T) => K;

/** Combines the running aggregate of a key with the next record of that key. */
export type ReduceFunction<T> = (accumulated: T, value: T) => T;

/** What a user's source, sink or rich function sees of the task it runs in (Flink's RuntimeContext). */
export interface TaskInfo {
  readonly jobId: string;
  /** Name of the operator's chain (the vertex name). */
  readonly taskName: string;
  readonly indexOfThisSubtask: number;
  readonly numberOfParallelSubtasks: number;
  readonly maxNumberOfParallelSubtasks: number;
  readonly attemptNumber: number;
  /** The job's configuration (Flink-style keys). */
  readonly configuration: Readonly<Record<string, string>>;
}
