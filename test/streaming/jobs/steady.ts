// A slow endless generator into a sink of its own task: two tasks in one slot, so the source's
// numRecordsOut shows the job making progress. Runs until canceled. Args [recordsPerSecond].
import type { JobMain } from '@eddy/api';

const main: JobMain = (env, args) => {
  env.setParallelism(1);
  env
    .fromGenerator(Infinity, (i) => i, { recordsPerSecond: Number(args[0] ?? '1000') })
    .rebalance()
    .addSink({ invoke: () => undefined });
};
export default main;
