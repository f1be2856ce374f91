/**
 * Checkpoints once part of a job finished (Flink's FLIP-147): a subtask whose upstream subtasks
 * all finished gets its checkpoints triggered by the JobMaster, its final one among them, so the
 * rest of the job keeps checkpointing and the job finishes with exact output.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkpointJob, committedRecords, countsPerKey, followToEnd, scratchDirectory, useCheckpointCluster } from './checkpoint-test-utils.js';

const scratch = scratchDirectory('eddy-finished-upstream-');

describe('checkpoints after part of the job finished', () => {
  const cluster = useCheckpointCluster({ taskManagers: 2, slots: 3, restartAttempts: 0 });
  const records = 200;
  const keys = 10;

  it('keep completing while one source subtask and the map behind it have finished, and the job finishes with exact output', async () => {
    const output = join(scratch, 'out');
    const { jobId } = await cluster.client.submitJobFile(checkpointJob('uneven-sources'), { args: [String(records), String(keys), output, join(scratch, 'chk'), '50', '1000', '400'] });
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    const details = await cluster.client.requestJob(jobId);
    const finishedAt = (vertex: number, subtask: number): number => details.vertices[vertex]!.subtasks[subtask]!.attempts.at(-1)!.stateTimestamps['FINISHED'] ?? 0;
    const [firstEnded, lastEnded] = [finishedAt(0, 0), finishedAt(0, 1)].sort((a, b) => a - b) as [number, number];
    const history = details.checkpoints?.history ?? [];
    const between = history.filter((checkpoint) => checkpoint.status === 'COMPLETED' && checkpoint.triggerTimestamp > firstEnded && checkpoint.endTimestamp < lastEnded);
    assert.ok(between.length >= 1, `a checkpoint completed between the ends of the two source subtasks: ${JSON.stringify(history.map((c) => [c.checkpointId, c.status, c.triggerTimestamp - firstEnded, c.endTimestamp - firstEnded]))}, sources ended ${lastEnded - firstEnded} ms apart`);
    for (const [key, counts] of countsPerKey(committedRecords(output))) assert.deepEqual(counts, Array.from({ length: (2 * records) / keys }, (_, i) => i + 1), key);
    assert.equal(countsPerKey(committedRecords(output)).size, keys);
  });
});
