/**
 * A keyed count for the savepoint tests: `records` numbers at `rate` per second over parallelism
 * 2, each counted under the key `k<n % keys>`, every running count written by the exactly-once
 * file sink. Checkpoints every `interval` ms (long by default, so that only savepoints and the
 * final checkpoint happen while a test looks). Args:
 *   records keys outputDir checkpointDir [interval] [rate] [variant] [maxParallelism]
 * variant: 'same' (default), 'renamed' (the count has uid 'count-v2': the savepoint's 'count'
 * state is unclaimed), 'no-uids' (no uid anywhere).
 */
import type { JobMain } from '@eddy/api';

const main: JobMain = (env, args) => {
  const [records = '1000', keys = '10', output = 'out', checkpoints = 'chk', interval = '60000', rate = '0', variant = 'same', maxParallelism = '0'] = args;
  const keyCount = Number(keys);
  env.setParallelism(2);
  if (Number(maxParallelism) > 0) env.setMaxParallelism(Number(maxParallelism));
  env.enableCheckpointing(Number(interval));
  env.getCheckpointConfig().setCheckpointStorage(checkpoints);
  const uid = <T extends { uid(id: string): T }>(stream: T, id: string): T => (variant === 'no-uids' ? stream : stream.uid(variant === 'renamed' && id === 'count' ? 'count-v2' : id));
  const numbers = uid(env.fromGenerator(Number(records), (i) => i, Number(rate) > 0 ? { recordsPerSecond: Number(rate) } : {}), 'numbers');
  const pairs = uid(
    numbers.map((i: number): [string, number] => [`k${i % keyCount}`, 1]),
    'to-pairs',
  );
  const counts = uid(pairs.keyBy(([key]) => key).sum(1), 'count');
  uid(counts.writeAsText(output), 'sink');
};
export default main;
