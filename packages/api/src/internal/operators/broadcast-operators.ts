import type {
  BroadcastProcessFunction,
  BroadcastState,
  KeyedBroadcastOnTimerContext,
  KeyedBroadcastProcessFunction,
  KeyedStateFunction,
  ReadOnlyBroadcastState,
} from '../../broadcast-state.js';
import type { OutputTag } from '../../output-tag.js';
import { RUNTIME_CONTEXT, type TimeDomain, type TimerService } from '../../process-function.js';
import { ListStateDescriptor, type ListState, type ListStateDescriptor as ListDescriptor, type MapStateDescriptor, type StateDescriptor, type ValueStateDescriptor } from '../../state.js';
import { fromStateKey, toStateKey, type HeapKeyedStateBackend } from '../state/keyed-state-backend.js';
import { UserTimerService, type UserTimerHost } from './user-timers.js';
import type { KeyFunction } from '../transformation.js';
import { checkOutputTag } from './keyed-operators.js';
import { NO_TIMESTAMP, TimestampedCollector, type OperatorContext, type Output } from './stream-operator.js';
import { AbstractTwoInputStreamOperator } from './two-input-operator.js';

/** One broadcast state: a map whose keys compare by value, as MapState's. */
class HeapBroadcastState<K, V> implements BroadcastState<K, V> {
  readonly map = new Map<unknown, V>();
  readonly readOnly: ReadOnlyBroadcastState<K, V> = new ReadOnlyView(this);
  get(key: K): V | undefined {
    return this.map.get(toStateKey(key));
  }
  contains(key: K): boolean {
    return this.map.has(toStateKey(key));
  }
  put(key: K, value: V): void {
    this.map.set(toStateKey(key), value);
  }
  putAll(entries: Iterable<readonly [K, V]>): void {
    for (const [key, value] of entries) this.put(key, value);
  }
  remove(key: K): void {
    this.map.delete(toStateKey(key));
  }
  *entries(): IterableIterator<[K, V]> {
    for (const [key, value] of this.map) yield [fromStateKey(key) as K, value];
  }
  immutableEntries(): IterableIterator<[K, V]> {
    return this.entries();
  }
  *keys(): IterableIterator<K> {
    for (const key of this.map.keys()) yield fromStateKey(key) as K;
  }
  values(): IterableIterator<V> {
    return this.map.values();
  }
  isEmpty(): boolean {
    return this.map.size === 0;
  }
  clear(): void {
    this.map.clear();
  }
}

/** The element side's view: reads only, so a write there fails instead of making the subtasks' copies drift apart. */
class ReadOnlyView<K, V> implements ReadOnlyBroadcastState<K, V> {
  constructor(private readonly state: HeapBroadcastState<K, V>) {}
  get(key: K): V | undefined {
    return this.state.get(key);
  }
  contains(key: K): boolean {
    return this.state.contains(key);
  }
  immutableEntries(): IterableIterator<[K, V]> {
    return this.state.entries();
  }
  keys(): IterableIterator<K> {
    return this.state.keys();
  }
  values(): IterableIterator<V> {
    return this.state.values();
  }
  isEmpty(): boolean {
    return this.state.isEmpty();
  }
}

/**
 * The broadcast states of one operator (Flink's broadcast operator state). Each subtask keeps its
 * own copy; a snapshot stores it as a UNION operator list of [key, value] entries, so on a restore
 * every subtask gets the entries of every copy back, which are equal (the broadcast side changes
 * every copy the same way) and fold into one map.
 */
class BroadcastStates {
  private readonly states = new Map<string, { state: HeapBroadcastState<unknown, unknown>; list: ListState<[unknown, unknown]> }>();

  constructor(
    private readonly descriptors: readonly MapStateDescriptor<unknown, unknown>[],
    private readonly operatorName: () => string,
  ) {}

  open(store: { getUnionListState<T>(descriptor: ListDescriptor<T>): ListState<T> }): void {
    for (const descriptor of this.descriptors) {
      const list = store.getUnionListState(new ListStateDescriptor<[unknown, unknown]>(`broadcast-state:${descriptor.name}`));
      const state = new HeapBroadcastState<unknown, unknown>();
      for (const [key, value] of list.get()) state.map.set(key, value);
      this.states.set(descriptor.name, { state, list });
    }
  }

  get(descriptor: MapStateDescriptor<unknown, unknown>): HeapBroadcastState<unknown, unknown> {
    const entry = descriptor === undefined || descriptor === null ? undefined : this.states.get(descriptor.name);
    if (entry === undefined) {
      const known = this.descriptors.map((d) => `'${d.name}'`).join(', ');
      throw new Error(
        `'${this.operatorName()}': no broadcast state '${String(descriptor?.name)}': this stream was broadcast with ${known}; ` +
          'check the descriptor, or pass it to broadcast(...) too',
      );
    }
    return entry.state;
  }

  snapshot(): void {
    for (const { state, list } of this.states.values()) list.update([...state.map]);
  }
}

/** The context objects of the broadcast functions: one per operator and side, reading the operator's current record or timer. */
class BroadcastFunctionContext implements KeyedBroadcastOnTimerContext<unknown> {
  constructor(
    private readonly host: BroadcastHost,
    private readonly broadcastSide: boolean,
  ) {}
  timestamp(): number | undefined {
    const timestamp = this.host.recordTimestamp;
    return timestamp === NO_TIMESTAMP ? undefined : timestamp;
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.host.sideOutput(tag as OutputTag<unknown>, value);
  }
  currentProcessingTime(): number {
    return Date.now();
  }
  currentWatermark(): number {
    return this.host.currentWatermark();
  }
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): BroadcastState<K, V> & ReadOnlyBroadcastState<K, V> {
    const state = this.host.broadcastStates.get(descriptor as MapStateDescriptor<unknown, unknown>);
    return (this.broadcastSide ? state : state.readOnly) as BroadcastState<K, V>;
  }
  getCurrentKey(): unknown {
    return this.host.getCurrentKey();
  }
  timerService(): TimerService {
    return this.host.timerService();
  }
  timeDomain(): TimeDomain {
    return this.host.timeDomainNow;
  }
  applyToKeyedState(descriptor: StateDescriptor, fn: KeyedStateFunction<unknown, never>): void {
    this.host.applyToKeyedState(descriptor, fn as KeyedStateFunction<unknown, unknown>);
  }
}

interface BroadcastHost {
  readonly recordTimestamp: number;
  readonly timeDomainNow: TimeDomain;
  readonly broadcastStates: BroadcastStates;
  sideOutput(tag: OutputTag<unknown>, value: unknown): void;
  currentWatermark(): number;
  getCurrentKey(): unknown;
  timerService(): TimerService;
  applyToKeyedState(descriptor: StateDescriptor, fn: KeyedStateFunction<unknown, unknown>): void;
}

/** What both broadcast operators share: broadcast state, contexts, side outputs. Input 0 is the element side, input 1 the broadcast side. */
abstract class AbstractBroadcastOperator extends AbstractTwoInputStreamOperator implements BroadcastHost {
  readonly broadcastStates: BroadcastStates;
  protected readonly collector: TimestampedCollector;
  protected readonly elementContext: BroadcastFunctionContext;
  protected readonly broadcastContext: BroadcastFunctionContext;
  operatorName = 'Co-Process-Broadcast';
  recordTimestamp = NO_TIMESTAMP;

  constructor(descriptors: readonly MapStateDescriptor<unknown, unknown>[], output: Output) {
    super(output);
    this.broadcastStates = new BroadcastStates(descriptors, () => this.operatorName);
    this.collector = new TimestampedCollector(output);
    this.elementContext = new BroadcastFunctionContext(this, false);
    this.broadcastContext = new BroadcastFunctionContext(this, true);
  }

  protected openBroadcastState(context: OperatorContext): void {
    this.operatorName = context.operatorName;
    this.broadcastStates.open(this.operatorStateStore);
  }

  override snapshotState(checkpointId: number, timestamp: number, savepoint = false): ReturnType<AbstractTwoInputStreamOperator['snapshotState']> {
    this.broadcastStates.snapshot();
    return super.snapshotState(checkpointId, timestamp, savepoint);
  }

  get timeDomainNow(): TimeDomain {
    return 'PROCESSING_TIME';
  }
  sideOutput(tag: OutputTag<unknown>, value: unknown): void {
    checkOutputTag(tag);
    this.output.collectSide(tag, value, this.recordTimestamp);
  }
  currentWatermark(): number {
    return this.lastWatermark;
  }
  getCurrentKey(): unknown {
    return undefined;
  }
  timerService(): TimerService {
    throw new Error(`'${this.operatorName}': timers need a keyed stream: a.keyBy(...).connect(broadcastStream).process(...) with a KeyedBroadcastProcessFunction`);
  }
  applyToKeyedState(_descriptor: StateDescriptor, _fn: KeyedStateFunction<unknown, unknown>): void {
    throw new Error(`'${this.operatorName}': applyToKeyedState needs a keyed stream (KeyedBroadcastProcessFunction)`);
  }
}

/** a.connect(broadcastStream).process(BroadcastProcessFunction) (Flink's CoBroadcastWithNonKeyedOperator). */
export class CoBroadcastWithNonKeyedOperator extends AbstractBroadcastOperator {
  constructor(
    private readonly fn: BroadcastProcessFunction<unknown, unknown, unknown>,
    descriptors: readonly MapStateDescriptor<unknown, unknown>[],
    output: Output,
  ) {
    super(descriptors, output);
  }
  protected override get userFunction(): unknown {
    return this.fn;
  }
  override async open(context: OperatorContext): Promise<void> {
    this.openBroadcastState(context);
    this.fn[RUNTIME_CONTEXT] = context.createRuntimeContext();
    await this.fn.open();
  }
  processElement1(record: unknown, timestamp: number): void {
    this.recordTimestamp = timestamp;
    this.collector.timestamp = timestamp;
    this.fn.processElement(record, this.elementContext, this.collector);
  }
  processElement2(record: unknown, timestamp: number): void {
    this.recordTimestamp = timestamp;
    this.collector.timestamp = timestamp;
    this.fn.processBroadcastElement(record, this.broadcastContext, this.collector);
  }
  override async finish(): Promise<void> {
    await this.fn.close();
  }
}

/**
 * a.keyBy(k).connect(broadcastStream).process(KeyedBroadcastProcessFunction) (Flink's
 * CoBroadcastWithKeyedOperator): keyed state and timers of both domains on the element side;
 * applyToKeyedState on the broadcast side visits every key of this subtask.
 */
export class CoBroadcastWithKeyedOperator extends AbstractBroadcastOperator implements UserTimerHost {
  private readonly userTimers = new UserTimerService(this);

  constructor(
    private readonly keySelector: KeyFunction,
    private readonly fn: KeyedBroadcastProcessFunction<unknown, unknown, unknown, unknown>,
    descriptors: readonly MapStateDescriptor<unknown, unknown>[],
    output: Output,
  ) {
    super(descriptors, output);
  }
  protected override get isKeyed(): boolean {
    return true;
  }
  protected override get userFunction(): unknown {
    return this.fn;
  }
  get keyedStateBackend(): HeapKeyedStateBackend | undefined {
    return this.keyedBackend;
  }
  override get timeDomainNow(): TimeDomain {
    return this.userTimers.timeDomain;
  }
  override async open(context: OperatorContext): Promise<void> {
    this.openBroadcastState(context);
    this.userTimers.open((name, toKey, triggerable, restore) => this.getInternalTimerService(name, toKey, triggerable, restore));
    this.fn[RUNTIME_CONTEXT] = context.createRuntimeContext(this.keyedBackend);
    await this.fn.open();
  }
  processElement1(record: unknown, timestamp: number): void {
    const keySelector = this.keySelector;
    (this.keyedBackend as HeapKeyedStateBackend).setCurrentKey(keySelector(record));
    this.recordTimestamp = timestamp;
    this.collector.timestamp = timestamp;
    this.fn.processElement(record, this.elementContext, this.collector);
  }
  processElement2(record: unknown, timestamp: number): void {
    // The broadcast side has no current key (Flink's): keyed state is reached through applyToKeyedState.
    (this.keyedBackend as HeapKeyedStateBackend).setCurrentKey(undefined);
    this.recordTimestamp = timestamp;
    this.collector.timestamp = timestamp;
    this.fn.processBroadcastElement(record, this.broadcastContext, this.collector);
  }
  onUserTimer(time: number, timestamp: number): void {
    this.recordTimestamp = timestamp;
    this.collector.timestamp = timestamp;
    this.fn.onTimer(time, this.elementContext, this.collector);
  }
  override getCurrentKey(): unknown {
    return this.keyedBackend?.getCurrentKey();
  }
  override timerService(): TimerService {
    if (this.keyedBackend?.getCurrentKey() === undefined) throw new Error(`'${this.operatorName}': timers belong to a key; use them in processElement or onTimer, not on the broadcast side`);
    return this.userTimers;
  }
  override applyToKeyedState(descriptor: StateDescriptor, fn: KeyedStateFunction<unknown, unknown>): void {
    const backend = this.keyedBackend as HeapKeyedStateBackend;
    if (typeof fn !== 'function') throw new TypeError(`'${this.operatorName}': applyToKeyedState needs a function (key, state) => void`);
    let state: unknown;
    if (descriptor?.kind === 'value') state = backend.getValueState(descriptor as ValueStateDescriptor<unknown>);
    else if (descriptor?.kind === 'list') state = backend.getListState(descriptor as ListDescriptor<unknown>);
    else if (descriptor?.kind === 'map') state = backend.getMapState(descriptor as MapStateDescriptor<unknown, unknown>);
    else throw new TypeError(`'${this.operatorName}': applyToKeyedState needs a ValueStateDescriptor, ListStateDescriptor or MapStateDescriptor`);
    // The keys first: the function may clear states while they are visited.
    const stateKeys = [...backend.restoreTable(descriptor.name, descriptor.kind).entries()].map(([stateKey]) => stateKey);
    try {
      for (const stateKey of stateKeys) {
        const key = fromStateKey(stateKey);
        backend.setCurrentStateKey(stateKey, key);
        fn(key, state);
      }
    } finally {
      backend.setCurrentKey(undefined);
    }
  }
  override endInput(): void {
    this.dropProcessingTimeTimers();
  }
  override async finish(): Promise<void> {
    this.timeServiceManager?.quiesceProcessingTime();
    await this.fn.close();
  }
}
