import { copyRecord, type FieldAggregator, type Fields } from '../../aggregations.js';
import type { ReduceFunction } from '../../functions.js';
import {
  RUNTIME_CONTEXT,
  type KeyedOnTimerContext,
  type KeyedProcessFunction,
  type OnTimerContext,
  type ProcessFunction,
  type TimeDomain,
  type TimerService,
} from '../../process-function.js';
import { ValueStateDescriptor, type ListState, type ValueState } from '../../state.js';
import { ListStateDescriptor } from '../../state.js';
import { toStateKey, type HeapKeyedStateBackend } from '../state/keyed-state-backend.js';
import { OPERATOR_LIST_KIND } from '../state/operator-state-store.js';
import { UserTimerService, type UserTimerHost } from './user-timers.js';
import { ProcessingTimeTimers } from '../state/processing-time-timers.js';
import type { StateTable } from '../state/state-table.js';
import type { KeyFunction } from '../transformation.js';
import { OutputTag } from '../../output-tag.js';
import { AbstractStreamOperator, NO_TIMESTAMP, TimestampedCollector, type OperatorContext, type Output } from './stream-operator.js';
import type { StateInfo } from '../contract.js';
import { USER_TIMERS_SERVICE } from '../state/keyed-state-snapshot.js';

/** The running aggregate of reduce, sum, min, max (an unchecked value state). */
const REDUCE_STATE = '_op_state';

/**
 * reduce, sum, min, max on a keyed stream (Flink's StreamGroupedReduceOperator): keeps the running
 * aggregate per key and emits it after every record.
 */
export class StreamGroupedReduce extends AbstractStreamOperator {
  private state!: ValueState<unknown>;

  constructor(
    private readonly keySelector: KeyFunction,
    private readonly reducer: ReduceFunction<unknown>,
    output: Output,
  ) {
    super(output);
  }

  protected override get isKeyed(): boolean {
    return true;
  }

  protected override internalStates(): StateInfo[] {
    return [{ name: REDUCE_STATE, kind: 'value' }];
  }

  override open(_context: OperatorContext): void {
    this.state = (this.keyedBackend as HeapKeyedStateBackend).getValueState(new ValueStateDescriptor<unknown>(REDUCE_STATE));
  }

  collect(record: unknown, timestamp: number): void {
    const keySelector = this.keySelector;
    (this.keyedBackend as HeapKeyedStateBackend).setCurrentKey(keySelector(record));
    const current = this.state.value();
    let next = record;
    if (current !== undefined) {
      const reducer = this.reducer;
      next = reducer(current, record);
    }
    this.state.update(next);
    this.output.collect(next, timestamp);
  }

  get keyedStateBackend(): HeapKeyedStateBackend | undefined {
    return this.keyedBackend;
  }
}

/**
 * sum, min, max of a field on a keyed stream. Same results as StreamGroupedReduce with the
 * aggregation's reduce function, cheaper: the state holds a private copy of the key's first record
 * that is updated in place (one Map lookup per record, no new state value), and what is emitted is
 * a copy of it, so an emitted record never changes afterwards.
 */
export class StreamGroupedFieldAggregation extends AbstractStreamOperator {
  private accumulators!: StateTable;

  constructor(
    private readonly keySelector: KeyFunction,
    private readonly aggregator: FieldAggregator,
    output: Output,
  ) {
    super(output);
  }

  protected override get isKeyed(): boolean {
    return true;
  }

  protected override internalStates(): StateInfo[] {
    return [{ name: REDUCE_STATE, kind: 'value' }];
  }

  override open(_context: OperatorContext): void {
    this.accumulators = (this.keyedBackend as HeapKeyedStateBackend).valueStateTable(new ValueStateDescriptor<Fields>(REDUCE_STATE));
  }

  collect(record: unknown, timestamp: number): void {
    const keySelector = this.keySelector;
    const key = keySelector(record);
    const stateKey = typeof key === 'object' && key !== null ? toStateKey(key) : key;
    const accumulator = this.accumulators.get(stateKey) as Fields | undefined;
    if (accumulator === undefined) {
      const first = copyRecord(record) as Fields;
      this.accumulators.set(stateKey, first);
      this.output.collect(copyRecord(first), timestamp);
      return;
    }
    const aggregator = this.aggregator;
    aggregator(accumulator, record as Fields);
    this.output.collect(copyRecord(accumulator), timestamp);
  }

  get keyedStateBackend(): HeapKeyedStateBackend | undefined {
    return this.keyedBackend;
  }
}

/**
 * process() on a non-keyed stream (Flink's ProcessOperator). The operator is the function's
 * context object too, so nothing is allocated per record. Processing-time timers belong to the
 * subtask (kept in its operator state); event-time timers need a keyed stream, as in Flink.
 */
/** The processing-time timers of a non-keyed ProcessFunction (operator state). */
const PROCESS_TIMERS_STATE = '_timers';

export class ProcessOperator extends AbstractStreamOperator implements TimerService {
  private timers: ProcessingTimeTimers | undefined;
  private context: OperatorContext | undefined;
  /** The subtask's timers, in its operator state. */
  private timerState: ListState<number> | undefined;
  private readonly collector: TimestampedCollector;
  private currentTimestamp = NO_TIMESTAMP;

  constructor(
    private readonly fn: ProcessFunction<unknown, unknown>,
    output: Output,
  ) {
    super(output);
    this.collector = new TimestampedCollector(output);
    this.ctx = new ProcessContextImpl(this);
  }

  private readonly ctx: ProcessContextImpl;

  protected override internalStates(): StateInfo[] {
    return [{ name: PROCESS_TIMERS_STATE, kind: OPERATOR_LIST_KIND }];
  }

  protected override get userFunction(): unknown {
    return this.fn;
  }

  override async open(context: OperatorContext): Promise<void> {
    this.context = context;
    this.timers = new ProcessingTimeTimers(
      (time) => {
        this.currentTimestamp = NO_TIMESTAMP;
        this.collector.timestamp = NO_TIMESTAMP;
        this.fn.onTimer(time, this.ctx, this.collector);
      },
      (error) => context.failAsync(error),
    );
    this.timerState = this.operatorStateStore.getListState(new ListStateDescriptor<number>(PROCESS_TIMERS_STATE));
    for (const time of this.timerState.get()) this.timers.register(time, undefined, undefined);
    this.fn[RUNTIME_CONTEXT] = context.createRuntimeContext();
    await this.fn.open();
  }

  collect(record: unknown, timestamp: number): void {
    this.currentTimestamp = timestamp;
    this.collector.timestamp = timestamp;
    this.fn.processElement(record, this.ctx, this.collector);
  }

  /** @internal For the context object. */
  get recordTimestamp(): number {
    return this.currentTimestamp;
  }
  /** @internal */
  get timeDomainNow(): TimeDomain {
    return 'PROCESSING_TIME';
  }
  /** @internal */
  get timerService(): TimerService {
    return this;
  }
  /** @internal */
  sideOutput(tag: OutputTag<unknown>, value: unknown): void {
    checkOutputTag(tag);
    this.output.collectSide(tag, value, this.currentTimestamp);
  }
  currentProcessingTime(): number {
    return Date.now();
  }
  currentWatermark(): number {
    return this.lastWatermark;
  }
  registerProcessingTimeTimer(time: number): void {
    this.timers?.register(time, undefined, undefined);
  }
  deleteProcessingTimeTimer(time: number): void {
    this.timers?.delete(time, undefined);
  }
  registerEventTimeTimer(_time: number): void {
    throw new Error(`'${this.context?.operatorName ?? 'Process'}': event-time timers need a keyed stream, as in Flink; use stream.keyBy(...).process(...) with a KeyedProcessFunction`);
  }
  deleteEventTimeTimer(time: number): void {
    this.registerEventTimeTimer(time);
  }

  override snapshotState(checkpointId: number, timestamp: number, savepoint = false): ReturnType<AbstractStreamOperator['snapshotState']> {
    this.timerState?.update((this.timers?.snapshot() ?? []).map((timer) => timer.time));
    return super.snapshotState(checkpointId, timestamp, savepoint);
  }

  /** Pending timers are dropped at the end of input, as in Flink; then the function finishes. */
  override endInput(): void {
    dropPendingTimers(this.timers, this.context);
    this.collector.timestamp = NO_TIMESTAMP;
    this.fn.finish(this.collector);
  }

  override async finish(): Promise<void> {
    this.timers?.quiesce();
    await this.fn.close();
  }

  override close(): void | Promise<void> {
    this.timers?.quiesce();
    return super.close();
  }
}

/**
 * process() on a keyed stream (Flink's KeyedProcessOperator): per-key state and per-key timers of
 * both domains, in the operator's timer service 'user-timers' (keyed state: in snapshots). The
 * current key is set once per record, and once per firing timer.
 */
export class KeyedProcessOperator extends AbstractStreamOperator implements UserTimerHost {
  private readonly collector: TimestampedCollector;
  private currentTimestamp = NO_TIMESTAMP;
  operatorName = 'KeyedProcess';
  private readonly ctx: KeyedProcessContextImpl;
  private readonly userTimers = new UserTimerService(this);

  constructor(
    private readonly keySelector: KeyFunction,
    private readonly fn: KeyedProcessFunction<unknown, unknown, unknown>,
    output: Output,
  ) {
    super(output);
    this.collector = new TimestampedCollector(output);
    this.ctx = new KeyedProcessContextImpl(this);
  }

  protected override get isKeyed(): boolean {
    return true;
  }

  protected override internalStates(): StateInfo[] {
    return [{ name: USER_TIMERS_SERVICE, kind: 'timers' }];
  }

  protected override get userFunction(): unknown {
    return this.fn;
  }

  private get backend(): HeapKeyedStateBackend | undefined {
    return this.keyedBackend;
  }

  override async open(context: OperatorContext): Promise<void> {
    this.operatorName = context.operatorName;
    this.userTimers.open((name, toKey, triggerable, restore) => this.getInternalTimerService(name, toKey, triggerable, restore));
    this.fn[RUNTIME_CONTEXT] = context.createRuntimeContext(this.backend);
    await this.fn.open();
  }

  collect(record: unknown, timestamp: number): void {
    const keySelector = this.keySelector;
    (this.backend as HeapKeyedStateBackend).setCurrentKey(keySelector(record));
    this.currentTimestamp = timestamp;
    this.collector.timestamp = timestamp;
    this.fn.processElement(record, this.ctx, this.collector);
  }

  /** @internal A timer of the function fired. */
  onUserTimer(time: number, timestamp: number): void {
    this.currentTimestamp = timestamp;
    this.collector.timestamp = timestamp;
    this.fn.onTimer(time, this.ctx, this.collector);
  }

  get keyedStateBackend(): HeapKeyedStateBackend | undefined {
    return this.backend;
  }

  getCurrentKey(): unknown {
    return this.backend?.getCurrentKey();
  }
  /** @internal For the context object. */
  get recordTimestamp(): number {
    return this.currentTimestamp;
  }
  /** @internal */
  get timeDomainNow(): TimeDomain {
    return this.userTimers.timeDomain;
  }
  /** @internal */
  get timerService(): TimerService {
    return this.userTimers;
  }
  /** @internal */
  sideOutput(tag: OutputTag<unknown>, value: unknown): void {
    checkOutputTag(tag);
    this.output.collectSide(tag, value, this.currentTimestamp);
  }
  currentWatermark(): number {
    return this.lastWatermark;
  }

  /**
   * Pending processing-time timers are dropped at the end of input, as in Flink (event-time ones
   * fired with the end of input's watermark); then the function finishes, with no current key.
   */
  override endInput(): void {
    this.dropProcessingTimeTimers();
    this.backend?.setCurrentKey(undefined);
    this.currentTimestamp = NO_TIMESTAMP;
    this.collector.timestamp = NO_TIMESTAMP;
    this.fn.finish(this.collector);
  }

  override async finish(): Promise<void> {
    this.timeServiceManager?.quiesceProcessingTime();
    await this.fn.close();
  }
}

/** The context a process function gets: one per operator, reading the operator's current record or timer. */
class ProcessContextImpl implements OnTimerContext {
  constructor(protected readonly operator: ProcessOperator | KeyedProcessOperator) {}
  timestamp(): number | undefined {
    const timestamp = this.operator.recordTimestamp;
    return timestamp === NO_TIMESTAMP ? undefined : timestamp;
  }
  timerService(): TimerService {
    return this.operator.timerService;
  }
  timeDomain(): TimeDomain {
    return this.operator.timeDomainNow;
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.operator.sideOutput(tag as OutputTag<unknown>, value);
  }
}

class KeyedProcessContextImpl extends ProcessContextImpl implements KeyedOnTimerContext<unknown> {
  constructor(protected override readonly operator: KeyedProcessOperator) {
    super(operator);
  }
  getCurrentKey(): unknown {
    return this.operator.getCurrentKey();
  }
}

export function checkOutputTag(tag: unknown): void {
  if (!(tag instanceof OutputTag)) throw new TypeError(`ctx.output needs an OutputTag as its first argument (new OutputTag<T>('id')), got ${String(tag)}`);
}

/**
 * Stops an operator's processing-time timers at the end of input (Flink does not fire the pending
 * ones) and logs, once, how many it dropped.
 */
function dropPendingTimers(timers: ProcessingTimeTimers | undefined, context: OperatorContext | undefined): void {
  if (timers === undefined) return;
  const pending = timers.size;
  timers.quiesce();
  if (pending > 0 && context !== undefined) {
    context.chain.log('Dropped processing-time timers still pending at the end of input', {
      operator: context.operatorName,
      operatorId: context.operatorId,
      timers: pending,
    });
  }
}
