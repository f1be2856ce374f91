// Numbers 0..n-1 from one source straight into collect(): args [n, trigger file]. The first attempt
// emits the first half, waits (giving the sink its turn to send them) until the trigger file
// exists, then fails; the restarted attempt emits all n and ends. The test writes the trigger once
// the client has read some of the first attempt's records, so they were delivered before the failure.
import { existsSync } from 'node:fs';
import { RestartStrategies, type JobMain, type RuntimeContext, type Source, type SourceContext } from '@eddy/api';

class FailOnceSource implements Source<number> {
  private attempt = 0;
  constructor(
    private readonly count: number,
    private readonly trigger: string,
  ) {}

  open(context: RuntimeContext): void {
    this.attempt = context.attemptNumber;
  }

  async run(ctx: SourceContext<number>): Promise<void> {
    const emit = this.attempt === 0 ? Math.floor(this.count / 2) : this.count;
    for (let i = 0; i < emit && !ctx.isCanceled; i++) if (!ctx.collect(i)) await ctx.waitForOutputs();
    if (this.attempt > 0) return;
    while (!existsSync(this.trigger)) {
      if (ctx.isCanceled) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`planned failure of attempt 0 after ${emit} records`);
  }
}

const main: JobMain = (env, args) => {
  const [n = '1000', trigger = 'trigger'] = args;
  env.setParallelism(1);
  env.setRestartStrategy(RestartStrategies.fixedDelayRestart(1, 100));
  env.fromSource(new FailOnceSource(Number(n), trigger), 'Fail once').collect();
};
export default main;
