/**
 * A TaskManager that cannot fetch a job's code, with real processes: the deployment was accepted
 * (the code comes in the background), so the attempt goes DEPLOYING -> FAILED with the download's
 * cause, and the job fails over (or fails) on it like on any task failure. Two ways a download
 * fails in practice: the blob left the JobManager's blob store (a temp cleaner removed it), and a
 * blob server too slow for the TaskManager's blob.transfer.timeout.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ClusterClient, startJobManager, startTaskManager, stopClusterProcesses, testJob, waitFor, type TaskManagerProcess } from './cluster-harness.js';

after(stopClusterProcesses);

/** One restart, then the job fails: both attempts show the cause. */
const ONE_RESTART = { 'restart-strategy.fixed-delay.attempts': '1' };

/**
 * The job FAILED after one restart, its cause and both attempts' causes matching `expected`, and no
 * attempt ran: the TaskManager logged DEPLOYING -> FAILED for each, nothing else.
 */
async function assertFailedOnDownload(client: ClusterClient, taskManager: TaskManagerProcess, jobId: string, expected: RegExp): Promise<void> {
  const details = await client.waitForStatus(jobId, 'FAILED', 30_000);
  assert.equal(details.restarts, 1);
  assert.match(details.failureCause?.message ?? '', expected);
  const attempts = details.vertices[0]!.subtasks[0]!.attempts;
  assert.deepEqual(
    attempts.map((attempt) => attempt.state),
    ['FAILED', 'FAILED'],
  );
  for (const attempt of attempts) assert.match(attempt.failureCause?.message ?? '', expected);
  const failed = (): number => taskManager.lines.filter((line) => line['jobId'] === jobId && line.msg.endsWith('switched from DEPLOYING to FAILED')).length;
  await waitFor(() => failed() === 2, 'both failures in the TaskManager log');
  const transitions = taskManager.lines.filter((line) => line['jobId'] === jobId && / switched from \w+ to \w+/.test(line.msg)).map((line) => /switched from \w+ to \w+/.exec(line.msg)![0]);
  assert.deepEqual(transitions, ['switched from DEPLOYING to FAILED', 'switched from DEPLOYING to FAILED']);
}

describe("a TaskManager that cannot fetch a job's code", () => {
  it("fails the attempt with the download's cause when the code left the JobManager's blob store", async () => {
    const jobManager = await startJobManager({ config: ONE_RESTART });
    const storage = jobManager.linesWith('JobManager started')[0]!['blobStorage'] as string;
    const client = await ClusterClient.connect(jobManager.address);
    const blobKey = await client.uploadTestTasks();
    // No TaskManager yet: the job waits for a slot while its code is removed behind the blob server's back.
    const jobId = await client.submit(testJob('code gone', blobKey, [['Worker', 1, 'runFor']], { 'test.run-for': '100' }));
    assert.ok(existsSync(join(storage, blobKey)), 'the blob store holds the code');
    rmSync(join(storage, blobKey));
    const taskManager = await startTaskManager(jobManager.address, { slots: 1 });
    const expected = new RegExp(
      `^TaskManager ${taskManager.taskManagerId} could not fetch the job's code \\(blob ${blobKey}\\): .*no blob ${blobKey} in the blob store at .*; upload it first`,
    );
    await assertFailedOnDownload(client, taskManager, jobId, expected);
  });

  it('fails the attempt with the download timeout when the blob server is slower than blob.transfer.timeout', async () => {
    // Chunks of 1 KiB, 1 s each, for code of several KiB; the TaskManager waits 1.5 s for it.
    const jobManager = await startJobManager({ config: { ...ONE_RESTART, 'blob.chunk-size': '1 kb' }, env: { EDDY_TESTING_BLOB_DOWNLOAD_CHUNK_DELAY_MS: '1000' } });
    const taskManager = await startTaskManager(jobManager.address, { slots: 1, config: { 'blob.transfer.timeout': '1500 ms' } });
    const client = await ClusterClient.connect(jobManager.address);
    await client.waitForSlots(1);
    const blobKey = await client.uploadTestTasks();
    const jobId = await client.submit(testJob('code too slow', blobKey, [['Worker', 1, 'runFor']], { 'test.run-for': '100' }));
    const expected = new RegExp(
      `^TaskManager ${taskManager.taskManagerId} could not fetch the job's code \\(blob ${blobKey}\\): The download of blob ${blobKey} \\(.*\\) did not finish within 1500 ms; .*raise blob\\.transfer\\.timeout`,
    );
    await assertFailedOnDownload(client, taskManager, jobId, expected);
  });
});
