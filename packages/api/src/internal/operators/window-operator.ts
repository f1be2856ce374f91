import type { Collector, ReduceFunction } from '../../functions.js';
import { RUNTIME_CONTEXT, type AbstractRichFunction } from '../../process-function.js';
import type { StateInfo } from '../contract.js';
import { MapStateDescriptor, ValueStateDescriptor, type MapState, type ValueState } from '../../state.js';
import type { KeyedStateStore } from '../../checkpoint.js';
import { MergingWindowAssigner, type WindowAssigner, type WindowAssignerContext } from '../../windowing/assigners.js';
import type { Evictor, EvictorContext, TimestampedValue } from '../../windowing/evictors.js';
import { isFire, isPurge, type OnMergeContext, type Trigger, type TriggerResult } from '../../windowing/triggers.js';
import type { AggregateFunction, ProcessAllWindowFunction, ProcessWindowContext, ProcessWindowFunction } from '../../windowing/window-functions.js';
import { GlobalWindow, TimeWindow, type Window } from '../../windowing/windows.js';
import type { HeapKeyedStateBackend } from '../state/keyed-state-backend.js';
import type { KeyFunction } from '../transformation.js';
import type { OutputTag } from '../../output-tag.js';
import type { InternalTimer, InternalTimerService, Triggerable } from '../state/internal-timer-service.js';
import { MergingWindowSet, type MergeFunction } from './merging-window-set.js';
import { AbstractStreamOperator, NO_TIMESTAMP, type OperatorContext, type Output } from './stream-operator.js';
import { WindowStateStore, type WindowScope } from './window-state.js';

/** How a window keeps its contents: a running reduction, an accumulator, or every record. */
export type WindowContents =
  | { readonly kind: 'reduce'; readonly reduce: ReduceFunction<unknown> }
  | { readonly kind: 'aggregate'; readonly aggregate: AggregateFunction<unknown, unknown, unknown> }
  | { readonly kind: 'list' };

/** The function applied to what a firing window holds: a keyed ProcessWindowFunction, or windowAll's ProcessAllWindowFunction. */
export type WindowProcessFunction =
  | { readonly keyed: true; readonly fn: ProcessWindowFunction<unknown, unknown, unknown, Window> }
  | { readonly keyed: false; readonly fn: ProcessAllWindowFunction<unknown, unknown, Window> };

/** Everything a WindowedStream sets up, checked when the job was built. */
export interface WindowOperatorSpec {
  readonly keySelector: KeyFunction;
  readonly assigner: WindowAssigner<unknown, Window>;
  readonly trigger: Trigger<unknown, Window>;
  /** With an evictor the window keeps every record with its timestamp (Flink's EvictingWindowOperator). */
  readonly evictor: Evictor<unknown, Window> | undefined;
  readonly allowedLateness: number;
  readonly lateDataTag: OutputTag<unknown> | undefined;
  readonly contents: WindowContents;
  /** Undefined: the reduction (or the aggregate's result) is emitted as it is. */
  readonly process: WindowProcessFunction | undefined;
}

const CONTENTS = '_window_contents';
const WINDOW_TIMERS = 'window-timers';
const MERGING_WINDOWS = '_window_merging';

/** Window ids in state and timers: "g" for the global window, "t<start>,<end>" for a time window. */
export function windowId(window: Window): string {
  if (window instanceof TimeWindow) return `t${window.start},${window.end}`;
  if (window instanceof GlobalWindow) return 'g';
  throw new Error(`windows of type ${window.constructor.name} are not supported: a window assigner must produce TimeWindow or GlobalWindow`);
}

export function windowFromId(id: string): Window {
  if (id === 'g') return GlobalWindow.get();
  const comma = id.indexOf(',');
  if (id[0] !== 't' || comma < 0) throw new Error(`internal error: '${id}' is not a window id`);
  return new TimeWindow(Number(id.slice(1, comma)), Number(id.slice(comma + 1)));
}

/** A window as a snapshot kept it (the codec's copy of a TimeWindow is a plain { start, end }). */
function restoreWindow(stored: unknown): Window {
  if (typeof stored === 'object' && stored !== null && typeof (stored as TimeWindow).start === 'number') {
    return new TimeWindow((stored as TimeWindow).start, (stored as TimeWindow).end);
  }
  return GlobalWindow.get();
}

/**
 * The operator behind window(...) and windowAll(...) (Flink's WindowOperator and
 * EvictingWindowOperator in one): assigns each record to its windows, keeps their contents in
 * keyed state (map state per key, keyed by window id), asks the trigger per record and timer, and
 * emits what a firing window holds with the timestamp window.maxTimestamp(). Session windows merge
 * through a MergingWindowSet per key. A window's state is removed at its cleanup time,
 * window.maxTimestamp() + allowedLateness; a record only for windows past it is late: counted in
 * numLateRecordsDropped, or sent to the late-data side output.
 *
 * The operator object is also the trigger's, the evictor's and the process function's context
 * (set to the current key and window before each call), so nothing is allocated per record for them.
 */
export class WindowOperator extends AbstractStreamOperator implements Triggerable<Window>, WindowAssignerContext, EvictorContext, MergeFunction<Window> {
  /** Records dropped because every window they belong to was past its cleanup time. */
  numLateRecordsDropped = 0;
  private readonly isEventTime: boolean;
  private readonly merging: MergingWindowAssigner<unknown, Window> | undefined;
  private context: OperatorContext | undefined;
  private timers!: InternalTimerService<Window>;
  private contents!: MapState<string, unknown>;
  private mergingWindows!: ValueState<[string, string][]>;
  private readonly triggerContext: TriggerContextImpl;
  private readonly processContext: ProcessContextImpl;
  private readonly collector: Collector<unknown>;
  private emitTimestamp = NO_TIMESTAMP;
  private loggedLateDrop = false;

  constructor(
    private readonly spec: WindowOperatorSpec,
    output: Output,
  ) {
    super(output);
    this.isEventTime = spec.assigner.isEventTime();
    this.merging = spec.assigner instanceof MergingWindowAssigner ? spec.assigner : undefined;
    this.triggerContext = new TriggerContextImpl(this);
    this.processContext = new ProcessContextImpl(this, this.merging !== undefined);
    this.collector = { collect: (value: unknown) => this.output.collect(value, this.emitTimestamp) };
  }

  protected override internalStates(): StateInfo[] {
    const states: StateInfo[] = [{ name: CONTENTS, kind: 'map' }];
    if (this.merging !== undefined) states.push({ name: MERGING_WINDOWS, kind: 'value' });
    states.push({ name: WINDOW_TIMERS, kind: 'timers' });
    return states;
  }

  protected override get isKeyed(): boolean {
    return true;
  }

  protected override get userFunction(): unknown {
    return this.spec.process?.fn;
  }

  get keyedStateBackend(): HeapKeyedStateBackend | undefined {
    return this.keyedBackend;
  }

  override async open(context: OperatorContext): Promise<void> {
    const backend = this.keyedBackend as HeapKeyedStateBackend;
    this.context = context;
    this.contents = backend.getMapState(new MapStateDescriptor<string, unknown>(CONTENTS));
    this.mergingWindows = backend.getValueState(new ValueStateDescriptor<[string, string][]>(MERGING_WINDOWS));
    this.triggerContext.store = new WindowStateStore(backend, this.triggerContext, '_trigger_');
    this.processContext.store = new WindowStateStore(backend, this.processContext, '_window_state_');
    this.processContext.global = context.createRuntimeContext(backend);
    this.timers = this.getInternalTimerService<Window>(WINDOW_TIMERS, windowId, this, restoreWindow);
    const fn = this.spec.process?.fn as AbstractRichFunction | undefined;
    if (fn !== undefined) {
      fn[RUNTIME_CONTEXT] = context.createRuntimeContext(backend);
      await fn.open();
    }
  }

  /** A record with its timestamp (NO_TIMESTAMP when it has none). */
  collect(record: unknown, timestamp: number): void {
    const backend = this.keyedBackend as HeapKeyedStateBackend;
    const keySelector = this.spec.keySelector;
    backend.setCurrentKey(keySelector(record));
    const windows = this.spec.assigner.assignWindows(record, timestamp, this);
    const skipped = this.merging === undefined ? this.addToWindows(windows, record, timestamp) : this.addToMergingWindows(windows, record, timestamp);
    if (skipped && this.isEventTime && timestamp + this.spec.allowedLateness <= this.timers.currentWatermark()) this.lateRecord(record, timestamp);
  }

  /**
   * Event-time windows fired with the end of input's MAX_WATERMARK; processing-time ones still
   * pending never fire (as in Flink), and the task logs how many timers it dropped.
   */
  override endInput(): void {
    this.dropProcessingTimeTimers();
  }

  override async finish(): Promise<void> {
    this.logLateRecords();
    await (this.spec.process?.fn as AbstractRichFunction | undefined)?.close();
  }

  // ---- Triggerable: timers of windows ----

  onEventTime(timer: InternalTimer<Window>): void {
    this.onTimer(timer, true);
  }

  onProcessingTime(timer: InternalTimer<Window>): void {
    this.onTimer(timer, false);
  }

  // ---- contexts ----

  currentProcessingTime(): number {
    return this.timers.currentProcessingTime();
  }

  currentWatermark(): number {
    return this.timers.currentWatermark();
  }

  /** @internal */
  get timerService(): InternalTimerService<Window> {
    return this.timers;
  }

  /** @internal Side outputs of the process function, with the firing window's timestamp. */
  sideOutput(tag: OutputTag<unknown>, value: unknown): void {
    this.output.collectSide(tag, value, this.emitTimestamp);
  }

  // ---- MergeFunction: windows of a key merged ----

  merge(mergeResult: Window, mergedWindows: Window[], stateWindowResult: Window, mergedStateWindows: Window[]): void {
    if (this.isEventTime && this.cleanupTime(mergeResult) <= this.currentWatermark()) {
      throw new Error(
        `The end timestamp of an event-time window cannot become earlier than the current watermark by merging. Current watermark: ${this.currentWatermark()} window: ${String(mergeResult)}`,
      );
    }
    if (!this.isEventTime && mergeResult.maxTimestamp() <= this.currentProcessingTime()) {
      throw new Error(
        `The end timestamp of a processing-time window cannot become earlier than the current processing time by merging. Current processing time: ${this.currentProcessingTime()} window: ${String(mergeResult)}`,
      );
    }
    const trigger = this.spec.trigger;
    const ctx = this.triggerContext;
    ctx.setWindow(mergeResult);
    ctx.mergedWindows = mergedWindows;
    trigger.onMerge(mergeResult, ctx);
    ctx.mergedWindows = [];
    for (const merged of mergedWindows) {
      ctx.setWindow(merged);
      trigger.clear(merged, ctx);
      this.deleteCleanupTimer(merged);
    }
    this.mergeContents(windowId(stateWindowResult), mergedStateWindows.map(windowId));
  }

  // ---- internals ----

  private addToWindows(windows: readonly Window[], record: unknown, timestamp: number): boolean {
    let skipped = true;
    for (const window of windows) {
      if (this.isWindowLate(window)) continue;
      skipped = false;
      this.addToWindow(window, windowId(window), record, timestamp);
    }
    return skipped;
  }

  private addToMergingWindows(windows: readonly Window[], record: unknown, timestamp: number): boolean {
    const set = this.mergingWindowSet();
    let skipped = true;
    for (const window of windows) {
      const actual = set.addWindow(window, this);
      if (this.isWindowLate(actual)) {
        set.retireWindow(actual);
        continue;
      }
      skipped = false;
      const stateWindow = set.getStateWindow(actual);
      if (stateWindow === undefined) throw new Error(`internal error: window ${String(window)} is not in the in-flight window set`);
      this.addToWindow(actual, windowId(stateWindow), record, timestamp);
    }
    this.persist(set);
    return skipped;
  }

  /** Adds the record to `window` (its contents kept under `stateId`), asks the trigger, and arms the cleanup timer. */
  private addToWindow(window: Window, stateId: string, record: unknown, timestamp: number): void {
    this.addToContents(stateId, record, timestamp);
    this.triggerContext.setWindow(window);
    this.apply(this.spec.trigger.onElement(record, timestamp, window, this.triggerContext), window, stateId);
    this.registerCleanupTimer(window);
  }

  /** Does what the trigger said: emits the window's contents, drops them, both or neither. */
  private apply(result: TriggerResult, window: Window, stateId: string): void {
    if (isFire(result)) {
      const contents = this.contents.get(stateId);
      if (contents !== undefined) this.emitWindowContents(window, stateId, contents);
    }
    if (isPurge(result)) this.contents.remove(stateId);
  }

  private onTimer(timer: InternalTimer<Window>, eventTime: boolean): void {
    const window = timer.namespace;
    let set: MergingWindowSet<Window> | undefined;
    let stateWindow: Window | undefined = window;
    if (this.merging !== undefined) {
      set = this.mergingWindowSet();
      stateWindow = set.getStateWindow(window);
      // A timer of a window that was merged into another since: nothing to do.
      if (stateWindow === undefined) return;
    }
    const stateId = windowId(stateWindow);
    const ctx = this.triggerContext;
    ctx.setWindow(window);
    const trigger = this.spec.trigger;
    this.apply(eventTime ? trigger.onEventTime(timer.timestamp, window, ctx) : trigger.onProcessingTime(timer.timestamp, window, ctx), window, stateId);
    if (eventTime === this.isEventTime && timer.timestamp === this.cleanupTime(window)) this.clearAllState(window, stateId, set);
    if (set !== undefined) this.persist(set);
  }

  private clearAllState(window: Window, stateId: string, set: MergingWindowSet<Window> | undefined): void {
    this.contents.remove(stateId);
    this.triggerContext.setWindow(window);
    this.spec.trigger.clear(window, this.triggerContext);
    const process = this.spec.process;
    if (process !== undefined) {
      this.processContext.setWindow(window);
      process.fn.clear(this.processContext);
    }
    set?.retireWindow(window);
  }

  private addToContents(id: string, record: unknown, timestamp: number): void {
    const contents = this.contents;
    if (this.spec.evictor !== undefined) {
      const list = contents.get(id) as TimestampedValue<unknown>[] | undefined;
      const element: TimestampedValue<unknown> = { value: record, timestamp };
      if (list === undefined) contents.put(id, [element]);
      else list.push(element);
      return;
    }
    const spec = this.spec.contents;
    switch (spec.kind) {
      case 'reduce': {
        const current = contents.get(id);
        const reduce = spec.reduce;
        contents.put(id, current === undefined ? record : reduce(current, record));
        return;
      }
      case 'aggregate': {
        const aggregate = spec.aggregate;
        const current = contents.get(id);
        contents.put(id, aggregate.add(record, current === undefined ? aggregate.createAccumulator() : current));
        return;
      }
      case 'list': {
        const list = contents.get(id) as unknown[] | undefined;
        if (list === undefined) contents.put(id, [record]);
        else list.push(record);
        return;
      }
    }
  }

  /** Merges the contents of `sources` into `target`, in Flink's order (the sources first, then the target's). */
  private mergeContents(target: string, sources: readonly string[]): void {
    const contents = this.contents;
    let current: unknown;
    for (const source of sources) {
      const value = contents.get(source);
      if (value === undefined) continue;
      contents.remove(source);
      current = current === undefined ? value : this.combine(current, value);
    }
    if (current === undefined) return;
    const existing = contents.get(target);
    contents.put(target, existing === undefined ? current : this.combine(current, existing));
  }

  private combine(a: unknown, b: unknown): unknown {
    if (this.spec.evictor !== undefined) return [...(a as unknown[]), ...(b as unknown[])];
    const spec = this.spec.contents;
    switch (spec.kind) {
      case 'reduce':
        return spec.reduce(a, b);
      case 'aggregate':
        return spec.aggregate.merge(a, b);
      case 'list':
        return [...(a as unknown[]), ...(b as unknown[])];
    }
  }

  private emitWindowContents(window: Window, stateId: string, contents: unknown): void {
    this.emitTimestamp = window.maxTimestamp();
    const spec = this.spec;
    if (spec.evictor !== undefined) {
      this.emitEvicting(window, stateId, contents as TimestampedValue<unknown>[]);
      return;
    }
    const process = spec.process;
    const kind = spec.contents;
    if (process === undefined) {
      this.output.collect(kind.kind === 'aggregate' ? kind.aggregate.getResult(contents) : contents, this.emitTimestamp);
      return;
    }
    const elements = kind.kind === 'list' ? (contents as unknown[]) : [kind.kind === 'aggregate' ? kind.aggregate.getResult(contents) : contents];
    this.runProcess(process, window, elements);
  }

  /** Evictor before, the function over what is left, evictor after; the window keeps what remains. */
  private emitEvicting(window: Window, stateId: string, stored: TimestampedValue<unknown>[]): void {
    const evictor = this.spec.evictor as Evictor<unknown, Window>;
    const elements = stored.slice();
    evictor.evictBefore(elements, elements.length, window, this);
    const values = elements.map((element) => element.value);
    const kind = this.spec.contents;
    let result: unknown[];
    if (kind.kind === 'reduce') {
      // Nothing left to reduce: nothing is emitted (Flink would pass null on).
      result = values.length === 0 ? [] : [values.reduce((a, b) => kind.reduce(a, b))];
    } else if (kind.kind === 'aggregate') {
      let accumulator = kind.aggregate.createAccumulator();
      for (const value of values) accumulator = kind.aggregate.add(value, accumulator);
      result = [kind.aggregate.getResult(accumulator)];
    } else result = values;
    const process = this.spec.process;
    if (process !== undefined) this.runProcess(process, window, result);
    else if (kind.kind !== 'list') for (const value of result) this.output.collect(value, this.emitTimestamp);
    evictor.evictAfter(elements, elements.length, window, this);
    if (elements.length === 0) this.contents.remove(stateId);
    else this.contents.put(stateId, elements);
  }

  private runProcess(process: WindowProcessFunction, window: Window, elements: Iterable<unknown>): void {
    const ctx = this.processContext;
    ctx.setWindow(window);
    if (process.keyed) process.fn.process((this.keyedBackend as HeapKeyedStateBackend).getCurrentKey(), ctx, elements, this.collector);
    else process.fn.process(ctx, elements, this.collector);
  }

  private lateRecord(record: unknown, timestamp: number): void {
    const tag = this.spec.lateDataTag;
    if (tag !== undefined) {
      this.output.collectSide(tag, record, timestamp);
      return;
    }
    this.numLateRecordsDropped++;
    if (!this.loggedLateDrop && this.context !== undefined) {
      this.loggedLateDrop = true;
      this.context.chain.log('Dropping late records of a window operator (behind the watermark by more than the allowed lateness); counted in numLateRecordsDropped', {
        operator: this.context.operatorName,
        operatorId: this.context.operatorId,
        watermark: this.currentWatermark(),
        timestamp,
        allowedLateness: this.spec.allowedLateness,
      });
    }
  }

  private logLateRecords(): void {
    if (this.numLateRecordsDropped > 0 && this.context !== undefined) {
      this.context.chain.log('Late records dropped by a window operator', {
        operator: this.context.operatorName,
        operatorId: this.context.operatorId,
        numLateRecordsDropped: this.numLateRecordsDropped,
      });
    }
  }

  /** window.maxTimestamp() + allowedLateness for event time (+Infinity on overflow), window.maxTimestamp() for processing time. */
  private cleanupTime(window: Window): number {
    if (!this.isEventTime) return window.maxTimestamp();
    const time = window.maxTimestamp() + this.spec.allowedLateness;
    return time >= window.maxTimestamp() ? time : Number.POSITIVE_INFINITY;
  }

  private isWindowLate(window: Window): boolean {
    return this.isEventTime && this.cleanupTime(window) <= this.timers.currentWatermark();
  }

  private registerCleanupTimer(window: Window): void {
    const time = this.cleanupTime(window);
    if (time === Number.POSITIVE_INFINITY) return;
    if (this.isEventTime) this.timers.registerEventTimeTimer(window, time);
    else this.timers.registerProcessingTimeTimer(window, time);
  }

  private deleteCleanupTimer(window: Window): void {
    const time = this.cleanupTime(window);
    if (time === Number.POSITIVE_INFINITY) return;
    if (this.isEventTime) this.timers.deleteEventTimeTimer(window, time);
    else this.timers.deleteProcessingTimeTimer(window, time);
  }

  private mergingWindowSet(): MergingWindowSet<Window> {
    return new MergingWindowSet<Window>(this.merging as MergingWindowAssigner<unknown, Window>, windowId, windowFromId, this.mergingWindows.value());
  }

  private persist(set: MergingWindowSet<Window>): void {
    const changed = set.changedState();
    if (changed === undefined) return;
    if (changed.length === 0) this.mergingWindows.clear();
    else this.mergingWindows.update(changed);
  }
}

/** The trigger's context: the operator's timers and the trigger's state, for the current key and window. */
class TriggerContextImpl implements OnMergeContext, WindowScope {
  window: Window = GlobalWindow.get();
  windowId = 'g';
  mergedWindows: Window[] = [];
  store!: WindowStateStore;

  constructor(private readonly operator: WindowOperator) {}

  setWindow(window: Window, id: string = windowId(window)): void {
    this.window = window;
    this.windowId = id;
  }

  currentProcessingTime(): number {
    return this.operator.currentProcessingTime();
  }
  currentWatermark(): number {
    return this.operator.currentWatermark();
  }
  registerProcessingTimeTimer(time: number): void {
    this.operator.timerService.registerProcessingTimeTimer(this.window, time);
  }
  registerEventTimeTimer(time: number): void {
    this.operator.timerService.registerEventTimeTimer(this.window, time);
  }
  deleteProcessingTimeTimer(time: number): void {
    this.operator.timerService.deleteProcessingTimeTimer(this.window, time);
  }
  deleteEventTimeTimer(time: number): void {
    this.operator.timerService.deleteEventTimeTimer(this.window, time);
  }
  getPartitionedState<S>(descriptor: ValueStateDescriptor<S>): ValueState<S> {
    return this.store.getState(descriptor);
  }
  mergePartitionedState<S>(descriptor: ValueStateDescriptor<S>, merge: ReduceFunction<S>): void {
    this.store.getState(descriptor);
    const values = this.store.mapOf<S>(descriptor.name);
    let current: S | undefined;
    for (const window of this.mergedWindows) {
      const value = values.get(windowId(window));
      if (value !== undefined) current = current === undefined ? value : merge(current, value);
    }
    if (current === undefined) return;
    const existing = values.get(this.windowId);
    values.put(this.windowId, existing === undefined ? current : merge(current, existing));
  }
}

/** A ProcessWindowFunction's context, for the current key and window. */
class ProcessContextImpl implements ProcessWindowContext<Window>, WindowScope {
  current: Window = GlobalWindow.get();
  windowId = 'g';
  store!: WindowStateStore;
  global!: KeyedStateStore;

  constructor(
    private readonly operator: WindowOperator,
    private readonly mergingWindows: boolean,
  ) {}

  setWindow(window: Window): void {
    this.current = window;
    this.windowId = windowId(window);
  }

  window(): Window {
    return this.current;
  }
  currentProcessingTime(): number {
    return this.operator.currentProcessingTime();
  }
  currentWatermark(): number {
    return this.operator.currentWatermark();
  }
  windowState(): KeyedStateStore {
    if (this.mergingWindows) throw new Error('Per-window state is not allowed when using merging windows (session windows); use globalState() or a window function without per-window state.');
    return this.store;
  }
  globalState(): KeyedStateStore {
    return this.global;
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.operator.sideOutput(tag as OutputTag<unknown>, value);
  }
}
