/**
 * Rescaling up: a keyed event-time job (keyed state, event-time timers, a window, the exactly-once
 * file sink) runs at parallelism 2 on a JobManager and TaskManagers as child processes, is
 * stopped with a savepoint (eddy stop, no drain), and resumes from it (execution.savepoint.path) at
 * parallelism 3. What both runs committed together must be exactly what a run without
 * interruption commits, row by row: computed from the events (rescaling-test-utils.ts).
 */
import { describe, it } from 'node:test';
import { scratchDirectory, useCheckpointCluster } from './checkpoint-test-utils.js';
import { assertResumesAt } from './rescaling-test-utils.js';

const scratch = scratchDirectory('eddy-rescaling-up-');

describe('restoring at a higher parallelism', () => {
  const cluster = useCheckpointCluster({ taskManagers: 2, slots: 2, restartAttempts: 0 });

  it('resumes a savepoint of parallelism 2 at parallelism 3: keyed state, timers, window and source positions redistributed, every row committed exactly once', async () => {
    await assertResumesAt(cluster, scratch, 3);
  });

  it('with the LMDB backend (its cache frozen by copy-on-write at the savepoint barrier), resumed at parallelism 3 with LMDB: every row committed exactly once', async () => {
    await assertResumesAt(cluster, scratch, 3, { from: 'lmdb', to: 'lmdb' });
  });
});
