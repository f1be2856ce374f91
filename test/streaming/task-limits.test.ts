/**
 * What a TaskManager gives each task, end to end with real processes: the TaskManager's network
 * options where a job sets none, a heap limit per task (a leaking task fails alone, the TaskManager
 * and its other tasks live on), and the cancellation watchdog (a task stuck in its own code is
 * terminated after task.cancellation.timeout and its slot is free again).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JobClient } from '@eddy/client';
import { startJobManager, startTaskManager, stopClusterProcesses, waitFor, type JobManagerProcess, type LogLine, type TaskManagerProcess } from '../cluster/cluster-harness.js';

after(stopClusterProcesses);

const jobFile = (name: string): string => fileURLToPath(new URL(`../../../test/streaming/jobs/${name}.ts`, import.meta.url));

/** Set on the TaskManager; every value differs from the default and from what the job below sets. */
const TASK_MANAGER_NETWORK = {
  'taskmanager.memory.segment-size': '16 kb',
  'execution.buffer-timeout': '250 ms',
  'taskmanager.network.memory.buffers-per-channel': '3',
  'taskmanager.network.memory.max-queued-buffers-per-channel': '5',
};
const JOB_NETWORK = {
  'taskmanager.memory.segment-size': '8 kb',
  'execution.buffer-timeout': '20 ms',
  'taskmanager.network.memory.buffers-per-channel': '2',
  'taskmanager.network.memory.max-queued-buffers-per-channel': '6',
};

describe('what a TaskManager gives its tasks', () => {
  let jobManager: JobManagerProcess;
  let taskManager: TaskManagerProcess;
  let client: JobClient;

  before(async () => {
    jobManager = await startJobManager();
    taskManager = await startTaskManager(jobManager.address, {
      slots: 2,
      config: { ...TASK_MANAGER_NETWORK, 'taskmanager.memory.task.heap.size': '128 mb', 'task.cancellation.timeout': '1 s' },
    });
    client = await JobClient.connect(jobManager.address);
    await waitFor(async () => (await client.requestTaskManagers()).some((tm) => tm.slotsTotal === 2), 'the TaskManager to register');
  });
  after(() => client?.close());

  const started = (jobId: string): LogLine[] => taskManager.linesWith('Task thread started').filter((line) => line['jobId'] === jobId);
  const slotsFree = async (): Promise<number> => (await client.requestTaskManagers()).reduce((sum, tm) => sum + tm.slotsFree, 0);

  it("starts a job's tasks with the TaskManager's network options where the job sets none, and with the job's where it does", async () => {
    const plain = await client.submitJobFile(jobFile('steady'), { args: ['1000'] });
    const tuned = await client.submitJobFile(jobFile('steady'), { args: ['1000'], configuration: JOB_NETWORK });
    for (const { jobId } of [plain, tuned]) await waitFor(() => started(jobId).length === 2, `both tasks of job ${jobId} to start`);
    const expected = (values: Record<string, string>, bufferSizeBytes: number, bufferTimeoutMs: number) => ({
      bufferSizeBytes,
      bufferTimeoutMs,
      initialCredit: Number(values['taskmanager.network.memory.buffers-per-channel']),
      maxQueuedBuffersPerChannel: Number(values['taskmanager.network.memory.max-queued-buffers-per-channel']),
    });
    for (const line of started(plain.jobId)) assert.deepEqual(line['network'], expected(TASK_MANAGER_NETWORK, 16 * 1024, 250));
    for (const line of started(tuned.jobId)) assert.deepEqual(line['network'], expected(JOB_NETWORK, 8 * 1024, 20));
    for (const { jobId } of [plain, tuned]) {
      await client.cancelJob(jobId);
      assert.equal((await client.followJob(jobId)).to, 'CANCELED');
    }
    await waitFor(async () => (await slotsFree()) === 2, 'both slots to be free');
  });

  it('fails a task that leaks past its heap limit with an error naming the option, while the TaskManager and another job on it keep running', async () => {
    const pid = taskManager.child.pid;
    const steady = await client.submitJobFile(jobFile('steady'), { args: ['1000'] });
    const recordsOut = async (): Promise<number> => (await client.requestJob(steady.jobId)).vertices[0]?.subtasks[0]?.attempts.at(-1)?.numRecordsOut ?? 0;
    await waitFor(async () => (await recordsOut()) > 0, 'the steady job to send records', 15_000);

    const leaky = await client.submitJobFile(jobFile('leaky-map'), {});
    assert.equal((await client.followJob(leaky.jobId)).to, 'FAILED');
    const details = await client.requestJob(leaky.jobId);
    assert.equal(details.failureCause?.name, 'TaskHeapLimitExceededError');
    assert.match(details.failureCause?.message ?? '', /^task heap limit of 64 MB exceeded; raise taskmanager\.memory\.task\.heap\.size/);

    const before = await recordsOut();
    await waitFor(async () => (await recordsOut()) > before, 'the other job to go on sending records');
    assert.equal((await client.requestJob(steady.jobId)).status, 'RUNNING');
    assert.equal(taskManager.hasExited, false, 'the TaskManager process lives');
    assert.equal(taskManager.child.pid, pid);
    assert.equal(taskManager.linesWith('TaskManager started').length, 1, 'the TaskManager did not restart');
    await client.cancelJob(steady.jobId);
    assert.equal((await client.followJob(steady.jobId)).to, 'CANCELED');
    await waitFor(async () => (await slotsFree()) === 2, 'both slots to be free');
  });

  it('terminates a task stuck in a loop of its own once task.cancellation.timeout has passed after a cancel, saying so, and frees its slot', async () => {
    const busy = await client.submitJobFile(jobFile('busy-map'), {});
    await waitFor(async () => (await client.requestJob(busy.jobId)).vertices.every((v) => v.subtasks.every((s) => s.attempts.at(-1)?.state === 'RUNNING')), 'the task to run');
    await waitFor(async () => (await slotsFree()) === 1, 'the job to hold its slot');
    const canceledAt = Date.now();
    await client.cancelJob(busy.jobId);
    assert.equal((await client.followJob(busy.jobId)).to, 'CANCELED');
    assert.ok(Date.now() - canceledAt >= 900, 'the task was given the cancellation timeout');
    const warning = await taskManager.waitForLine(
      (line) => line.msg === 'Task did not end within the cancellation timeout; terminating its thread' && line['jobId'] === busy.jobId,
      'the watchdog line',
    );
    assert.equal(warning['configKey'], 'task.cancellation.timeout');
    const subtask = (await client.requestJob(busy.jobId)).vertices[0]?.subtasks[0]?.attempts.at(-1);
    assert.equal(subtask?.state, 'CANCELED');
    await waitFor(async () => (await slotsFree()) === 2, 'the slot to be free again');
  });
});
