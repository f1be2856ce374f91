// A map that throws on the record 7, in a job that does not restart: it ends FAILED.
import { RestartStrategies, type JobMain } from '@eddy/api';

function check(n: number): number {
  if (n === 7) throw new Error(`bad record ${n}`);
  return n;
}

const main: JobMain = (env) => {
  env.setRestartStrategy(RestartStrategies.noRestart());
  env.fromSequence(1, 100).map(check).addSink({ invoke: () => undefined });
};
export default main;
