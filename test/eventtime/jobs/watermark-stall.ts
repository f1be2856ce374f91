// The "my window never fires" pitfall, for the JobMaster's watermark stall warning: a user source
// of parallelism 2 whose subtask 0 emits events with rising timestamps until canceled while
// subtask 1 emits nothing, keyed into a KeyedProcessFunction with event-time timers.
// args [mode, output directory]:
//   'stalled'   forBoundedOutOfOrderness without withIdleness: subtask 1 holds event time back
//   'idleness'  the same with withIdleness(300): subtask 1 goes idle, event time advances
//   'none'      WatermarkStrategy.noWatermarks(): no event time at all
import { join } from 'node:path';
import {
  KeyedProcessFunction,
  WatermarkStrategy,
  type Collector,
  type JobMain,
  type KeyedOnTimerContext,
  type KeyedProcessContext,
  type RuntimeContext,
  type Source,
  type SourceContext,
} from '@eddy/api';

interface Event {
  readonly key: string;
  readonly ts: number;
}

class HalfSilentSource implements Source<Event> {
  private subtask = 0;
  open(context: RuntimeContext): void {
    this.subtask = context.indexOfThisSubtask;
  }
  async run(ctx: SourceContext<Event>): Promise<void> {
    for (let i = 0; !ctx.isCanceled; i++) {
      if (this.subtask === 0 && !ctx.collect({ key: `k${i % 5}`, ts: 1_000_000 + i * 10 })) await ctx.waitForOutputs();
      // A steady trickle: records keep arriving downstream while event time may stand still.
      if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** Fires a timer per key a second of event time after each event; onTimer emits "key,timestamp". */
class TimerPerEvent extends KeyedProcessFunction<string, Event, string> {
  processElement(value: Event, ctx: KeyedProcessContext<string>): void {
    ctx.timerService().registerEventTimeTimer(value.ts + 1000);
  }
  override onTimer(timestamp: number, ctx: KeyedOnTimerContext<string>, out: Collector<string>): void {
    out.collect(`${ctx.getCurrentKey()},${timestamp}`);
  }
}

const main: JobMain = (env, args) => {
  const [mode = 'stalled', outDir = 'out'] = args;
  env.setParallelism(2);
  const bounded = WatermarkStrategy.forBoundedOutOfOrderness<Event>(100).withTimestampAssigner((e) => e.ts);
  const strategy = mode === 'none' ? WatermarkStrategy.noWatermarks<Event>() : mode === 'idleness' ? bounded.withIdleness(300) : bounded;
  env
    .fromSource(new HalfSilentSource(), strategy, 'Half-silent')
    .keyBy((e) => e.key)
    .process(new TimerPerEvent())
    .name('Timers')
    .writeAsText(join(outDir, 'fired.txt'));
};
export default main;
