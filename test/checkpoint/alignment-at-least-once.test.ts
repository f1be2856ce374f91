/**
 * AT_LEAST_ONCE checkpoints on tasks with several input channels, under backpressure: no channel is
 * held back for alignment, and with a TaskManager killed no count is lost (duplicates may come).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startTaskManager } from '../cluster/cluster-harness.js';
import { committedRecords, countsPerKey, useCheckpointCluster, checkpointJob, scratchDirectory, followToEnd } from './checkpoint-test-utils.js';

const scratch = scratchDirectory('eddy-alignment-alo-');

describe('AT_LEAST_ONCE checkpoints with two inputs', () => {
  const cluster = useCheckpointCluster({ taskManagers: 2, slots: 3, restartAttempts: 10 });
  const records = 8000;
  const keys = 10;
  const perKey = (2 * records) / keys;

  it('in AT_LEAST_ONCE mode never waits for alignment and, with a TaskManager killed, loses no count', async () => {
    const output = join(scratch, 'alo-out');
    const { jobId } = await cluster.client.submitJobFile(checkpointJob('two-inputs'), { args: [String(records), String(keys), output, join(scratch, 'alo-chk'), '100', 'AT_LEAST_ONCE', '0.25'] });
    const completedBefore = async (): Promise<number> => (await cluster.client.requestJob(jobId)).checkpoints?.completed ?? 0;
    const deadline = Date.now() + 30_000;
    while ((await completedBefore()) < 2) {
      if (Date.now() > deadline) assert.fail('no checkpoint completed in AT_LEAST_ONCE mode');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const stats = (await cluster.client.requestJob(jobId)).checkpoints;
    const subtasks = (stats?.history ?? []).flatMap((checkpoint) => checkpoint.subtasks);
    assert.ok(subtasks.length > 0);
    assert.ok(subtasks.every((subtask) => subtask.alignmentDurationMs === 0), 'no subtask held a channel back');
    await cluster.taskManagers[1]!.kill('SIGKILL');
    cluster.taskManagers[1] = await startTaskManager(cluster.jobManager.address, { slots: 3 });
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    for (const [key, counts] of countsPerKey(committedRecords(output))) {
      const distinct = [...new Set(counts)];
      assert.deepEqual(distinct, Array.from({ length: distinct.length }, (_, i) => i + 1), `${key}: no count missing`);
      assert.ok(distinct.length >= perKey, `${key}: every record counted at least once`);
    }
  });
});
