import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CountEvictor,
  CountTrigger,
  EventTimeSessionWindows,
  GlobalWindows,
  ListStateDescriptor,
  OutputTag,
  ProcessAllWindowFunction,
  ProcessWindowFunction,
  PurgingTrigger,
  SlidingEventTimeWindows,
  TimeEvictor,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  type AggregateFunction,
  type Collector,
  type DataStream,
  type GlobalWindow,
  type ProcessWindowContext,
  type TimeWindow,
} from '../../src/index.js';
import { random } from '../codec/seeded-random.js';
import { WindowHarness } from './window-harness.js';

type Event = [key: string, value: number, timestamp: number];

/** Out-of-order events of three keys: timestamps in [0, span), each at most `disorder` behind the newest so far. */
function events(seed: number, count: number, span: number, disorder: number): Event[] {
  const next = random(seed);
  const sorted = Array.from({ length: count }, () => Math.floor(next() * span)).sort((a, b) => a - b);
  // Swap neighbours within the disorder bound.
  for (let i = 1; i < sorted.length; i++) {
    if (next() < 0.5 && (sorted[i] as number) - (sorted[i - 1] as number) <= disorder) [sorted[i - 1], sorted[i]] = [sorted[i] as number, sorted[i - 1] as number];
  }
  return sorted.map((ts, i) => [['a', 'b', 'c'][Math.floor(next() * 3)] as string, i + 1, ts]);
}

/** Feeds events, with a bounded-out-of-orderness watermark (max seen - disorder - 1) after every `every` records. */
function feed(harness: WindowHarness, input: readonly Event[], disorder: number, every = 5): void {
  let max = Number.NEGATIVE_INFINITY;
  input.forEach((event, i) => {
    harness.element(event, event[2]);
    max = Math.max(max, event[2]);
    if ((i + 1) % every === 0) harness.watermark(max - disorder - 1);
  });
}

const byKey = (event: Event) => event[0];
const sortRows = <R>(rows: R[]): R[] => rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** Expected per-window rows, computed directly: for each key and window [start, end), the events in it. */
function expectedWindows(input: readonly Event[], windowsOf: (ts: number) => [number, number][]): Map<string, Event[]> {
  const groups = new Map<string, Event[]>();
  for (const event of input) {
    for (const [start, end] of windowsOf(event[2])) {
      const id = JSON.stringify([event[0], start, end]);
      groups.set(id, [...(groups.get(id) ?? []), event]);
    }
  }
  return groups;
}

/** Sessions per key, computed directly: sorted timestamps split where the next one is more than `gap` after the previous. */
function expectedSessions(input: readonly Event[], gap: number): Map<string, Event[]> {
  const groups = new Map<string, Event[]>();
  for (const key of new Set(input.map(byKey))) {
    const own = input.filter((e) => e[0] === key).sort((x, y) => x[2] - y[2]);
    let session: Event[] = [];
    const close = () => {
      if (session.length === 0) return;
      groups.set(JSON.stringify([key, (session[0] as Event)[2], (session.at(-1) as Event)[2] + gap]), session);
      session = [];
    };
    for (const event of own) {
      if (session.length > 0 && event[2] - (session.at(-1) as Event)[2] > gap) close();
      session.push(event);
    }
    close();
  }
  return groups;
}

const tumbling = (size: number) => (ts: number): [number, number][] => {
  const start = ts - (((ts % size) + size) % size);
  return [[start, start + size]];
};
const sliding = (size: number, slide: number) => (ts: number): [number, number][] => {
  const result: [number, number][] = [];
  const last = ts - (((ts % slide) + slide) % slide);
  for (let start = last; start > ts - size; start -= slide) result.push([start, start + size]);
  return result;
};

const sumReduce = (a: Event, b: Event): Event => [a[0], a[1] + b[1], Math.max(a[2], b[2])];

/** Average of the values: an accumulator [sum, count]. */
const average: AggregateFunction<Event, [number, number], number> = {
  createAccumulator: () => [0, 0],
  add: (event, acc) => [acc[0] + event[1], acc[1] + 1],
  getResult: (acc) => acc[0] / acc[1],
  merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
};

/** Emits [key, start, end, the values in the window sorted, and what the context said]. */
class DescribeWindow extends ProcessWindowFunction<Event, unknown[], string, TimeWindow> {
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<Event>, out: Collector<unknown[]>): void {
    out.collect([key, ctx.window().start, ctx.window().end, [...elements].map((e) => e[1]).sort((a, b) => a - b)]);
  }
}

/** The combined form: gets the one pre-aggregated value, adds the window. */
class WithWindow<V> extends ProcessWindowFunction<V, unknown[], string, TimeWindow> {
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<V>, out: Collector<unknown[]>): void {
    const values = [...elements];
    assert.equal(values.length, 1, 'a combined window function gets exactly one value');
    out.collect([key, ctx.window().start, ctx.window().end, values[0]]);
  }
}

const DISORDER = 40;
const INPUT = events(7, 300, 2_000, DISORDER);

describe('WindowOperator', () => {
  it('tumbling event-time windows with reduce: one result per key and window, with timestamp end - 1, only once the watermark passes the end', async () => {
    const harness = await WindowHarness.open((s: DataStream<Event>) => s.keyBy(byKey).window(TumblingEventTimeWindows.of(100)).reduce(sumReduce));
    feed(harness, INPUT, DISORDER);
    const early = harness.output.records.slice();
    for (const { value, timestamp } of early) {
      assert.ok(timestamp < (harness.output.watermarks.at(-1) as number) + 1, 'a window fires only when the watermark reached its end');
      assert.equal((timestamp + 1) % 100, 0, 'the result carries window.maxTimestamp()');
      void value;
    }
    await harness.end();
    const expected = [...expectedWindows(INPUT, tumbling(100))].map(([id, group]) => {
      const [key, , end] = JSON.parse(id) as [string, number, number];
      return { key, sum: group.reduce((s, e) => s + e[1], 0), timestamp: end - 1 };
    });
    const actual = harness.output.records.map(({ value, timestamp }) => ({ key: (value as Event)[0], sum: (value as Event)[1], timestamp }));
    assert.deepEqual(sortRows(actual), sortRows(expected));
    assert.equal(harness.operator.numLateRecordsDropped, 0, 'the disorder is inside the bound: nothing is late');
    assert.deepEqual(harness.stateSizes(), {}, 'every window was cleaned up');
    assert.deepEqual(harness.output.watermarks.at(-1), Number.POSITIVE_INFINITY, 'watermarks are passed on');
  });

  it('sliding event-time windows with aggregate, and with aggregate plus a ProcessWindowFunction', async () => {
    const expected = [...expectedWindows(INPUT, sliding(200, 50))].map(([id, group]) => {
      const [key, start, end] = JSON.parse(id) as [string, number, number];
      return [key, start, end, group.reduce((s, e) => s + e[1], 0) / group.length];
    });
    const plain = await WindowHarness.open((s: DataStream<Event>) => s.keyBy(byKey).window(SlidingEventTimeWindows.of(200, 50)).aggregate(average));
    feed(plain, INPUT, DISORDER);
    await plain.end();
    assert.deepEqual(sortRows(plain.take() as number[]), sortRows(expected.map((row) => row[3] as number)));
    const combined = await WindowHarness.open((s: DataStream<Event>) => s.keyBy(byKey).window(SlidingEventTimeWindows.of(200, 50)).aggregate(average, new WithWindow<number>()));
    feed(combined, INPUT, DISORDER);
    await combined.end();
    assert.deepEqual(sortRows(combined.take()), sortRows(expected));
  });

  it('session windows merge per key, with process, reduce plus a ProcessWindowFunction, and aggregate', async () => {
    const gap = 30;
    const sessions = [...expectedSessions(INPUT, gap)];
    const process = await WindowHarness.open((s: DataStream<Event>) => s.keyBy(byKey).window(EventTimeSessionWindows.withGap(gap)).process(new DescribeWindow()));
    feed(process, INPUT, DISORDER);
    await process.end();
    const expectedLists = sessions.map(([id, group]) => [...(JSON.parse(id) as unknown[]), group.map((e) => e[1]).sort((a, b) => a - b)]);
    assert.deepEqual(sortRows(process.take()), sortRows(expectedLists));

    const reduce = await WindowHarness.open((s: DataStream<Event>) => s.keyBy(byKey).window(EventTimeSessionWindows.withGap(gap)).reduce(sumReduce, new WithWindow<Event>()));
    feed(reduce, INPUT, DISORDER);
    await reduce.end();
    const expectedSums = sessions.map(([id, group]) => [...(JSON.parse(id) as unknown[]), group.reduce((s, e) => s + e[1], 0)]);
    assert.deepEqual(sortRows(reduce.take().map((row) => [...(row as unknown[]).slice(0, 3), ((row as unknown[])[3] as Event)[1]])), sortRows(expectedSums));

    const aggregate = await WindowHarness.open((s: DataStream<Event>) => s.keyBy(byKey).window(EventTimeSessionWindows.withGap(gap)).aggregate(average));
    feed(aggregate, INPUT, DISORDER);
    await aggregate.end();
    assert.deepEqual(sortRows(aggregate.take() as number[]), sortRows(sessions.map(([, group]) => group.reduce((s, e) => s + e[1], 0) / group.length)));
    assert.deepEqual(aggregate.stateSizes(), {}, 'every session\'s state (contents, merging set) is gone after it fired');
  });

  it('fires again with the updated contents for a late record within the allowed lateness, and drops and counts one beyond it', async () => {
    const harness = await WindowHarness.open((s: DataStream<Event>) => s.keyBy(byKey).window(TumblingEventTimeWindows.of(10)).allowedLateness(20).reduce(sumReduce));
    harness.element(['a', 1, 3], 3).element(['a', 2, 7], 7).watermark(9);
    assert.deepEqual(harness.take(), [['a', 3, 7]]);
    harness.element(['a', 10, 5], 5);
    assert.deepEqual(harness.take(), [['a', 13, 7]], 'a late record within the lateness fires the window again, updated');
    harness.watermark(28);
    harness.element(['a', 100, 1], 1);
    assert.deepEqual(harness.take(), [['a', 113, 7]], 'still within: 9 + 20 > 28');
    harness.watermark(29);
    harness.element(['a', 1000, 2], 2);
    assert.deepEqual(harness.take(), [], 'the window was cleaned up at 9 + 20');
    assert.equal(harness.operator.numLateRecordsDropped, 1);
    assert.equal(harness.chain.logs.filter((l) => /late records/i.test(l.message)).length, 1, 'one log line for the first drop, not one per record');
    await harness.end();
    assert.deepEqual(harness.take(), []);
  });

  it('sends records too late for every window to the late side output, with their timestamps', async () => {
    const late = new OutputTag<Event>('late');
    const harness = await WindowHarness.open((s: DataStream<Event>) => s.keyBy(byKey).window(SlidingEventTimeWindows.of(20, 10)).sideOutputLateData(late).reduce(sumReduce));
    harness.element(['a', 1, 15], 15).watermark(25);
    harness.element(['b', 2, 12], 12); // [0, 20) is past, [10, 30) still open: not late, in one window
    harness.element(['b', 3, 5], 5); // only in [-10, 10) and [0, 20), both past
    await harness.end();
    assert.deepEqual(harness.output.side.get('late'), [{ value: ['b', 3, 5], timestamp: 5 }]);
    assert.equal(harness.operator.numLateRecordsDropped, 0);
    assert.deepEqual(sortRows(harness.output.records.map((r) => [r.value, r.timestamp])), sortRows([[['a', 1, 15], 19], [['a', 1, 15], 29], [['b', 2, 12], 29]]));
  });

  it('countWindow: tumbling fires and purges every n records per key; sliding fires the last n every slide records', async () => {
    const tumblingCount = await WindowHarness.open((s: DataStream<Event>) => s.keyBy(byKey).countWindow(3).reduce(sumReduce));
    for (let i = 1; i <= 7; i++) tumblingCount.element(['a', i, 0], Number.NEGATIVE_INFINITY);
    tumblingCount.element(['b', 100, 0], Number.NEGATIVE_INFINITY);
    await tumblingCount.end();
    assert.deepEqual(tumblingCount.take(), [['a', 6, 0], ['a', 15, 0]], '1+2+3, 4+5+6; 7 and b never reach 3');
    assert.equal(tumblingCount.output.records.length, 0);

    const slidingCount = await WindowHarness.open((s: DataStream<Event>) => s.keyBy(byKey).countWindow(3, 2).reduce(sumReduce));
    for (let i = 1; i <= 6; i++) slidingCount.element(['a', i, 0], Number.NEGATIVE_INFINITY);
    await slidingCount.end();
    assert.deepEqual(slidingCount.take(), [['a', 3, 0], ['a', 9, 0], ['a', 15, 0]], '1+2, 2+3+4, 4+5+6');
  });

  it('evicts with CountEvictor and TimeEvictor before the function runs', async () => {
    const count = await WindowHarness.open((s: DataStream<Event>) =>
      s.keyBy(byKey).window(GlobalWindows.create()).trigger(CountTrigger.of(4)).evictor(CountEvictor.of(2)).aggregate(average),
    );
    for (let i = 1; i <= 8; i++) count.element(['a', i, 0], Number.NEGATIVE_INFINITY);
    await count.end();
    assert.deepEqual(count.take(), [3.5, 7.5], 'the last two of 1..4, then of 3,4,5..8');

    const time = await WindowHarness.open((s: DataStream<Event>) =>
      s.keyBy(byKey).window(TumblingEventTimeWindows.of(100)).evictor(TimeEvictor.of(10)).process(new DescribeWindow()),
    );
    for (const ts of [1, 50, 85, 90, 95]) time.element(['a', ts, ts], ts);
    await time.end();
    assert.deepEqual(time.take(), [['a', 0, 100, [90, 95]]], 'within 10 ms of the newest (95): > 85');
  });

  it('gives a ProcessWindowFunction per-window and global state, and clears the window in clear()', async () => {
    class Firings extends ProcessWindowFunction<Event, unknown[], string, TimeWindow> {
      process(key: string, ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<Event>, out: Collector<unknown[]>): void {
        const perWindow = ctx.windowState().getState(new ValueStateDescriptor<number>('firings', 0));
        const total = ctx.globalState().getState(new ValueStateDescriptor<number>('total', 0));
        perWindow.update((perWindow.value() as number) + 1);
        total.update((total.value() as number) + 1);
        out.collect([key, ctx.window().start, perWindow.value(), total.value(), [...elements].length]);
      }
      override clear(ctx: ProcessWindowContext<TimeWindow>): void {
        ctx.windowState().getState(new ValueStateDescriptor<number>('firings')).clear();
      }
    }
    const harness = await WindowHarness.open((s: DataStream<Event>) => s.keyBy(byKey).window(TumblingEventTimeWindows.of(10)).allowedLateness(100).process(new Firings()));
    harness.element(['a', 1, 1], 1).element(['a', 1, 12], 12).watermark(20);
    harness.element(['a', 1, 2], 2);
    assert.deepEqual(harness.take(), [['a', 0, 1, 1, 1], ['a', 10, 1, 2, 1], ['a', 0, 2, 3, 2]]);
    harness.watermark(200);
    assert.deepEqual(Object.keys(harness.stateSizes()), ['total'], 'only the global state is left');
    await harness.end();
  });

  it('refuses per-window state with session windows, as Flink does', async () => {
    class PerWindow extends ProcessWindowFunction<Event, unknown, string, TimeWindow> {
      process(_key: string, ctx: ProcessWindowContext<TimeWindow>): void {
        ctx.windowState().getListState(new ListStateDescriptor<number>('x'));
      }
    }
    const harness = await WindowHarness.open((s: DataStream<Event>) => s.keyBy(byKey).window(EventTimeSessionWindows.withGap(10)).process(new PerWindow()));
    harness.element(['a', 1, 1], 1);
    assert.throws(() => harness.watermark(100), /Per-window state is not allowed when using merging windows/);
    await harness.close();
  });

  it('fails on a record without a timestamp in an event-time window, with the hint to assign timestamps', async () => {
    const harness = await WindowHarness.open((s: DataStream<Event>) => s.keyBy(byKey).window(TumblingEventTimeWindows.of(10)).reduce(sumReduce));
    assert.throws(() => harness.element(['a', 1, 1], Number.NEGATIVE_INFINITY), /did you forget to call 'DataStream\.assignTimestampsAndWatermarks\(\.\.\.\)'/);
    await harness.close();
  });

  it('windowAll sees every key in one window, through a ProcessAllWindowFunction', async () => {
    class Count extends ProcessAllWindowFunction<Event, unknown[], TimeWindow> {
      process(ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<Event>, out: Collector<unknown[]>): void {
        out.collect([ctx.window().start, [...elements].length]);
      }
    }
    const harness = await WindowHarness.open((s: DataStream<Event>) => s.windowAll(TumblingEventTimeWindows.of(100)).process(new Count()));
    feed(harness, INPUT, DISORDER);
    await harness.end();
    const expected = new Map<number, number>();
    for (const [, , ts] of INPUT) expected.set(ts - (ts % 100), (expected.get(ts - (ts % 100)) ?? 0) + 1);
    assert.deepEqual(sortRows(harness.take()), sortRows([...expected]));
  });

  it('with PurgingTrigger over a count on sessions, merges the counts of merged sessions', async () => {
    const harness = await WindowHarness.open((s: DataStream<Event>) =>
      s.keyBy(byKey).window(EventTimeSessionWindows.withGap(10)).trigger(PurgingTrigger.of(CountTrigger.of(3))).reduce(sumReduce),
    );
    harness.element(['a', 1, 0], 0).element(['a', 2, 20], 20); // two sessions, [0, 10) and [20, 30), one record each
    assert.deepEqual(harness.take(), []);
    harness.element(['a', 4, 10], 10); // [10, 20) touches both: one session of 3 records
    assert.deepEqual(harness.take(), [['a', 7, 20]]);
    await harness.close();
  });
});

describe('WindowOperator snapshots', () => {
  it('fires, after a restore, the windows whose records all came before the snapshot, from their restored timers and contents', async () => {
    const build = (s: DataStream<Event>) => s.keyBy(byKey).window(EventTimeSessionWindows.withGap(10)).allowedLateness(5).reduce(sumReduce, new WithWindow<Event>());
    const before = await WindowHarness.open(build);
    before.element(['a', 1, 0], 0).element(['a', 2, 8], 8).element(['b', 4, 3], 3).element(['a', 8, 40], 40).watermark(5);
    const handle = await before.snapshot();
    await before.close();
    const after = await WindowHarness.open(build, [handle]);
    after.watermark(30);
    assert.deepEqual(sortRows(after.take()), sortRows([
      ['a', 0, 18, ['a', 3, 8]],
      ['b', 3, 13, ['b', 4, 3]],
    ]));
    after.watermark(100);
    assert.deepEqual(after.take(), [['a', 40, 50, ['a', 8, 40]]]);
    assert.deepEqual(after.stateSizes(), {}, 'cleaned up at maxTimestamp + lateness, by restored cleanup timers');
    await after.close();
  });

  for (const [name, build] of [
    ['tumbling reduce', (s: DataStream<Event>) => s.keyBy(byKey).window(TumblingEventTimeWindows.of(100)).reduce(sumReduce)],
    ['sliding aggregate', (s: DataStream<Event>) => s.keyBy(byKey).window(SlidingEventTimeWindows.of(200, 50)).aggregate(average, new WithWindow<number>())],
    ['session process', (s: DataStream<Event>) => s.keyBy(byKey).window(EventTimeSessionWindows.withGap(30)).process(new DescribeWindow())],
    ['count window', (s: DataStream<Event>) => s.keyBy(byKey).countWindow(4, 3).process(new DescribeWindow() as unknown as ProcessWindowFunction<Event, unknown[], string, GlobalWindow>)],
  ] as const) {
    it(`restored from a snapshot, fires every window exactly once (${name})`, async () => {
      const cut = 150;
      const reference = await WindowHarness.open(build as (s: DataStream<Event>) => object);
      feed(reference, INPUT.slice(0, cut), DISORDER);
      const handle = await reference.snapshot();
      const beforeCut = reference.output.records.length;
      feed(reference, INPUT.slice(cut), DISORDER);
      await reference.end();
      const all = reference.output.records;

      const restored = await WindowHarness.open(build as (s: DataStream<Event>) => object, [handle]);
      // The watermark the first attempt had reached comes again with the first one after the cut.
      feed(restored, INPUT.slice(cut), DISORDER);
      await restored.end();
      assert.ok(beforeCut > 0 && beforeCut < all.length, 'some windows fired before the snapshot, some after');
      assert.deepEqual(sortRows([...all.slice(0, beforeCut), ...restored.output.records]), sortRows([...all]), 'the windows fired before the snapshot do not fire again; the others fire once');
    });
  }
});
