import type { Collector, TaskInfo } from './functions.js';
import type { OutputTag } from './output-tag.js';
import type { MetricGroup } from './metrics.js';
import type { ListState, ListStateDescriptor, MapState, MapStateDescriptor, ValueState, ValueStateDescriptor } from './state.js';

/** Flink's RuntimeContext: the task a function runs in, and its keyed state (on keyed streams). */
export interface RuntimeContext extends TaskInfo {
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV>;
  /** The operator's metrics (Flink's getMetricGroup()): counters, gauges, histograms and meters, reported by the TaskManager. */
  getMetricGroup(): MetricGroup;
}

/** Timers and clocks, of processing time and of event time (Flink's TimerService). */
export interface TimerService {
  /** The current processing time, in epoch milliseconds (Date.now()). */
  currentProcessingTime(): number;
  /**
   * The operator's current event time: the last watermark it received (-Infinity before the
   * first, Infinity once its input ended).
   */
  currentWatermark(): number;
  /**
   * Calls onTimer once processing time reaches `time`. On a keyed stream the timer belongs to the
   * current key, and registering the same time twice for a key gives one call. Timers still
   * pending when a bounded input ends never fire, as in Flink.
   */
  registerProcessingTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
  /**
   * Calls onTimer once the watermark reaches `time` (keyed streams only, as in Flink). The timer
   * belongs to the current key; registering the same time twice for a key gives one call. At the
   * end of a bounded input the watermark jumps to Infinity, so every pending event-time timer fires.
   */
  registerEventTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
}

/** Which clock fired a timer. */
export type TimeDomain = 'EVENT_TIME' | 'PROCESSING_TIME';

export interface ProcessContext {
  /**
   * The record's event timestamp, or undefined when it has none (no timestamp assigner or
   * timestamped source before this operator). In onTimer: the timer's time for an event-time
   * timer, undefined for a processing-time one.
   */
  timestamp(): number | undefined;
  timerService(): TimerService;
  /**
   * Emits `value` to the side output `tag`, with the current record's timestamp; read it with
   * `stream.getSideOutput(tag)`. Dropped when no stream reads that tag.
   */
  output<X>(tag: OutputTag<X>, value: X): void;
}

export interface OnTimerContext extends ProcessContext {
  /** 'EVENT_TIME' when the watermark fired the timer, 'PROCESSING_TIME' when the clock did. */
  timeDomain(): TimeDomain;
}

export interface KeyedProcessContext<K> extends ProcessContext {
  getCurrentKey(): K;
}

export interface KeyedOnTimerContext<K> extends KeyedProcessContext<K> {
  /** 'EVENT_TIME' when the watermark fired the timer, 'PROCESSING_TIME' when the clock did. */
  timeDomain(): TimeDomain;
}

/** @internal How the runtime hands a rich function its context; not part of the public API. */
export const RUNTIME_CONTEXT = Symbol('eddy.runtimeContext');

/** Base of functions with a lifecycle (Flink's AbstractRichFunction). */
export abstract class AbstractRichFunction {
  [RUNTIME_CONTEXT]: RuntimeContext | undefined;

  /** Called once before the first record; get state handles here. May be async. */
  open(): void | Promise<void> {}

  /** Called once after the last record of a successful run (not after a failure). May be async. */
  close(): void | Promise<void> {}

  getRuntimeContext(): RuntimeContext {
    const context = this[RUNTIME_CONTEXT];
    if (context === undefined) throw new Error('The runtime context of a function is only available from open() on.');
    return context;
  }
}

/**
 * Processes each record of a stream, with timers (Flink's ProcessFunction). Unlike Flink, timers
 * work on a non-keyed stream too; they then belong to the subtask.
 */
export abstract class ProcessFunction<I, O> extends AbstractRichFunction {
  abstract processElement(value: I, ctx: ProcessContext, out: Collector<O>): void;
  onTimer(_timestamp: number, _ctx: OnTimerContext, _out: Collector<O>): void {}
  /**
   * Called once when the input has ended (a bounded job's last record was processed), before
   * close(), so what was held back can be emitted: "the top 5 words of a file" (Flink's
   * BoundedOneInput.endInput / finish()). Not called after a failure or a cancel, nor on an
   * unbounded stream. Processing-time timers still pending then never fire, as in Flink; the task
   * logs how many it dropped.
   */
  finish(_out: Collector<O>): void {}
}

/** Processes each record of a keyed stream with per-key state and per-key timers (Flink's KeyedProcessFunction). */
export abstract class KeyedProcessFunction<K, I, O> extends AbstractRichFunction {
  abstract processElement(value: I, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
  /**
   * Called when a timer fires; the timer's key is the current key, so state reads that key's
   * values. What it emits carries the timer's time for an event-time timer, no timestamp for a
   * processing-time one (Flink's TimestampedCollector).
   */
  onTimer(_timestamp: number, _ctx: KeyedOnTimerContext<K>, _out: Collector<O>): void {}
  /**
   * Called once when the input has ended, before close(), to emit what was held back (see
   * ProcessFunction.finish). No key is current then: keep what finish() needs across keys in fields
   * of the function (keyed state would read the entries of key undefined). Every event-time timer
   * has fired before (the end of input's watermark is Infinity); pending processing-time timers
   * never fire, as in Flink; the task logs how many it dropped.
   */
  finish(_out: Collector<O>): void {}
}
