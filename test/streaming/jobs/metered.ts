// An endless, paced generator of which only the first N records pass, through a process function
// with user metrics into a sink of their own task: N records cross each task boundary, then the
// job idles until canceled, so its counters can be scraped at their final values.
// Args [N, recordsPerSecond].
import { ProcessFunction, type Collector, type Counter, type Histogram, type Meter, type ProcessContext, type JobMain } from '@eddy/api';

class Doubled extends ProcessFunction<number, number> {
  private seen!: Counter;
  private rate!: Meter;
  private values!: Histogram;
  private last = 0;

  override open(): void {
    const metrics = this.getRuntimeContext().getMetricGroup();
    this.seen = metrics.counter('recordsSeen');
    this.rate = metrics.meter('recordsSeenRate');
    this.values = metrics.histogram('values');
    metrics.gauge('lastValue', () => this.last);
  }

  processElement(value: number, _ctx: ProcessContext, out: Collector<number>): void {
    this.seen.inc();
    this.rate.markEvent();
    this.values.update(value % 100);
    this.last = value;
    out.collect(value * 2);
  }
}

const main: JobMain = (env, args) => {
  const records = Number(args[0] ?? '5000');
  env.setParallelism(1).setJobName('metered');
  env
    .fromGenerator(Infinity, (i) => i, { recordsPerSecond: Number(args[1] ?? '4000') })
    .filter((i) => i < records)
    .rebalance()
    .process(new Doubled())
    .name('Doubled')
    .addSink({ invoke: () => undefined });
};
export default main;
