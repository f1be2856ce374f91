// bench:checkpoint's large-state job: an endless generator over `keys` distinct keys (in order,
// then around again) at `rate` records per second, counted per key, every `intervalMs` a
// checkpoint into `checkpointDir`. args [keys, rate, intervalMs, checkpointDir].
import type { JobMain, Sink } from '@eddy/api';

class DiscardingSink<T> implements Sink<T> {
  invoke(): void {}
}

const main: JobMain = (env, args) => {
  const keys = Number(args[0]);
  env.setParallelism(2);
  env.enableCheckpointing(Number(args[2] ?? '1000'));
  env.getCheckpointConfig().setCheckpointStorage(args[3] ?? 'checkpoints');
  env
    .fromGenerator(Number.POSITIVE_INFINITY, (i): [number, number] => [i % keys, 1], { recordsPerSecond: Number(args[1] ?? '200000') })
    .keyBy((pair) => pair[0])
    .sum(1)
    .addSink(new DiscardingSink());
};
export default main;
