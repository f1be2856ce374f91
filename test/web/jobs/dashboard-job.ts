// The dashboard test's job: an endless generator (parallelism 1) into a keyed running count
// (parallelism 2, a HASH edge) and a sink behind a rebalance (a REBALANCE edge), checkpointed every
// 500 ms into args[0]. Three vertices, two edges, counters that keep moving; runs until canceled.
import type { JobMain } from '@eddy/api';

const main: JobMain = (env, args) => {
  env.enableCheckpointing(500);
  env.getCheckpointConfig().setCheckpointStorage(args[0] ?? 'checkpoints');
  env
    .fromGenerator(Infinity, (i) => ({ key: `k${i % 20}`, value: 1 }), { recordsPerSecond: 2_000 })
    .setParallelism(1)
    .name('numbers')
    .keyBy((record) => record.key)
    .sum('value')
    .setParallelism(2)
    .name('count per key')
    .rebalance()
    .addSink({ invoke: () => undefined })
    .setParallelism(2)
    .name('discard');
};
export default main;
