/**
 * Event time under a failure: a keyed job whose event-time timers emit per-key counts per window,
 * with checkpoints and the exactly-once file sink, on a JobManager and TaskManagers as child
 * processes; a TaskManager running it is killed with SIGKILL mid-job. The committed output is
 * exactly the independently computed counts, each window of each key once: counts and timers come
 * back from the checkpoint, and firings after it, whose output was never committed, fire again.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTaskManager, waitFor } from '../cluster/cluster-harness.js';
import { committedRecords, followToEnd, scratchDirectory, useCheckpointCluster } from '../checkpoint/checkpoint-test-utils.js';

const JOB = fileURLToPath(new URL('../../../test/eventtime/jobs/event-time-counts.ts', import.meta.url));
const scratch = scratchDirectory('eddy-event-time-exactly-once-');

const WINDOW = 1000;
const event = (i: number): { key: string; ts: number } => ({ key: `k${i % 7}`, ts: 1000 * Math.floor(i / 10) + ((i * 37) % 10) * 97 });

/** [key, windowEnd, count] for every key and window, computed here, sorted. */
function expectedCounts(records: number): string[] {
  const counts = new Map<string, number>();
  for (let i = 0; i < records; i++) {
    const { key, ts } = event(i);
    const window = JSON.stringify([key, ts - (ts % WINDOW) + WINDOW - 1]);
    counts.set(window, (counts.get(window) ?? 0) + 1);
  }
  return [...counts].map(([window, count]) => JSON.stringify([...(JSON.parse(window) as [string, number]), count])).sort();
}

describe('event-time timers with checkpoints, a TaskManager killed', () => {
  const cluster = useCheckpointCluster({ taskManagers: 2, slots: 2, restartAttempts: 20 });

  it('commits the count of every key and window exactly once, as computed here, though a TaskManager running the job was killed', async () => {
    const records = 6000;
    const output = join(scratch, 'out');
    const { jobId } = await cluster.client.submitJobFile(JOB, { args: [String(records), output, join(scratch, 'chk'), '200', '1500'] });
    const completed = (): number => cluster.jobManager.linesWith(/^Completed checkpoint \d+ for job/).filter((line) => line['jobId'] === jobId).length;
    await waitFor(() => completed() >= 2, 'two completed checkpoints before the kill', 30_000);
    const committedBefore = committedRecords(output).length;
    const status = await cluster.client.requestJob(jobId);
    const busy = new Set(status.vertices.flatMap((v) => v.subtasks.map((s) => s.attempts.at(-1)?.taskManagerId)));
    const victim = cluster.taskManagers.findIndex((tm) => !tm.hasExited && busy.has(tm.taskManagerId));
    assert.ok(victim >= 0, 'a TaskManager running the job');
    await cluster.taskManagers[victim]!.kill('SIGKILL');
    cluster.taskManagers[victim] = await startTaskManager(cluster.jobManager.address, { slots: 2 });

    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    const details = await cluster.client.requestJob(jobId);
    assert.ok(details.restarts >= 1, `restarted after the kill (was ${details.restarts})`);
    const committed = committedRecords(output).map((record) => JSON.stringify(record)).sort();
    assert.ok(committedBefore < committed.length, `the kill came mid-job: ${committedBefore} of ${committed.length} results were committed before it`);
    assert.deepEqual(committed, expectedCounts(records));
  });
});
