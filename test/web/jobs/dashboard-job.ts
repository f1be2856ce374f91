// The dashboard test's job: an endless generator (parallelism 1) into a keyed running count
// (parallelism 2, a HASH edge) and a sink behind a rebalance (a REBALANCE edge), checkpointed every
// 500 ms into args[0]. The count's first attempt fails after 300 records per subtask, so the job
// has an exception to show and restarts once. Three vertices, two edges, counters that keep
// moving; runs until canceled.
import type { JobMain } from '@eddy/api';
import { ProcessFunction, RestartStrategies, type Collector, type ProcessContext } from '@eddy/api';

interface Count {
  key: string;
  value: number;
}

class FailFirstAttempt extends ProcessFunction<Count, Count> {
  private seen = 0;
  processElement(value: Count, _ctx: ProcessContext, out: Collector<Count>): void {
    if (this.getRuntimeContext().attemptNumber === 0 && ++this.seen > 300) throw new Error('planned failure in the first attempt');
    out.collect(value);
  }
}

const main: JobMain = (env, args) => {
  env.enableCheckpointing(500);
  env.getCheckpointConfig().setCheckpointStorage(args[0] ?? 'checkpoints');
  env.setRestartStrategy(RestartStrategies.fixedDelayRestart(2, 100));
  env
    .fromGenerator(Infinity, (i): Count => ({ key: `k${i % 20}`, value: 1 }), { recordsPerSecond: 2_000 })
    .setParallelism(1)
    .name('numbers')
    .keyBy((record) => record.key)
    .sum('value')
    .setParallelism(2)
    .name('count per key')
    .process(new FailFirstAttempt())
    .setParallelism(2)
    .name('fail once')
    .rebalance()
    .addSink({ invoke: () => undefined })
    .setParallelism(2)
    .name('discard');
};
export default main;
