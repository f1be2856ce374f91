// Numbers 0..n-1 through a map that throws in its first attempt after half of them: args [output, n].
// The restarted job must leave every number in the output exactly once.
import type { JobMain } from '@eddy/api';
import { ProcessFunction, RestartStrategies, type Collector, type ProcessContext } from '@eddy/api';

class FailFirstAttempt extends ProcessFunction<number, number> {
  private seen = 0;
  constructor(private readonly failAfter: number) {
    super();
  }
  processElement(value: number, _ctx: ProcessContext, out: Collector<number>): void {
    if (this.getRuntimeContext().attemptNumber === 0 && ++this.seen > this.failAfter) {
      throw new Error('planned failure in the first attempt');
    }
    out.collect(value);
  }
}

const main: JobMain = (env, args) => {
  const [output, n] = args;
  const count = Number(n);
  env.setParallelism(2);
  env.setRestartStrategy(RestartStrategies.fixedDelayRestart(2, 100));
  env
    .fromSequence(0, count - 1)
    .rebalance()
    .process(new FailFirstAttempt(Math.floor(count / 4)))
    .writeAsText(output as string);
};
export default main;
