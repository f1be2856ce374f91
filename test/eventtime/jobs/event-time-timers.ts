// Event-time timers in a KeyedProcessFunction at parallelism 2, over out-of-order events:
// args [mode, output directory, marker directory, events].
//
// Events i = 0..events-1 of key `k${i % 7}` have the timestamp t(i) = 1000 * floor(i / 10) + ((i * 37) % 10) * 97,
// emitted in index order: out of order by less than 1 s, so with forBoundedOutOfOrderness(1000)
// none is late. The function counts events per key and 1 s window in MapState and registers an
// event-time timer at the window's last millisecond; onTimer emits "key,windowEnd,count,domain,ts"
// where ts is the timestamp the emitted record carries (read back by a ProcessFunction after a
// rebalance). Events whose timestamp ends in 0 also go to the side output 'tens' as "key,ts".
//
// mode 'bounded': a fromGenerator source of parallelism 2 with the strategy set on it (per split).
// mode 'idle' / 'idle-with-idleness': a user source; subtask 0 emits the events, subtask 1 none:
// both wait until onTimer has written markerDir/fired (or markerDir/release appears), then end.
// With withIdleness(300) subtask 1 goes idle and the timers fire while it runs; without, event
// time stands still until subtask 1 ends.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  KeyedProcessFunction,
  MapStateDescriptor,
  OutputTag,
  ProcessFunction,
  WatermarkStrategy,
  type Collector,
  type JobMain,
  type KeyedOnTimerContext,
  type KeyedProcessContext,
  type MapState,
  type ProcessContext,
  type Source,
  type SourceContext,
  type RuntimeContext,
} from '@eddy/api';

interface Event {
  readonly key: string;
  readonly ts: number;
}

const WINDOW = 1000;
const event = (i: number): Event => ({ key: `k${i % 7}`, ts: 1000 * Math.floor(i / 10) + ((i * 37) % 10) * 97 });
const tens = new OutputTag<string>('tens');

class CountPerWindow extends KeyedProcessFunction<string, Event, string> {
  private counts!: MapState<number, number>;
  constructor(private readonly markerDir: string) {
    super();
  }
  override open(): void {
    this.counts = this.getRuntimeContext().getMapState(new MapStateDescriptor<number, number>('counts'));
  }
  processElement(value: Event, ctx: KeyedProcessContext<string>, _out: Collector<string>): void {
    if (ctx.timestamp() !== value.ts) throw new Error(`ctx.timestamp() is ${ctx.timestamp()}, the event's is ${value.ts}`);
    if (value.ts <= ctx.timerService().currentWatermark()) throw new Error(`event ${JSON.stringify(value)} is behind the watermark ${ctx.timerService().currentWatermark()}`);
    const end = value.ts - (value.ts % WINDOW) + WINDOW - 1;
    this.counts.put(end, (this.counts.get(end) ?? 0) + 1);
    ctx.timerService().registerEventTimeTimer(end);
    if (value.ts % 10 === 0) ctx.output(tens, `${value.key},${value.ts}`);
  }
  override onTimer(timestamp: number, ctx: KeyedOnTimerContext<string>, out: Collector<string>): void {
    out.collect(`${ctx.getCurrentKey()},${timestamp},${this.counts.get(timestamp) ?? 0},${ctx.timeDomain()}`);
    this.counts.remove(timestamp);
    if (this.markerDir !== '' && !existsSync(join(this.markerDir, 'fired'))) writeFileSync(join(this.markerDir, 'fired'), String(ctx.timerService().currentWatermark()));
  }
}

class WithTimestamp extends ProcessFunction<string, string> {
  processElement(value: string, ctx: ProcessContext, out: Collector<string>): void {
    out.collect(`${value},${ctx.timestamp()}`);
  }
}

class OneSidedSource implements Source<Event> {
  private subtask = 0;
  constructor(
    private readonly events: number,
    private readonly markerDir: string,
  ) {}
  open(context: RuntimeContext): void {
    this.subtask = context.indexOfThisSubtask;
  }
  async run(ctx: SourceContext<Event>): Promise<void> {
    if (this.subtask === 0) {
      for (let i = 0; i < this.events; i++) {
        if (!ctx.collect(event(i))) await ctx.waitForOutputs();
      }
      writeFileSync(join(this.markerDir, 'emitted'), '');
    }
    // Both subtasks stay until a timer fired (or the test releases them); subtask 1 emits nothing.
    const which = this.subtask === 0 ? 'busy-source-ended' : 'idle-source-ended';
    const deadline = Date.now() + 30_000;
    while (!ctx.isCanceled && Date.now() < deadline) {
      if (existsSync(join(this.markerDir, 'fired'))) {
        writeFileSync(join(this.markerDir, which), 'after a timer fired');
        return;
      }
      if (existsSync(join(this.markerDir, 'release'))) {
        writeFileSync(join(this.markerDir, which), 'released');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    writeFileSync(join(this.markerDir, which), 'gave up');
  }
}

const main: JobMain = (env, args) => {
  const [mode = 'bounded', outDir = 'out', markerDir = '', events = '2000'] = args;
  env.setParallelism(2);
  let strategy = WatermarkStrategy.forBoundedOutOfOrderness<Event>(1000).withTimestampAssigner((e) => e.ts);
  if (mode === 'idle-with-idleness') strategy = strategy.withIdleness(300);
  const source =
    mode === 'bounded'
      ? env.fromGenerator(Number(events), event).assignTimestampsAndWatermarks(strategy)
      : env.fromSource(new OneSidedSource(Number(events), markerDir), strategy, 'One-sided');
  const counted = source.keyBy((e) => e.key).process(new CountPerWindow(mode === 'bounded' ? '' : markerDir));
  counted.rebalance().process(new WithTimestamp()).writeAsText(join(outDir, 'windows.txt')).setParallelism(1);
  counted.getSideOutput(tens).writeAsText(join(outDir, 'tens.txt')).setParallelism(1);
};
export default main;
