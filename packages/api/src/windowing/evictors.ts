/**
 * Evictors remove records from a window's contents before and/or after its function runs (Flink's
 * Evictor, CountEvictor, TimeEvictor). A window with an evictor keeps every record (no incremental
 * reduce or aggregate), as in Flink.
 */
import { checkPositiveCount } from './triggers.js';
import type { Window } from './windows.js';

/** A record of a window with its timestamp (-Infinity when it has none), as evictors see it. */
export interface TimestampedValue<T> {
  readonly value: T;
  readonly timestamp: number;
}

/** The clocks, for an evictor (Flink's Evictor.EvictorContext). */
export interface EvictorContext {
  currentProcessingTime(): number;
  currentWatermark(): number;
}

/**
 * Removes records from a window (Flink's Evictor). `elements` is the window's contents in arrival
 * order: remove the evicted ones from the array in place (for example with `splice`); what remains
 * is what the function sees (evictBefore) or what the window keeps (evictAfter).
 */
export interface Evictor<T, W extends Window> {
  evictBefore(elements: TimestampedValue<T>[], size: number, window: W, ctx: EvictorContext): void;
  evictAfter(elements: TimestampedValue<T>[], size: number, window: W, ctx: EvictorContext): void;
}

/** Keeps the last `maxCount` records of a window (Flink's CountEvictor). */
export class CountEvictor implements Evictor<unknown, Window> {
  private constructor(
    private readonly maxCount: number,
    private readonly doEvictAfter: boolean,
  ) {}

  /** Keeps `maxCount` records, evicting before the function runs, or after it when `doEvictAfter`. */
  static of(maxCount: number, doEvictAfter = false): CountEvictor {
    checkPositiveCount(maxCount, 'CountEvictor.of', 'maxCount');
    return new CountEvictor(maxCount, doEvictAfter === true);
  }

  /** @internal Called by the window operator. */
  evictBefore(elements: TimestampedValue<unknown>[], size: number, _window?: Window, _ctx?: EvictorContext): void {
    if (!this.doEvictAfter) this.evict(elements, size);
  }

  /** @internal Called by the window operator. */
  evictAfter(elements: TimestampedValue<unknown>[], size: number, _window?: Window, _ctx?: EvictorContext): void {
    if (this.doEvictAfter) this.evict(elements, size);
  }

  private evict(elements: TimestampedValue<unknown>[], size: number): void {
    if (size <= this.maxCount) return;
    elements.splice(0, Math.min(elements.length, size - this.maxCount));
  }
}

/**
 * Keeps the records within `windowSize` ms of the newest record of the window (Flink's
 * TimeEvictor): records with timestamp <= max timestamp - windowSize go.
 */
export class TimeEvictor implements Evictor<unknown, Window> {
  private constructor(
    private readonly windowSize: number,
    private readonly doEvictAfter: boolean,
  ) {}

  /** Keeps the last `windowSize` ms (> 0) of records, before the function runs, or after it when `doEvictAfter`. */
  static of(windowSize: number, doEvictAfter = false): TimeEvictor {
    if (typeof windowSize !== 'number' || !Number.isSafeInteger(windowSize) || windowSize <= 0) {
      throw new RangeError(`TimeEvictor.of: windowSize must be a positive whole number of milliseconds, got ${String(windowSize)}`);
    }
    return new TimeEvictor(windowSize, doEvictAfter === true);
  }

  /** @internal Called by the window operator. */
  evictBefore(elements: TimestampedValue<unknown>[], _size?: number, _window?: Window, _ctx?: EvictorContext): void {
    if (!this.doEvictAfter) this.evict(elements);
  }

  /** @internal Called by the window operator. */
  evictAfter(elements: TimestampedValue<unknown>[], _size?: number, _window?: Window, _ctx?: EvictorContext): void {
    if (this.doEvictAfter) this.evict(elements);
  }

  private evict(elements: TimestampedValue<unknown>[]): void {
    const first = elements[0];
    if (first === undefined || !Number.isFinite(first.timestamp)) return;
    let max = Number.NEGATIVE_INFINITY;
    for (const element of elements) if (element.timestamp > max) max = element.timestamp;
    const cutoff = max - this.windowSize;
    let kept = 0;
    for (const element of elements) if (element.timestamp > cutoff) elements[kept++] = element;
    elements.length = kept;
  }
}
