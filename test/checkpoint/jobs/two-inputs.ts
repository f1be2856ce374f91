/**
 * Two sources unioned into a keyed count at parallelism 2 with a slow sink behind it, so the
 * keyed tasks are backpressured while their barriers align across four input channels. Args:
 * recordsPerSource keys outputDir checkpointDir intervalMs mode sinkDelayMsPerRecord
 */
import type { JobMain } from '@eddy/api';

const main: JobMain = (env, args) => {
  const [records = '2000', keys = '10', output = 'out', checkpoints = 'chk', interval = '100', mode = 'EXACTLY_ONCE', delay = '0'] = args;
  const keyCount = Number(keys);
  const delayMs = Number(delay);
  env.setParallelism(2);
  env.enableCheckpointing(Number(interval), mode === 'AT_LEAST_ONCE' ? 'AT_LEAST_ONCE' : 'EXACTLY_ONCE');
  env.getCheckpointConfig().setCheckpointStorage(checkpoints);
  const odd = env.fromGenerator(Number(records), (i) => 2 * i + 1).uid('odd');
  const even = env.fromGenerator(Number(records), (i) => 2 * i).uid('even');
  odd
    .union(even)
    .map((n: number): [string, number] => {
      if (delayMs > 0) {
        const until = Date.now() + delayMs;
        while (Date.now() < until) {
          // a slow operator: keeps its task busy so the sources back up behind it
        }
      }
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
