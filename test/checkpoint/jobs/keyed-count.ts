/**
 * A keyed count with checkpoints: `records` generated numbers at `rate` per second over
 * parallelism 2, each counted under the key `k<n % keys>`, every running count written by the
 * exactly-once file sink. Args: records keys outputDir checkpointDir [intervalMs] [rate] [failAt] [mode]
 * With failAt >= 0 the map throws once, on that record: a marker file next to the checkpoints says
 * it already did (attempts run in fresh threads, often on other TaskManagers).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobMain } from '@eddy/api';

const main: JobMain = (env, args) => {
  const [records = '1000', keys = '10', output = 'out', checkpoints = 'chk', interval = '200', rate = '0', failAt = '-1', mode = 'EXACTLY_ONCE'] = args;
  const keyCount = Number(keys);
  const failOn = Number(failAt);
  const marker = join(checkpoints, 'failed-once');
  env.setParallelism(2);
  env.enableCheckpointing(Number(interval), mode === 'AT_LEAST_ONCE' ? 'AT_LEAST_ONCE' : 'EXACTLY_ONCE');
  env.getCheckpointConfig().setCheckpointStorage(checkpoints);
  const options = Number(rate) > 0 ? { recordsPerSecond: Number(rate) } : {};
  env
    .fromGenerator(Number(records), (i) => i, options)
    .uid('numbers')
    .map((i: number): [string, number] => {
      if (i === failOn && !existsSync(marker)) {
        // The failing record may come before the first checkpoint created the directory.
        mkdirSync(checkpoints, { recursive: true });
        writeFileSync(marker, String(i));
        throw new Error(`planned failure on record ${i}`);
      }
      return [`k${i % keyCount}`, 1];
    })
    .uid('to-pairs')
    .keyBy(([key]) => key)
    .sum(1)
    .uid('count')
    .writeAsText(output)
    .uid('sink');
};
export default main;
