/**
 * The lmdb keyed state backend on a real cluster (a JobManager and TaskManagers as child
 * processes, `state.backend.type: lmdb` in the TaskManagers' configuration): a canceled job's
 * tasks close their LMDB environments and end, their TaskManagers stay up and the local state
 * directories are removed. (Failover and restore with lmdb: restored-state.test.ts.)
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JobClient } from '@eddy/client';
import { startJobManager, startTaskManager, stopClusterProcesses, waitFor, type JobManagerProcess, type TaskManagerProcess } from '../cluster/cluster-harness.js';
import { checkpointJob, followToEnd, readCounts, scratchDirectory } from './checkpoint-test-utils.js';

const scratch = scratchDirectory('eddy-lmdb-backend-');
const localRoot = join(scratch, 'local-state');

describe('state.backend.type lmdb on a cluster', () => {
  let jobManager: JobManagerProcess;
  const taskManagers: TaskManagerProcess[] = [];
  let client: JobClient;
  before(async () => {
    mkdirSync(localRoot, { recursive: true });
    jobManager = await startJobManager();
    const config = { 'state.backend.type': 'lmdb', 'taskmanager.state.local.root-dirs': localRoot };
    for (let i = 0; i < 2; i++) taskManagers.push(await startTaskManager(jobManager.address, { slots: 2, config }));
    client = await JobClient.connect(jobManager.address);
  });
  after(async () => {
    await client?.close();
    await stopClusterProcesses();
  });

  it('cancels a job whose keyed state is in LMDB: the tasks end, the TaskManagers stay up, the local state directories are removed', async () => {
    const output = join(scratch, 'cancel-out');
    const checkpoints = join(scratch, 'cancel-chk');
    const { jobId } = await client.submitJobFile(checkpointJob('unbounded-counter'), { args: ['50', '2000', output, checkpoints, '100'] });
    const completed = (): number => jobManager.linesWith(/^Completed checkpoint \d+ for job/).filter((line) => line['jobId'] === jobId).length;
    await waitFor(() => completed() >= 2, 'two completed checkpoints of the lmdb job', 30_000);
    const taskDirectories = (): string[] => readdirSync(localRoot).filter((name) => name.startsWith('eddy-state-'));
    assert.ok(taskDirectories().length > 0, 'the keyed tasks keep their state under taskmanager.state.local.root-dirs');
    const started = taskManagers.flatMap((tm) => tm.linesWith('Task thread started')).filter((line) => line['jobId'] === jobId);
    assert.ok(started.length > 0 && started.every((line) => line['stateBackend'] === 'lmdb'), 'every task runs with the cluster’s lmdb backend');
    await client.cancelJob(jobId);
    const terminal = await followToEnd(client, jobId);
    assert.equal(terminal.to, 'CANCELED');
    await waitFor(() => taskDirectories().length === 0, () => `the local state directories to be removed (left: ${taskDirectories().join(', ')})`, 10_000);
    for (const tm of taskManagers) assert.equal(tm.hasExited, false, 'the TaskManager is still up');
    const forced = taskManagers.flatMap((tm) => tm.linesWith(/cancellation timeout; terminating its thread|Terminating task thread/)).filter((line) => line['jobId'] === jobId);
    assert.deepEqual(forced, [], 'no task thread had to be terminated: each closed its environments and ended by itself');
    // The counts were right up to the cancel.
    const keys = 50;
    for (const record of readCounts(output)) assert.equal(record.count, Math.floor(record.index / keys) + 1, `count of index ${record.index}`);
    assert.ok(existsSync(output));
  });
});
