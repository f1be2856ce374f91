/**
 * Checkpoints when the job is in trouble: a TaskManager killed while a checkpoint is in progress, a
 * checkpoint that outlives its timeout under backpressure.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { waitFor, startTaskManager } from '../cluster/cluster-harness.js';
import { committedRecords, useCheckpointCluster, checkpointJob, scratchDirectory, followToEnd } from './checkpoint-test-utils.js';

const scratch = scratchDirectory('eddy-checkpoint-task-faults-');

describe('checkpoints under task faults', () => {
  const cluster = useCheckpointCluster({ taskManagers: 2, slots: 3, restartAttempts: 10 });

  it('aborts the checkpoint a TaskManager was killed in, and restores from the one before it', async () => {
    const records = 1200;
    const keys = 6;
    const output = join(scratch, 'killed-during-out');
    const { jobId } = await cluster.client.submitJobFile(checkpointJob('two-inputs'), { args: [String(records), String(keys), output, join(scratch, 'killed-during-chk'), '100', 'EXACTLY_ONCE', '3'] });
    let inProgress = 0;
    await waitFor(
      async () => {
        const stats = (await cluster.client.requestJob(jobId)).checkpoints;
        const current = stats?.history.find((checkpoint) => checkpoint.status === 'IN_PROGRESS' && checkpoint.acknowledgedSubtasks > 0);
        if ((stats?.completed ?? 0) < 1 || current === undefined) return false;
        inProgress = current.checkpointId;
        return true;
      },
      'a checkpoint in progress after one completed',
      30_000,
      5,
    );
    await cluster.taskManagers[0]!.kill('SIGKILL');
    cluster.taskManagers[0] = await startTaskManager(cluster.jobManager.address, { slots: 3 });
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    const details = await cluster.client.requestJob(jobId);
    const aborted = cluster.jobManager.linesWith(new RegExp(`^Checkpoint ${inProgress} of job .* failed`)).filter((line) => line['jobId'] === jobId);
    assert.equal(aborted.length, 1, `checkpoint ${inProgress}, in progress at the kill, was aborted`);
    assert.ok(details.restarts >= 1);
    const perKey = (2 * records) / keys;
    const seen = new Map<string, number[]>();
    for (const [key, count] of committedRecords(output) as [string, number][]) seen.set(key, [...(seen.get(key) ?? []), count]);
    for (const [key, counts] of seen) assert.deepEqual(counts.sort((a, b) => a - b), Array.from({ length: perKey }, (_, i) => i + 1), key);
  });

  it('aborts a checkpoint that outlives execution.checkpointing.timeout under backpressure, says so, and tries the next after min-pause', async () => {
    const { jobId } = await cluster.client.submitJobFile(checkpointJob('two-inputs'), {
      args: ['400', '4', join(scratch, 'timeout-out'), join(scratch, 'timeout-chk'), '50', 'EXACTLY_ONCE', '30'],
      configuration: { 'execution.checkpointing.timeout': '200 ms', 'execution.checkpointing.min-pause': '300 ms', 'execution.checkpointing.tolerable-failed-checkpoints': '1000' },
    });
    await waitFor(() => cluster.jobManager.linesWith(/failed: it expired after 200 ms \(execution.checkpointing.timeout\)/).some((line) => line['jobId'] === jobId), 'a checkpoint to expire', 30_000);
    await waitFor(async () => ((await cluster.client.requestJob(jobId)).checkpoints?.history.length ?? 0) >= 2, 'the next checkpoint', 30_000);
    await cluster.client.cancelJob(jobId);
    await followToEnd(cluster.client, jobId);
    const history = [...((await cluster.client.requestJob(jobId)).checkpoints?.history ?? [])].reverse();
    const expired = history.find((checkpoint) => checkpoint.status === 'FAILED');
    const next = history.find((checkpoint) => expired !== undefined && checkpoint.checkpointId === expired.checkpointId + 1);
    assert.ok(expired !== undefined && next !== undefined, 'an expired checkpoint and the one after it');
    assert.ok(next.triggerTimestamp - expired.endTimestamp >= 300, `the next one waited for min-pause: ${next.triggerTimestamp - expired.endTimestamp} ms`);
  });
});
