/**
 * The functions a window applies to its contents (Flink's AggregateFunction,
 * ProcessWindowFunction, ProcessAllWindowFunction). A ReduceFunction (functions.ts) works too.
 */
import type { KeyedStateStore } from '../checkpoint.js';
import type { Collector } from '../functions.js';
import { AbstractRichFunction } from '../process-function.js';
import type { OutputTag } from '../output-tag.js';
import type { Window } from './windows.js';

/**
 * Incremental aggregation with an accumulator (Flink's AggregateFunction): a window keeps one
 * accumulator instead of its records. `add` may change the accumulator and return it, or return a
 * new one; `merge` combines two (session windows merging).
 */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, accumulator: ACC): ACC;
  getResult(accumulator: ACC): OUT;
  merge(a: ACC, b: ACC): ACC;
}

/** What a ProcessWindowFunction sees of its window (Flink's ProcessWindowFunction.Context). */
export interface ProcessWindowContext<W extends Window> {
  window(): W;
  currentProcessingTime(): number;
  currentWatermark(): number;
  /** State of this key and this window; clear it in clear(context). Not available with merging (session) windows, as in Flink. */
  windowState(): KeyedStateStore;
  /** State of this key, across its windows. */
  globalState(): KeyedStateStore;
  /** Emits `value` to the side output `tag`, with the window's timestamp. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/**
 * Processes all records of a window at once, with the window and state (Flink's
 * ProcessWindowFunction). Given after a reduce or aggregate function, it gets the one
 * pre-aggregated value: Flink's recommended form (incremental aggregation with the window's metadata).
 */
export abstract class ProcessWindowFunction<IN, OUT, KEY, W extends Window> extends AbstractRichFunction {
  abstract process(key: KEY, context: ProcessWindowContext<W>, elements: Iterable<IN>, out: Collector<OUT>): void;
  /** Called when the window is removed (after its last firing and the allowed lateness): clear its windowState() here. */
  clear(_context: ProcessWindowContext<W>): void {}
}

/** ProcessWindowFunction for windowAll: no key (Flink's ProcessAllWindowFunction). */
export abstract class ProcessAllWindowFunction<IN, OUT, W extends Window> extends AbstractRichFunction {
  abstract process(context: ProcessWindowContext<W>, elements: Iterable<IN>, out: Collector<OUT>): void;
  clear(_context: ProcessWindowContext<W>): void {}
}
