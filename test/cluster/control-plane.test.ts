/**
 * The control plane under faults, with real processes: a task state report lost on its way, and a
 * job bundle that arrives slower than the ask timeout. Faults that cannot be produced from outside
 * a process come from test hooks the processes honour only when the test sets their environment
 * variable. (A TaskManager killed among three: lost-taskmanager.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ClusterClient, startJobManager, startTaskManager, stopClusterProcesses, testJob, waitFor, type LogLine } from './cluster-harness.js';

after(stopClusterProcesses);

const timeOf = (line: LogLine): number => Number(line['time']);

describe('the control plane', () => {
  it('finishes a job whose FINISHED report was lost on its way, within two heartbeat intervals, without a restart', async () => {
    const interval = 1_000;
    const config = { 'heartbeat.interval': `${interval} ms`, 'heartbeat.timeout': '5 s' };
    const jobManager = await startJobManager({ config });
    const taskManager = await startTaskManager(jobManager.address, { slots: 2, config, env: { EDDY_TESTING_DROP_TASK_STATE_REPORTS: 'FINISHED' } });
    const client = await ClusterClient.connect(jobManager.address);
    await client.waitForSlots(2);
    const jobId = await client.submit(testJob('lossy', await client.uploadTestTasks(), [['Worker', 2, 'runFor']], { 'test.run-for': '200' }));
    const details = await client.waitForStatus(jobId, 'FINISHED', 30_000);
    assert.equal(details.restarts, 0);
    const lost = await taskManager.waitForLine((line) => line.msg.includes('lost a task state report'), 'the test hook to lose a report');
    // Attempt ids read `${vertexId}-${subtask}-${attempt}-${random}`.
    const subtask = Number(String(lost['executionAttemptId']).split('-')[1]);
    const finished = await jobManager.waitForLine(
      (line) => line['jobId'] === jobId && line['subtask'] === subtask && line['to'] === 'FINISHED',
      'the JobMaster to hear that the attempt whose report was lost FINISHED',
    );
    const lateBy = timeOf(finished) - timeOf(lost);
    assert.ok(lateBy < 2 * interval, `the JobMaster heard of it ${lateBy} ms after the report was lost`);
    const retry = taskManager.linesWith('Could not report a task state change to the JobMaster; retrying')[0];
    assert.match(String(retry?.['waitingFor']), /^the JobMaster of job .* to acknowledge Worker \(\d\/2\) \(attempt 0\) FINISHED$/);
    assert.equal(jobManager.lines.filter((line) => line['jobId'] === jobId && / switched from \w+ to FAILED/.test(line.msg)).length, 0, 'no attempt failed');
  });

  describe('with a job bundle that takes longer than rpc.ask-timeout to arrive', () => {
    // Five chunks of 1 KiB, 800 ms each: four seconds against an ask timeout of two.
    const slowBlobs = { env: { EDDY_TESTING_BLOB_DOWNLOAD_CHUNK_DELAY_MS: '800' }, config: { 'rpc.ask-timeout': '2 s', 'blob.chunk-size': '1 kb' } };

    it('accepts the deployment at once, fetches the code in the background and runs the job without a failover', async () => {
      const jobManager = await startJobManager(slowBlobs);
      const taskManager = await startTaskManager(jobManager.address, { slots: 2 });
      const client = await ClusterClient.connect(jobManager.address);
      await client.waitForSlots(2);
      const jobId = await client.submit(testJob('slow code', await client.uploadTestTasks(), [['Worker', 2, 'runFor']], { 'test.run-for': '100' }));
      const details = await client.waitForStatus(jobId, 'FINISHED', 20_000);
      assert.equal(details.restarts, 0, `no spurious failover (${details.failureCause?.message ?? ''})`);
      const downloaded = await taskManager.waitForLine((line) => line.msg === 'Downloaded blob', 'the download');
      assert.ok(Number(downloaded['durationMs']) > 2_000, `the download took ${String(downloaded['durationMs'])} ms, longer than the ask timeout`);
      for (const subtask of details.vertices[0]!.subtasks) {
        assert.deepEqual(subtask.attempts.map((attempt) => attempt.state), ['FINISHED']);
        const stamps = subtask.attempts[0]!.stateTimestamps;
        assert.ok(stamps['INITIALIZING']! - stamps['DEPLOYING']! > 2_000, 'DEPLOYING lasted as long as the download');
      }
    });

    it('cancels a task while its code is still downloading', async () => {
      const jobManager = await startJobManager({ ...slowBlobs, env: { EDDY_TESTING_BLOB_DOWNLOAD_CHUNK_DELAY_MS: '3000' } });
      const taskManager = await startTaskManager(jobManager.address, { slots: 1 });
      const client = await ClusterClient.connect(jobManager.address);
      await client.waitForSlots(1);
      const jobId = await client.submit(testJob('never runs', await client.uploadTestTasks(), [['Worker', 1, 'runForever']]));
      await waitFor(async () => (await client.dispatcher.requestJob({ jobId })).vertices[0]!.subtasks[0]!.attempts.at(-1)?.state === 'DEPLOYING', 'the task to be DEPLOYING');
      await taskManager.waitForLine((line) => line['jobId'] === jobId && line.msg.startsWith('Received task'), 'the TaskManager to accept the deployment');
      const canceledAt = Date.now();
      await client.dispatcher.cancelJob({ jobId });
      // The download takes 15 s (five chunks of 3 s); the cancel must not wait for it.
      const details = await client.waitForStatus(jobId, 'CANCELED', 10_000);
      assert.ok(Date.now() - canceledAt < 10_000, 'canceled before the download could have finished');
      assert.deepEqual(details.vertices[0]!.subtasks[0]!.attempts.map((attempt) => attempt.state), ['CANCELED']);
      await taskManager.waitForLine((line) => line['jobId'] === jobId && line.msg.endsWith('switched from CANCELING to CANCELED'), 'the TaskManager to log the cancel');
      assert.equal(taskManager.lines.filter((line) => line['jobId'] === jobId && /switched from \w+ to (RUNNING|INITIALIZING)/.test(line.msg)).length, 0, 'the task never started');
    });
  });

});
