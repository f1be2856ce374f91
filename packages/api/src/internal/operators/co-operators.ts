import type { CoFlatMapFunction, CoMapFunction, CoProcessFunction, KeyedCoProcessFunction } from '../../co-functions.js';
import type { OutputTag } from '../../output-tag.js';
import { checkOutputTag } from './keyed-operators.js';
import { UserTimerService, type UserTimerHost } from './user-timers.js';
import { RUNTIME_CONTEXT, type KeyedOnTimerContext, type TimeDomain, type TimerService } from '../../process-function.js';
import type { HeapKeyedStateBackend } from '../state/keyed-state-backend.js';
import type { KeyFunction } from '../transformation.js';
import { NO_TIMESTAMP, TimestampedCollector, type OperatorContext, type Output } from './stream-operator.js';
import { AbstractTwoInputStreamOperator } from './two-input-operator.js';

/** connect(...).map(CoMapFunction) (Flink's CoStreamMap): map1 on the first input's records, map2 on the second's. */
export class CoStreamMap extends AbstractTwoInputStreamOperator {
  constructor(
    private readonly fn: CoMapFunction<unknown, unknown, unknown>,
    output: Output,
  ) {
    super(output);
  }
  protected override get userFunction(): unknown {
    return this.fn;
  }
  processElement1(record: unknown, timestamp: number): void {
    this.output.collect(this.fn.map1(record), timestamp);
  }
  processElement2(record: unknown, timestamp: number): void {
    this.output.collect(this.fn.map2(record), timestamp);
  }
}

/** connect(...).flatMap(CoFlatMapFunction) (Flink's CoStreamFlatMap): what either side collects carries its input record's timestamp. */
export class CoStreamFlatMap extends AbstractTwoInputStreamOperator {
  private readonly collector: TimestampedCollector;
  constructor(
    private readonly fn: CoFlatMapFunction<unknown, unknown, unknown>,
    output: Output,
  ) {
    super(output);
    this.collector = new TimestampedCollector(output);
  }
  protected override get userFunction(): unknown {
    return this.fn;
  }
  processElement1(record: unknown, timestamp: number): void {
    this.collector.timestamp = timestamp;
    this.fn.flatMap1(record, this.collector);
  }
  processElement2(record: unknown, timestamp: number): void {
    this.collector.timestamp = timestamp;
    this.fn.flatMap2(record, this.collector);
  }
}

/** What a two-input process function's context reads from its operator. */
export interface TwoInputContextHost {
  readonly recordTimestamp: number;
  readonly timeDomainNow: TimeDomain;
  sideOutput(tag: OutputTag<unknown>, value: unknown): void;
  getCurrentKey(): unknown;
  readonly timerService: TimerService;
}

/** The context of a CoProcessFunction or KeyedCoProcessFunction: one per operator, reading its current record or timer. */
export class TwoInputContext implements KeyedOnTimerContext<unknown> {
  constructor(private readonly host: TwoInputContextHost) {}
  timestamp(): number | undefined {
    const timestamp = this.host.recordTimestamp;
    return timestamp === NO_TIMESTAMP ? undefined : timestamp;
  }
  timerService(): TimerService {
    return this.host.timerService;
  }
  timeDomain(): TimeDomain {
    return this.host.timeDomainNow;
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.host.sideOutput(tag as OutputTag<unknown>, value);
  }
  getCurrentKey(): unknown {
    return this.host.getCurrentKey();
  }
}

/**
 * connect(...).process(CoProcessFunction) on non-keyed streams (Flink's CoProcessOperator). Timers
 * are refused, as in Flink: they need keyed streams.
 */
export class CoProcessOperator extends AbstractTwoInputStreamOperator implements TwoInputContextHost, TimerService {
  private readonly collector: TimestampedCollector;
  private readonly ctx: TwoInputContext;
  private operatorName = 'Co-Process';
  recordTimestamp = NO_TIMESTAMP;
  readonly timeDomainNow: TimeDomain = 'PROCESSING_TIME';

  constructor(
    private readonly fn: CoProcessFunction<unknown, unknown, unknown>,
    output: Output,
  ) {
    super(output);
    this.collector = new TimestampedCollector(output);
    this.ctx = new TwoInputContext(this);
  }
  protected override get userFunction(): unknown {
    return this.fn;
  }
  get timerService(): TimerService {
    return this;
  }
  override async open(context: OperatorContext): Promise<void> {
    this.operatorName = context.operatorName;
    this.fn[RUNTIME_CONTEXT] = context.createRuntimeContext();
    await this.fn.open();
  }
  processElement1(record: unknown, timestamp: number): void {
    this.recordTimestamp = timestamp;
    this.collector.timestamp = timestamp;
    this.fn.processElement1(record, this.ctx, this.collector);
  }
  processElement2(record: unknown, timestamp: number): void {
    this.recordTimestamp = timestamp;
    this.collector.timestamp = timestamp;
    this.fn.processElement2(record, this.ctx, this.collector);
  }
  sideOutput(tag: OutputTag<unknown>, value: unknown): void {
    checkOutputTag(tag);
    this.output.collectSide(tag, value, this.recordTimestamp);
  }
  getCurrentKey(): unknown {
    return undefined;
  }
  currentProcessingTime(): number {
    return Date.now();
  }
  currentWatermark(): number {
    return this.lastWatermark;
  }
  registerProcessingTimeTimer(_time: number): void {
    this.refuseTimers();
  }
  deleteProcessingTimeTimer(_time: number): void {
    this.refuseTimers();
  }
  registerEventTimeTimer(_time: number): void {
    this.refuseTimers();
  }
  deleteEventTimeTimer(_time: number): void {
    this.refuseTimers();
  }
  private refuseTimers(): never {
    throw new Error(`'${this.operatorName}': setting timers is only supported on keyed streams, as in Flink; use a.connect(b).keyBy(keyA, keyB).process(...) with a KeyedCoProcessFunction`);
  }
  override async finish(): Promise<void> {
    await this.fn.close();
  }
}

/**
 * connect(...).keyBy(k1, k2).process(KeyedCoProcessFunction) (Flink's KeyedCoProcessOperator):
 * per-key state shared by both inputs, per-key timers of both domains (UserTimerService).
 */
export class KeyedCoProcessOperator extends AbstractTwoInputStreamOperator implements TwoInputContextHost, UserTimerHost {
  private readonly collector: TimestampedCollector;
  private readonly ctx: TwoInputContext;
  private readonly userTimers = new UserTimerService(this);
  operatorName = 'KeyedCoProcess';
  recordTimestamp = NO_TIMESTAMP;

  constructor(
    private readonly keySelector1: KeyFunction,
    private readonly keySelector2: KeyFunction,
    private readonly fn: KeyedCoProcessFunction<unknown, unknown, unknown, unknown>,
    output: Output,
  ) {
    super(output);
    this.collector = new TimestampedCollector(output);
    this.ctx = new TwoInputContext(this);
  }
  protected override get isKeyed(): boolean {
    return true;
  }
  protected override get userFunction(): unknown {
    return this.fn;
  }
  get timerService(): TimerService {
    return this.userTimers;
  }
  get timeDomainNow(): TimeDomain {
    return this.userTimers.timeDomain;
  }
  get keyedStateBackend(): HeapKeyedStateBackend | undefined {
    return this.keyedBackend;
  }
  override async open(context: OperatorContext): Promise<void> {
    this.operatorName = context.operatorName;
    this.userTimers.open((name, toKey, triggerable, restore) => this.getInternalTimerService(name, toKey, triggerable, restore));
    this.fn[RUNTIME_CONTEXT] = context.createRuntimeContext(this.keyedBackend);
    await this.fn.open();
  }
  processElement1(record: unknown, timestamp: number): void {
    const keySelector = this.keySelector1;
    (this.keyedBackend as HeapKeyedStateBackend).setCurrentKey(keySelector(record));
    this.recordTimestamp = timestamp;
    this.collector.timestamp = timestamp;
    this.fn.processElement1(record, this.ctx, this.collector);
  }
  processElement2(record: unknown, timestamp: number): void {
    const keySelector = this.keySelector2;
    (this.keyedBackend as HeapKeyedStateBackend).setCurrentKey(keySelector(record));
    this.recordTimestamp = timestamp;
    this.collector.timestamp = timestamp;
    this.fn.processElement2(record, this.ctx, this.collector);
  }
  onUserTimer(time: number, timestamp: number): void {
    this.recordTimestamp = timestamp;
    this.collector.timestamp = timestamp;
    this.fn.onTimer(time, this.ctx, this.collector);
  }
  sideOutput(tag: OutputTag<unknown>, value: unknown): void {
    checkOutputTag(tag);
    this.output.collectSide(tag, value, this.recordTimestamp);
  }
  getCurrentKey(): unknown {
    return this.keyedBackend?.getCurrentKey();
  }
  currentWatermark(): number {
    return this.lastWatermark;
  }
  /** Pending processing-time timers are dropped at the end of input, as in Flink; event-time ones fired with the end of input's watermark. */
  override endInput(): void {
    this.dropProcessingTimeTimers();
  }
  override async finish(): Promise<void> {
    this.timeServiceManager?.quiesceProcessingTime();
    await this.fn.close();
  }
}
