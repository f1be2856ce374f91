// An endless generator into a keyed count; runs until canceled.
import type { JobMain } from '@eddy/api';

const main: JobMain = (env) => {
  env.setParallelism(2);
  env
    .fromGenerator(Infinity, (i) => ({ key: `k${i % 50}`, value: 1 }), { recordsPerSecond: 20_000 })
    .keyBy((record) => record.key)
    .sum('value')
    .addSink({ invoke: () => undefined });
};
export default main;
