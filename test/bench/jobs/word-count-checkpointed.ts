// bench:checkpoint's WordCount: bench:throughput's job with checkpoints every `intervalMs` into
// `checkpointDir`. args [lines, parallelism, intervalMs, checkpointDir]; interval 0 runs it without.
import type { Collector, JobMain, Sink } from '@eddy/api';
import { benchLine } from './bench-text.js';

class DiscardingSink<T> implements Sink<T> {
  invoke(): void {}
}

const main: JobMain = (env, args) => {
  const lines = Number(args[0]);
  env.setParallelism(Number(args[1] ?? '2'));
  const interval = Number(args[2] ?? '0');
  if (interval > 0) {
    env.enableCheckpointing(interval);
    env.getCheckpointConfig().setCheckpointStorage(args[3] ?? 'checkpoints');
  }
  env
    .fromGenerator(lines, benchLine)
    .flatMap((line: string, out: Collector<[string, number]>) => {
      for (const word of line.split(' ')) out.collect([word, 1]);
    })
    .keyBy((pair) => pair[0])
    .sum(1)
    .addSink(new DiscardingSink());
};
export default main;
