/**
 * Rescaling down: the job of rescaling-up.test.ts, stopped with a savepoint at parallelism 2, resumes at
 * parallelism 1 and commits exactly what an uninterrupted run does; resuming its keyed state at
 * another max parallelism is refused before anything is deployed.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkpointJob, followToEnd, scratchDirectory, useCheckpointCluster } from './checkpoint-test-utils.js';
import { assertResumesAt, RECORDS, savepointAtTwo } from './rescaling-test-utils.js';

const scratch = scratchDirectory('eddy-rescaling-down-');

describe('restoring at a lower parallelism', () => {
  const cluster = useCheckpointCluster({ taskManagers: 2, slots: 2, restartAttempts: 0 });
  /** The savepoint of parallelism 2 the first test resumed, if it ran. */
  let retained: string | undefined;

  it('resumes a savepoint of parallelism 2 at parallelism 1: keyed state, timers, window and source positions redistributed, every row committed exactly once', async () => {
    retained = await assertResumesAt(cluster, scratch, 1);
  });

  it('refuses before deploying anything to resume keyed state at another max parallelism, saying what to set', async () => {
    const checkpoint = retained ?? (await savepointAtTwo(cluster, scratch, 'max')).checkpoint;
    const { jobId } = await cluster.client.submitJobFile(checkpointJob('rescalable'), {
      args: [String(RECORDS), join(scratch, 'max-out-2'), join(scratch, 'max-chk-2'), '200', '0', '3', '256'],
      configuration: { 'execution.savepoint.path': checkpoint },
    });
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FAILED');
    assert.match(
      terminal.cause?.message ?? '',
      /Cannot start from .*_metadata: operator \S+ has keyed state cut into 128 key groups .* with max parallelism 256\. The max parallelism of an operator with keyed state cannot change: set it back to 128/,
    );
    const deployed = cluster.jobManager.linesWith(/switched from SCHEDULED to DEPLOYING/).filter((line) => line['jobId'] === jobId);
    assert.deepEqual(deployed, [], 'no task was deployed');
  });

  it('from a savepoint the LMDB backend took at parallelism 2, resumes at parallelism 1 on the heap backend: every row committed exactly once', async () => {
    await assertResumesAt(cluster, scratch, 1, { from: 'lmdb', to: 'hashmap' });
  });
});
