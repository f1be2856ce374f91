// bench:throughput's exchange job: args [records, recordsPerSecond (0 = unlimited), latencyFile].
// A generator in one slot sharing group, a sink in another, so they run on different TaskManagers
// and every record crosses between them. The sink measures end-to-end latency from the time the
// generator stamped into the record.
import { writeFileSync } from 'node:fs';
import type { JobMain, Sink } from '@eddy/api';

interface Stamped {
  readonly id: number;
  readonly t: number;
}

const now = (): number => performance.timeOrigin + performance.now();

class LatencySink implements Sink<Stamped> {
  private readonly latencies: number[] = [];
  private count = 0;
  constructor(private readonly file: string) {}
  invoke(value: Stamped): void {
    // Sampling every 16th record keeps the sink cheap at millions of records per second.
    if ((++this.count & 15) === 0) this.latencies.push(now() - value.t);
  }
  close(): void {
    if (this.file === '') return;
    const sorted = this.latencies.sort((a, b) => a - b);
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    writeFileSync(this.file, JSON.stringify({ records: this.count, p50: at(0.5), p99: at(0.99) }));
  }
}

const main: JobMain = (env, args) => {
  const records = Number(args[0]);
  const rate = Number(args[1] ?? '0');
  env.setParallelism(1);
  env
    .fromGenerator(records, (id) => ({ id, t: now() }), rate > 0 ? { recordsPerSecond: rate } : {})
    .slotSharingGroup('producers')
    .rebalance()
    .addSink(new LatencySink(args[2] ?? ''))
    .slotSharingGroup('consumers');
};
export default main;
