/**
 * Windows with checkpoints on a JobManager and three TaskManagers (child processes): a TaskManager
 * running the job is killed with SIGKILL mid-job, the job restarts from its last checkpoint, and
 * the committed output holds every tumbling and session window exactly once, with exactly the
 * counts and sums computed here: a window that fired before the checkpoint does not fire again,
 * one that had not fires once, from its restored contents and timers.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTaskManager, waitFor } from '../cluster/cluster-harness.js';
import { committedRecords, followToEnd, scratchDirectory, useCheckpointCluster } from '../checkpoint/checkpoint-test-utils.js';
import { event } from './jobs/windows.js';
import { tumblingAndSessionRows } from './window-expectations.js';

const JOB = fileURLToPath(new URL('../../../test/eventtime/jobs/windows-checkpointed.ts', import.meta.url));
const scratch = scratchDirectory('eddy-windows-failover-');

function expectedRows(records: number): string[] {
  return tumblingAndSessionRows(Array.from({ length: records }, (_, i) => event(i)));
}

describe('windows with checkpoints, a TaskManager killed', () => {
  const cluster = useCheckpointCluster({ taskManagers: 3, slots: 2, restartAttempts: 10 });

  it('commit every window exactly once, with the contents computed here', async () => {
    const records = 6000;
    const output = join(scratch, 'out');
    const markers = join(scratch, 'markers');
    mkdirSync(markers);
    const { jobId } = await cluster.client.submitJobFile(JOB, { args: [String(records), output, join(scratch, 'chk'), '200', '3000', markers] });
    const completed = (): number => cluster.jobManager.linesWith(/^Completed checkpoint \d+ for job/).filter((line) => line['jobId'] === jobId).length;
    // The source waits halfway until released: the kill surely comes mid-job.
    await waitFor(() => existsSync(join(markers, 'halfway-0')) && existsSync(join(markers, 'halfway-1')), 'both source subtasks halfway', 30_000);
    const before = completed();
    await waitFor(() => completed() >= before + 2, 'two completed checkpoints while the source waits', 30_000);
    const status = await cluster.client.requestJob(jobId);
    const busy = new Set(status.vertices.flatMap((v) => v.subtasks.map((s) => s.attempts.at(-1)?.taskManagerId)));
    const victim = cluster.taskManagers.findIndex((tm) => !tm.hasExited && busy.has(tm.taskManagerId));
    assert.ok(victim >= 0, 'a TaskManager running the job');
    const committedBefore = committedRecords(output).length;
    await cluster.taskManagers[victim]!.kill('SIGKILL');
    cluster.taskManagers[victim] = await startTaskManager(cluster.jobManager.address, { slots: 2 });
    writeFileSync(join(markers, 'release'), '');
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    assert.ok((await cluster.client.requestJob(jobId)).restarts >= 1, 'the job restarted');
    const actual = committedRecords(output).map((row) => JSON.stringify(row)).sort();
    assert.ok(committedBefore < actual.length, `the kill came mid-job: ${committedBefore} of ${actual.length} windows were committed before it`);
    assert.deepEqual(actual, expectedRows(records));
  });
});
