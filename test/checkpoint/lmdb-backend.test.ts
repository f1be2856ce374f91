/**
 * The lmdb keyed state backend on a real cluster (a JobManager and TaskManagers as child
 * processes, `state.backend.type: lmdb` in the TaskManagers' configuration): a canceled job's
 * tasks close their LMDB environments and end, their TaskManagers stay up and the local state
 * directories are removed; incremental checkpoints write what changed, not the state, and a
 * TaskManager killed mid-chain restores from it; a savepoint of an incremental job is full and
 * canonical and resumes on the heap backend. (More failover and restore with lmdb:
 * restored-state.test.ts.)
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JobClient } from '@eddy/client';
import { startJobManager, startTaskManager, stopClusterProcesses, waitFor, type JobManagerProcess, type TaskManagerProcess } from '../cluster/cluster-harness.js';
import { checkpointJob, followToEnd, readCounts, scratchDirectory } from './checkpoint-test-utils.js';

/** Bytes of the files directly in a directory (a checkpoint's chk-<n>: the files it wrote). */
function bytesIn(directory: string): number {
  if (!existsSync(directory)) return 0;
  return readdirSync(directory).reduce((sum, name) => sum + statSync(join(directory, name)).size, 0);
}

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
    // A directory goes when its task's thread has exited: after the task closed its environments,
    // which under load can take a while (a lingering thread is terminated after 5 s).
    const threadLines = (): string =>
      JSON.stringify(taskManagers.flatMap((tm) => tm.linesWith(/Task thread (exited|still runs)|state directory/)).filter((line) => line['jobId'] === jobId || line['task'] !== undefined).slice(-8));
    await waitFor(() => taskDirectories().length === 0, () => `the local state directories to be removed (left: ${taskDirectories().join(', ')}; task threads: ${threadLines()})`, 30_000);
    for (const tm of taskManagers) assert.equal(tm.hasExited, false, 'the TaskManager is still up');
    const forced = taskManagers.flatMap((tm) => tm.linesWith(/cancellation timeout; terminating its thread/)).filter((line) => line['jobId'] === jobId);
    assert.deepEqual(forced, [], 'no task thread had to be terminated: each closed its environments and ended by itself');
    // The counts were right up to the cancel.
    const keys = 50;
    for (const record of readCounts(output)) assert.equal(record.count, Math.floor(record.index / keys) + 1, `count of index ${record.index}`);
    assert.ok(existsSync(output));
  });

  it('writes incremental checkpoints that scale with the change, keeps the files a chain refers to, and restores from a chain after a kill', async () => {
    const keys = 20_000;
    const hot = 100;
    const output = join(scratch, 'incremental-out');
    const checkpoints = join(scratch, 'incremental-chk');
    const { jobId } = await client.submitJobFile(checkpointJob('sparse-updates'), {
      args: [String(keys), String(hot), '200', output, checkpoints, '300', '200'],
      configuration: { 'execution.checkpointing.incremental': 'true' },
    });
    // From the JobMaster itself: its log lines reach this process through a pipe that may lag behind
    // the committed output (a checkpoint's files are committed before its line is read here).
    const completedIds = async (): Promise<number[]> =>
      ((await client.requestJob(jobId)).checkpoints?.history ?? []).filter((checkpoint) => checkpoint.status === 'COMPLETED').map((checkpoint) => checkpoint.checkpointId);
    // Every key counted (20 numbers expand to 20,000 keys), then six more checkpoints of hot updates.
    await waitFor(() => readCounts(output).length > 0, 'the first hot updates', 30_000);
    // A checkpoint triggered after the first hot update has every filled key behind its barrier (the
    // expanding map is one FIFO channel per counter): the one after the latest completed by now.
    const afterFill = Math.max(0, ...(await completedIds())) + 1;
    await waitFor(async () => (await completedIds()).includes(afterFill), `checkpoint ${afterFill}, the first with every key`, 30_000);
    await waitFor(async () => (await completedIds()).filter((id) => id > afterFill).length >= 6, 'six checkpoints after the keys were filled', 30_000);
    // What each checkpoint wrote: the sum of its subtasks' state sizes (Flink's checkpointed data size).
    const history = (await client.requestJob(jobId)).checkpoints?.history ?? [];
    const sizes = history
      .filter((checkpoint) => checkpoint.status === 'COMPLETED' && checkpoint.checkpointId > afterFill)
      .map((checkpoint) => ({ id: checkpoint.checkpointId, written: checkpoint.subtasks.reduce((sum, subtask) => sum + subtask.stateSize, 0), full: checkpoint.stateSize }));
    const full = Math.max(...sizes.map(({ full }) => full));
    assert.ok(full > keys * 200, `a checkpoint holds every key's 200-character value (${full} bytes)`);
    const logs = sizes.filter(({ written }) => written < full / 2);
    assert.ok(logs.length >= 4, `most checkpoints after the keys were filled are change logs: ${JSON.stringify(sizes)}`);
    // The first ones after the fill may still log the fill for a subtask that heard of the
    // completion of `afterFill` only after the next barrier (notifications are asynchronous; its
    // base was older); the latest ones log only the hot updates.
    for (const { id, written } of [...sizes].sort((a, b) => a.id - b.id).slice(-3)) assert.ok(written < full / 20, `checkpoint ${id} wrote ${written} bytes, what ~60 updates of ${hot} hot keys changed, not the state (${full} bytes): ${JSON.stringify(sizes)}`);
    // The files of the chain's full checkpoint are kept while later checkpoints refer to them (num-retained 1).
    const jobDirectory = join(checkpoints, jobId);
    assert.ok(readdirSync(jobDirectory).filter((name) => name.startsWith('chk-')).length >= 2, 'the chain’s full checkpoint and the latest one are on disk');

    const status = await client.requestJob(jobId);
    const busy = new Set(status.vertices.flatMap((v) => v.subtasks.map((s) => s.attempts.at(-1)?.taskManagerId)));
    const victim = taskManagers.findIndex((tm) => !tm.hasExited && busy.has(tm.taskManagerId));
    const lastBefore = Math.max(...readCounts(output).map((r) => r.index));
    await taskManagers[victim]!.kill('SIGKILL');
    taskManagers[victim] = await startTaskManager(jobManager.address, { slots: 2, config: { 'state.backend.type': 'lmdb', 'taskmanager.state.local.root-dirs': localRoot } });
    await waitFor(() => readCounts(output).some((r) => r.attempt > 0 && r.index > lastBefore + 50), 'the restarted job to get past where it was killed', 40_000);
    await client.cancelJob(jobId);
    await followToEnd(client, jobId);
    const records = readCounts(output);
    assert.ok(records.some((r) => r.attempt > 0));
    for (const record of records) {
      assert.equal(record.count, Math.floor(record.index / hot) + 2, `count of update ${record.index} in attempt ${record.attempt}: restored from the chain, neither lost nor counted twice`);
    }
  });

  it('writes a savepoint of an incremental job full and canonical (one state file per subtask, no change log), and resumes it on the heap backend', async () => {
    const keys = 5_000;
    const hot = 50;
    const output = join(scratch, 'savepoint-out');
    const args = (checkpoints: string): string[] => [String(keys), String(hot), '200', output, checkpoints, '200', '50'];
    const { jobId } = await client.submitJobFile(checkpointJob('sparse-updates'), {
      args: args(join(scratch, 'savepoint-chk')),
      configuration: { 'execution.checkpointing.incremental': 'true' },
    });
    const history = async () => ((await client.requestJob(jobId)).checkpoints?.history ?? []).filter((checkpoint) => checkpoint.status === 'COMPLETED');
    // A change log completed: the job's checkpoints are a chain now.
    await waitFor(
      async () => (await history()).some((checkpoint) => checkpoint.subtasks.reduce((sum, subtask) => sum + subtask.stateSize, 0) < checkpoint.stateSize / 2),
      'an incremental checkpoint (a change log) to complete',
      30_000,
    );
    const savepointPath = await client.triggerSavepoint(jobId, join(scratch, 'savepoints'));
    const { checkpoint } = JSON.parse(readFileSync(join(savepointPath, '_metadata'), 'utf8')) as {
      checkpoint: { vertices: { subtasks: { state: { operators: { operatorId: string; keyed: { start: number; end: number; handle: { file?: string } }[] }[] } }[] }[] };
    };
    const keyed = checkpoint.vertices.flatMap((vertex) => vertex.subtasks.flatMap((subtask) => subtask.state.operators.filter((operator) => operator.keyed.length > 0)));
    assert.equal(keyed.length, 2, 'the counter’s two subtasks have keyed state');
    for (const operator of keyed) {
      assert.equal(operator.keyed.length, 1, `${operator.operatorId}: one full snapshot, not a chain of change logs (${JSON.stringify(operator.keyed)})`);
      const file = readFileSync(join(savepointPath, operator.keyed[0]!.handle.file as string));
      const header = file.subarray(0, 4096).toString('latin1');
      assert.ok(header.startsWith('EKS1') && !header.includes('"changes"'), 'a canonical EKS1 snapshot, not a change log');
    }
    await client.cancelJob(jobId);
    await followToEnd(client, jobId);
    const before = Math.max(...readCounts(output).map((r) => r.index));

    const resumed = await client.submitJobFile(checkpointJob('sparse-updates'), {
      args: args(join(scratch, 'savepoint-chk-2')),
      configuration: { 'state.backend.type': 'hashmap' },
      savepointPath,
    });
    await waitFor(() => readCounts(output).some((r) => r.index > before + 2 * hot), 'the resumed job to update every hot key again', 30_000);
    await client.cancelJob(resumed.jobId);
    await followToEnd(client, resumed.jobId);
    for (const record of readCounts(output)) {
      assert.equal(record.count, Math.floor(record.index / hot) + 2, `count of update ${record.index}: the lmdb savepoint restored into the heap backend`);
    }
  });
});
