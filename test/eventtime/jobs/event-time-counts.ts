// Per-key counts per 1 s event-time window, emitted by event-time timers, with checkpoints and the
// exactly-once file sink. Args: records outputDir checkpointDir [intervalMs] [rate]
//
// Events i = 0..records-1 of key `k${i % 7}` have the timestamp t(i) = 1000 * floor(i / 10) + ((i * 37) % 10) * 97
// (out of order by less than 1 s, so with forBoundedOutOfOrderness(1000) none is late), generated
// at `rate` per second over parallelism 2. A KeyedProcessFunction counts events per key and window
// in MapState and registers an event-time timer at the window's last millisecond; onTimer writes
// [key, windowEnd, count] and forgets the window. Counts and timers are keyed state, in checkpoints.
import {
  KeyedProcessFunction,
  MapStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type JobMain,
  type KeyedOnTimerContext,
  type KeyedProcessContext,
  type MapState,
} from '@eddy/api';

interface Event {
  readonly key: string;
  readonly ts: number;
}

const WINDOW = 1000;
const event = (i: number): Event => ({ key: `k${i % 7}`, ts: 1000 * Math.floor(i / 10) + ((i * 37) % 10) * 97 });

class CountPerWindow extends KeyedProcessFunction<string, Event, [string, number, number]> {
  private counts!: MapState<number, number>;
  override open(): void {
    this.counts = this.getRuntimeContext().getMapState(new MapStateDescriptor<number, number>('counts'));
  }
  processElement(value: Event, ctx: KeyedProcessContext<string>): void {
    if (value.ts <= ctx.timerService().currentWatermark()) throw new Error(`event ${JSON.stringify(value)} is behind the watermark ${ctx.timerService().currentWatermark()}`);
    const end = value.ts - (value.ts % WINDOW) + WINDOW - 1;
    this.counts.put(end, (this.counts.get(end) ?? 0) + 1);
    ctx.timerService().registerEventTimeTimer(end);
  }
  override onTimer(timestamp: number, ctx: KeyedOnTimerContext<string>, out: Collector<[string, number, number]>): void {
    out.collect([ctx.getCurrentKey(), timestamp, this.counts.get(timestamp) ?? 0]);
    this.counts.remove(timestamp);
  }
}

const main: JobMain = (env, args) => {
  const [records = '1000', output = 'out', checkpoints = 'chk', interval = '200', rate = '0'] = args;
  env.setParallelism(2);
  env.enableCheckpointing(Number(interval), 'EXACTLY_ONCE');
  env.getCheckpointConfig().setCheckpointStorage(checkpoints);
  const options = Number(rate) > 0 ? { recordsPerSecond: Number(rate) } : {};
  env
    .fromGenerator(Number(records), event, options)
    .uid('events')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Event>(1000).withTimestampAssigner((e) => e.ts))
    .uid('timestamps')
    .keyBy((e) => e.key)
    .process(new CountPerWindow())
    .uid('count-per-window')
    .writeAsText(output)
    .uid('sink');
};
export default main;
