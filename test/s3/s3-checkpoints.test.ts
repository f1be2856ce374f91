/**
 * Checkpoints on S3-compatible object storage (a real moto server): state files and `_metadata` in
 * the bucket, old checkpoints deleted as newer ones complete, and a TaskManager killed mid-job
 * restores from S3 with exactly-once output.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { waitFor } from '../cluster/cluster-harness.js';
import { assertExactCounts, checkpointJob, committedRecords, followToEnd, scratchDirectory } from '../checkpoint/checkpoint-test-utils.js';
import { MOTO_SECRET_KEY } from './moto-server.js';
import { useS3Cluster } from './s3-cluster.js';

const scratch = scratchDirectory('eddy-s3-checkpoints-');
const BUCKET = 'eddy-checkpoints';

describe('checkpoints on S3', () => {
  const cluster = useS3Cluster({ taskManagers: 3, slots: 2, restartAttempts: 20, bucket: BUCKET });

  it('writes state files and _metadata to the bucket, keeps only the retained checkpoint, and restores a killed TaskManager from S3 exactly once', async () => {
    const records = 7500;
    const keys = 20;
    const output = join(scratch, 'kill-out');
    const { jobId } = await cluster.client.submitJobFile(checkpointJob('keyed-count'), {
      args: [String(records), String(keys), output, `s3://${BUCKET}/checkpoints`, '200', '1500'],
      // Every piece of state in a file of its own, so the restore reads state files from S3.
      configuration: { 'state.storage.fs.memory-threshold': '0' },
    });
    const prefix = `checkpoints/${jobId}/`;
    const completed = (): number => cluster.jobManager.linesWith(/^Completed checkpoint \d+ for job/).filter((line) => line['jobId'] === jobId).length;
    await waitFor(
      () => completed() >= 3,
      () => `three completed checkpoints; failures: ${cluster.jobManager.linesWith(/failed|Could not/).slice(-3).map((line) => `${line.msg} ${JSON.stringify(line)}`).join(' | ')}`,
      30_000,
    );

    // state.checkpoints.num-retained is 1: once deletes caught up, one checkpoint with _metadata is left.
    let keysNow: string[] = [];
    await waitFor(
      async () => {
        keysNow = await cluster.moto.listKeys(BUCKET, prefix);
        return new Set(keysNow.filter((key) => key.endsWith('/_metadata')).map((key) => key.split('/')[2])).size === 1;
      },
      () => `one retained checkpoint in the bucket, found: ${keysNow.join(', ')}`,
      20_000,
    );
    const metadata = keysNow.filter((key) => key.endsWith('/_metadata'));
    assert.match(metadata[0] as string, new RegExp(`^checkpoints/${jobId}/chk-\\d+/_metadata$`));
    assert.ok(Number(/chk-(\d+)/.exec(metadata[0] as string)?.[1]) >= 3, `the retained checkpoint is a recent one: ${metadata[0]}`);
    assert.ok(
      keysNow.some((key) => /\/chk-\d+\/.*-op\d+-keyed-[0-9a-f]{8}$/.test(key)),
      `keyed state files in the bucket: ${keysNow.join(', ')}`,
    );

    // A TaskManager that runs a subtask is killed: the job restores from the checkpoint on S3.
    const status = await cluster.client.requestJob(jobId);
    assert.equal(status.status, 'RUNNING', 'the job still runs at the kill');
    const busy = new Set(status.vertices.flatMap((v) => v.subtasks.map((s) => s.attempts.at(-1)).filter((a) => a?.state === 'RUNNING').map((a) => a?.taskManagerId)));
    const victim = cluster.taskManagers.findIndex((tm) => !tm.hasExited && busy.has(tm.taskManagerId));
    assert.ok(victim >= 0, 'a TaskManager running the job');
    await cluster.taskManagers[victim]!.kill('SIGKILL');
    cluster.taskManagers[victim] = await cluster.startTaskManager();
    await waitFor(async () => (await cluster.client.requestJob(jobId)).restarts >= 1, 'the restart after the kill', 30_000);
    const terminal = await followToEnd(cluster.client, jobId, 60_000);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    // With every state in S3 files, counts that neither restart at zero nor repeat mean the state was read back from S3.
    assertExactCounts(committedRecords(output), records, keys);

    // The job finished and retains nothing (NO_EXTERNALIZED_CHECKPOINTS): its prefix empties.
    await waitFor(async () => (keysNow = await cluster.moto.listKeys(BUCKET, prefix)).length === 0, () => `no object left under ${prefix}: ${keysNow.join(', ')}`, 20_000);

    // s3.secret-key was given to every process: no log line of any of them shows it.
    for (const process of [cluster.jobManager, ...cluster.taskManagers]) {
      const leaks = [...process.lines.map((line) => JSON.stringify(line)), ...process.stderr].filter((text) => text.includes(MOTO_SECRET_KEY));
      assert.deepEqual(leaks, [], `the ${process.role} logged the secret key`);
    }
  });
});
