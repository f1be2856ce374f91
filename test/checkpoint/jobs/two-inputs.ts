/**
 * Two sources unioned into a keyed count at parallelism 2 behind a slow map, so the sources are
 * backpressured while barriers align on the tasks with two input channels (the map's and the
 * count's). Args: recordsPerSource keys outputDir checkpointDir intervalMs mode mapDelayMsPerRecord
 */
import type { JobMain } from '@eddy/api';

const main: JobMain = (env, args) => {
  const [records = '2000', keys = '10', output = 'out', checkpoints = 'chk', interval = '100', mode = 'EXACTLY_ONCE', delay = '0'] = args;
  const keyCount = Number(keys);
  const delayMs = Number(delay);
  const busyWait = (): void => {
    const until = performance.now() + delayMs;
    while (performance.now() < until) {
      // a slow operator: keeps its task busy so the sources back up behind it
    }
  };
  env.setParallelism(2);
  env.enableCheckpointing(Number(interval), mode === 'AT_LEAST_ONCE' ? 'AT_LEAST_ONCE' : 'EXACTLY_ONCE');
  env.getCheckpointConfig().setCheckpointStorage(checkpoints);
  // Small buffers: little is in flight, so the slow map backpressures the sources for most of the run.
  env.configure('taskmanager.memory.segment-size', '1 kb');
  // Records of about 100 bytes: few of them fill a buffer, so little is in flight.
  const padding = '.'.repeat(100);
  const odd = env.fromGenerator(Number(records), (i) => ({ n: 2 * i + 1, padding })).uid('odd');
  const even = env.fromGenerator(Number(records), (i) => ({ n: 2 * i, padding })).uid('even');
  odd
    .union(even)
    .map(({ n }: { n: number }): [string, number] => {
      if (delayMs > 0) busyWait();
      return [`k${n % keyCount}`, 1];
    })
    .uid('pairs')
    .keyBy(([key]) => key)
    .sum(1)
    .uid('count')
    .writeAsText(output)
    .uid('sink');
};
export default main;
