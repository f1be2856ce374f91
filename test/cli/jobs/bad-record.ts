// Numbers through a map that throws at record 5 on every attempt, with no restart strategy of its
// own: the cluster's default decides how often it restarts before it ends FAILED.
import type { JobMain } from '@eddy/api';

const main: JobMain = (env) => {
  env
    .fromSequence(0, 9)
    .map((value: number) => {
      if (value === 5) throw new Error('bad record 5');
      return value;
    })
    .addSink({ invoke: () => undefined });
};
export default main;
