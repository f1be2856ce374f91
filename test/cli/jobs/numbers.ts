// Numbers 1..n from a source of parallelism 2, rebalanced to a map of parallelism 2 that doubles
// them, to a collect() sink: args [n]. Three tasks apart, so every record crosses two task
// boundaries: the source sends n, the map takes in n and sends n, the sink takes in n.
import type { JobMain } from '@eddy/api';

const main: JobMain = (env, args) => {
  env
    .fromSequence(1, Number(args[0] ?? '1000'))
    .setParallelism(2)
    .rebalance()
    .map((n: number) => n * 2)
    .setParallelism(2)
    .collect();
};
export default main;
