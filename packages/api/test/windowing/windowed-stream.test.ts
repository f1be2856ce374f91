import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import {
  CountTrigger,
  EventTimeSessionWindows,
  ProcessAllWindowFunction,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  type DataStream,
  Trigger,
  TriggerResult,
  type TimeWindow,
} from '../../src/index.js';
import { buildPlan } from '../../src/internal/bundle-entry-points.js';
import { WindowHarness } from './window-harness.js';

type Event = [string, number];

function keyed() {
  return new StreamExecutionEnvironment().fromElements<Event>(['a', 1]).keyBy((e) => e[0]);
}

describe('windowed streams are checked when the job is built', () => {
  it('refuses bad settings, naming what was wrong', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => keyed().window(TumblingEventTimeWindows.of(10)).allowedLateness(-1), /allowedLateness: lateness must be a whole number of milliseconds >= 0, got -1/],
      [() => keyed().window(TumblingProcessingTimeWindows.of(10)).allowedLateness(5), /allowedLateness: TumblingProcessingTimeWindows\(10\) is a processing-time window/],
      [() => keyed().window(undefined as never), /window needs a WindowAssigner/],
      [() => keyed().window(TumblingEventTimeWindows.of(10)).trigger({} as never), /trigger needs a Trigger/],
      [() => keyed().window(TumblingEventTimeWindows.of(10)).evictor({} as never), /evictor needs an Evictor/],
      [() => keyed().window(TumblingEventTimeWindows.of(10)).sideOutputLateData('late' as never), /sideOutputLateData needs an OutputTag/],
      [() => keyed().window(TumblingEventTimeWindows.of(10)).aggregate({ add: () => 0 } as never), /missing: createAccumulator, getResult, merge/],
      [() => keyed().window(TumblingEventTimeWindows.of(10)).reduce(5 as never), /reduce needs a function/],
      [() => keyed().window(TumblingEventTimeWindows.of(10)).process({ process() {} } as never), /needs a ProcessWindowFunction/],
      [() => keyed().countWindow(0), /countWindow: size must be a whole number of at least 1, got 0/],
      [() => keyed().countWindow(5, 0), /countWindow: slide must be a whole number of at least 1/],
    ];
    for (const [call, message] of cases) assert.throws(call, message);
  });

  it('refuses a trigger that cannot merge on session windows', () => {
    class EveryRecord extends Trigger<Event, TimeWindow> {
      onElement(): TriggerResult {
        return TriggerResult.FIRE;
      }
      onEventTime(): TriggerResult {
        return TriggerResult.CONTINUE;
      }
      onProcessingTime(): TriggerResult {
        return TriggerResult.CONTINUE;
      }
      clear(): void {}
    }
    assert.throws(() => keyed().window(EventTimeSessionWindows.withGap(10)).trigger(new EveryRecord()), /A merging window assigner cannot be used with a trigger that does not support merging/);
    assert.doesNotThrow(() => keyed().window(EventTimeSessionWindows.withGap(10)).trigger(CountTrigger.of(3)));
  });

  it('runs windowAll with parallelism 1 and refuses another', async () => {
    class Count extends ProcessAllWindowFunction<Event, number, TimeWindow> {
      process(_ctx: unknown, elements: Iterable<Event>, out: { collect(n: number): void }): void {
        out.collect([...elements].length);
      }
    }
    const plan = await buildPlan((env) => {
      env.setParallelism(4);
      env.fromElements<Event>(['a', 1]).windowAll(TumblingEventTimeWindows.of(10)).process(new Count()).print();
    }, []);
    const window = plan.vertices.find((v) => v.name.includes('Window('));
    assert.equal(window?.parallelism, 1);
    assert.throws(
      () => new StreamExecutionEnvironment().fromElements<Event>(['a', 1]).windowAll(TumblingEventTimeWindows.of(10)).process(new Count()).setParallelism(2),
      /The parallelism of non parallel operator must be 1/,
    );
  });

  it('names the window operator after its assigner, trigger and function, as Flink does', async () => {
    const plan = await buildPlan((env) => {
      env.fromElements<Event>(['a', 1]).keyBy((e) => e[0]).window(TumblingEventTimeWindows.of(5000)).sum(1).print();
    }, []);
    assert.ok(plan.vertices.some((v) => v.name.includes('Window(TumblingEventTimeWindows(5000), EventTimeTrigger, sum)')), plan.vertices.map((v) => v.name).join(' | '));
  });
});

describe('processing-time windows', () => {
  it('fire when the wall clock passes the window end, and drop what is pending at the end of input', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000 });
    try {
      const harness = await WindowHarness.open((s: DataStream<Event>) => s.keyBy((e) => e[0]).window(TumblingProcessingTimeWindows.of(100)).sum(1));
      harness.element(['a', 1], Number.NEGATIVE_INFINITY).element(['a', 2], Number.NEGATIVE_INFINITY).element(['b', 5], Number.NEGATIVE_INFINITY);
      mock.timers.tick(50);
      harness.element(['a', 3], Number.NEGATIVE_INFINITY);
      assert.deepEqual(harness.take(), []);
      mock.timers.tick(49);
      assert.deepEqual(harness.output.records.map((r) => [r.value, r.timestamp]), [[['a', 6], 1_099], [['b', 5], 1_099]]);
      harness.take();
      harness.element(['a', 10], Number.NEGATIVE_INFINITY);
      await harness.end();
      assert.deepEqual(harness.take(), [], 'a processing-time window still open at the end of input never fires, as in Flink');
      assert.ok(harness.chain.logs.some((l) => /Dropped processing-time timers/.test(l.message)));
    } finally {
      mock.timers.reset();
    }
  });
});

