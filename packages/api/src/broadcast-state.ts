/**
 * The broadcast state pattern (Flink's BroadcastState, BroadcastProcessFunction and
 * KeyedBroadcastProcessFunction): a low-volume stream (rules, configuration) is broadcast to every
 * subtask of an operator, which keeps it in broadcast state, a map per MapStateDescriptor, and
 * applies it to the records of a high-volume stream.
 *
 *   const rulesDescriptor = new MapStateDescriptor<string, Rule>('rules');
 *   const rules = ruleStream.broadcast(rulesDescriptor);
 *   events.keyBy((e) => e.user).connect(rules).process(new MatchRules(rulesDescriptor));
 *
 * Every subtask keeps its own copy: the broadcast side must change it the same way on every
 * subtask (only from the broadcast record, never from the subtask index or the clock), or the
 * copies drift apart. The element side reads it only. Broadcast state is operator state: each
 * subtask's copy is in checkpoints, and after a restore every subtask has it back.
 */
import type { Collector } from './functions.js';
import type { OutputTag } from './output-tag.js';
import { AbstractRichFunction, type TimeDomain, type TimerService } from './process-function.js';
import type { ListState, ListStateDescriptor, MapState, MapStateDescriptor, ValueState, ValueStateDescriptor } from './state.js';

/** Broadcast state as the element side sees it: read only (Flink's ReadOnlyBroadcastState). Do not change what get() returns. */
export interface ReadOnlyBroadcastState<K, V> {
  get(key: K): V | undefined;
  contains(key: K): boolean;
  /** The entries, in insertion order (Flink's immutableEntries). */
  immutableEntries(): IterableIterator<[K, V]>;
  keys(): IterableIterator<K>;
  values(): IterableIterator<V>;
  isEmpty(): boolean;
}

/** Broadcast state as the broadcast side sees it: read-write (Flink's BroadcastState). Keys are compared by value, as MapState's. */
export interface BroadcastState<K, V> extends ReadOnlyBroadcastState<K, V> {
  put(key: K, value: V): void;
  putAll(entries: Iterable<readonly [K, V]>): void;
  remove(key: K): void;
  entries(): IterableIterator<[K, V]>;
  clear(): void;
}

/** What both sides' contexts share (Flink's BaseBroadcastProcessFunction.Context). */
export interface BaseBroadcastContext {
  /** The record's event timestamp, or undefined when it has none. */
  timestamp(): number | undefined;
  /** Emits `value` to the side output `tag` with the current record's timestamp. */
  output<X>(tag: OutputTag<X>, value: X): void;
  currentProcessingTime(): number;
  /** The operator's watermark: the minimum of both inputs'. */
  currentWatermark(): number;
}

/** The element side's context: broadcast state read only. */
export interface ReadOnlyBroadcastContext extends BaseBroadcastContext {
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): ReadOnlyBroadcastState<K, V>;
}

/** The broadcast side's context: broadcast state read-write. */
export interface BroadcastContext extends BaseBroadcastContext {
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): BroadcastState<K, V>;
}

/**
 * Processes a non-keyed stream connected to a broadcast stream (Flink's BroadcastProcessFunction).
 * Records of either side may come first: buffer what must wait for state that has not arrived.
 */
export abstract class BroadcastProcessFunction<IN1, IN2, OUT> extends AbstractRichFunction {
  abstract processElement(value: IN1, ctx: ReadOnlyBroadcastContext, out: Collector<OUT>): void;
  abstract processBroadcastElement(value: IN2, ctx: BroadcastContext, out: Collector<OUT>): void;
}

/** Called once per key that has state under a descriptor (applyToKeyedState); the key is the current key meanwhile. */
export type KeyedStateFunction<K, S> = (key: K, state: S) => void;

/** The element side's context on a keyed stream: the current key and timers too. */
export interface KeyedReadOnlyBroadcastContext<K> extends ReadOnlyBroadcastContext {
  getCurrentKey(): K;
  timerService(): TimerService;
}

/** The broadcast side's context on a keyed stream: no current key, but every key's state through applyToKeyedState. */
export interface KeyedBroadcastContext<K> extends BroadcastContext {
  /**
   * Calls `fn` for every key of this subtask that has state under `descriptor` (a ValueState,
   * ListState or MapState descriptor the element side uses), with that key's state; the function
   * may read, change or clear it (Flink's applyToKeyedState).
   */
  applyToKeyedState<T>(descriptor: ValueStateDescriptor<T>, fn: KeyedStateFunction<K, ValueState<T>>): void;
  applyToKeyedState<T>(descriptor: ListStateDescriptor<T>, fn: KeyedStateFunction<K, ListState<T>>): void;
  applyToKeyedState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>, fn: KeyedStateFunction<K, MapState<UK, UV>>): void;
}

/** The context of a timer of a KeyedBroadcastProcessFunction. */
export interface KeyedBroadcastOnTimerContext<K> extends KeyedReadOnlyBroadcastContext<K> {
  timeDomain(): TimeDomain;
}

/**
 * Processes a keyed stream connected to a broadcast stream (Flink's KeyedBroadcastProcessFunction):
 * keyed state and timers on the element side, read-write broadcast state and applyToKeyedState on
 * the broadcast side.
 */
export abstract class KeyedBroadcastProcessFunction<K, IN1, IN2, OUT> extends AbstractRichFunction {
  abstract processElement(value: IN1, ctx: KeyedReadOnlyBroadcastContext<K>, out: Collector<OUT>): void;
  abstract processBroadcastElement(value: IN2, ctx: KeyedBroadcastContext<K>, out: Collector<OUT>): void;
  onTimer(_timestamp: number, _ctx: KeyedBroadcastOnTimerContext<K>, _out: Collector<OUT>): void {}
}
