/**
 * Triggers decide when a window's function runs and when its contents are dropped (Flink's
 * Trigger and TriggerResult, with the same built-ins). A trigger is called per record and per
 * timer of its window; what it remembers per window lives in `ctx.getPartitionedState(...)`, which
 * is keyed state of the window's key and window, so it is in checkpoints.
 */
import type { ReduceFunction } from '../functions.js';
import { ValueStateDescriptor, type ValueState } from '../state.js';
import type { Window } from './windows.js';

/** What a trigger asks for (Flink's TriggerResult). */
export enum TriggerResult {
  /** Nothing happens. */
  CONTINUE = 'CONTINUE',
  /** The window function runs on the contents; they stay. */
  FIRE = 'FIRE',
  /** The contents are dropped without running the function (the window's metadata and timers stay). */
  PURGE = 'PURGE',
  /** The function runs, then the contents are dropped. */
  FIRE_AND_PURGE = 'FIRE_AND_PURGE',
}

/** Whether a result runs the window function. */
export function isFire(result: TriggerResult): boolean {
  return result === TriggerResult.FIRE || result === TriggerResult.FIRE_AND_PURGE;
}

/** Whether a result drops the window's contents. */
export function isPurge(result: TriggerResult): boolean {
  return result === TriggerResult.PURGE || result === TriggerResult.FIRE_AND_PURGE;
}

/** What a trigger may use: the clocks, timers of its window and key, and state per window (Flink's Trigger.TriggerContext). */
export interface TriggerContext {
  currentProcessingTime(): number;
  /** The operator's current event-time watermark (-Infinity before the first). */
  currentWatermark(): number;
  /** onProcessingTime(time, window) runs when processing time reaches `time`. */
  registerProcessingTimeTimer(time: number): void;
  /** onEventTime(time, window) runs when the watermark reaches `time`. */
  registerEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  /** A value kept per key and window (Flink's getPartitionedState). */
  getPartitionedState<S>(descriptor: ValueStateDescriptor<S>): ValueState<S>;
}

/** onMerge's context: merges the state of the windows a session window was merged from. */
export interface OnMergeContext extends TriggerContext {
  /**
   * Combines the values of `descriptor` of the merged windows with `merge` into the merged window's.
   * (Flink merges a ReducingState by its own function; Eddy's state has no function, so it is given here.)
   */
  mergePartitionedState<S>(descriptor: ValueStateDescriptor<S>, merge: ReduceFunction<S>): void;
}

/** Decides when a window fires and purges (Flink's Trigger). */
export abstract class Trigger<T, W extends Window> {
  /** Called for every record that enters `window`. */
  abstract onElement(element: T, timestamp: number, window: W, ctx: TriggerContext): TriggerResult;
  /** Called when a processing-time timer of this window fires. */
  abstract onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  /** Called when an event-time timer of this window fires. */
  abstract onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  /** Whether this trigger can be used with merging (session) windows: it then implements onMerge. */
  canMerge(): boolean {
    return false;
  }
  /** Called when windows were merged into `window`: re-register timers, merge state. */
  onMerge(_window: W, _ctx: OnMergeContext): void {
    throw new Error(`${this.constructor.name} does not support merging windows; use a trigger whose canMerge() is true with session windows`);
  }
  /** Called when the window is removed: delete its timers and state. */
  abstract clear(window: W, ctx: TriggerContext): void;
  toString(): string {
    return this.constructor.name;
  }
}

/** Fires once the watermark passes the window's end; the default of event-time windows (Flink's EventTimeTrigger). */
export class EventTimeTrigger extends Trigger<unknown, Window> {
  private static readonly INSTANCE = new EventTimeTrigger();

  private constructor() {
    super();
  }

  static create(): EventTimeTrigger {
    return EventTimeTrigger.INSTANCE;
  }

  /** @internal Called by the window operator. */
  onElement(_element: unknown, _timestamp: number, window: Window, ctx: TriggerContext): TriggerResult {
    // A window behind the watermark fires at once (a late record within the allowed lateness).
    if (window.maxTimestamp() <= ctx.currentWatermark()) return TriggerResult.FIRE;
    ctx.registerEventTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }

  /** @internal Called by the window operator. */
  onEventTime(time: number, window: Window, _ctx?: TriggerContext): TriggerResult {
    return time === window.maxTimestamp() ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }

  /** @internal Called by the window operator. */
  onProcessingTime(_time?: number, _window?: Window, _ctx?: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  /** @internal Called by the window operator. */
  override canMerge(): boolean {
    return true;
  }

  /** @internal Called by the window operator. */
  override onMerge(window: Window, ctx: OnMergeContext): void {
    // Only while the merged window has not fired yet; otherwise the cleanup timer handles it.
    if (window.maxTimestamp() > ctx.currentWatermark()) ctx.registerEventTimeTimer(window.maxTimestamp());
  }

  /** @internal Called by the window operator. */
  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }
}

/** Fires when processing time passes the window's end; the default of processing-time windows (Flink's ProcessingTimeTrigger). */
export class ProcessingTimeTrigger extends Trigger<unknown, Window> {
  private static readonly INSTANCE = new ProcessingTimeTrigger();

  private constructor() {
    super();
  }

  static create(): ProcessingTimeTrigger {
    return ProcessingTimeTrigger.INSTANCE;
  }

  /** @internal Called by the window operator. */
  onElement(_element: unknown, _timestamp: number, window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }

  /** @internal Called by the window operator. */
  onEventTime(_time?: number, _window?: Window, _ctx?: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  /** @internal Called by the window operator. */
  onProcessingTime(_time?: number, _window?: Window, _ctx?: TriggerContext): TriggerResult {
    return TriggerResult.FIRE;
  }

  /** @internal Called by the window operator. */
  override canMerge(): boolean {
    return true;
  }

  /** @internal Called by the window operator. */
  override onMerge(window: Window, ctx: OnMergeContext): void {
    if (window.maxTimestamp() > ctx.currentProcessingTime()) ctx.registerProcessingTimeTimer(window.maxTimestamp());
  }

  /** @internal Called by the window operator. */
  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(window.maxTimestamp());
  }
}

const sum: ReduceFunction<number> = (a, b) => a + b;

/** Fires every `maxCount` records of a window (Flink's CountTrigger); the count is per window, in state. */
export class CountTrigger extends Trigger<unknown, Window> {
  private readonly countState: ValueStateDescriptor<number>;

  private constructor(private readonly maxCount: number) {
    super();
    this.countState = new ValueStateDescriptor<number>('count');
  }

  /** Fires every `maxCount` records (a whole number of at least 1). */
  static of(maxCount: number): CountTrigger {
    checkPositiveCount(maxCount, 'CountTrigger.of', 'maxCount');
    return new CountTrigger(maxCount);
  }

  /** @internal Called by the window operator. */
  onElement(_element: unknown, _timestamp: number, _window: Window, ctx: TriggerContext): TriggerResult {
    const count = ctx.getPartitionedState(this.countState);
    const next = (count.value() ?? 0) + 1;
    if (next >= this.maxCount) {
      count.clear();
      return TriggerResult.FIRE;
    }
    count.update(next);
    return TriggerResult.CONTINUE;
  }

  /** @internal Called by the window operator. */
  onEventTime(_time?: number, _window?: Window, _ctx?: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  /** @internal Called by the window operator. */
  onProcessingTime(_time?: number, _window?: Window, _ctx?: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  /** @internal Called by the window operator. */
  override canMerge(): boolean {
    return true;
  }

  /** @internal Called by the window operator. */
  override onMerge(_window: Window, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(this.countState, sum);
  }

  /** @internal Called by the window operator. */
  clear(_window: Window, ctx: TriggerContext): void {
    ctx.getPartitionedState(this.countState).clear();
  }

  /** @internal Called by the window operator. */
  override toString(): string {
    return `CountTrigger(${this.maxCount})`;
  }
}

/** Turns every FIRE of the trigger it wraps into FIRE_AND_PURGE (Flink's PurgingTrigger). */
export class PurgingTrigger<T, W extends Window> extends Trigger<T, W> {
  private constructor(private readonly nestedTrigger: Trigger<T, W>) {
    super();
  }

  static of<T, W extends Window>(nestedTrigger: Trigger<T, W>): PurgingTrigger<T, W> {
    if (!(nestedTrigger instanceof Trigger)) throw new TypeError('PurgingTrigger.of needs a Trigger (for example CountTrigger.of(100))');
    return new PurgingTrigger(nestedTrigger);
  }

  /** @internal Called by the window operator. */
  onElement(element: T, timestamp: number, window: W, ctx: TriggerContext): TriggerResult {
    return purging(this.nestedTrigger.onElement(element, timestamp, window, ctx));
  }

  /** @internal Called by the window operator. */
  onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    return purging(this.nestedTrigger.onEventTime(time, window, ctx));
  }

  /** @internal Called by the window operator. */
  onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    return purging(this.nestedTrigger.onProcessingTime(time, window, ctx));
  }

  /** @internal Called by the window operator. */
  override canMerge(): boolean {
    return this.nestedTrigger.canMerge();
  }

  /** @internal Called by the window operator. */
  override onMerge(window: W, ctx: OnMergeContext): void {
    this.nestedTrigger.onMerge(window, ctx);
  }

  /** @internal Called by the window operator. */
  clear(window: W, ctx: TriggerContext): void {
    this.nestedTrigger.clear(window, ctx);
  }

  getNestedTrigger(): Trigger<T, W> {
    return this.nestedTrigger;
  }

  /** @internal Called by the window operator. */
  override toString(): string {
    return `PurgingTrigger(${this.nestedTrigger.toString()})`;
  }
}

function purging(result: TriggerResult): TriggerResult {
  return isFire(result) ? TriggerResult.FIRE_AND_PURGE : result;
}

/** The default trigger of GlobalWindows: never fires (Flink's GlobalWindows.NeverTrigger). */
export class NeverTrigger extends Trigger<unknown, Window> {
  /** @internal Called by the window operator. */
  onElement(_element?: unknown, _timestamp?: number, _window?: Window, _ctx?: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  /** @internal Called by the window operator. */
  onEventTime(_time?: number, _window?: Window, _ctx?: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  /** @internal Called by the window operator. */
  onProcessingTime(_time?: number, _window?: Window, _ctx?: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  /** @internal Called by the window operator. */
  override canMerge(): boolean {
    return true;
  }
  /** @internal Called by the window operator. */
  override onMerge(_window?: Window, _ctx?: OnMergeContext): void {}
  /** @internal Called by the window operator. */
  clear(_window?: Window, _ctx?: TriggerContext): void {}
}

/** Refuses a count that is not a whole number of at least 1, naming the call and parameter. */
export function checkPositiveCount(value: number, call: string, parameter: string): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${call}: ${parameter} must be a whole number of at least 1, got ${String(value)}`);
  }
}
