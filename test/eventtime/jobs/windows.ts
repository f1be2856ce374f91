// Windows over out-of-order events at parallelism 2: args [output directory, events].
//
// Events i = 0..events-1: { key: `k${i % 5}`, value: i, ts: t(i) } with t(i) = 1000 * floor(i / 10) +
// ((i * 37) % 10) * 97, generated in index order: out of order by less than 1 s, so with
// forBoundedOutOfOrderness(1000) none is late. The pipelines' results go, as one union, to one
// file of lines "<pipeline>|<result>@<the timestamp the result carries>" (read by a ProcessFunction
// after a rebalance):
//   tumbling  tumbling 1 s windows, reduce: "key,sum"
//   sliding   sliding 2 s / 500 ms windows, aggregate (count, sum) + ProcessWindowFunction: "key,start,end,count,sum"
//   sessions  session windows with a 500 ms gap, process: "key,start,end,count,sum"
//   combined  tumbling 1 s, reduce + ProcessWindowFunction: "key,start,end,sum"
//   all       windowAll tumbling 1 s, aggregate: "count"
//   late / on-time  a parallelism-1 source with a watermark after every event (so lateness is
//             deterministic) where every 25th event is 5 s behind: the late ones go to the side
//             output "late" as "key,value"; the window counts of the rest "key,start,end,count"
import {
  ProcessFunction,
  ProcessWindowFunction,
  OutputTag,
  SlidingEventTimeWindows,
  EventTimeSessionWindows,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type AggregateFunction,
  type Collector,
  type JobMain,
  type ProcessContext,
  type ProcessWindowContext,
  type TimeWindow,
  type WatermarkOutput,
  type DataStream,
} from '@eddy/api';

export interface Event {
  readonly key: string;
  readonly value: number;
  readonly ts: number;
}

export const event = (i: number): Event => ({ key: `k${i % 5}`, value: i, ts: 1000 * Math.floor(i / 10) + ((i * 37) % 10) * 97 });
/** The late-data source: every 25th event 5 s behind the others. */
export const lateEvent = (i: number): Event => ({ key: `k${i % 3}`, value: i, ts: i % 25 === 24 ? Math.max(0, 100 * i - 5000) : 100 * i });

const countAndSum: AggregateFunction<Event, [number, number], [number, number]> = {
  createAccumulator: () => [0, 0],
  add: (e, acc) => [acc[0] + 1, acc[1] + e.value],
  getResult: (acc) => acc,
  merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
};

class WithWindow<V> extends ProcessWindowFunction<V, string, string, TimeWindow> {
  constructor(private readonly format: (value: V) => string) {
    super();
  }
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<V>, out: Collector<string>): void {
    for (const value of elements) out.collect(`${key},${ctx.window().start},${ctx.window().end},${this.format(value)}`);
  }
}

class Session extends ProcessWindowFunction<Event, string, string, TimeWindow> {
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<Event>, out: Collector<string>): void {
    let count = 0;
    let sum = 0;
    for (const e of elements) {
      count++;
      sum += e.value;
    }
    out.collect(`${key},${ctx.window().start},${ctx.window().end},${count},${sum}`);
  }
}

class WithTimestamp extends ProcessFunction<string, string> {
  processElement(value: string, ctx: ProcessContext, out: Collector<string>): void {
    out.collect(`${value}@${ctx.timestamp()}`);
  }
}

/** A watermark after every event: ts - 1 (Flink's punctuated generator), so what is late does not depend on timing. */
class EveryEvent {
  onEvent(_event: Event, timestamp: number, output: WatermarkOutput): void {
    output.emitWatermark(timestamp - 1);
  }
  onPeriodicEmit(): void {}
}

const main: JobMain = (env, args) => {
  const [outDir = 'out', events = '2000'] = args;
  env.setParallelism(2);
  const strategy = WatermarkStrategy.forBoundedOutOfOrderness<Event>(1000).withTimestampAssigner((e) => e.ts);
  const input = env.fromGenerator(Number(events), event).assignTimestampsAndWatermarks(strategy);
  const byKey = input.keyBy((e) => e.key);
  const results: DataStream<string>[] = [];
  const write = (stream: DataStream<string>, name: string) => results.push(stream.map((line) => `${name}|${line}`));

  write(byKey.window(TumblingEventTimeWindows.of(1000)).reduce((a, b) => ({ key: a.key, value: a.value + b.value, ts: Math.max(a.ts, b.ts) })).map((e) => `${e.key},${e.value}`), 'tumbling');
  write(byKey.window(SlidingEventTimeWindows.of(2000, 500)).aggregate(countAndSum, new WithWindow<[number, number]>(([count, sum]) => `${count},${sum}`)), 'sliding');
  write(byKey.window(EventTimeSessionWindows.withGap(500)).process(new Session()), 'sessions');
  write(
    byKey.window(TumblingEventTimeWindows.of(1000)).reduce((a, b) => ({ key: a.key, value: a.value + b.value, ts: 0 }), new WithWindow<Event>((e) => String(e.value))),
    'combined',
  );
  write(input.windowAll(TumblingEventTimeWindows.of(1000)).aggregate(countAndSum).map(([count]) => String(count)), 'all');

  const late = new OutputTag<Event>('late');
  const lateInput = env
    .fromGenerator(Number(events), lateEvent)
    .setParallelism(1)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forGenerator<Event>(() => new EveryEvent()).withTimestampAssigner((e) => e.ts))
    .setParallelism(1);
  const onTime = lateInput
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(1000))
    .sideOutputLateData(late)
    .aggregate(countAndSum, new WithWindow<[number, number]>(([count]) => String(count)));
  write(onTime, 'on-time');
  write(onTime.getSideOutput(late).map((e) => `${e.key},${e.value}`), 'late');
  const [first, ...others] = results as [DataStream<string>, ...DataStream<string>[]];
  first.union(...others).rebalance().process(new WithTimestamp()).writeAsText(`${outDir}/windows.txt`).setParallelism(1);
};
export default main;
