/**
 * Exactly-once under failures: jobs with checkpoints on a JobManager and TaskManagers as child
 * processes, TaskManagers killed with SIGKILL mid-job, and the committed output compared with an
 * independent computation, update by update.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { waitFor } from '../cluster/cluster-harness.js';
import { committedRecords, assertExactCounts, useCheckpointCluster, checkpointJob, scratchDirectory, followToEnd, killBusyTaskManager } from './checkpoint-test-utils.js';

const scratch = scratchDirectory('eddy-exactly-once-');

describe('exactly once with checkpoints, TaskManagers killed', () => {
  const cluster = useCheckpointCluster({ taskManagers: 3, slots: 2, restartAttempts: 20 });

  it('commits every running count of a keyed count exactly once while TaskManagers are killed three times', async () => {
    // 1,500 records a second for 6 s, longer with every rewind: the job still runs at the third kill.
    const records = 9000;
    const keys = 20;
    const output = join(scratch, 'kill-out');
    const checkpoints = join(scratch, 'kill-chk');
    const { jobId } = await cluster.client.submitJobFile(checkpointJob('keyed-count'), { args: [String(records), String(keys), output, checkpoints, '200', '1500'] });
    const completed = (): number => cluster.jobManager.linesWith(/^Completed checkpoint \d+ for job/).filter((line) => line['jobId'] === jobId).length;
    for (let kill = 0; kill < 3; kill++) {
      const before = completed();
      await waitFor(() => completed() >= before + 1, `a completed checkpoint before kill ${kill + 1}`, 30_000);
      await killBusyTaskManager(cluster, jobId, kill);
    }
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    const details = await cluster.client.requestJob(jobId);
    assert.ok(details.restarts >= 3, `restarted at least three times (was ${details.restarts})`);
    assertExactCounts(committedRecords(output), records, keys);
  });

});
