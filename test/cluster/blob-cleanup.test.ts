/**
 * A JobManager and a TaskManager as child processes, with a short blob.service.cleanup.interval:
 * a job's code stays in the JobManager's blob store and the TaskManager's cache while the job
 * runs, and both copies are removed once it has ended and the interval has passed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BlobClient } from '@eddy/runtime';
import { ClusterClient, stopClusterProcesses, startJobManager, startTaskManager, testJob, waitFor, type JobManagerProcess, type TaskManagerProcess } from './cluster-harness.js';

after(stopClusterProcesses);

/** Short, but long enough for the client to submit the job after uploading its code, even on a loaded machine. */
const CLEANUP = { 'blob.service.cleanup.interval': '1 s' };

describe("a job's code in the blob store and the blob cache", () => {
  let jobManager: JobManagerProcess;
  let taskManager: TaskManagerProcess;
  let client: ClusterClient;
  let storage: string;
  let cache: string;

  before(async () => {
    jobManager = await startJobManager({ config: CLEANUP });
    taskManager = await startTaskManager(jobManager.address, { slots: 2, config: CLEANUP });
    storage = jobManager.linesWith('JobManager started')[0]!['blobStorage'] as string;
    cache = taskManager.linesWith('TaskManager started')[0]!['blobCache'] as string;
    client = await ClusterClient.connect(jobManager.address);
    await client.waitForSlots(2);
  });

  it('stays while the job runs, and is removed from both once the job has ended and the cleanup interval has passed', async () => {
    const blobKey = await client.uploadTestTasks();
    const jobId = await client.submit(testJob('forever', blobKey, [['Forever', 2, 'runForever']]));
    await waitFor(async () => (await client.dispatcher.requestJob({ jobId })).vertices[0]!.subtasks.every((s) => s.attempts.at(-1)?.state === 'RUNNING'), 'both tasks RUNNING');
    assert.ok(existsSync(join(cache, blobKey)), 'the TaskManager cached the code');

    // A blob no job uses goes after an interval: once it has, the cleanup ran while the job held its code.
    const { key: unused } = await new BlobClient(client.rpc, jobManager.address).uploadBytes(randomBytes(1024));
    await waitFor(() => !existsSync(join(storage, unused)), 'the blob no job uses to be removed', 15_000);
    assert.ok(existsSync(join(storage, blobKey)), "the running job's code left the blob store");
    assert.ok(existsSync(join(cache, blobKey)), "the running job's code left the TaskManager's cache");

    await client.dispatcher.cancelJob({ jobId });
    await client.waitForStatus(jobId, 'CANCELED');
    await waitFor(() => !existsSync(join(storage, blobKey)), "the ended job's code to leave the blob store", 15_000);
    await waitFor(() => !existsSync(join(cache, blobKey)), "the ended job's code to leave the TaskManager's cache", 15_000);
    // Each process says so in its log (the line follows the removal).
    await jobManager.waitForLine((line) => line.msg === 'Removed blob no job uses' && line['key'] === blobKey, 'the removal of the blob');
    await taskManager.waitForLine((line) => line.msg === 'Removed cached blob' && line['key'] === blobKey, 'the removal of the cached blob');
  });
});
