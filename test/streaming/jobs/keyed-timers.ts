// An endless keyed job with processing-time timers, over two tasks of parallelism 2: a generator,
// and a KeyedProcessFunction that registers a timer 5 ms ahead for every record and emits from
// onTimer into a sink chained to it. Runs until canceled.
import { KeyedProcessFunction, type Collector, type JobMain, type KeyedOnTimerContext, type KeyedProcessContext } from '@eddy/api';

class EmitLater extends KeyedProcessFunction<string, { key: string; n: number }, string> {
  processElement(value: { key: string; n: number }, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 5);
    if (value.n % 100 === 0) out.collect(`${value.key}:${value.n}`);
  }
  override onTimer(timestamp: number, ctx: KeyedOnTimerContext<string>, out: Collector<string>): void {
    out.collect(`${ctx.getCurrentKey()}@${timestamp}`);
  }
}

const main: JobMain = (env) => {
  env.setParallelism(2);
  env
    .fromGenerator(Infinity, (n) => ({ key: `k${n % 64}`, n }), { recordsPerSecond: 5_000 })
    .keyBy((record) => record.key)
    .process(new EmitLater())
    .addSink({ invoke: () => undefined });
};
export default main;
