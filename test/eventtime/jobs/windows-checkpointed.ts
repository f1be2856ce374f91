// Windows with checkpoints, for the failover test: args [records, output directory, checkpoint
// directory, checkpoint interval ms, records per second].
//
// The events of jobs/windows.ts (out of order by less than 1 s, forBoundedOutOfOrderness(1000)),
// generated at a bounded rate over parallelism 2, go into tumbling 1 s windows (aggregate) and
// session windows with a 500 ms gap (reduce + ProcessWindowFunction); the results are written by
// the exactly-once file sink as JSON arrays ["tumbling" | "session", key, start, end, count, sum].
import {
  EventTimeSessionWindows,
  ProcessWindowFunction,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type AggregateFunction,
  type Collector,
  type JobMain,
  type ProcessWindowContext,
  type TimeWindow,
} from '@eddy/api';
import { event, type Event } from './windows.js';

type Row = [kind: string, key: string, start: number, end: number, count: number, sum: number];

const countAndSum: AggregateFunction<Event, [number, number], [number, number]> = {
  createAccumulator: () => [0, 0],
  add: (e, acc) => [acc[0] + 1, acc[1] + e.value],
  getResult: (acc) => acc,
  merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
};

class Rows<V> extends ProcessWindowFunction<V, Row, string, TimeWindow> {
  constructor(
    private readonly kind: string,
    private readonly countAndSumOf: (value: V) => [number, number],
  ) {
    super();
  }
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<V>, out: Collector<Row>): void {
    for (const value of elements) out.collect([this.kind, key, ctx.window().start, ctx.window().end, ...this.countAndSumOf(value)]);
  }
}

const main: JobMain = (env, args) => {
  const [records = '4000', output = 'out', checkpoints = 'chk', interval = '200', rate = '2000'] = args;
  env.setParallelism(2);
  env.enableCheckpointing(Number(interval));
  env.getCheckpointConfig().setCheckpointStorage(checkpoints);
  const events = env
    .fromGenerator(Number(records), event, { recordsPerSecond: Number(rate) })
    .uid('events')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Event>(1000).withTimestampAssigner((e) => e.ts));
  const tumbling = events.keyBy((e) => e.key).window(TumblingEventTimeWindows.of(1000)).aggregate(countAndSum, new Rows<[number, number]>('tumbling', (acc) => acc)).uid('tumbling');
  // The reduce keeps the count in the field ts (the record's timestamp rides beside it, unchanged).
  const sessions = events
    .map((e): Event => ({ key: e.key, value: e.value, ts: 1 }))
    .uid('one')
    .keyBy((e) => e.key)
    .window(EventTimeSessionWindows.withGap(500))
    .reduce((a: Event, b: Event) => ({ key: a.key, value: a.value + b.value, ts: a.ts + b.ts }), new Rows<Event>('session', (e) => [e.ts, e.value]))
    .uid('sessions');
  tumbling.union(sessions).writeAsText(output).uid('sink');
};
export default main;
