/** Runs a daemon until SIGTERM or SIGINT, then stops it and exits 0. */
import type { Logger } from '@eddy/common';

export function stopOnSignals(name: string, stop: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'Second signal; exiting at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, `${name} received a stop signal`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, `${name} did not stop cleanly`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
