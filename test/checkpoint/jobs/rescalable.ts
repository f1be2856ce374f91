// A keyed event-time job whose parallelism is an argument, for the rescaling tests.
// Args: records outputDir checkpointDir intervalMs rate parallelism [maxParallelism]
//
// Events i = 0..records-1 of key `k${i % 7}` with the timestamp t(i) = 1000 * floor(i / 10) + ((i * 37) % 10) * 97
// (out of order by less than 1 s: forBoundedOutOfOrderness(1000) makes none late) come from a
// generator at `rate` per second. Two keyed operators write to one exactly-once file sink:
//   ["count", key, n]               running count per key (ValueState)
//   ["timer", key, windowEnd, n]    per key and 1 s window, from an event-time timer (MapState + timers)
//   ["window", key, start, end, n]  a tumbling 1 s event-time window (window state + its timers)
// Every output row is determined by the events alone, so a run at any parallelism, interrupted or
// not, must commit exactly the rows the test computes.
import {
  KeyedProcessFunction,
  MapStateDescriptor,
  ProcessWindowFunction,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  WatermarkStrategy,
  type AggregateFunction,
  type Collector,
  type JobMain,
  type KeyedOnTimerContext,
  type KeyedProcessContext,
  type MapState,
  type ValueState,
  type ProcessWindowContext,
  type TimeWindow,
} from '@eddy/api';

interface Event {
  readonly key: string;
  readonly ts: number;
}
type Row = (string | number)[];

const WINDOW = 1000;
const event = (i: number): Event => ({ key: `k${i % 7}`, ts: 1000 * Math.floor(i / 10) + ((i * 37) % 10) * 97 });

class CountPerWindow extends KeyedProcessFunction<string, Event, Row> {
  private counts!: MapState<number, number>;
  private total!: ValueState<number>;
  override open(): void {
    this.counts = this.getRuntimeContext().getMapState(new MapStateDescriptor<number, number>('counts'));
    this.total = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('total'));
  }
  processElement(value: Event, ctx: KeyedProcessContext<string>, out: Collector<Row>): void {
    if (value.ts <= ctx.timerService().currentWatermark()) throw new Error(`event ${JSON.stringify(value)} is behind the watermark ${ctx.timerService().currentWatermark()}`);
    const total = (this.total.value() ?? 0) + 1;
    this.total.update(total);
    out.collect(['count', value.key, total]);
    const end = value.ts - (value.ts % WINDOW) + WINDOW - 1;
    this.counts.put(end, (this.counts.get(end) ?? 0) + 1);
    ctx.timerService().registerEventTimeTimer(end);
  }
  override onTimer(timestamp: number, ctx: KeyedOnTimerContext<string>, out: Collector<Row>): void {
    out.collect(['timer', ctx.getCurrentKey(), timestamp, this.counts.get(timestamp) ?? 0]);
    this.counts.remove(timestamp);
  }
}

const count: AggregateFunction<Event, number, number> = {
  createAccumulator: () => 0,
  add: (_e, acc) => acc + 1,
  getResult: (acc) => acc,
  merge: (a, b) => a + b,
};

class WindowRows extends ProcessWindowFunction<number, Row, string, TimeWindow> {
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<number>, out: Collector<Row>): void {
    for (const n of elements) out.collect(['window', key, ctx.window().start, ctx.window().end, n]);
  }
}

const main: JobMain = (env, args) => {
  const [records = '1000', output = 'out', checkpoints = 'chk', interval = '200', rate = '0', parallelism = '2', maxParallelism = '0'] = args;
  env.setParallelism(Number(parallelism));
  if (Number(maxParallelism) > 0) env.setMaxParallelism(Number(maxParallelism));
  env.enableCheckpointing(Number(interval), 'EXACTLY_ONCE');
  env.getCheckpointConfig().setCheckpointStorage(checkpoints);
  const options = Number(rate) > 0 ? { recordsPerSecond: Number(rate) } : {};
  const events = env
    .fromGenerator(Number(records), event, options)
    .uid('events')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Event>(1000).withTimestampAssigner((e) => e.ts))
    .uid('timestamps');
  const countsAndTimers = events
    .keyBy((e) => e.key)
    .process(new CountPerWindow())
    .uid('counts');
  const windows = events
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(WINDOW))
    .aggregate(count, new WindowRows())
    .uid('window');
  countsAndTimers.union(windows).writeAsText(output).uid('sink');
};
export default main;
