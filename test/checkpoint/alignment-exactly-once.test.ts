/**
 * Barrier alignment on tasks with several input channels, under backpressure: exactly-once holds
 * and checkpoints complete. (AT_LEAST_ONCE: alignment-at-least-once.test.ts; one file each keeps
 * each within the runner's per-file budget on a loaded machine.)
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { committedRecords, countsPerKey, useCheckpointCluster, checkpointJob, scratchDirectory, followToEnd } from './checkpoint-test-utils.js';

const scratch = scratchDirectory('eddy-alignment-eo-');

describe('barrier alignment with two inputs', () => {
  const cluster = useCheckpointCluster({ taskManagers: 2, slots: 3, restartAttempts: 10 });
  const records = 8000;
  const keys = 10;
  const perKey = (2 * records) / keys;

  it('completes checkpoints while the aligning tasks are backpressured, and the output is exact', async () => {
    const output = join(scratch, 'eo-out');
    const { jobId } = await cluster.client.submitJobFile(checkpointJob('two-inputs'), { args: [String(records), String(keys), output, join(scratch, 'eo-chk'), '100', 'EXACTLY_ONCE', '0.25'] });
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    const details = await cluster.client.requestJob(jobId);
    const stats = details.checkpoints;
    // Checkpoints that completed while the job ran (before its last records were read), not only the final one.
    const sourcesEnded = Math.max(...details.vertices[0]!.subtasks.map((subtask) => subtask.attempts.at(-1)?.stateTimestamps['FINISHED'] ?? 0));
    const duringTheRun = (stats?.history ?? []).filter((checkpoint) => checkpoint.status === 'COMPLETED' && checkpoint.endTimestamp < sourcesEnded - 200);
    assert.ok(duringTheRun.length >= 2, `checkpoints completed under backpressure: ${JSON.stringify(stats?.history.map((c) => [c.checkpointId, c.status, c.endTimestamp - c.triggerTimestamp]))}`);
    const aligned = (stats?.history ?? []).flatMap((checkpoint) => checkpoint.subtasks).filter((subtask) => subtask.alignmentDurationMs > 0);
    assert.ok(aligned.length > 0, 'some subtask waited for alignment');
    for (const [key, counts] of countsPerKey(committedRecords(output))) assert.deepEqual(counts, Array.from({ length: perKey }, (_, i) => i + 1), key);
  });
});
