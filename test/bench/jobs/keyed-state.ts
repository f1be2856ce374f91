// bench:state's keyed counting: `records` generated numbers over `keys` keys (i % keys), counted
// per key (sum), parallelism 2, into a discarding sink. With valueBytes > 0 each key keeps its
// latest `valueBytes`-character value instead of a count (state larger than the heap). With
// intervalMs > 0 a checkpoint every intervalMs into checkpointDir. records 'Infinity': unbounded;
// recordsPerSecond > 0 limits the source's rate.
// args [records, keys, valueBytes, intervalMs, checkpointDir, parallelism, recordsPerSecond].
import type { JobMain, Sink } from '@eddy/api';

class DiscardingSink<T> implements Sink<T> {
  invoke(): void {}
}

const main: JobMain = (env, args) => {
  const [records = '1000000', keys = '1000000', valueBytes = '0', interval = '0', checkpoints = 'checkpoints', parallelism = '2', rate = '0'] = args;
  const keyCount = Number(keys);
  const bytes = Number(valueBytes);
  env.setParallelism(Number(parallelism));
  if (Number(interval) > 0) {
    env.enableCheckpointing(Number(interval));
    env.getCheckpointConfig().setCheckpointStorage(checkpoints);
  }
  const numbers = env.fromGenerator(Number(records), (i) => i, Number(rate) > 0 ? { recordsPerSecond: Number(rate) } : {});
  if (bytes > 0) {
    const padding = 'x'.repeat(bytes);
    numbers
      .map((i: number): [number, string] => [i % keyCount, `${i}${padding}`.slice(0, bytes)])
      .keyBy((pair) => pair[0])
      .reduce((_, latest) => latest)
      .addSink(new DiscardingSink());
  } else {
    numbers
      .map((i: number): [number, number] => [i % keyCount, 1])
      .keyBy((pair) => pair[0])
      .sum(1)
      .addSink(new DiscardingSink());
  }
};
export default main;
