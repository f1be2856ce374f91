/**
 * An interval join and connected keyed streams (a KeyedCoProcessFunction with event-time timers)
 * with checkpoints on, on 1 JobManager + 2 TaskManagers at parallelism 2: a TaskManager running the
 * job is killed with SIGKILL mid-job, and the committed output is exactly what a run without
 * failure gives (computed in the test): the join buffers, the counts and the timers come back from
 * the checkpoint, and nothing is emitted twice or lost.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTaskManager, waitFor } from '../cluster/cluster-harness.js';
import { followToEnd, scratchDirectory, useCheckpointCluster } from '../checkpoint/checkpoint-test-utils.js';
import { expectedJoinResults, readResults } from './join-expectations.js';

const JOB = fileURLToPath(new URL('../../../test/eventtime/jobs/joins.ts', import.meta.url));
const scratch = scratchDirectory('eddy-joins-failover-');

describe('joins with checkpoints, a TaskManager killed', () => {
  const cluster = useCheckpointCluster({ taskManagers: 2, slots: 2, restartAttempts: 10 });

  it('commits exactly the results of a run without failure for an interval join and a KeyedCoProcessFunction', async () => {
    const events = 1600;
    const out = join(scratch, 'out');
    // 800 records per source subtask at 100 per second: about 8 s of input, checkpoints every 300 ms.
    const { jobId } = await cluster.client.submitJobFile(JOB, { args: ['interval-join,connect', out, String(events), join(scratch, 'chk'), '100'] });
    const completed = (): number => cluster.jobManager.linesWith(/^Completed checkpoint \d+ for job/).filter((line) => line['jobId'] === jobId).length;
    await waitFor(() => completed() >= 2, 'two completed checkpoints before the kill', 30_000);
    const status = await cluster.client.requestJob(jobId);
    const sourcesRunning = status.vertices.filter((v) => v.name.startsWith('Source')).flatMap((v) => v.subtasks.map((s) => s.attempts.at(-1)?.state));
    assert.ok(sourcesRunning.includes('RUNNING'), `the sources still run at the kill (${sourcesRunning.join(', ')})`);
    const busy = new Set(status.vertices.flatMap((v) => v.subtasks.map((s) => s.attempts.at(-1)?.taskManagerId)));
    const victim = cluster.taskManagers.findIndex((tm) => !tm.hasExited && busy.has(tm.taskManagerId));
    assert.ok(victim >= 0, 'a TaskManager running the job');
    await cluster.taskManagers[victim]!.kill('SIGKILL');
    cluster.taskManagers[victim] = await startTaskManager(cluster.jobManager.address, { slots: 2 });
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    const details = await cluster.client.requestJob(jobId);
    assert.ok(details.restarts >= 1, `restarted after the kill (restarts: ${details.restarts})`);
    assert.deepEqual(readResults(join(out, 'interval-join')), expectedJoinResults('interval-join', events), 'interval join');
    assert.deepEqual(readResults(join(out, 'connect')), expectedJoinResults('connect', events), 'connect');
  });
});
