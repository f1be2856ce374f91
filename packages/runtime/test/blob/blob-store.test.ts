import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Configuration, silentLogger, type Logger } from '@eddy/common';
import { eddy_blob_v1 as blob } from '@eddy/proto';
import { GrpcStatus, RpcCallError, RpcService, RpcUnreachableError, type StreamWriter } from '@eddy/rpc';
import { BlobCache } from '../../src/blob/blob-cache.js';
import { BlobClient, BlobIntegrityError, BlobTransferTimeoutError, blobKeyOf, InvalidBlobKeyError, isBlobKey } from '@eddy/cluster-common';
import { BlobServer } from '../../src/blob/blob-server.js';

const MIB = 1024 * 1024;
const CONFIGURATION = Configuration.fromRecord({ 'blob.chunk-size': '1 mb' });
/** The job the tests' BlobCache calls download for. */
const JOB = 'job-1';

interface LogLine {
  readonly msg: string;
  readonly key?: string;
  readonly [field: string]: unknown;
}

/** A debug-level logger whose lines the test can read. */
function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

async function outcome<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown; elapsedMs: number }> {
  const start = Date.now();
  try {
    return { value: await promise, elapsedMs: Date.now() - start };
  } catch (error) {
    return { error, elapsedMs: Date.now() - start };
  }
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The address of an RpcService that has stopped: nothing listens there. */
async function deadAddress(): Promise<string> {
  const gone = await RpcService.start();
  const address = gone.address;
  await gone.stop();
  return address;
}

describe('blob store', () => {
  let serverRpc: RpcService;
  let clientRpc: RpcService;
  let server: BlobServer;
  let client: BlobClient;
  let work: string;
  const log = capturingLogger();
  const linesFor = (msg: string, key: string): number => log.lines.filter((line) => line.msg === msg && line.key === key).length;
  /** Files in the storage directory other than stored blobs (temp files of uploads). */
  const leftovers = async (): Promise<string[]> => (await readdir(server.storagePath)).filter((name) => !isBlobKey(name));

  before(async () => {
    serverRpc = await RpcService.start();
    clientRpc = await RpcService.start();
    server = await BlobServer.start(serverRpc, { configuration: CONFIGURATION, logger: log.logger });
    client = new BlobClient(clientRpc, serverRpc.address, { chunkSizeBytes: MIB, timeoutMs: 20_000 });
    work = await mkdtemp(join(tmpdir(), 'eddy-blob-test-'));
  });
  after(async () => {
    await server.close();
    await clientRpc.stop();
    await serverRpc.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('uploads a file of several chunks and downloads it bytes-identical', async () => {
    const content = randomBytes(3.5 * MIB);
    const source = join(work, 'job-3.5mb.bundle');
    await writeFile(source, content);
    const uploaded = await client.uploadFile(source);
    assert.deepEqual(uploaded, { key: blobKeyOf(content), size: content.length, uploaded: true });
    assert.ok(existsSync(join(server.storagePath, uploaded.key)));
    assert.equal(linesFor('Stored blob', uploaded.key), 1);

    const destination = join(work, 'downloads', 'copy.bundle');
    await client.downloadTo(uploaded.key, destination);
    assert.ok(content.equals(await readFile(destination)), 'the downloaded copy differs');
    assert.deepEqual(await readdir(join(work, 'downloads')), ['copy.bundle']);
    assert.deepEqual(await leftovers(), []);
  });

  it('moves an empty blob too', async () => {
    const uploaded = await client.uploadBytes(new Uint8Array(0));
    assert.deepEqual(uploaded, { key: blobKeyOf(new Uint8Array(0)), size: 0, uploaded: true });
    const destination = join(work, 'empty.bundle');
    await client.downloadTo(uploaded.key, destination);
    assert.equal((await readFile(destination)).length, 0);
  });

  it('skips the upload of content the blob server already has, sending no chunk', async () => {
    const content = randomBytes(1.5 * MIB);
    const first = await client.uploadBytes(content);
    assert.equal(first.uploaded, true);
    assert.equal(linesFor('Receiving blob upload', first.key), 1);

    const again = await client.uploadBytes(content);
    const source = join(work, 'same-content.bundle');
    await writeFile(source, content);
    const asFile = await client.uploadFile(source);
    assert.deepEqual(again, { key: first.key, size: content.length, uploaded: false });
    assert.deepEqual(asFile, { key: first.key, size: content.length, uploaded: false });
    assert.equal(linesFor('Receiving blob upload', first.key), 1, 'the server received chunks of a blob it had');
  });

  it('refuses an upload whose content does not match its key, naming both, and stores nothing', async () => {
    const content = randomBytes(100_000);
    const claimed = blobKeyOf(randomBytes(16));
    const streams = clientRpc.streamClient(serverRpc.address);
    const { error } = await outcome(streams.clientStream(blob.BlobService.methods['upload']!, [{ key: claimed, totalSize: content.length, data: content }], 5000));
    assert.ok(error instanceof RpcCallError, `got ${String(error)}`);
    assert.equal(error.code, GrpcStatus.INVALID_ARGUMENT);
    assert.ok(error.message.includes(`hashes to sha256 ${blobKeyOf(content)}, not to its key ${claimed}`), error.message);
    assert.equal(existsSync(join(server.storagePath, claimed)), false);
    assert.equal((await clientRpc.streamClient(serverRpc.address).unary<blob.BlobKeyRequest, blob.HasBlobResponse>(blob.BlobService.methods['has']!, { key: claimed }, 5000)).present, false);

    const short = await outcome(streams.clientStream(blob.BlobService.methods['upload']!, [{ key: blobKeyOf(content), totalSize: content.length + 1, data: content }], 5000));
    assert.ok(short.error instanceof RpcCallError, `got ${String(short.error)}`);
    assert.equal(short.error.code, GrpcStatus.INVALID_ARGUMENT);
    assert.match(short.error.message, new RegExp(`ended after ${content.length} bytes, but its first chunk announced ${content.length + 1}`));
    assert.equal(existsSync(join(server.storagePath, blobKeyOf(content))), false);
    assert.deepEqual(await leftovers(), []);
  });

  it('stores nothing from an upload its client gave up on halfway', async () => {
    const content = randomBytes(3 * MIB);
    const key = blobKeyOf(content);
    const uploadsBefore = linesFor('Receiving blob upload', key);
    const chunks = async function* (): AsyncGenerator<blob.BlobChunk> {
      yield { key, totalSize: content.length, data: content.subarray(0, MIB) };
      await waitFor(async () => linesFor('Receiving blob upload', key) > uploadsBefore, 'the server to start receiving');
      throw new Error('the bundle file went away');
    };
    const streams = clientRpc.streamClient(serverRpc.address);
    await assert.rejects(streams.clientStream(blob.BlobService.methods['upload']!, chunks(), 5000), /the bundle file went away/);
    await waitFor(async () => linesFor('Blob upload failed; nothing stored', key) === 1, 'the server to give up the upload');
    assert.equal(existsSync(join(server.storagePath, key)), false);
    assert.deepEqual(await leftovers(), []);
  });

  it('answers a download of a blob nobody uploaded with NOT_FOUND naming the key, and leaves no file behind', async () => {
    const unknown = blobKeyOf(randomBytes(16));
    const destination = join(work, 'not-found', 'never.bundle');
    const { error } = await outcome(client.downloadTo(unknown, destination));
    assert.ok(error instanceof RpcCallError, `got ${String(error)}`);
    assert.equal(error.code, GrpcStatus.NOT_FOUND);
    assert.ok(error.message.includes(`no blob ${unknown} in the blob store at ${serverRpc.address}; upload it first`), error.message);
    assert.deepEqual(await readdir(join(work, 'not-found')), []);
  });

  it('refuses to keep a download whose content does not match its key', async () => {
    const key = blobKeyOf(randomBytes(16));
    await writeFile(join(server.storagePath, key), randomBytes(2 * MIB + 5));
    try {
      const destination = join(work, 'corrupt', 'copy.bundle');
      const { error } = await outcome(client.downloadTo(key, destination));
      assert.ok(error instanceof BlobIntegrityError, `got ${String(error)}`);
      assert.ok(error.message.includes(`expected content with sha256 ${key}`), error.message);
      assert.deepEqual(await readdir(join(work, 'corrupt')), []);
    } finally {
      await rm(join(server.storagePath, key));
    }
  });

  it('stores content uploaded by several clients at once exactly as sent', async () => {
    const content = randomBytes(2.5 * MIB);
    const key = blobKeyOf(content);
    const results = await Promise.all([1, 2, 3, 4].map(() => client.uploadBytes(content)));
    assert.ok(results.every((result) => result.key === key && result.size === content.length));
    assert.ok(results.some((result) => result.uploaded), 'no upload reported storing the blob');
    assert.ok(content.equals(await readFile(join(server.storagePath, key))), 'the stored blob differs from what was sent');
    assert.deepEqual(await leftovers(), []);
  });

  it('rejects malformed keys before calling anyone', async () => {
    assert.equal(isBlobKey(blobKeyOf(Buffer.from('x'))), true);
    assert.equal(isBlobKey('ABC'), false);
    assert.equal(isBlobKey(blobKeyOf(Buffer.from('x')).toUpperCase()), false);
    await assert.rejects(client.downloadTo('../etc/passwd', join(work, 'x')), InvalidBlobKeyError);
    const cache = new BlobCache({ rpcService: clientRpc, jobManagerHostPort: serverRpc.address, logger: silentLogger(), timeoutMs: 5000 });
    try {
      await assert.rejects(cache.getFile('../../etc/passwd', JOB), /is not a blob key/);
    } finally {
      await cache.close();
    }
  });

  describe('BlobCache', () => {
    it('downloads a blob once for five concurrent callers, then serves it from disk', async () => {
      const content = randomBytes(2 * MIB + 1);
      const { key } = await client.uploadBytes(content);
      const cache = new BlobCache({ rpcService: clientRpc, jobManagerHostPort: serverRpc.address, logger: silentLogger(), timeoutMs: 20_000 });
      try {
        const paths = await Promise.all([1, 2, 3, 4, 5].map(() => cache.getFile(key, JOB)));
        assert.deepEqual(new Set(paths), new Set([join(cache.directory, key)]));
        assert.ok(content.equals(await readFile(join(cache.directory, key))));
        assert.equal(linesFor('Serving blob download', key), 1);
        assert.equal(await cache.getFile(key, JOB), join(cache.directory, key));
        assert.equal(linesFor('Serving blob download', key), 1);
      } finally {
        await cache.close();
      }
      assert.equal(existsSync(cache.directory), false, 'the cache left its own directory behind');
    });

    it('tries again after a failed download', async () => {
      const content = randomBytes(300_000);
      const key = blobKeyOf(content);
      const cache = new BlobCache({ rpcService: clientRpc, jobManagerHostPort: serverRpc.address, logger: silentLogger(), timeoutMs: 5000 });
      try {
        const { error } = await outcome(cache.getFile(key, JOB));
        assert.ok(error instanceof RpcCallError && error.code === GrpcStatus.NOT_FOUND, `got ${String(error)}`);
        await client.uploadBytes(content);
        const path = await cache.getFile(key, JOB);
        assert.ok(content.equals(await readFile(path)));
        assert.deepEqual(await readdir(cache.directory), [key]);
      } finally {
        await cache.close();
      }
    });

    it('keeps its files in a given directory, checks a file it did not download, and replaces it when corrupt', async () => {
      const content = randomBytes(200_000);
      const { key } = await client.uploadBytes(content);
      const directory = join(work, 'taskmanager-blobs');
      const earlier = new BlobCache({ rpcService: clientRpc, jobManagerHostPort: serverRpc.address, directory, logger: silentLogger(), timeoutMs: 5000 });
      await earlier.getFile(key, JOB);
      await earlier.close();
      assert.ok(existsSync(join(directory, key)), 'a given directory must survive close()');

      const reused = new BlobCache({ rpcService: clientRpc, jobManagerHostPort: serverRpc.address, directory, logger: silentLogger(), timeoutMs: 5000 });
      const downloadsBefore = linesFor('Serving blob download', key);
      assert.equal(await reused.getFile(key, JOB), join(directory, key));
      assert.equal(linesFor('Serving blob download', key), downloadsBefore, 'a verified file was downloaded again');
      await reused.close();

      await writeFile(join(directory, key), 'left half-written by a crash');
      const repaired = new BlobCache({ rpcService: clientRpc, jobManagerHostPort: serverRpc.address, directory, logger: silentLogger(), timeoutMs: 5000 });
      assert.ok(content.equals(await readFile(await repaired.getFile(key, JOB))));
      assert.equal(linesFor('Serving blob download', key), downloadsBefore + 1);
      await repaired.close();
    });

    it('downloads from the JobManager named by setJobManager', async () => {
      const content = randomBytes(10_000);
      const { key } = await client.uploadBytes(content);
      const cache = new BlobCache({ rpcService: clientRpc, jobManagerHostPort: await deadAddress(), logger: silentLogger(), timeoutMs: 5000 });
      try {
        await assert.rejects(cache.getFile(key, JOB), RpcUnreachableError);
        cache.setJobManager(serverRpc.address);
        assert.equal(cache.jobManagerHostPort, serverRpc.address);
        assert.ok(content.equals(await readFile(await cache.getFile(key, JOB))));
      } finally {
        await cache.close();
      }
    });
  });

  it('fails fast with RpcUnreachableError when nothing listens at the JobManager address', async () => {
    const dead = await deadAddress();
    const unreachable = new BlobClient(clientRpc, dead, { timeoutMs: 20_000 });
    const cache = new BlobCache({ rpcService: clientRpc, jobManagerHostPort: dead, logger: silentLogger(), timeoutMs: 20_000 });
    try {
      const key = blobKeyOf(Buffer.from('job'));
      const attempts: (() => Promise<unknown>)[] = [
        () => unreachable.uploadBytes(Buffer.from('job')),
        () => unreachable.downloadTo(key, join(work, 'unreachable.bundle')),
        () => cache.getFile(key, JOB),
      ];
      for (const attempt of attempts) {
        const { error, elapsedMs } = await outcome(attempt());
        assert.ok(error instanceof RpcUnreachableError, `got ${String(error)}`);
        assert.ok(error.message.includes(dead));
        assert.ok(elapsedMs < 2000, `failed after ${elapsedMs} ms`);
      }
      assert.equal(existsSync(join(work, 'unreachable.bundle')), false);
    } finally {
      await cache.close();
    }
  });

  it('reports a transfer that misses its deadline as BlobTransferTimeoutError naming blob.transfer.timeout', async () => {
    // A blob server that never answers.
    const stuckRpc = await RpcService.start();
    const hang = (out?: StreamWriter<blob.BlobChunk>): Promise<never> => new Promise<never>((_, reject) => out?.onCancel(() => reject(new Error('cancelled'))));
    stuckRpc.serveStreamService(blob.BlobService, {
      has: () => hang(),
      upload: () => hang(),
      download: (_request: blob.BlobKeyRequest, out: StreamWriter<blob.BlobChunk>) => hang(out),
    });
    try {
      const impatient = new BlobClient(clientRpc, stuckRpc.address, { timeoutMs: 200 });
      const attempts: (() => Promise<unknown>)[] = [
        () => impatient.uploadBytes(Buffer.from('slow')),
        () => impatient.downloadTo(blobKeyOf(Buffer.from('slow')), join(work, 'slow.bundle')),
      ];
      for (const attempt of attempts) {
        const { error, elapsedMs } = await outcome(attempt());
        assert.ok(error instanceof BlobTransferTimeoutError, `got ${String(error)}`);
        assert.match(error.message, /within 200 ms; .*raise blob\.transfer\.timeout/);
        assert.ok(elapsedMs >= 150 && elapsedMs < 3000, `timed out after ${elapsedMs} ms`);
      }
    } finally {
      await stuckRpc.stop();
    }
  });
});

describe('blob server lifecycle', () => {
  it('removes its default storage directory on close but keeps a configured one', async () => {
    const rpc = await RpcService.start();
    const configured = await mkdtemp(join(tmpdir(), 'eddy-blob-configured-'));
    try {
      const defaulted = await BlobServer.start(rpc, { configuration: Configuration.empty(), logger: silentLogger() });
      assert.ok(existsSync(defaulted.storagePath));
      await defaulted.close();
      assert.equal(existsSync(defaulted.storagePath), false);

      const other = await RpcService.start();
      try {
        const kept = await BlobServer.start(other, { configuration: Configuration.fromRecord({ 'blob.storage.directory': configured }), logger: silentLogger() });
        assert.equal(kept.storagePath, configured);
        await new BlobClient(rpc, other.address).uploadBytes(Buffer.from('kept'));
        await kept.close();
        assert.deepEqual(await readdir(configured), [blobKeyOf(Buffer.from('kept'))]);
      } finally {
        await other.stop();
      }
    } finally {
      await rpc.stop();
      await rm(configured, { recursive: true, force: true });
    }
  });

  it('refuses to start with a chunk size that does not fit rpc.max-message-size', async () => {
    const rpc = await RpcService.start({ configuration: Configuration.fromRecord({ 'rpc.max-message-size': '1 mb' }) });
    try {
      await assert.rejects(
        BlobServer.start(rpc, { configuration: Configuration.fromRecord({ 'blob.chunk-size': '1 mb' }), logger: silentLogger() }),
        /blob\.chunk-size \(1048576 bytes\) does not fit rpc\.max-message-size \(1048576 bytes\)/,
      );
    } finally {
      await rpc.stop();
    }
  });
});
