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
import type { KeyedTimer } from '../state/keyed-state-snapshot.js';
import { ProcessingTimeTimers } from '../state/processing-time-timers.js';
import type { StateTable } from '../state/state-table.js';
import type { KeyFunction } from '../transformation.js';
import { AbstractStreamOperator, type OperatorContext, type Output } from './stream-operator.js';

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

  override open(_context: OperatorContext): void {
    this.state = (this.keyedBackend as HeapKeyedStateBackend).getValueState(new ValueStateDescriptor<unknown>('_op_state'));
  }

  collect(record: unknown): void {
    const keySelector = this.keySelector;
    (this.keyedBackend as HeapKeyedStateBackend).setCurrentKey(keySelector(record));
    const current = this.state.value();
    let next = record;
    if (current !== undefined) {
      const reducer = this.reducer;
      next = reducer(current, record);
    }
    this.state.update(next);
    this.output.collect(next);
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

  override open(_context: OperatorContext): void {
    this.accumulators = (this.keyedBackend as HeapKeyedStateBackend).valueStateTable(new ValueStateDescriptor<Fields>('_op_state'));
  }

  collect(record: unknown): void {
    const keySelector = this.keySelector;
    const key = keySelector(record);
    const stateKey = typeof key === 'object' && key !== null ? toStateKey(key) : key;
    const accumulator = this.accumulators.get(stateKey) as Fields | undefined;
    if (accumulator === undefined) {
      const first = copyRecord(record) as Fields;
      this.accumulators.set(stateKey, first);
      this.output.collect(copyRecord(first));
      return;
    }
    const aggregator = this.aggregator;
    aggregator(accumulator, record as Fields);
    this.output.collect(copyRecord(accumulator));
  }

  get keyedStateBackend(): HeapKeyedStateBackend | undefined {
    return this.keyedBackend;
  }
}

/**
 * process() on a non-keyed stream (Flink's ProcessOperator). The operator is the function's
 * context object too, so nothing is allocated per record. Timers belong to the subtask.
 */
export class ProcessOperator extends AbstractStreamOperator implements OnTimerContext, TimerService {
  private timers: ProcessingTimeTimers | undefined;
  private context: OperatorContext | undefined;
  /** The subtask's timers, in its operator state. */
  private timerState: ListState<number> | undefined;

  constructor(
    private readonly fn: ProcessFunction<unknown, unknown>,
    output: Output,
  ) {
    super(output);
  }

  protected override get userFunction(): unknown {
    return this.fn;
  }

  override async open(context: OperatorContext): Promise<void> {
    this.context = context;
    this.timers = new ProcessingTimeTimers((time) => this.fn.onTimer(time, this, this.output), (error) => context.failAsync(error));
    this.timerState = this.operatorStateStore.getListState(new ListStateDescriptor<number>('_timers'));
    for (const time of this.timerState.get()) this.timers.register(time, undefined, undefined);
    this.fn[RUNTIME_CONTEXT] = context.createRuntimeContext();
    await this.fn.open();
  }

  collect(record: unknown): void {
    this.fn.processElement(record, this, this.output);
  }

  timestamp(): number | undefined {
    return undefined;
  }
  timerService(): TimerService {
    return this;
  }
  timeDomain(): TimeDomain {
    return 'PROCESSING_TIME';
  }
  currentProcessingTime(): number {
    return Date.now();
  }
  registerProcessingTimeTimer(time: number): void {
    this.timers?.register(time, undefined, undefined);
  }
  deleteProcessingTimeTimer(time: number): void {
    this.timers?.delete(time, undefined);
  }

  override snapshotState(checkpointId: number, timestamp: number): ReturnType<AbstractStreamOperator['snapshotState']> {
    this.timerState?.update((this.timers?.snapshot() ?? []).map((timer) => timer.time));
    return super.snapshotState(checkpointId, timestamp);
  }

  /** Pending timers are dropped at the end of input, as in Flink; then the function finishes. */
  override endInput(): void {
    dropPendingTimers(this.timers, this.context);
    this.fn.finish(this.output);
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
 * process() on a keyed stream (Flink's KeyedProcessOperator): per-key state and per-key timers.
 * The current key is set once per record, and once per firing timer.
 */
export class KeyedProcessOperator extends AbstractStreamOperator implements KeyedOnTimerContext<unknown>, TimerService {
  private timers: ProcessingTimeTimers | undefined;
  private context: OperatorContext | undefined;
  private restoredTimers: KeyedTimer[] = [];

  constructor(
    private readonly keySelector: KeyFunction,
    private readonly fn: KeyedProcessFunction<unknown, unknown, unknown>,
    output: Output,
  ) {
    super(output);
  }

  protected override get isKeyed(): boolean {
    return true;
  }

  protected override get userFunction(): unknown {
    return this.fn;
  }

  protected override timersToSnapshot(): readonly KeyedTimer[] {
    return this.timers?.snapshot() ?? [];
  }

  protected override restoreTimer(key: unknown, time: number): void {
    this.restoredTimers.push({ time, key });
  }

  private get backend(): HeapKeyedStateBackend | undefined {
    return this.keyedBackend;
  }

  override async open(context: OperatorContext): Promise<void> {
    const backend = this.keyedBackend as HeapKeyedStateBackend;
    this.context = context;
    this.timers = new ProcessingTimeTimers(
      (time, stateKey, key) => {
        backend.setCurrentStateKey(stateKey, key);
        this.fn.onTimer(time, this, this.output);
      },
      (error) => context.failAsync(error),
    );
    for (const { time, key } of this.restoredTimers.splice(0)) this.timers.register(time, toStateKey(key), key);
    this.fn[RUNTIME_CONTEXT] = context.createRuntimeContext(backend);
    await this.fn.open();
  }

  collect(record: unknown): void {
    const keySelector = this.keySelector;
    (this.backend as HeapKeyedStateBackend).setCurrentKey(keySelector(record));
    this.fn.processElement(record, this, this.output);
  }

  get keyedStateBackend(): HeapKeyedStateBackend | undefined {
    return this.backend;
  }

  getCurrentKey(): unknown {
    return this.backend?.getCurrentKey();
  }
  timestamp(): number | undefined {
    return undefined;
  }
  timerService(): TimerService {
    return this;
  }
  timeDomain(): TimeDomain {
    return 'PROCESSING_TIME';
  }
  currentProcessingTime(): number {
    return Date.now();
  }
  registerProcessingTimeTimer(time: number): void {
    const backend = this.backend as HeapKeyedStateBackend;
    this.timers?.register(time, backend.currentStateKey, backend.getCurrentKey());
  }
  deleteProcessingTimeTimer(time: number): void {
    this.timers?.delete(time, (this.backend as HeapKeyedStateBackend).currentStateKey);
  }

  /** Pending timers are dropped at the end of input, as in Flink; then the function finishes, with no current key. */
  override endInput(): void {
    dropPendingTimers(this.timers, this.context);
    this.backend?.setCurrentKey(undefined);
    this.fn.finish(this.output);
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
