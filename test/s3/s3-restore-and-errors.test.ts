/**
 * S3 checkpoint storage at the edges: a job started from a checkpoint retained in the bucket
 * (execution.savepoint.path = s3://...), and the clear errors for a bucket that does not exist and
 * for credentials the store refuses (a second moto that checks credentials).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../cluster/cluster-harness.js';
import { checkpointJob, followToEnd, readCounts, scratchDirectory } from '../checkpoint/checkpoint-test-utils.js';
import { startMotoServer, type MotoServer } from './moto-server.js';
import { useS3Cluster } from './s3-cluster.js';

const scratch = scratchDirectory('eddy-s3-restore-');
const BUCKET = 'eddy-retained';

describe('S3 checkpoint storage: restore and errors', () => {
  const cluster = useS3Cluster({ taskManagers: 2, slots: 2, restartAttempts: 5, bucket: BUCKET });
  let checkingMoto: MotoServer | undefined;
  before(async () => {
    checkingMoto = await startMotoServer({ auth: true });
  });
  after(async () => checkingMoto?.stop());

  it('starts a job from a checkpoint retained in the bucket with execution.savepoint.path, continuing its keyed state', async () => {
    const keys = 5;
    const firstOutput = join(scratch, 'first-out');
    const { jobId } = await cluster.client.submitJobFile(checkpointJob('unbounded-counter'), {
      args: [String(keys), '300', firstOutput, `s3://${BUCKET}/retained`, '100'],
      configuration: { 'execution.checkpointing.externalized-checkpoint-retention': 'RETAIN_ON_CANCELLATION', 'state.storage.fs.memory-threshold': '0' },
    });
    const completed = (): number => cluster.jobManager.linesWith(/^Completed checkpoint \d+ for job/).filter((line) => line['jobId'] === jobId).length;
    await waitFor(() => completed() >= 2, 'two completed checkpoints', 30_000);
    await cluster.client.cancelJob(jobId);
    await followToEnd(cluster.client, jobId);
    const retained = (await cluster.moto.listKeys(BUCKET, `retained/${jobId}/`)).filter((key) => key.endsWith('/_metadata'));
    assert.equal(retained.length, 1, `the latest checkpoint is retained after the cancel: ${retained.join(', ')}`);
    const checkpoint = `s3://${BUCKET}/${(retained[0] as string).slice(0, -'/_metadata'.length)}`;
    const lastBefore = Math.max(...readCounts(firstOutput).map((record) => record.index));

    const output = join(scratch, 'resumed-out');
    const { jobId: resumed } = await cluster.client.submitJobFile(checkpointJob('unbounded-counter'), {
      args: [String(keys), '300', output, `s3://${BUCKET}/retained`, '100'],
      configuration: { 'execution.savepoint.path': checkpoint },
    });
    const started = await cluster.jobManager.waitForLine((line) => line.msg === 'Starting the job from a checkpoint' && line['jobId'] === resumed, 'the resumed job starting from the checkpoint', 20_000);
    assert.equal(started['path'], `${checkpoint}/_metadata`);
    await waitFor(() => readCounts(output).length >= 3 * keys, 'counts of the resumed job', 30_000);
    await cluster.client.cancelJob(resumed);
    await followToEnd(cluster.client, resumed);
    const records = readCounts(output);
    for (const record of records) assert.equal(record.count, Math.floor(record.index / keys) + 1, `count of index ${record.index}: the keyed state came back from S3`);
    const first = Math.min(...records.map((record) => record.index));
    assert.ok(first > 2 * keys && first <= lastBefore + 1, `the resumed job went on from the checkpoint (first index ${first}, last before the cancel ${lastBefore})`);
  });

  it("fails a job whose bucket does not exist at start, saying so and which option to fix", async () => {
    const { jobId } = await cluster.client.submitJobFile(checkpointJob('keyed-count'), {
      args: ['1000', '5', join(scratch, 'no-bucket-out'), 's3://no-such-bucket/checkpoints', '100'],
    });
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FAILED');
    assert.match(terminal.cause?.message ?? '', new RegExp(`bucket 'no-such-bucket' does not exist at ${cluster.moto.endpoint}; create it or fix state.checkpoints.dir`));
  });

  it('fails a job whose credentials the store refuses, naming the options to fix and never the secret', async () => {
    const moto = checkingMoto as MotoServer;
    const secret = 'not-the-right-secret-4711';
    const { jobId } = await cluster.client.submitJobFile(checkpointJob('keyed-count'), {
      args: ['1000', '5', join(scratch, 'wrong-key-out'), `s3://${BUCKET}/checkpoints`, '100'],
      configuration: { 's3.endpoint': moto.endpoint, 's3.access-key': 'AKIAWRONGKEY', 's3.secret-key': secret },
    });
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FAILED');
    const message = terminal.cause?.message ?? '';
    assert.match(message, new RegExp(`S3 at ${moto.endpoint} (refused the credentials|denied HeadBucket) .*fix s3.access-key and s3.secret-key`));
    assert.ok(!message.includes(secret), `the secret is not in the message: ${message}`);
    const logged = cluster.jobManager.lines.filter((line) => JSON.stringify(line).includes(secret));
    assert.deepEqual(logged, [], 'the secret is in no log line');
  });
});
