import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CountEvictor,
  CountTrigger,
  EventTimeSessionWindows,
  EventTimeTrigger,
  GlobalWindow,
  GlobalWindows,
  ProcessingTimeSessionWindows,
  ProcessingTimeTrigger,
  PurgingTrigger,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  TimeEvictor,
  TimeWindow,
  TriggerResult,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  ValueStateDescriptor,
  type OnMergeContext,
  type TimestampedValue,
  type ValueState,
} from '../../src/index.js';
import { MergingWindowSet } from '../../src/internal/operators/merging-window-set.js';
import { windowFromId, windowId } from '../../src/internal/operators/window-operator.js';

const noClock = { currentProcessingTime: () => assert.fail('an event-time assigner must not read the clock') };
const clockAt = (now: number) => ({ currentProcessingTime: () => now });
const spans = (windows: TimeWindow[]) => windows.map((w) => [w.start, w.end]).sort((a, b) => (a[0] as number) - (b[0] as number));

describe('TimeWindow', () => {
  it('ends at end - 1, intersects windows that overlap or touch, and covers two windows', () => {
    const w = new TimeWindow(0, 10);
    assert.equal(w.maxTimestamp(), 9);
    assert.equal(w.intersects(new TimeWindow(10, 20)), true, 'touching windows intersect (sessions that touch merge)');
    assert.equal(w.intersects(new TimeWindow(11, 20)), false);
    assert.equal(w.intersects(new TimeWindow(-5, 0)), true);
    assert.deepEqual(w.cover(new TimeWindow(5, 30)), new TimeWindow(0, 30));
  });

  it('finds the start of the window of a timestamp, for negative timestamps and offsets too', () => {
    assert.equal(TimeWindow.getWindowStartWithOffset(7, 0, 5), 5);
    assert.equal(TimeWindow.getWindowStartWithOffset(-1, 0, 5), -5);
    assert.equal(TimeWindow.getWindowStartWithOffset(-5, 0, 5), -5);
    assert.equal(TimeWindow.getWindowStartWithOffset(-6, 0, 5), -10);
    assert.equal(TimeWindow.getWindowStartWithOffset(7, 3, 5), 3);
    assert.equal(TimeWindow.getWindowStartWithOffset(2, 3, 5), -2);
    assert.equal(TimeWindow.getWindowStartWithOffset(2, -1, 5), -1);
  });

  it('round-trips through the ids the window operator keeps in state', () => {
    for (const w of [new TimeWindow(-20, -10), new TimeWindow(0, 5), GlobalWindow.get()]) assert.deepEqual(windowFromId(windowId(w)), w);
  });
});

describe('window assigners', () => {
  it('tumbling event-time windows: one window per record, aligned to the epoch plus the offset', () => {
    const tumbling = TumblingEventTimeWindows.of(10);
    assert.deepEqual(spans(tumbling.assignWindows('x', 0, noClock)), [[0, 10]]);
    assert.deepEqual(spans(tumbling.assignWindows('x', 9, noClock)), [[0, 10]]);
    assert.deepEqual(spans(tumbling.assignWindows('x', 10, noClock)), [[10, 20]]);
    assert.deepEqual(spans(tumbling.assignWindows('x', -1, noClock)), [[-10, 0]]);
    assert.deepEqual(spans(tumbling.assignWindows('x', -10, noClock)), [[-10, 0]]);
    assert.deepEqual(spans(TumblingEventTimeWindows.of(10, 3).assignWindows('x', 2, noClock)), [[-7, 3]]);
    assert.deepEqual(spans(TumblingEventTimeWindows.of(10, -3).assignWindows('x', 8, noClock)), [[7, 17]]);
    assert.equal(tumbling.isEventTime(), true);
    assert.equal(tumbling.getDefaultTrigger(), EventTimeTrigger.create());
  });

  it('refuses a record without a timestamp in an event-time window, with Flink\'s hint', () => {
    for (const assigner of [TumblingEventTimeWindows.of(10), SlidingEventTimeWindows.of(10, 5), EventTimeSessionWindows.withGap(10)]) {
      assert.throws(() => assigner.assignWindows('x', Number.NEGATIVE_INFINITY, noClock), /did you forget to call 'DataStream\.assignTimestampsAndWatermarks/);
    }
  });

  it('sliding event-time windows: size/slide windows per record, negative timestamps and offsets included', () => {
    const sliding = SlidingEventTimeWindows.of(10, 5);
    assert.deepEqual(spans(sliding.assignWindows('x', 7, noClock)), [[0, 10], [5, 15]]);
    assert.deepEqual(spans(sliding.assignWindows('x', 5, noClock)), [[0, 10], [5, 15]]);
    assert.deepEqual(spans(sliding.assignWindows('x', 4, noClock)), [[-5, 5], [0, 10]]);
    assert.deepEqual(spans(sliding.assignWindows('x', -3, noClock)), [[-10, 0], [-5, 5]]);
    assert.deepEqual(spans(SlidingEventTimeWindows.of(9, 3).assignWindows('x', 0, noClock)), [[-6, 3], [-3, 6], [0, 9]]);
    assert.deepEqual(spans(SlidingEventTimeWindows.of(10, 5, 2).assignWindows('x', 7, noClock)), [[2, 12], [7, 17]]);
    assert.deepEqual(spans(SlidingEventTimeWindows.of(10, 10).assignWindows('x', 3, noClock)), [[0, 10]], 'slide = size is tumbling');
  });

  it('session windows: a window of the gap from the record, merged when windows intersect; a dynamic gap per record', () => {
    const sessions = EventTimeSessionWindows.withGap(10);
    assert.deepEqual(spans(sessions.assignWindows('x', 5, noClock)), [[5, 15]]);
    const merges: [number[][], number[]][] = [];
    sessions.mergeWindows([new TimeWindow(0, 10), new TimeWindow(30, 40), new TimeWindow(10, 20), new TimeWindow(35, 45), new TimeWindow(60, 70)], (merged, result) =>
      merges.push([spans(merged), [result.start, result.end]]),
    );
    assert.deepEqual(merges, [
      [[[0, 10], [10, 20]], [0, 20]],
      [[[30, 40], [35, 45]], [30, 45]],
    ]);
    const dynamic = EventTimeSessionWindows.withDynamicGap((gap: number) => gap);
    assert.deepEqual(spans(dynamic.assignWindows(7, 100, noClock)), [[100, 107]]);
    assert.throws(() => dynamic.assignWindows(0, 100, noClock), /Dynamic gap must be greater than 0.*returned 0/);
  });

  it('processing-time assigners use the clock, not the record timestamp', () => {
    assert.deepEqual(spans(TumblingProcessingTimeWindows.of(10).assignWindows('x', Number.NEGATIVE_INFINITY, clockAt(23))), [[20, 30]]);
    assert.deepEqual(spans(SlidingProcessingTimeWindows.of(10, 5).assignWindows('x', 999, clockAt(23))), [[15, 25], [20, 30]]);
    assert.deepEqual(spans(ProcessingTimeSessionWindows.withGap(10).assignWindows('x', 999, clockAt(23))), [[23, 33]]);
    assert.deepEqual(spans(ProcessingTimeSessionWindows.withDynamicGap(() => 4).assignWindows('x', 999, clockAt(23))), [[23, 27]]);
    assert.equal(TumblingProcessingTimeWindows.of(10).isEventTime(), false);
    assert.equal(TumblingProcessingTimeWindows.of(10).getDefaultTrigger(), ProcessingTimeTrigger.create());
  });

  it('global windows put every record into the one global window, which never ends', () => {
    assert.deepEqual(GlobalWindows.create().assignWindows('x', 5, noClock), [GlobalWindow.get()]);
    assert.equal(GlobalWindow.get().maxTimestamp(), Number.POSITIVE_INFINITY);
    assert.equal(GlobalWindows.create().getDefaultTrigger().onElement('x', 5, GlobalWindow.get(), undefined as never), TriggerResult.CONTINUE);
  });

  it('refuses bad parameters when the job is built, naming the parameter', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => TumblingEventTimeWindows.of(0), /TumblingEventTimeWindows\.of: size must be a positive whole number of milliseconds, got 0/],
      [() => TumblingEventTimeWindows.of(-5), /size must be a positive/],
      [() => TumblingEventTimeWindows.of(10, 10), /offset must be .* abs\(offset\) < size \(10\), got 10/],
      [() => TumblingEventTimeWindows.of(10, -11), /offset/],
      [() => TumblingProcessingTimeWindows.of(Number.NaN), /TumblingProcessingTimeWindows\.of: size/],
      [() => SlidingEventTimeWindows.of(10, 20), /slide \(20\) must not be larger than size \(10\)/],
      [() => SlidingEventTimeWindows.of(10, 0), /slide must be a positive/],
      [() => SlidingEventTimeWindows.of(10, 5, 5), /abs\(offset\) < slide \(5\)/],
      [() => SlidingProcessingTimeWindows.of(0, 5), /SlidingProcessingTimeWindows\.of: size/],
      [() => EventTimeSessionWindows.withGap(0), /EventTimeSessionWindows\.withGap: gap must be a positive/],
      [() => EventTimeSessionWindows.withGap(-1), /gap must be a positive/],
      [() => ProcessingTimeSessionWindows.withGap(0), /ProcessingTimeSessionWindows\.withGap: gap/],
      [() => EventTimeSessionWindows.withDynamicGap(5 as never), /needs a function/],
      [() => CountTrigger.of(0), /CountTrigger\.of: maxCount must be a whole number of at least 1, got 0/],
      [() => CountEvictor.of(-1), /CountEvictor\.of: maxCount/],
      [() => TimeEvictor.of(0), /TimeEvictor\.of: windowSize must be a positive/],
    ];
    for (const [call, message] of cases) assert.throws(call, message);
  });
});

/** A trigger context over plain maps: timers and per-window state of one key. */
class RecordingTriggerContext implements OnMergeContext {
  watermark = Number.NEGATIVE_INFINITY;
  now = 0;
  readonly eventTimers = new Set<number>();
  readonly processingTimers = new Set<number>();
  readonly state = new Map<string, unknown>();
  window = 'w';
  mergedWindows: string[] = [];

  currentProcessingTime(): number {
    return this.now;
  }
  currentWatermark(): number {
    return this.watermark;
  }
  registerProcessingTimeTimer(time: number): void {
    this.processingTimers.add(time);
  }
  registerEventTimeTimer(time: number): void {
    this.eventTimers.add(time);
  }
  deleteProcessingTimeTimer(time: number): void {
    this.processingTimers.delete(time);
  }
  deleteEventTimeTimer(time: number): void {
    this.eventTimers.delete(time);
  }
  getPartitionedState<S>(descriptor: ValueStateDescriptor<S>): ValueState<S> {
    const id = () => `${this.window}/${descriptor.name}`;
    return {
      value: () => this.state.get(id()) as S | undefined,
      update: (value) => void this.state.set(id(), value),
      clear: () => void this.state.delete(id()),
    };
  }
  mergePartitionedState<S>(descriptor: ValueStateDescriptor<S>, merge: (a: S, b: S) => S): void {
    let current = this.state.get(`${this.window}/${descriptor.name}`) as S | undefined;
    for (const window of this.mergedWindows) {
      const value = this.state.get(`${window}/${descriptor.name}`) as S | undefined;
      if (value !== undefined) current = current === undefined ? value : merge(current, value);
    }
    if (current !== undefined) this.state.set(`${this.window}/${descriptor.name}`, current);
  }
}

describe('triggers', () => {
  it('EventTimeTrigger registers a timer at the window end, fires on it, and fires at once for a window behind the watermark', () => {
    const ctx = new RecordingTriggerContext();
    const trigger = EventTimeTrigger.create();
    const window = new TimeWindow(0, 10);
    assert.equal(trigger.onElement('x', 3, window, ctx), TriggerResult.CONTINUE);
    assert.deepEqual([...ctx.eventTimers], [9]);
    assert.equal(trigger.onEventTime(5, window, ctx), TriggerResult.CONTINUE);
    assert.equal(trigger.onEventTime(9, window, ctx), TriggerResult.FIRE);
    ctx.watermark = 9;
    assert.equal(trigger.onElement('late', 3, window, ctx), TriggerResult.FIRE, 'a late record within the allowed lateness fires again');
    trigger.clear(window, ctx);
    assert.deepEqual([...ctx.eventTimers], []);
    ctx.watermark = 5;
    trigger.onMerge(new TimeWindow(0, 20), ctx);
    assert.deepEqual([...ctx.eventTimers], [19]);
  });

  it('ProcessingTimeTrigger fires on its processing-time timer at the window end', () => {
    const ctx = new RecordingTriggerContext();
    const trigger = ProcessingTimeTrigger.create();
    const window = new TimeWindow(0, 10);
    assert.equal(trigger.onElement('x', 0, window, ctx), TriggerResult.CONTINUE);
    assert.deepEqual([...ctx.processingTimers], [9]);
    assert.equal(trigger.onProcessingTime(9, window, ctx), TriggerResult.FIRE);
    assert.equal(trigger.onEventTime(9, window, ctx), TriggerResult.CONTINUE);
    trigger.clear(window, ctx);
    assert.deepEqual([...ctx.processingTimers], []);
  });

  it('CountTrigger fires every n records per window, and merges the counts of merged windows', () => {
    const ctx = new RecordingTriggerContext();
    const trigger = CountTrigger.of(3);
    const window = GlobalWindow.get();
    const results = Array.from({ length: 7 }, () => trigger.onElement('x', 0, window, ctx));
    assert.deepEqual(results, ['CONTINUE', 'CONTINUE', 'FIRE', 'CONTINUE', 'CONTINUE', 'FIRE', 'CONTINUE']);
    ctx.window = 'a';
    trigger.onElement('x', 0, window, ctx);
    ctx.window = 'b';
    trigger.onElement('x', 0, window, ctx);
    ctx.window = 'merged';
    ctx.mergedWindows = ['a', 'b'];
    trigger.onMerge(window, ctx);
    assert.equal(trigger.onElement('x', 0, window, ctx), TriggerResult.FIRE, '1 + 1 merged, plus this one');
    trigger.clear(window, ctx);
    assert.equal(ctx.state.has('merged/count'), false);
  });

  it('PurgingTrigger turns FIRE into FIRE_AND_PURGE and leaves CONTINUE alone', () => {
    const ctx = new RecordingTriggerContext();
    const trigger = PurgingTrigger.of(CountTrigger.of(2));
    assert.equal(trigger.onElement('x', 0, GlobalWindow.get(), ctx), TriggerResult.CONTINUE);
    assert.equal(trigger.onElement('x', 0, GlobalWindow.get(), ctx), TriggerResult.FIRE_AND_PURGE);
    assert.equal(trigger.canMerge(), true);
    assert.equal(PurgingTrigger.of(EventTimeTrigger.create()).onEventTime(9, new TimeWindow(0, 10), ctx), TriggerResult.FIRE_AND_PURGE);
  });
});

describe('evictors', () => {
  const values = (elements: TimestampedValue<unknown>[]) => elements.map((e) => e.value);
  const of = (...timestamps: number[]) => timestamps.map((timestamp, i) => ({ value: `v${i}`, timestamp }));
  const ctx = { currentProcessingTime: () => 0, currentWatermark: () => 0 };

  it('CountEvictor keeps the last n, before the function or (doEvictAfter) after it', () => {
    const before = of(1, 2, 3, 4, 5);
    CountEvictor.of(2).evictBefore(before, before.length, GlobalWindow.get(), ctx);
    assert.deepEqual(values(before), ['v3', 'v4']);
    const after = of(1, 2, 3);
    CountEvictor.of(2, true).evictBefore(after, after.length, GlobalWindow.get(), ctx);
    assert.equal(after.length, 3);
    CountEvictor.of(2, true).evictAfter(after, after.length, GlobalWindow.get(), ctx);
    assert.deepEqual(values(after), ['v1', 'v2']);
  });

  it('TimeEvictor keeps the records within the size of the newest one, and leaves records without timestamps', () => {
    const elements = of(10, 3, 25, 15, 16);
    TimeEvictor.of(10).evictBefore(elements, elements.length, GlobalWindow.get(), ctx);
    assert.deepEqual(values(elements), ['v2', 'v4'], 'the cutoff is 25 - 10 = 15: timestamps <= 15 go');
    const untimed = of(Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY);
    TimeEvictor.of(10).evictBefore(untimed, 2, GlobalWindow.get(), ctx);
    assert.equal(untimed.length, 2);
  });
});

describe('MergingWindowSet', () => {
  const assigner = EventTimeSessionWindows.withGap(10);
  const make = (persisted?: [string, string][]) => new MergingWindowSet(assigner, windowId, windowFromId as (id: string) => TimeWindow, persisted);
  const recorder = () => {
    const calls: string[] = [];
    return {
      calls,
      merge: (result: TimeWindow, merged: TimeWindow[], stateResult: TimeWindow, mergedState: TimeWindow[]) =>
        calls.push(`${windowId(result)} <- [${merged.map(windowId).join(' ')}] state ${windowId(stateResult)} <- [${mergedState.map(windowId).join(' ')}]`),
    };
  };

  it('keeps a new window that merges with nothing as its own state window', () => {
    const set = make();
    const { calls, merge } = recorder();
    assert.deepEqual(set.addWindow(new TimeWindow(0, 10), { merge }), new TimeWindow(0, 10));
    assert.deepEqual(set.addWindow(new TimeWindow(30, 40), { merge }), new TimeWindow(30, 40));
    assert.deepEqual(calls, []);
    assert.deepEqual(set.getStateWindow(new TimeWindow(30, 40)), new TimeWindow(30, 40));
  });

  it('merges a window that bridges two sessions, keeping one session\'s state window and merging the other\'s into it', () => {
    const set = make();
    const { calls, merge } = recorder();
    set.addWindow(new TimeWindow(0, 10), { merge });
    set.addWindow(new TimeWindow(15, 25), { merge });
    const result = set.addWindow(new TimeWindow(8, 18), { merge });
    assert.deepEqual(result, new TimeWindow(0, 25));
    assert.deepEqual(calls, ['t0,25 <- [t0,10 t15,25] state t0,10 <- [t15,25]']);
    assert.deepEqual(set.getStateWindow(new TimeWindow(0, 25)), new TimeWindow(0, 10), 'the state stays under the first window');
    assert.deepEqual(set.windows(), [new TimeWindow(0, 25)]);
  });

  it('does not call merge when the new window falls inside an existing one', () => {
    const set = make();
    const { calls, merge } = recorder();
    set.addWindow(new TimeWindow(0, 20), { merge });
    assert.deepEqual(set.addWindow(new TimeWindow(5, 15), { merge }), new TimeWindow(0, 20));
    assert.deepEqual(calls, []);
  });

  it('reports changes to persist, restores from them, and refuses to retire a window not in flight', () => {
    const set = make();
    assert.equal(set.changedState(), undefined);
    set.addWindow(new TimeWindow(0, 10), { merge: () => assert.fail('no merge') });
    const persisted = set.changedState() as [string, string][];
    assert.deepEqual(persisted, [['t0,10', 't0,10']]);
    const restored = make(persisted);
    assert.equal(restored.changedState(), undefined);
    assert.deepEqual(restored.getStateWindow(new TimeWindow(0, 10)), new TimeWindow(0, 10));
    restored.retireWindow(new TimeWindow(0, 10));
    assert.deepEqual(restored.changedState(), []);
    assert.throws(() => restored.retireWindow(new TimeWindow(0, 10)), /is not in in-flight window set/);
  });
});
