/**
 * The user functions of two-input streams (Flink's CoMapFunction, CoFlatMapFunction,
 * CoProcessFunction, KeyedCoProcessFunction) and of joins (JoinFunction, FlatJoinFunction,
 * CoGroupFunction, ProcessJoinFunction). What a function of input 1 sees is the first stream's
 * record, of input 2 the second's: `a.connect(b)` makes `a` input 1.
 */
import type { Collector } from './functions.js';
import type { OutputTag } from './output-tag.js';
import { AbstractRichFunction, type KeyedOnTimerContext, type KeyedProcessContext, type OnTimerContext, type ProcessContext } from './process-function.js';

/** Maps each record of either input to one output record (Flink's CoMapFunction): map1 for the first input, map2 for the second. */
export interface CoMapFunction<IN1, IN2, OUT> {
  map1(value: IN1): OUT;
  map2(value: IN2): OUT;
}

/** Emits any number of records through `out` for each record of either input (Flink's CoFlatMapFunction). */
export interface CoFlatMapFunction<IN1, IN2, OUT> {
  flatMap1(value: IN1, out: Collector<OUT>): void;
  flatMap2(value: IN2, out: Collector<OUT>): void;
}

/**
 * Processes the records of two connected streams (Flink's CoProcessFunction). On non-keyed streams
 * timers are refused, as in Flink: key both streams (`connect(...).keyBy(k1, k2)`) and use a
 * KeyedCoProcessFunction.
 */
export abstract class CoProcessFunction<IN1, IN2, OUT> extends AbstractRichFunction {
  abstract processElement1(value: IN1, ctx: ProcessContext, out: Collector<OUT>): void;
  abstract processElement2(value: IN2, ctx: ProcessContext, out: Collector<OUT>): void;
  onTimer(_timestamp: number, _ctx: OnTimerContext, _out: Collector<OUT>): void {}
}

/**
 * Processes the records of two connected keyed streams with per-key state and per-key timers of
 * both domains (Flink's KeyedCoProcessFunction): the records of one key, from either input, see the
 * same state. The operator's watermark is the minimum of its two inputs' watermarks.
 */
export abstract class KeyedCoProcessFunction<K, IN1, IN2, OUT> extends AbstractRichFunction {
  abstract processElement1(value: IN1, ctx: KeyedProcessContext<K>, out: Collector<OUT>): void;
  abstract processElement2(value: IN2, ctx: KeyedProcessContext<K>, out: Collector<OUT>): void;
  /** A timer fired; its key is the current key. What it emits carries the timer's time (event time) or none (processing time). */
  onTimer(_timestamp: number, _ctx: KeyedOnTimerContext<K>, _out: Collector<OUT>): void {}
}

/** Joins one pair of records of a window join into one result (Flink's JoinFunction). */
export type JoinFunction<IN1, IN2, OUT> = (first: IN1, second: IN2) => OUT;

/** Joins one pair of records of a window join into any number of results, through `out` (Flink's FlatJoinFunction). */
export type FlatJoinFunction<IN1, IN2, OUT> = (first: IN1, second: IN2, out: Collector<OUT>) => void;

/**
 * Gets all records of one key and one window from both inputs, either side possibly empty
 * (Flink's CoGroupFunction): an outer join is a coGroup.
 */
export type CoGroupFunction<IN1, IN2, OUT> = (first: Iterable<IN1>, second: Iterable<IN2>, out: Collector<OUT>) => void;

/** What a ProcessJoinFunction sees of a joined pair (Flink's ProcessJoinFunction.Context). */
export interface ProcessJoinContext {
  /** The left (first input's) record's timestamp. */
  getLeftTimestamp(): number;
  /** The right (second input's) record's timestamp. */
  getRightTimestamp(): number;
  /** The pair's timestamp, the larger of the two: what the results carry. */
  getTimestamp(): number;
  /** Emits `value` to the side output `tag`, with the pair's timestamp. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/**
 * Processes each pair of an interval join (Flink's ProcessJoinFunction): `left` from the first
 * keyed stream, `right` from the second, with the same key and
 * `left.timestamp + lower <= right.timestamp <= left.timestamp + upper`.
 */
export abstract class ProcessJoinFunction<IN1, IN2, OUT> extends AbstractRichFunction {
  abstract processElement(left: IN1, right: IN2, ctx: ProcessJoinContext, out: Collector<OUT>): void;
}
