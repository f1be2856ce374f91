// An endless, slow generator into a sink that drops everything; runs until canceled. One slot.
import type { JobMain } from '@eddy/api';

const main: JobMain = (env) => {
  env.fromGenerator(Infinity, (i) => i, { recordsPerSecond: 1_000 }).addSink({ invoke: () => undefined });
};
export default main;
