// A map that keeps every record it sees (about 8 KB each) and never lets go: a task that leaks
// until it exceeds its heap. One slot, no restarts.
import { RestartStrategies, type JobMain } from '@eddy/api';

const kept: number[][] = [];

const main: JobMain = (env) => {
  env.setParallelism(1);
  env.setRestartStrategy(RestartStrategies.noRestart());
  env
    .fromGenerator(Infinity, (i) => i)
    .map((i: number) => {
      kept.push(new Array<number>(1_000).fill(i));
      return i;
    })
    .addSink({ invoke: () => undefined });
};
export default main;
