/**
 * Window assigners put each record into zero or more windows (Flink's WindowAssigner and its
 * built-ins, with Flink's names and semantics). Durations are plain milliseconds:
 * `TumblingEventTimeWindows.of(10_000)` is Flink's `TumblingEventTimeWindows.of(Time.seconds(10))`.
 * Bad parameters are refused when the job is built, naming the parameter.
 */
import { EventTimeTrigger, NeverTrigger, ProcessingTimeTrigger, type Trigger } from './triggers.js';
import { GlobalWindow, TimeWindow, type Window } from './windows.js';

/** What an assigner may ask while assigning (Flink's WindowAssigner.WindowAssignerContext). */
export interface WindowAssignerContext {
  currentProcessingTime(): number;
}

/** Assigns windows to records (Flink's WindowAssigner). */
export abstract class WindowAssigner<T, W extends Window> {
  /** The windows `element` with `timestamp` belongs to. */
  abstract assignWindows(element: T, timestamp: number, context: WindowAssignerContext): W[];
  /** The trigger used unless `.trigger(...)` sets another. */
  abstract getDefaultTrigger(): Trigger<T, W>;
  /** True for event-time windows: they need record timestamps and watermarks. */
  abstract isEventTime(): boolean;
  toString(): string {
    return this.constructor.name;
  }
}

/** An assigner whose windows merge (session windows; Flink's MergingWindowAssigner). */
export abstract class MergingWindowAssigner<T, W extends Window> extends WindowAssigner<T, W> {
  /** Calls `merge(toBeMerged, mergeResult)` for every group of `windows` that merges into one. */
  abstract mergeWindows(windows: readonly W[], merge: (toBeMerged: W[], mergeResult: W) => void): void;
}

/** Returns a record's session gap in milliseconds (Flink's SessionWindowTimeGapExtractor). */
export type SessionWindowTimeGapExtractor<T> = (element: T) => number;

const NO_TIMESTAMP_HINT =
  "Record has no timestamp (= no timestamp marker). Is the time characteristic set to 'ProcessingTime', or did you forget to call 'DataStream.assignTimestampsAndWatermarks(...)'?";

function eventTimestamp(timestamp: number, assigner: string): number {
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) throw new Error(`${assigner}: ${NO_TIMESTAMP_HINT}`);
  return timestamp;
}

/** Fixed-size, non-overlapping windows of event time (Flink's TumblingEventTimeWindows). */
export class TumblingEventTimeWindows extends WindowAssigner<unknown, TimeWindow> {
  protected constructor(
    readonly size: number,
    readonly offset: number,
  ) {
    super();
  }

  /**
   * Windows of `size` ms, aligned to the epoch shifted by `offset` ms (|offset| < size; for
   * example -8 hours for days in UTC+8, as in Flink).
   */
  static of(size: number, offset = 0): TumblingEventTimeWindows {
    checkTumbling('TumblingEventTimeWindows.of', size, offset);
    return new TumblingEventTimeWindows(size, offset);
  }

  /** @internal Called by the window operator. */
  assignWindows(_element: unknown, timestamp: number, _context?: WindowAssignerContext): TimeWindow[] {
    const start = TimeWindow.getWindowStartWithOffset(eventTimestamp(timestamp, 'TumblingEventTimeWindows'), this.offset, this.size);
    return [new TimeWindow(start, start + this.size)];
  }

  /** @internal Called by the window operator. */
  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return EventTimeTrigger.create();
  }

  /** @internal Called by the window operator. */
  isEventTime(): boolean {
    return true;
  }

  /** @internal Called by the window operator. */
  override toString(): string {
    return `TumblingEventTimeWindows(${this.size})`;
  }
}

/** Windows of `size` ms every `slide` ms of event time; a record is in size/slide of them (Flink's SlidingEventTimeWindows). */
export class SlidingEventTimeWindows extends WindowAssigner<unknown, TimeWindow> {
  protected constructor(
    readonly size: number,
    readonly slide: number,
    readonly offset: number,
  ) {
    super();
  }

  /** Windows of `size` ms starting every `slide` ms (0 < slide <= size), shifted by `offset` ms (|offset| < slide). */
  static of(size: number, slide: number, offset = 0): SlidingEventTimeWindows {
    checkSliding('SlidingEventTimeWindows.of', size, slide, offset);
    return new SlidingEventTimeWindows(size, slide, offset);
  }

  /** @internal Called by the window operator. */
  assignWindows(_element: unknown, timestamp: number, _context?: WindowAssignerContext): TimeWindow[] {
    return slidingWindows(eventTimestamp(timestamp, 'SlidingEventTimeWindows'), this.size, this.slide, this.offset);
  }

  /** @internal Called by the window operator. */
  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return EventTimeTrigger.create();
  }

  /** @internal Called by the window operator. */
  isEventTime(): boolean {
    return true;
  }

  /** @internal Called by the window operator. */
  override toString(): string {
    return `SlidingEventTimeWindows(${this.size}, ${this.slide})`;
  }
}

/**
 * Session windows of event time: a key's records closer than `gap` ms to each other are one
 * window, which closes `gap` ms after its last record (Flink's EventTimeSessionWindows).
 */
export class EventTimeSessionWindows<T = unknown> extends MergingWindowAssigner<T, TimeWindow> {
  protected constructor(private readonly gap: number | SessionWindowTimeGapExtractor<T>) {
    super();
  }

  /** Sessions that close after `gap` ms (> 0) without a record. */
  static withGap(gap: number): EventTimeSessionWindows {
    checkGap('EventTimeSessionWindows.withGap', gap);
    return new EventTimeSessionWindows(gap);
  }

  /** Sessions whose gap each record sets: `extractor(record)` ms, which must be > 0 (checked per record). */
  static withDynamicGap<T>(extractor: SessionWindowTimeGapExtractor<T>): EventTimeSessionWindows<T> {
    checkExtractor('EventTimeSessionWindows.withDynamicGap', extractor);
    return new EventTimeSessionWindows<T>(extractor);
  }

  /** @internal Called by the window operator. */
  assignWindows(element: T, timestamp: number, _context?: WindowAssignerContext): TimeWindow[] {
    const start = eventTimestamp(timestamp, 'EventTimeSessionWindows');
    return [new TimeWindow(start, start + sessionGap(this.gap, element))];
  }

  /** @internal Called by the window operator. */
  mergeWindows(windows: readonly TimeWindow[], merge: (toBeMerged: TimeWindow[], mergeResult: TimeWindow) => void): void {
    mergeTimeWindows(windows, merge);
  }

  /** @internal Called by the window operator. */
  getDefaultTrigger(): Trigger<T, TimeWindow> {
    return EventTimeTrigger.create();
  }

  /** @internal Called by the window operator. */
  isEventTime(): boolean {
    return true;
  }

  /** @internal Called by the window operator. */
  override toString(): string {
    return typeof this.gap === 'number' ? `EventTimeSessionWindows(${this.gap})` : 'DynamicEventTimeSessionWindows()';
  }
}

/** Fixed-size, non-overlapping windows of processing time (Flink's TumblingProcessingTimeWindows). */
export class TumblingProcessingTimeWindows extends WindowAssigner<unknown, TimeWindow> {
  protected constructor(
    readonly size: number,
    readonly offset: number,
  ) {
    super();
  }

  /** Windows of `size` ms of the wall clock, shifted by `offset` ms (|offset| < size). */
  static of(size: number, offset = 0): TumblingProcessingTimeWindows {
    checkTumbling('TumblingProcessingTimeWindows.of', size, offset);
    return new TumblingProcessingTimeWindows(size, offset);
  }

  /** @internal Called by the window operator. */
  assignWindows(_element: unknown, _timestamp: number, context: WindowAssignerContext): TimeWindow[] {
    const start = TimeWindow.getWindowStartWithOffset(context.currentProcessingTime(), this.offset, this.size);
    return [new TimeWindow(start, start + this.size)];
  }

  /** @internal Called by the window operator. */
  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return ProcessingTimeTrigger.create();
  }

  /** @internal Called by the window operator. */
  isEventTime(): boolean {
    return false;
  }

  /** @internal Called by the window operator. */
  override toString(): string {
    return `TumblingProcessingTimeWindows(${this.size})`;
  }
}

/** Windows of `size` ms every `slide` ms of processing time (Flink's SlidingProcessingTimeWindows). */
export class SlidingProcessingTimeWindows extends WindowAssigner<unknown, TimeWindow> {
  protected constructor(
    readonly size: number,
    readonly slide: number,
    readonly offset: number,
  ) {
    super();
  }

  /** Windows of `size` ms of the wall clock starting every `slide` ms (0 < slide <= size), shifted by `offset` ms (|offset| < slide). */
  static of(size: number, slide: number, offset = 0): SlidingProcessingTimeWindows {
    checkSliding('SlidingProcessingTimeWindows.of', size, slide, offset);
    return new SlidingProcessingTimeWindows(size, slide, offset);
  }

  /** @internal Called by the window operator. */
  assignWindows(_element: unknown, _timestamp: number, context: WindowAssignerContext): TimeWindow[] {
    return slidingWindows(context.currentProcessingTime(), this.size, this.slide, this.offset);
  }

  /** @internal Called by the window operator. */
  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return ProcessingTimeTrigger.create();
  }

  /** @internal Called by the window operator. */
  isEventTime(): boolean {
    return false;
  }

  /** @internal Called by the window operator. */
  override toString(): string {
    return `SlidingProcessingTimeWindows(${this.size}, ${this.slide})`;
  }
}

/** Session windows of processing time (Flink's ProcessingTimeSessionWindows). */
export class ProcessingTimeSessionWindows<T = unknown> extends MergingWindowAssigner<T, TimeWindow> {
  protected constructor(private readonly gap: number | SessionWindowTimeGapExtractor<T>) {
    super();
  }

  /** Sessions that close after `gap` ms (> 0) of the wall clock without a record. */
  static withGap(gap: number): ProcessingTimeSessionWindows {
    checkGap('ProcessingTimeSessionWindows.withGap', gap);
    return new ProcessingTimeSessionWindows(gap);
  }

  /** Sessions whose gap each record sets: `extractor(record)` ms, which must be > 0 (checked per record). */
  static withDynamicGap<T>(extractor: SessionWindowTimeGapExtractor<T>): ProcessingTimeSessionWindows<T> {
    checkExtractor('ProcessingTimeSessionWindows.withDynamicGap', extractor);
    return new ProcessingTimeSessionWindows<T>(extractor);
  }

  /** @internal Called by the window operator. */
  assignWindows(element: T, _timestamp: number, context: WindowAssignerContext): TimeWindow[] {
    const start = context.currentProcessingTime();
    return [new TimeWindow(start, start + sessionGap(this.gap, element))];
  }

  /** @internal Called by the window operator. */
  mergeWindows(windows: readonly TimeWindow[], merge: (toBeMerged: TimeWindow[], mergeResult: TimeWindow) => void): void {
    mergeTimeWindows(windows, merge);
  }

  /** @internal Called by the window operator. */
  getDefaultTrigger(): Trigger<T, TimeWindow> {
    return ProcessingTimeTrigger.create();
  }

  /** @internal Called by the window operator. */
  isEventTime(): boolean {
    return false;
  }

  /** @internal Called by the window operator. */
  override toString(): string {
    return typeof this.gap === 'number' ? `ProcessingTimeSessionWindows(${this.gap})` : 'DynamicProcessingTimeSessionWindows()';
  }
}

/**
 * One window per key holding all its records (Flink's GlobalWindows). Its default trigger never
 * fires: give one with `.trigger(...)` (countWindow does).
 */
export class GlobalWindows extends WindowAssigner<unknown, GlobalWindow> {
  private static readonly INSTANCE = new GlobalWindows();

  private constructor() {
    super();
  }

  static create(): GlobalWindows {
    return GlobalWindows.INSTANCE;
  }

  /** @internal Called by the window operator. */
  assignWindows(_element?: unknown, _timestamp?: number, _context?: WindowAssignerContext): GlobalWindow[] {
    return [GlobalWindow.get()];
  }

  /** @internal Called by the window operator. */
  getDefaultTrigger(): Trigger<unknown, GlobalWindow> {
    return new NeverTrigger();
  }

  /** @internal Called by the window operator. */
  isEventTime(): boolean {
    return false;
  }

  /** @internal Called by the window operator. */
  override toString(): string {
    return 'GlobalWindows()';
  }
}

/** Flink's TimeWindow.mergeWindows: sorts by start and merges windows that intersect. */
export function mergeTimeWindows(windows: readonly TimeWindow[], merge: (toBeMerged: TimeWindow[], mergeResult: TimeWindow) => void): void {
  const sorted = [...windows].sort((a, b) => a.start - b.start);
  let current: { window: TimeWindow; merged: TimeWindow[] } | undefined;
  const groups: { window: TimeWindow; merged: TimeWindow[] }[] = [];
  for (const candidate of sorted) {
    if (current === undefined) current = { window: candidate, merged: [candidate] };
    else if (current.window.intersects(candidate)) {
      current.window = current.window.cover(candidate);
      current.merged.push(candidate);
    } else {
      groups.push(current);
      current = { window: candidate, merged: [candidate] };
    }
  }
  if (current !== undefined) groups.push(current);
  for (const group of groups) if (group.merged.length > 1) merge(group.merged, group.window);
}

function slidingWindows(timestamp: number, size: number, slide: number, offset: number): TimeWindow[] {
  const windows: TimeWindow[] = [];
  const lastStart = TimeWindow.getWindowStartWithOffset(timestamp, offset, slide);
  for (let start = lastStart; start > timestamp - size; start -= slide) windows.push(new TimeWindow(start, start + size));
  return windows;
}

function sessionGap<T>(gap: number | SessionWindowTimeGapExtractor<T>, element: T): number {
  if (typeof gap === 'number') return gap;
  const dynamic = gap(element);
  if (typeof dynamic !== 'number' || !Number.isFinite(dynamic) || dynamic <= 0) {
    throw new RangeError(`Dynamic gap must be greater than 0: the session gap extractor returned ${String(dynamic)} for a record; return a positive number of milliseconds`);
  }
  return dynamic;
}

function checkDuration(value: number, call: string, parameter: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${call}: ${parameter} must be a positive whole number of milliseconds, got ${String(value)}`);
  }
}

function checkOffset(offset: number, call: string, bound: number, boundName: string): void {
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || Math.abs(offset) >= bound) {
    throw new RangeError(`${call}: offset must be a whole number of milliseconds with abs(offset) < ${boundName} (${bound}), got ${String(offset)}`);
  }
}

function checkTumbling(call: string, size: number, offset: number): void {
  checkDuration(size, call, 'size');
  checkOffset(offset, call, size, 'size');
}

function checkSliding(call: string, size: number, slide: number, offset: number): void {
  checkDuration(size, call, 'size');
  checkDuration(slide, call, 'slide');
  if (slide > size) throw new RangeError(`${call}: slide (${slide}) must not be larger than size (${size}); records between windows would be dropped`);
  checkOffset(offset, call, slide, 'slide');
}

function checkGap(call: string, gap: number): void {
  checkDuration(gap, call, 'gap');
}

function checkExtractor(call: string, extractor: unknown): void {
  if (typeof extractor !== 'function') throw new TypeError(`${call} needs a function that returns a record's session gap in milliseconds, got ${extractor === null ? 'null' : typeof extractor}`);
}
