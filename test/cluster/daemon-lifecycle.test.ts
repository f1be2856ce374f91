/**
 * The daemons as processes: the addresses they bind and advertise, the ended jobs a JobManager
 * keeps, and the clean exits on SIGTERM.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ClusterClient, stopClusterProcesses, startJobManager, startTaskManager, testJob, waitFor } from './cluster-harness.js';

after(stopClusterProcesses);

describe('daemon lifecycle', () => {
  it('prints both its bind address and its advertised address at start', async () => {
    const jobManager = await startJobManager();
    const taskManager = await startTaskManager(jobManager.address, { slots: 1, config: { 'taskmanager.bind-host': '127.0.0.1', 'taskmanager.host': 'localhost' } });
    const started = taskManager.linesWith('TaskManager started')[0]!;
    assert.match(String(started['bindAddress']), /^127\.0\.0\.1:\d+$/);
    assert.match(String(started['advertisedAddress']), /^localhost:\d+$/);
    const client = await ClusterClient.connect(jobManager.address);
    await client.waitForSlots(1);
    const [registered] = (await client.resourceManager.requestTaskManagers({})).taskManagers;
    assert.match(registered?.address ?? '', /^localhost:\d+\/taskexecutor$/, 'it registers under its advertised address');
    const jobManagerStarted = jobManager.linesWith('JobManager started')[0]!;
    assert.ok(jobManagerStarted['bindAddress'] && jobManagerStarted['advertisedAddress']);
  });

  it('bound to 0.0.0.0 with no taskmanager.host, advertises the address its connection to the JobManager comes from', async () => {
    const jobManager = await startJobManager();
    const taskManager = await startTaskManager(jobManager.address, { slots: 1, config: { 'taskmanager.bind-host': '0.0.0.0' } });
    const started = taskManager.linesWith('TaskManager started')[0]!;
    assert.match(String(started['bindAddress']), /^0\.0\.0\.0:\d+$/);
    assert.match(String(started['advertisedAddress']), /^127\.0\.0\.1:\d+$/);
  });

  it('keeps at most jobstore.max-capacity ended jobs queryable, forgetting the oldest first', async () => {
    const jobManager = await startJobManager({ config: { 'jobstore.max-capacity': '2', 'slot.request.timeout': '50 ms' } });
    const client = await ClusterClient.connect(jobManager.address);
    const jobIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const jobId = await client.submit(testJob(`short-${i}`, '', [['Nowhere', 1, 'finishImmediately']]));
      await client.waitForStatus(jobId, 'FAILED');
      jobIds.push(jobId);
    }
    const { jobs } = await client.dispatcher.listJobs({ includeFinished: true });
    assert.deepEqual(jobs.map((job) => job.jobId).sort(), jobIds.slice(1).sort());
    await assert.rejects(client.status(jobIds[0]!), /No job/);
  });

  it('exits 0 on SIGTERM: a TaskManager cancels its tasks and leaves, a JobManager cancels its jobs', async () => {
    const jobManager = await startJobManager();
    const [leaving, staying] = await Promise.all([startTaskManager(jobManager.address, { slots: 1 }), startTaskManager(jobManager.address, { slots: 1 })]);
    const client = await ClusterClient.connect(jobManager.address);
    await client.waitForSlots(2);
    const blobKey = await client.uploadTestTasks();
    const jobId = await client.submit(testJob('endless', blobKey, [['Forever', 2, 'runForever']]));
    await waitFor(async () => (await client.dispatcher.requestJob({ jobId })).vertices[0]!.subtasks.every((s) => s.attempts.at(-1)?.state === 'RUNNING'), 'both subtasks RUNNING');

    assert.equal(await leaving!.kill('SIGTERM'), 0);
    assert.ok(leaving!.lines.some((line) => / switched from CANCELING to CANCELED/.test(line.msg)), 'the TaskManager canceled its task');
    await jobManager.waitForLine((line) => line.msg === 'Removed TaskManager' && /disconnected/.test(String(line['reason'])), 'the ResourceManager to hear the goodbye');

    assert.equal(await jobManager.kill('SIGTERM'), 0);
    assert.ok(jobManager.lines.some((line) => line['jobId'] === jobId && line.msg.endsWith('switched from state CANCELLING to CANCELED.')), 'the job was canceled');
    await staying!.kill('SIGTERM');
  });
});
