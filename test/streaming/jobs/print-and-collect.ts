// Numbers 1..n squared, printed by a parallel print() sink and sent back by collect(): args [n].
import type { JobMain } from '@eddy/api';

const main: JobMain = (env, args) => {
  const squares = env
    .fromSequence(1, Number(args[0] ?? '100'))
    .setParallelism(2)
    .map((n: number) => ({ n, square: n * n }))
    .setParallelism(2);
  squares.print().setParallelism(2);
  squares.collect();
};
export default main;
