// A job whose pipeline depends on where it runs (a bug): the client sees EDDY_TEST_EXTRA_MAP set,
// the TaskManagers don't, so the rebuilt job graph differs from the submitted one.
import type { JobMain } from '@eddy/api';

const main: JobMain = (env) => {
  let numbers = env.fromSequence(1, 10).setParallelism(1);
  if (process.env['EDDY_TEST_EXTRA_MAP'] === '1') numbers = numbers.map((n: number) => n + 1);
  numbers.writeAsText('/dev/null');
};
export default main;
