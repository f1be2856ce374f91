/**
 * Event time's inputs (Flink's WatermarkStrategy, TimestampAssigner and WatermarkGenerator): how a
 * record's timestamp is found, and how watermarks ("no record older than W will follow") are
 * derived from the records. Times and durations are plain epoch milliseconds.
 *
 *   stream.assignTimestampsAndWatermarks(
 *     WatermarkStrategy.forBoundedOutOfOrderness<Bid>(5_000).withTimestampAssigner((bid) => bid.time).withIdleness(60_000),
 *   );
 */

/** Where a WatermarkGenerator emits (Flink's WatermarkOutput). */
export interface WatermarkOutput {
  /** Event time reached `watermark`; one that does not advance the output's is ignored. */
  emitWatermark(watermark: number): void;
  /** No records come from here for now: downstream operators leave this input out of their watermark. */
  markIdle(): void;
  /** Records come again (emitting a record or a watermark does this too). */
  markActive(): void;
}

/**
 * Derives watermarks from the records (Flink's WatermarkGenerator): onEvent sees every record
 * with its timestamp, onPeriodicEmit runs every `pipeline.auto-watermark-interval` (default 200 ms)
 * on the task's thread. Emit from either.
 */
export interface WatermarkGenerator<T> {
  onEvent(event: T, eventTimestamp: number, output: WatermarkOutput): void;
  onPeriodicEmit(output: WatermarkOutput): void;
}

/**
 * A record's event timestamp in epoch milliseconds (Flink's TimestampAssigner);
 * `recordTimestamp` is the one it carries already (-Infinity when none). Returning anything but a
 * number (or NaN) fails the task with the record and the operator named.
 */
export type TimestampAssigner<T> = (event: T, recordTimestamp: number) => number;

/**
 * Watermarks that trail the largest timestamp seen by `maxOutOfOrdernessMs` (Flink's
 * BoundedOutOfOrdernessWatermarks): a record up to that much older than the newest is on time.
 * Emits `max - maxOutOfOrdernessMs - 1` periodically.
 */
export class BoundedOutOfOrdernessWatermarks<T> implements WatermarkGenerator<T> {
  private maxTimestamp = Number.NEGATIVE_INFINITY;

  constructor(private readonly maxOutOfOrdernessMs: number) {
    checkDuration(maxOutOfOrdernessMs, 'the max out-of-orderness');
  }

  onEvent(_event: T, eventTimestamp: number, _output: WatermarkOutput): void {
    if (eventTimestamp > this.maxTimestamp) this.maxTimestamp = eventTimestamp;
  }

  onPeriodicEmit(output: WatermarkOutput): void {
    if (this.maxTimestamp !== Number.NEGATIVE_INFINITY) output.emitWatermark(this.maxTimestamp - this.maxOutOfOrdernessMs - 1);
  }
}

/** Emits no watermarks at all (Flink's NoWatermarksGenerator): records get timestamps, event time does not advance until the input ends. */
export class NoWatermarksGenerator<T> implements WatermarkGenerator<T> {
  onEvent(_event: T, _eventTimestamp: number, _output: WatermarkOutput): void {}
  onPeriodicEmit(_output: WatermarkOutput): void {}
}

/**
 * Marks the output idle once no record came for `idleTimeoutMs` (Flink's WatermarksWithIdleness),
 * so a quiet input does not hold event time back downstream; the next record makes it active again.
 */
export class WatermarksWithIdleness<T> implements WatermarkGenerator<T> {
  private lastActivity: number;
  private idle = false;

  constructor(
    private readonly watermarks: WatermarkGenerator<T>,
    private readonly idleTimeoutMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    checkDuration(idleTimeoutMs, 'the idle timeout');
    if (idleTimeoutMs === 0) throw new RangeError('the idle timeout must be above 0 ms');
    this.lastActivity = clock();
  }

  onEvent(event: T, eventTimestamp: number, output: WatermarkOutput): void {
    this.lastActivity = this.clock();
    this.idle = false;
    this.watermarks.onEvent(event, eventTimestamp, output);
  }

  onPeriodicEmit(output: WatermarkOutput): void {
    if (this.clock() - this.lastActivity >= this.idleTimeoutMs) {
      if (!this.idle) {
        this.idle = true;
        output.markIdle();
      }
      return;
    }
    this.watermarks.onPeriodicEmit(output);
  }
}

/**
 * How a stream's records get event timestamps and watermarks (Flink's WatermarkStrategy). Build
 * one with the static methods, refine it with withTimestampAssigner and withIdleness (each returns
 * a new strategy), and hand it to `stream.assignTimestampsAndWatermarks(strategy)` or
 * `env.fromSource(source, strategy, name)`.
 */
export class WatermarkStrategy<T> {
  private constructor(
    private readonly generatorFactory: () => WatermarkGenerator<T>,
    /** undefined: keep the timestamp the record carries (Flink's RecordTimestampAssigner). */
    readonly timestampAssigner: TimestampAssigner<T> | undefined,
    readonly idleTimeoutMs: number | undefined,
  ) {}

  /** Watermarks `maxOutOfOrdernessMs` behind the largest timestamp seen (a record that much late is still on time). */
  static forBoundedOutOfOrderness<T>(maxOutOfOrdernessMs: number): WatermarkStrategy<T> {
    checkDuration(maxOutOfOrdernessMs, 'forBoundedOutOfOrderness');
    return new WatermarkStrategy<T>(() => new BoundedOutOfOrdernessWatermarks<T>(maxOutOfOrdernessMs), undefined, undefined);
  }

  /**
   * For timestamps that only go up: the watermark is the largest timestamp seen, minus 1. A record
   * older than that keeps its timestamp (it is never rewritten) and is late downstream: windows
   * drop and count it, or send it to their late-data side output.
   */
  static forMonotonousTimestamps<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(() => new BoundedOutOfOrdernessWatermarks<T>(0), undefined, undefined);
  }

  /** Timestamps without watermarks: event time advances only at the end of a bounded input. */
  static noWatermarks<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(() => new NoWatermarksGenerator<T>(), undefined, undefined);
  }

  /** A strategy of your own generator (made once per subtask, or per source split). */
  static forGenerator<T>(createGenerator: () => WatermarkGenerator<T>): WatermarkStrategy<T> {
    if (typeof createGenerator !== 'function') throw new TypeError('forGenerator needs a function that returns a WatermarkGenerator');
    return new WatermarkStrategy<T>(createGenerator, undefined, undefined);
  }

  /** Reads each record's timestamp with `assigner(event, recordTimestamp)`. */
  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T> {
    if (typeof assigner !== 'function') throw new TypeError('withTimestampAssigner needs a function (event, recordTimestamp) => epoch milliseconds');
    return new WatermarkStrategy<T>(this.generatorFactory, assigner, this.idleTimeoutMs);
  }

  /**
   * Marks the input idle after `idleTimeoutMs` without records, so it does not hold back event
   * time downstream (a source split or partition that has nothing to say for a while).
   */
  withIdleness(idleTimeoutMs: number): WatermarkStrategy<T> {
    checkDuration(idleTimeoutMs, 'withIdleness');
    if (idleTimeoutMs === 0) throw new RangeError('withIdleness needs a timeout above 0 ms');
    return new WatermarkStrategy<T>(this.generatorFactory, this.timestampAssigner, idleTimeoutMs);
  }

  /** @internal A fresh generator (with the idleness wrapper when withIdleness was set). */
  createWatermarkGenerator(): WatermarkGenerator<T> {
    const generator = this.generatorFactory();
    if (generator === null || typeof generator !== 'object' || typeof generator.onEvent !== 'function' || typeof generator.onPeriodicEmit !== 'function') {
      throw new TypeError('a watermark strategy made something that is not a WatermarkGenerator (an object with onEvent and onPeriodicEmit)');
    }
    return this.idleTimeoutMs === undefined ? generator : new WatermarksWithIdleness<T>(generator, this.idleTimeoutMs);
  }
}

function checkDuration(ms: number, what: string): void {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new RangeError(`${what} needs a duration of at least 0 ms, got ${String(ms)}`);
}
