/**
 * Part of a job finishes long before the rest. A source at parallelism 2 feeds, over a forward
 * edge, a map whose subtasks each also write to a chained user sink, then a keyed count into the
 * exactly-once file sink:
 *
 *   Source (1/2): `records` numbers at once, then ends ──► Map (1/2) + sink whose close() takes `closeMs`
 *   Source (2/2): `records` numbers over `spreadMs`    ──► Map (2/2) + sink
 *                                     both maps ──keyBy──► count ──► file sink
 *
 * Map (1/2) is still closing its sink when the checkpoint after its source's end passes it, so
 * that one is not its final checkpoint: it needs one more after its source FINISHED, which no
 * barrier can bring (the JobMaster triggers it directly).
 * Args: records keys outputDir checkpointDir intervalMs spreadMs closeMs
 */
import type { JobMain, RuntimeContext, Sink, Source, SourceContext } from '@eddy/api';

const main: JobMain = (env, args) => {
  const [records = '200', keys = '10', output = 'out', checkpoints = 'chk', interval = '50', spread = '1000', close = '400'] = args;
  const perSubtask = Number(records);
  const keyCount = Number(keys);
  const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  class Numbers implements Source<number> {
    private subtask = 0;
    open(context: RuntimeContext): void {
      this.subtask = context.indexOfThisSubtask;
    }
    async run(ctx: SourceContext<number>): Promise<void> {
      const first = this.subtask * perSubtask;
      if (this.subtask === 0) {
        await ctx.collectBatch(Array.from({ length: perSubtask }, (_, i) => first + i));
        return;
      }
      const steps = 20;
      for (let step = 0; step < steps && !ctx.isCanceled; step++) {
        const from = first + Math.floor((step * perSubtask) / steps);
        const to = first + Math.floor(((step + 1) * perSubtask) / steps);
        await ctx.collectBatch(Array.from({ length: to - from }, (_, i) => from + i));
        await pause(Number(spread) / steps);
      }
    }
  }

  class SlowToClose implements Sink<[string, number]> {
    private subtask = 0;
    open(context: RuntimeContext): void {
      this.subtask = context.indexOfThisSubtask;
    }
    invoke(): void {}
    async close(): Promise<void> {
      if (this.subtask === 0) await pause(Number(close));
    }
  }

  env.setParallelism(2);
  env.enableCheckpointing(Number(interval));
  env.getCheckpointConfig().setCheckpointStorage(checkpoints);
  const pairs = env
    .fromSource(new Numbers(), 'Numbers')
    .uid('numbers')
    .map((n: number): [string, number] => [`k${n % keyCount}`, 1])
    .uid('pairs')
    .disableChaining();
  pairs.addSink(new SlowToClose()).uid('slow-to-close');
  pairs.keyBy(([key]) => key).sum(1).uid('count').writeAsText(output).uid('sink');
};
export default main;
