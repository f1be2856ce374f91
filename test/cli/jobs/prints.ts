// Lines "<word> 1" .. "<word> n" printed by a print() sink of parallelism 2, so each line carries
// its subtask ("1> ", "2> "): args [n, word].
import type { JobMain } from '@eddy/api';

const main: JobMain = (env, args) => {
  const word = args[1] ?? 'line';
  env
    .fromSequence(1, Number(args[0] ?? '10'))
    .setParallelism(2)
    .map((n: number) => `${word} ${n}`)
    .setParallelism(2)
    .print()
    .setParallelism(2);
};
export default main;
