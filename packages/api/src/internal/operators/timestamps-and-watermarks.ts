/**
 * Where records get their event timestamps and watermarks are generated: the operator of
 * `assignTimestampsAndWatermarks` (Flink's TimestampsAndWatermarksOperator) and, inside a source,
 * per split (Flink's SourceOperator with its per-split WatermarkOutputMultiplexer).
 *
 * Periodic emission runs on a timer of the task's thread every `pipeline.auto-watermark-interval`
 * (default 200 ms; 0 disables it), never per record. A timestamp assigner that returns a
 * non-number or NaN fails the task with the operator and the record named. A record's timestamp
 * is never rewritten because it is behind the watermark: late handling is the windows' business.
 */
import { AUTO_WATERMARK_INTERVAL_KEY, DEFAULT_AUTO_WATERMARK_INTERVAL_MS, parseDurationMs } from '../config.js';
import type { TimestampAssigner, WatermarkGenerator, WatermarkOutput, WatermarkStrategy } from '../../watermark-strategy.js';
import { AbstractStreamOperator, MAX_WATERMARK, MIN_WATERMARK, type OperatorContext, type Output } from './stream-operator.js';

/** The periodic watermark interval of a job's configuration (0: no periodic emission). */
export function autoWatermarkIntervalMs(configuration: Readonly<Record<string, string>>): number {
  const value = configuration[AUTO_WATERMARK_INTERVAL_KEY];
  const ms = value === undefined ? DEFAULT_AUTO_WATERMARK_INTERVAL_MS : parseDurationMs(value, AUTO_WATERMARK_INTERVAL_KEY);
  return ms < 0 ? 0 : ms;
}

const MAX_RECORD_PREVIEW = 200;

function preview(record: unknown): string {
  let text: string;
  try {
    text = typeof record === 'string' ? JSON.stringify(record) : (JSON.stringify(record) ?? String(record));
  } catch {
    text = String(record);
  }
  return text.length > MAX_RECORD_PREVIEW ? `${text.slice(0, MAX_RECORD_PREVIEW)}…` : text;
}

function describe(value: unknown): string {
  if (typeof value === 'number') return 'NaN';
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value)})`;
  return `a ${typeof value} (${String(value)})`;
}

/** Assigns a record's timestamp, failing with the operator and record named when the assigner returns no number. */
export function assignTimestamp(assigner: TimestampAssigner<unknown>, record: unknown, recordTimestamp: number, operatorName: string): number {
  const timestamp = assigner(record, recordTimestamp);
  if (typeof timestamp === 'number' && timestamp === timestamp) return timestamp;
  throw new TypeError(
    `The timestamp assigner of '${operatorName}' returned ${describe(timestamp)} for the record ${preview(record)}; ` +
      'it must return the record\'s event time as a number of epoch milliseconds (for a Date: date.getTime(); for an ISO string: Date.parse(s))',
  );
}

const keepRecordTimestamp: TimestampAssigner<unknown> = (_event, recordTimestamp) => recordTimestamp;

/** A WatermarkOutput onto an operator's Output: watermarks never go backwards; statuses are sent when they change. */
export class OutputWatermarks implements WatermarkOutput {
  private current = MIN_WATERMARK;
  private idle = false;

  constructor(private readonly output: Output) {}

  get currentWatermark(): number {
    return this.current;
  }

  get isIdle(): boolean {
    return this.idle;
  }

  emitWatermark(watermark: number): void {
    if (typeof watermark !== 'number' || Number.isNaN(watermark)) throw new TypeError(`a watermark is a number of epoch milliseconds, got ${String(watermark)}`);
    if (watermark <= this.current) return;
    this.markActive();
    this.current = watermark;
    this.output.emitWatermark(watermark);
  }

  markIdle(): void {
    if (this.idle) return;
    this.idle = true;
    this.output.emitWatermarkStatus(true);
  }

  markActive(): void {
    if (!this.idle) return;
    this.idle = false;
    this.output.emitWatermarkStatus(false);
  }
}

/** Calls `tick` every `intervalMs` on the task's thread; an error it throws goes to `fail` and stops it. */
class PeriodicTimer {
  private handle: ReturnType<typeof setInterval> | undefined;

  start(intervalMs: number, tick: () => void, fail: (error: unknown) => void): void {
    if (intervalMs <= 0 || this.handle !== undefined) return;
    this.handle = setInterval(() => {
      try {
        tick();
      } catch (error) {
        this.stop();
        fail(error);
      }
    }, intervalMs);
  }

  stop(): void {
    if (this.handle !== undefined) clearInterval(this.handle);
    this.handle = undefined;
  }
}

/**
 * assignTimestampsAndWatermarks: a chained operator that sets each record's timestamp, feeds the
 * generator, and emits its watermarks. Watermarks from upstream are ignored except the end of
 * input's MAX_WATERMARK (as in Flink), and so are upstream statuses: this operator's generator
 * decides both.
 */
export class TimestampsAndWatermarksOperator extends AbstractStreamOperator {
  private generator!: WatermarkGenerator<unknown>;
  private assigner: TimestampAssigner<unknown> = keepRecordTimestamp;
  private watermarks!: OutputWatermarks;
  private readonly timer = new PeriodicTimer();
  private operatorName = 'Timestamps/Watermarks';

  constructor(
    private readonly strategy: WatermarkStrategy<unknown>,
    output: Output,
  ) {
    super(output);
  }

  override open(context: OperatorContext): void {
    this.operatorName = context.operatorName;
    this.generator = this.strategy.createWatermarkGenerator();
    this.assigner = this.strategy.timestampAssigner ?? keepRecordTimestamp;
    this.watermarks = new OutputWatermarks(this.output);
    this.timer.start(autoWatermarkIntervalMs(context.chain.configuration), () => this.generator.onPeriodicEmit(this.watermarks), (error) => context.failAsync(error));
  }

  collect(record: unknown, timestamp: number): void {
    const next = assignTimestamp(this.assigner, record, timestamp, this.operatorName);
    const watermarks = this.watermarks;
    if (watermarks.isIdle) watermarks.markActive();
    this.generator.onEvent(record, next, watermarks);
    this.output.collect(record, next);
  }

  override processWatermark(watermark: number): void {
    if (watermark === MAX_WATERMARK) {
      this.timer.stop();
      this.watermarks.emitWatermark(MAX_WATERMARK);
    }
  }

  override processWatermarkStatus(_idle: boolean): void {}

  override endInput(): void {
    this.timer.stop();
  }

  override close(): void | Promise<void> {
    this.timer.stop();
    return super.close();
  }
}

/** One split's generator and what it emitted. */
class SplitWatermarks implements WatermarkOutput {
  watermark = MIN_WATERMARK;
  idle = false;

  constructor(
    readonly generator: WatermarkGenerator<unknown>,
    private readonly owner: SourceWatermarks,
  ) {}

  emitWatermark(watermark: number): void {
    if (typeof watermark !== 'number' || Number.isNaN(watermark)) throw new TypeError(`a watermark is a number of epoch milliseconds, got ${String(watermark)}`);
    this.idle = false;
    if (watermark > this.watermark) this.watermark = watermark;
    this.owner.update();
  }

  markIdle(): void {
    if (this.idle) return;
    this.idle = true;
    this.owner.update();
  }

  markActive(): void {
    if (!this.idle) return;
    this.idle = false;
    this.owner.update();
  }
}

/**
 * Timestamps and watermarks inside a source: one generator per split the subtask reads (a user
 * source is one split); the subtask's watermark is the minimum over its active splits, and it is
 * idle when every split it holds is. A split that ends leaves the minimum.
 */
export class SourceWatermarks {
  private readonly splits = new Map<string, SplitWatermarks>();
  private current: SplitWatermarks | undefined;
  /** The whole subtask as a split (startSubtaskSplit), until the source names a split of its own. */
  private subtaskSplit: SplitWatermarks | undefined;
  private readonly assigner: TimestampAssigner<unknown>;
  private readonly output: OutputWatermarks;
  private readonly timer = new PeriodicTimer();

  constructor(
    private readonly strategy: WatermarkStrategy<unknown>,
    output: Output,
    private readonly operatorName: string,
  ) {
    this.assigner = strategy.timestampAssigner ?? keepRecordTimestamp;
    this.output = new OutputWatermarks(output);
  }

  /** Starts periodic emission (the source's run() began). */
  start(intervalMs: number, fail: (error: unknown) => void): void {
    this.timer.start(intervalMs, () => this.onPeriodicEmit(), fail);
  }

  stop(): void {
    this.timer.stop();
  }

  /**
   * A source that names no splits of its own (a user's source) is one split, ''. Until it names one
   * (startSplit with an id): a source that does (KafkaSource, a split per partition) drops it then,
   * or it would hold the watermark at its start for good, as a split that never gets a record.
   */
  startSubtaskSplit(): void {
    this.startSplit('');
    this.subtaskSplit = this.splits.get('');
  }

  /** The source reads split `id` from now on (created on first use). */
  startSplit(id: string): void {
    const whole = this.subtaskSplit;
    if (whole !== undefined && id !== '') {
      this.subtaskSplit = undefined;
      if (whole.watermark === MIN_WATERMARK && this.splits.get('') === whole) this.finishSplit('');
    }
    let split = this.splits.get(id);
    if (split === undefined) {
      split = new SplitWatermarks(this.strategy.createWatermarkGenerator(), this);
      this.splits.set(id, split);
    }
    this.current = split;
  }

  /** Split `id` ended: it no longer holds the watermark back. */
  finishSplit(id: string): void {
    const split = this.splits.get(id);
    this.splits.delete(id);
    if (this.current === split) this.current = undefined;
  }

  /** The timestamp of a record of the current split (a source without splits is one split). */
  timestamp(record: unknown, recordTimestamp = Number.NEGATIVE_INFINITY): number {
    let split = this.current;
    if (split === undefined) {
      this.startSplit('');
      split = this.current as SplitWatermarks;
    }
    const timestamp = assignTimestamp(this.assigner, record, recordTimestamp, this.operatorName);
    if (split.idle) split.markActive();
    split.generator.onEvent(record, timestamp, split);
    return timestamp;
  }

  private onPeriodicEmit(): void {
    for (const split of this.splits.values()) split.generator.onPeriodicEmit(split);
  }

  /** Recomputes the subtask's watermark and status from its splits'. */
  update(): void {
    let min = Number.POSITIVE_INFINITY;
    let active = 0;
    for (const split of this.splits.values()) {
      if (split.idle) continue;
      active++;
      if (split.watermark < min) min = split.watermark;
    }
    if (active === 0) {
      if (this.splits.size > 0) this.output.markIdle();
      return;
    }
    this.output.markActive();
    if (min > MIN_WATERMARK) this.output.emitWatermark(min);
  }
}
