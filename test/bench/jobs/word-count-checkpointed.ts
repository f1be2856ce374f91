// bench:checkpoint's WordCount: bench:throughput's job with checkpoints every `intervalMs` into
// `checkpointDir`. args [lines, parallelism, intervalMs, checkpointDir]; interval 0 runs it without.
import type { JobMain } from '@eddy/api';
import { wordCount } from './word-count-generator.js';

const main: JobMain = (env, args) => {
  env.setParallelism(Number(args[1] ?? '2'));
  const interval = Number(args[2] ?? '0');
  if (interval > 0) {
    env.enableCheckpointing(interval);
    env.getCheckpointConfig().setCheckpointStorage(args[3] ?? 'checkpoints');
  }
  wordCount(env, Number(args[0]));
};
export default main;
