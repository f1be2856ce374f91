// A map whose code never returns once the first record arrives (a busy loop that never yields), so
// the task cannot see a cancel: only the cancellation watchdog ends it. One slot.
import type { JobMain } from '@eddy/api';

const main: JobMain = (env) => {
  env.setParallelism(1);
  env
    .fromGenerator(Infinity, (i) => i, { recordsPerSecond: 100 })
    .map((_: number): number => {
      for (;;) {
        // Busy on purpose.
      }
    })
    .addSink({ invoke: () => undefined });
};
export default main;
