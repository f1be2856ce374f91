import type { ProcessJoinContext, ProcessJoinFunction } from '../../co-functions.js';
import type { OutputTag } from '../../output-tag.js';
import { RUNTIME_CONTEXT } from '../../process-function.js';
import type { StateInfo } from '../contract.js';
import { MapStateDescriptor, type MapState } from '../../state.js';
import type { HeapKeyedStateBackend } from '../state/keyed-state-backend.js';
import type { InternalTimer, InternalTimerService, Triggerable } from '../state/internal-timer-service.js';
import type { KeyFunction } from '../transformation.js';
import { checkOutputTag } from './keyed-operators.js';
import { MIN_WATERMARK, NO_TIMESTAMP, TimestampedCollector, type OperatorContext, type Output } from './stream-operator.js';
import { AbstractTwoInputStreamOperator } from './two-input-operator.js';

type Side = 'CLEANUP_LEFT' | 'CLEANUP_RIGHT';

/**
 * The interval join (Flink's IntervalJoinOperator): joins a left record at time t with every right
 * record of the same key at a time in [t + lowerBound, t + upperBound] (bounds inclusive here;
 * exclusive bounds were moved in by one millisecond when the job was built). Event time only.
 *
 * Each side buffers its records in keyed MapState by timestamp (a list per timestamp), so the
 * buffers are in checkpoints. A record is joined with the other side's buffer on arrival, then
 * buffered; a cleanup timer per (key, timestamp) drops it once the watermark shows no record of the
 * other side can match it any more. A record behind the watermark is late: dropped and counted
 * (numLateRecordsDropped), as in Flink. A result carries the larger of the two timestamps.
 */
export class IntervalJoinOperator extends AbstractTwoInputStreamOperator implements Triggerable<Side> {
  private leftBuffer!: MapState<number, unknown[]>;
  private rightBuffer!: MapState<number, unknown[]>;
  private timers!: InternalTimerService<Side>;
  private readonly collector: TimestampedCollector;
  private context: OperatorContext | undefined;
  private readonly ctx: JoinContext;
  /** The pair being processed, for the function's context. */
  leftTimestamp = NO_TIMESTAMP;
  rightTimestamp = NO_TIMESTAMP;
  numLateRecordsDropped = 0;

  constructor(
    private readonly keySelector1: KeyFunction,
    private readonly keySelector2: KeyFunction,
    private readonly lowerBound: number,
    private readonly upperBound: number,
    private readonly fn: ProcessJoinFunction<unknown, unknown, unknown>,
    output: Output,
  ) {
    super(output);
    this.collector = new TimestampedCollector(output);
    this.ctx = new JoinContext(this);
  }

  protected override get isKeyed(): boolean {
    return true;
  }
  protected override internalStates(): StateInfo[] {
    return [
      { name: 'LEFT_BUFFER', kind: 'map' },
      { name: 'RIGHT_BUFFER', kind: 'map' },
      { name: 'interval-join-cleanup', kind: 'timers' },
    ];
  }

  protected override get userFunction(): unknown {
    return this.fn;
  }
  get keyedStateBackend(): HeapKeyedStateBackend | undefined {
    return this.keyedBackend;
  }

  override async open(context: OperatorContext): Promise<void> {
    this.context = context;
    const backend = this.keyedBackend as HeapKeyedStateBackend;
    this.leftBuffer = backend.getMapState(new MapStateDescriptor<number, unknown[]>('LEFT_BUFFER'));
    this.rightBuffer = backend.getMapState(new MapStateDescriptor<number, unknown[]>('RIGHT_BUFFER'));
    this.timers = this.getInternalTimerService<Side>('interval-join-cleanup', (side) => side, this, (stored) => stored as Side);
    this.fn[RUNTIME_CONTEXT] = context.createRuntimeContext(backend);
    await this.fn.open();
  }

  processElement1(record: unknown, timestamp: number): void {
    const keySelector = this.keySelector1;
    (this.keyedBackend as HeapKeyedStateBackend).setCurrentKey(keySelector(record));
    this.processElement(record, timestamp, this.leftBuffer, this.rightBuffer, this.lowerBound, this.upperBound, true);
  }

  processElement2(record: unknown, timestamp: number): void {
    const keySelector = this.keySelector2;
    (this.keyedBackend as HeapKeyedStateBackend).setCurrentKey(keySelector(record));
    this.processElement(record, timestamp, this.rightBuffer, this.leftBuffer, -this.upperBound, -this.lowerBound, false);
  }

  private processElement(
    record: unknown,
    timestamp: number,
    ourBuffer: MapState<number, unknown[]>,
    otherBuffer: MapState<number, unknown[]>,
    relativeLowerBound: number,
    relativeUpperBound: number,
    isLeft: boolean,
  ): void {
    if (timestamp === NO_TIMESTAMP) {
      throw new Error(
        `'${this.context?.operatorName ?? 'IntervalJoin'}': a record without a timestamp reached an interval join, which joins on event time; ` +
          'assign timestamps before it (assignTimestampsAndWatermarks, or a source with a WatermarkStrategy)',
      );
    }
    const watermark = this.lastWatermark;
    if (watermark !== MIN_WATERMARK && timestamp < watermark) {
      this.lateRecord(timestamp, watermark);
      return;
    }
    // A new list, never one changed in place: a snapshot being written may still hold the old one.
    const bucket = ourBuffer.get(timestamp);
    ourBuffer.put(timestamp, bucket === undefined ? [record] : [...bucket, record]);
    for (const [otherTimestamp, others] of otherBuffer.entries()) {
      if (otherTimestamp < timestamp + relativeLowerBound || otherTimestamp > timestamp + relativeUpperBound) continue;
      for (const other of others) {
        if (isLeft) this.emit(record, other, timestamp, otherTimestamp);
        else this.emit(other, record, otherTimestamp, timestamp);
      }
    }
    const cleanupTime = relativeUpperBound > 0 ? timestamp + relativeUpperBound : timestamp;
    this.timers.registerEventTimeTimer(isLeft ? 'CLEANUP_LEFT' : 'CLEANUP_RIGHT', cleanupTime);
  }

  private emit(left: unknown, right: unknown, leftTimestamp: number, rightTimestamp: number): void {
    this.leftTimestamp = leftTimestamp;
    this.rightTimestamp = rightTimestamp;
    this.collector.timestamp = Math.max(leftTimestamp, rightTimestamp);
    this.fn.processElement(left, right, this.ctx, this.collector);
  }

  onEventTime(timer: InternalTimer<Side>): void {
    if (timer.namespace === 'CLEANUP_LEFT') {
      this.leftBuffer.remove(this.upperBound <= 0 ? timer.timestamp : timer.timestamp - this.upperBound);
    } else {
      this.rightBuffer.remove(this.lowerBound <= 0 ? timer.timestamp + this.lowerBound : timer.timestamp);
    }
  }

  onProcessingTime(_timer: InternalTimer<Side>): void {}

  /** @internal For the context: a side-output record with the pair's timestamp. */
  sideOutput(tag: OutputTag<unknown>, value: unknown): void {
    checkOutputTag(tag);
    this.output.collectSide(tag, value, Math.max(this.leftTimestamp, this.rightTimestamp));
  }

  private lateRecord(timestamp: number, watermark: number): void {
    if (this.numLateRecordsDropped++ === 0 && this.context !== undefined) {
      this.context.chain.log('Dropping late records of an interval join (behind the watermark); counted in numLateRecordsDropped', {
        operator: this.context.operatorName,
        operatorId: this.context.operatorId,
        watermark,
        timestamp,
      });
    }
  }

  override async finish(): Promise<void> {
    if (this.numLateRecordsDropped > 0 && this.context !== undefined) {
      this.context.chain.log('Late records dropped by an interval join', {
        operator: this.context.operatorName,
        operatorId: this.context.operatorId,
        numLateRecordsDropped: this.numLateRecordsDropped,
      });
    }
    await this.fn.close();
  }
}

/** The ProcessJoinFunction's context: one per operator, reading the pair being joined. */
class JoinContext implements ProcessJoinContext {
  constructor(private readonly operator: IntervalJoinOperator) {}
  getLeftTimestamp(): number {
    return this.operator.leftTimestamp;
  }
  getRightTimestamp(): number {
    return this.operator.rightTimestamp;
  }
  getTimestamp(): number {
    return Math.max(this.operator.leftTimestamp, this.operator.rightTimestamp);
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.operator.sideOutput(tag as OutputTag<unknown>, value);
  }
}
