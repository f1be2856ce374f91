// An endless, paced generator of which only the first N records pass, through a keyed map into a
// sink of their own task: N records cross each task boundary, then the job idles until canceled,
// so its counters can be scraped at their final values. Args [N, recordsPerSecond].
import type { JobMain } from '@eddy/api';

const main: JobMain = (env, args) => {
  const records = Number(args[0] ?? '5000');
  env.setParallelism(1).setJobName('metered');
  env
    .fromGenerator(Infinity, (i) => i, { recordsPerSecond: Number(args[1] ?? '4000') })
    .filter((i) => i < records)
    .rebalance()
    .map((i) => i * 2)
    .addSink({ invoke: () => undefined });
};
export default main;
