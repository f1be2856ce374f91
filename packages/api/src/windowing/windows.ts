/**
 * Windows: the finite groups of a keyed stream that window functions see (Flink's Window,
 * TimeWindow, GlobalWindow). Times are epoch milliseconds.
 */

/** A group of records a window function is applied to. `maxTimestamp()` is the last instant that still belongs to it. */
export abstract class Window {
  abstract maxTimestamp(): number;
}

/**
 * The time interval [start, end) (Flink's TimeWindow). Results of a time window carry the
 * timestamp `maxTimestamp()`, that is `end - 1`.
 */
export class TimeWindow extends Window {
  constructor(
    readonly start: number,
    readonly end: number,
  ) {
    super();
  }

  /** The last millisecond of the window: `end - 1`. */
  maxTimestamp(): number {
    return this.end - 1;
  }

  /** Whether the two windows overlap or touch ([0, 10) and [10, 20) do: session windows that touch merge). */
  intersects(other: TimeWindow): boolean {
    return this.start <= other.end && this.end >= other.start;
  }

  /** The smallest window that contains both. */
  cover(other: TimeWindow): TimeWindow {
    return new TimeWindow(Math.min(this.start, other.start), Math.max(this.end, other.end));
  }

  equals(other: unknown): boolean {
    return other instanceof TimeWindow && other.start === this.start && other.end === this.end;
  }

  /** @internal Called by the window operator. */
  override toString(): string {
    return `TimeWindow{start=${this.start}, end=${this.end}}`;
  }

  /**
   * The start of the window of size `windowSize` (shifted by `offset`) that holds `timestamp`
   * (Flink's TimeWindow.getWindowStartWithOffset); right for negative timestamps too.
   */
  static getWindowStartWithOffset(timestamp: number, offset: number, windowSize: number): number {
    const remainder = (timestamp - offset) % windowSize;
    return remainder < 0 ? timestamp - (remainder + windowSize) : timestamp - remainder;
  }
}

/** The one window of GlobalWindows, which holds every record of a key; it never ends (Flink's GlobalWindow). */
export class GlobalWindow extends Window {
  private static readonly INSTANCE = new GlobalWindow();

  private constructor() {
    super();
  }

  static get(): GlobalWindow {
    return GlobalWindow.INSTANCE;
  }

  /** +Infinity: a global window never ends, so it is never cleaned up by time. */
  maxTimestamp(): number {
    return Number.POSITIVE_INFINITY;
  }

  /** @internal Called by the window operator. */
  override toString(): string {
    return 'GlobalWindow';
  }
}
