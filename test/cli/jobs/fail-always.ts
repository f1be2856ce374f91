// Numbers through a map that throws at 5, with no restarts: the job FAILS with that cause.
import { RestartStrategies, type JobMain } from '@eddy/api';

const main: JobMain = (env) => {
  env.setRestartStrategy(RestartStrategies.noRestart());
  env
    .fromSequence(0, 9)
    .map((value: number) => {
      if (value === 5) throw new Error('planned failure at record 5');
      return value;
    })
    .print();
};
export default main;
