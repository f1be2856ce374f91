/**
 * Processes dying under a running job: TaskManagers killed with -9 or stopped with SIGSTOP, a
 * JobManager restarted. (Addresses, the job store and the clean exits on SIGTERM:
 * daemon-lifecycle.test.ts; one file each keeps each within the per-file budget on a loaded machine.)
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ClusterClient, stopClusterProcesses, freePort, startJobManager, startTaskManager, testJob, waitFor } from './cluster-harness.js';

after(stopClusterProcesses);

describe('failover', () => {
  it('restarts a job on the surviving TaskManager after the other is killed with -9, and finishes it', async () => {
    const jobManager = await startJobManager();
    const [first, second] = await Promise.all([startTaskManager(jobManager.address, { slots: 2 }), startTaskManager(jobManager.address, { slots: 2 })]);
    const client = await ClusterClient.connect(jobManager.address);
    await client.waitForSlots(4);
    const blobKey = await client.uploadTestTasks();
    const jobId = await client.submit(testJob('survivor', blobKey, [['Worker', 2, 'failOnFirstAttempts']], { 'test.fail-attempts': '0', 'test.run-for': '1500' }));
    await waitFor(async () => (await client.dispatcher.requestJob({ jobId })).vertices[0]!.subtasks.every((s) => s.attempts.at(-1)?.state === 'RUNNING'), 'both subtasks RUNNING');
    const killedAt = Date.now();
    await first!.kill('SIGKILL');
    const lost = await jobManager.waitForLine((line) => line.msg === 'Removed TaskManager' && line['taskManagerId'] === first!.taskManagerId, 'the ResourceManager to notice the loss');
    assert.ok(Number(lost['time']) - killedAt < 3_000, `noticed within 3 s (took ${Number(lost['time']) - killedAt} ms)`);
    const details = await client.waitForStatus(jobId, 'FINISHED', 20_000);
    assert.ok(details.restarts >= 1);
    for (const subtask of details.vertices[0]!.subtasks) assert.equal(subtask.attempts.at(-1)?.taskManagerId, second!.taskManagerId);
    assert.match(details.vertices[0]!.subtasks.flatMap((s) => s.attempts).find((a) => a.state === 'FAILED')?.failureCause?.message ?? '', /TaskManager .* is lost/);
  });

  it('notices a TaskManager stopped with SIGSTOP through the heartbeat timeout and recovers on the other', async () => {
    const jobManager = await startJobManager();
    // Two slots each: the ResourceManager spreads the job's two slots over both TaskManagers.
    const [silent, healthy] = await Promise.all([startTaskManager(jobManager.address, { slots: 2 }), startTaskManager(jobManager.address, { slots: 2 })]);
    const client = await ClusterClient.connect(jobManager.address);
    await client.waitForSlots(4);
    const blobKey = await client.uploadTestTasks();
    const jobId = await client.submit(testJob('silent', blobKey, [['Worker', 2, 'runFor']], { 'test.run-for': '1500' }));
    await waitFor(async () => (await client.dispatcher.requestJob({ jobId })).vertices[0]!.subtasks.every((s) => s.attempts.at(-1)?.state === 'RUNNING'), 'both subtasks RUNNING');
    const details = await client.dispatcher.requestJob({ jobId });
    assert.ok(details.vertices[0]!.subtasks.some((s) => s.attempts.at(-1)?.taskManagerId === silent!.taskManagerId), 'one subtask runs on the TaskManager to be stopped');
    silent!.child.kill('SIGSTOP');
    const timedOut = await jobManager.waitForLine((line) => line.msg === 'TaskManager lost' && line['taskManagerId'] === silent!.taskManagerId, 'the JobMaster to notice the silent TaskManager', 8_000);
    assert.match(String(timedOut['reason']), /timed out/);
    const finished = await client.waitForStatus(jobId, 'FINISHED', 20_000);
    for (const subtask of finished.vertices[0]!.subtasks) assert.equal(subtask.attempts.at(-1)?.taskManagerId, healthy!.taskManagerId);
    await silent!.kill('SIGKILL');
  });

  it('registers a TaskManager started before its JobManager as soon as the JobManager is up, and again after the JobManager restarts', async () => {
    const port = await freePort();
    const taskManager = await startTaskManager(`127.0.0.1:${port}`, { slots: 1 });
    await taskManager.waitForLine((line) => line.msg === 'Could not register at the ResourceManager; retrying', 'a logged failed registration attempt');
    const retry = taskManager.linesWith('Could not register at the ResourceManager; retrying')[0]!;
    assert.equal(retry['address'], `127.0.0.1:${port}/resourcemanager`);
    assert.ok(typeof retry['reason'] === 'string' && retry['reason'].length > 0, 'says why it failed');

    const jobManager = await startJobManager({ port });
    await taskManager.waitForLine((line) => line.msg === 'Registered at the ResourceManager', 'registration', 5_000);
    const client = await ClusterClient.connect(jobManager.address);
    await client.waitForSlots(1);
    const jobId = await client.submit(testJob('orphan', await client.uploadTestTasks(), [['Forever', 1, 'runForever']]));
    await taskManager.waitForLine((line) => line['jobId'] === jobId && line.msg.endsWith('switched from INITIALIZING to RUNNING'), 'the task to run');

    assert.equal(await jobManager.kill('SIGKILL'), null);
    await taskManager.waitForLine((line) => line.msg === 'Lost the ResourceManager; registering again', 'the TaskManager to notice the lost JobManager', 5_000);
    // It fails the lost JobMaster's task and frees the slot.
    await taskManager.waitForLine((line) => line['jobId'] === jobId && line.msg.endsWith('switched from RUNNING to FAILED'), 'the orphaned task to fail', 5_000);
    await taskManager.waitForLine((line) => line['jobId'] === jobId && line.msg === 'Lost the JobMaster; failing its tasks and freeing its slots', 'the slot to be freed', 5_000);
    const restarted = await startJobManager({ port });
    const registrations = (): number => taskManager.linesWith('Registered at the ResourceManager').length;
    await waitFor(() => registrations() === 2, 'the TaskManager to register at the new JobManager');
    const again = await ClusterClient.connect(restarted.address);
    await again.waitForSlots(1);
    const [registered] = (await again.resourceManager.requestTaskManagers({})).taskManagers;
    assert.equal(registered?.slotsFree, 1, 'the slot of the lost job is free');
  });

  it('uses a TaskManager that registers while a job waits for slots at once', async () => {
    const jobManager = await startJobManager();
    await startTaskManager(jobManager.address, { slots: 1 });
    const client = await ClusterClient.connect(jobManager.address);
    await client.waitForSlots(1);
    const jobId = await client.submit(testJob('patient', await client.uploadTestTasks(), [['Pair', 2, 'finishImmediately']]));
    const text = 'needs 2 slots but the cluster has 1 in total; add TaskManagers or lower the parallelism';
    await waitFor(async () => (await client.dispatcher.requestJob({ jobId })).waitingFor === text, 'the job to say the cluster is too small');
    await startTaskManager(jobManager.address, { slots: 1 });
    const details = await client.waitForStatus(jobId, 'FINISHED');
    assert.equal(details.restarts, 0);
    assert.equal(details.waitingFor, '');
  });
});
