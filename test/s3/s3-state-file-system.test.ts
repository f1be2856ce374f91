/**
 * The S3 state file system against a real S3-compatible server (moto): multipart state files,
 * abandoned uploads, `_metadata` and restores through the checkpoint storage, and the errors a
 * user sees for a missing bucket, refused credentials and an endpoint that does not answer.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { FileSystemCheckpointStorage, readCompletedCheckpoint, S3StateFileSystem, type S3Settings } from '@eddy/runtime';
import { startMotoServer, type MotoServer, MOTO_ACCESS_KEY, MOTO_SECRET_KEY } from './moto-server.js';

const BUCKET = 'eddy-files';

function settingsFor(endpoint: string, overrides: Partial<S3Settings> = {}): S3Settings {
  return { endpoint, region: '', pathStyleAccess: true, accessKey: MOTO_ACCESS_KEY, secretKey: MOTO_SECRET_KEY, requestTimeoutMs: 10_000, maxAttempts: 3, ...overrides };
}

/** Bytes that differ from part to part, so a part written twice or out of order shows. */
function pattern(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >>> 16)) & 0xff;
  return bytes;
}

const checkpoint = { jobId: 'job-1', jobName: 'test job', checkpointId: 7, triggeredAt: 1, completedAt: 2, vertices: [] };

describe('S3StateFileSystem on moto', () => {
  let moto: MotoServer;
  let fs: S3StateFileSystem;
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
  before(async () => {
    moto = await startMotoServer();
    await moto.createBucket(BUCKET);
    fs = new S3StateFileSystem(settingsFor(moto.endpoint), { warn: (fields, message) => warnings.push({ fields, message }) });
  });
  after(async () => {
    await fs?.close();
    await moto?.stop();
  });

  it('writes a state file larger than one part as a multipart upload, in chunks, and reads it back byte for byte', async () => {
    const bytes = pattern(12 * 1024 * 1024 + 123);
    const out = await fs.createOutput(`s3://${BUCKET}/big/state-file`);
    for (let offset = 0; offset < bytes.byteLength; offset += 64 * 1024) await out.write(bytes.subarray(offset, Math.min(bytes.byteLength, offset + 64 * 1024)));
    await out.close();
    const read = await fs.readFile(`s3://${BUCKET}/big/state-file`);
    assert.equal(read.byteLength, bytes.byteLength);
    assert.ok(Buffer.from(read).equals(Buffer.from(bytes)), 'the same bytes');
    await fs.deleteDirectory(`s3://${BUCKET}/big`);
    assert.deepEqual(await moto.listKeys(BUCKET, 'big/'), []);
  });

  it('leaves no object and no multipart upload behind when a state file is abandoned', async () => {
    const out = await fs.createOutput(`s3://${BUCKET}/abandoned/state-file`);
    const part = pattern(1024 * 1024);
    for (let i = 0; i < 7; i++) await out.write(part);
    await out.abandon();
    assert.deepEqual(await moto.listKeys(BUCKET, 'abandoned/'), []);
    const uploads = await moto.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    assert.deepEqual((uploads.Uploads ?? []).map((upload) => upload.Key), [], 'no multipart upload left open');
  });

  it('writes _metadata through the checkpoint storage and reads the checkpoint back by its directory or its _metadata', async () => {
    const storage = new FileSystemCheckpointStorage(fs, `s3://${BUCKET}/chk`, 'job-1');
    await storage.checkLocation();
    await storage.initializeLocation(7);
    const metadataPath = await storage.persist(checkpoint);
    assert.equal(metadataPath, `s3://${BUCKET}/chk/job-1/chk-7/_metadata`);
    for (const path of [`s3://${BUCKET}/chk/job-1/chk-7`, metadataPath]) {
      const read = await readCompletedCheckpoint(path, fs);
      assert.equal(read.checkpointId, 7);
      assert.equal(read.metadataPath, metadataPath);
    }
    const orphan = await fs.createOutput(`s3://${BUCKET}/chk/job-1/chk-8/state`);
    await orphan.write(pattern(10));
    await orphan.close();
    await assert.rejects(readCompletedCheckpoint(`s3://${BUCKET}/chk/job-1/chk-8`, fs), /Cannot restore from s3:\/\/eddy-files\/chk\/job-1\/chk-8: it has no _metadata file/);
    await assert.rejects(readCompletedCheckpoint(`s3://${BUCKET}/chk/job-1/chk-9`, fs), /Cannot restore from s3:\/\/eddy-files\/chk\/job-1\/chk-9: it does not exist/);
    await storage.discardFiles(7, [], metadataPath);
    await storage.discardAborted(8);
    assert.deepEqual(await moto.listKeys(BUCKET, 'chk/'), []);
  });

  it('fails the checkpoint when its bucket does not exist: the location, the metadata and the state files say so', async () => {
    const storage = new FileSystemCheckpointStorage(fs, 's3://gone-bucket/chk', 'job-1');
    const missing = `bucket 'gone-bucket' does not exist at ${moto.endpoint}; create it or fix state.checkpoints.dir`;
    await assert.rejects(storage.initializeLocation(1), (error: Error) => error.message === missing);
    await assert.rejects(storage.persist({ ...checkpoint, checkpointId: 1 }), (error: Error) => error.message === `Could not write the metadata of checkpoint 1 to s3://gone-bucket/chk/job-1/chk-1/_metadata: ${missing}`);
    const out = await fs.createOutput('s3://gone-bucket/chk/job-1/chk-1/state');
    await out.write(pattern(100));
    await assert.rejects(out.close(), (error: Error) => error.message === missing);
  });

  it("takes credentials from the AWS SDK's default chain (the environment) when s3.access-key is empty, and says what to set when there are none", async () => {
    const saved = { ...process.env };
    try {
      process.env['AWS_ACCESS_KEY_ID'] = MOTO_ACCESS_KEY;
      process.env['AWS_SECRET_ACCESS_KEY'] = MOTO_SECRET_KEY;
      const fromEnvironment = new S3StateFileSystem(settingsFor(moto.endpoint, { accessKey: '', secretKey: '' }), { warn: () => undefined });
      await fromEnvironment.writeAtomically(`s3://${BUCKET}/env/_metadata`, pattern(3));
      await fromEnvironment.close();
      assert.deepEqual(await moto.listKeys(BUCKET, 'env/'), ['env/_metadata']);

      for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[key];
      process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
      process.env['AWS_SHARED_CREDENTIALS_FILE'] = '/nonexistent/credentials';
      process.env['AWS_CONFIG_FILE'] = '/nonexistent/config';
      const none = new S3StateFileSystem(settingsFor(moto.endpoint, { accessKey: '', secretKey: '' }), { warn: () => undefined });
      await assert.rejects(
        none.writeAtomically(`s3://${BUCKET}/env/_metadata`, pattern(3)),
        new RegExp(`^StateStorageError: no credentials for S3 at ${moto.endpoint}: set s3.access-key and s3.secret-key, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY$`),
      );
      await none.close();
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });

  it('names the options to fix when the store refuses the credentials, and not the secret', async () => {
    const checking = await startMotoServer({ auth: true });
    const secret = 'wrong-secret-0815';
    const refused = new S3StateFileSystem(settingsFor(checking.endpoint, { accessKey: 'AKIAWRONG', secretKey: secret }), { warn: () => undefined });
    try {
      const error = await refused.writeAtomically(`s3://${BUCKET}/x/_metadata`, pattern(3)).then(
        () => assert.fail('the write succeeded'),
        (e: unknown) => e as Error,
      );
      assert.match(error.message, new RegExp(`^S3 at ${checking.endpoint} refused the credentials for bucket '${BUCKET}' \\(InvalidAccessKeyId\\); fix s3.access-key and s3.secret-key$`));
      assert.ok(!error.message.includes(secret));
    } finally {
      await refused.close();
      await checking.stop();
    }
  });

  it('logs each failed attempt it retries, with what it waits for, and gives up after s3.attempts.maximum', async () => {
    // A port that was free a moment ago: connections are refused.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const seen: { fields: Record<string, unknown>; message: string }[] = [];
    const down = new S3StateFileSystem(settingsFor(`http://127.0.0.1:${port}`, { maxAttempts: 3, requestTimeoutMs: 2_000 }), { warn: (fields, message) => seen.push({ fields, message }) });
    try {
      await assert.rejects(down.readFile(`s3://${BUCKET}/x`), new RegExp(`^StateStorageError: S3 GetObject of s3://${BUCKET}/x at http://127.0.0.1:${port} failed: .*ECONNREFUSED`));
      assert.deepEqual(
        seen.map((warning) => [warning.message, warning.fields['operation'], warning.fields['attempt']]),
        [
          ['An S3 request failed; waiting a jittered backoff before the AWS SDK retries it', 'GetObjectCommand', 1],
          ['An S3 request failed; waiting a jittered backoff before the AWS SDK retries it', 'GetObjectCommand', 2],
        ],
      );
    } finally {
      await down.close();
    }
    await assert.rejects(down.readFile(`s3://${BUCKET}/x`), /the S3 file system is closed/);
    assert.deepEqual(warnings, [], 'no retries against the healthy server');
  });

  it('says which option to raise when the store takes a request and never answers', async () => {
    // Accepts connections and says nothing.
    const sockets = new Set<import('node:net').Socket>();
    const silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const seen: unknown[] = [];
    const slow = new S3StateFileSystem(settingsFor(`http://127.0.0.1:${port}`, { maxAttempts: 2, requestTimeoutMs: 300 }), { warn: (fields) => seen.push(fields) });
    const started = performance.now();
    try {
      await assert.rejects(
        slow.readFile(`s3://${BUCKET}/x`),
        new RegExp(`^StateStorageError: S3 GetObject of s3://${BUCKET}/x at http://127.0.0.1:${port} timed out \\(.*; each attempt may take s3.request-timeout = 300 ms, 2 attempts\\); check the endpoint, or raise s3.request-timeout$`),
      );
      assert.equal(seen.length, 1, 'the one retry was logged');
      // Each attempt ends at s3.request-timeout, not only the whole call at its deadline (40 s here).
      assert.ok(performance.now() - started < 15_000, `the two attempts took ${Math.round(performance.now() - started)} ms`);
    } finally {
      await slow.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
