/**
 * What the blob store lets go of, and what it refuses to take: a job's blob is removed once the
 * job is released and the cleanup interval has passed (JobManager and TaskManager), the
 * TaskManager's cache stays within blob.cache.max-size by removing the least recently used blobs
 * no job uses, and a blob larger than blob.max-size is refused by the client before it sends and
 * by the server before it stores.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Configuration, silentLogger } from '@eddy/common';
import { eddy_blob_v1 as blob } from '@eddy/proto';
import { GrpcStatus, RpcCallError, RpcService } from '@eddy/rpc';
import { BlobClient, blobKeyOf, BlobTooLargeError, isBlobKey } from '@eddy/cluster-common';
import { BlobCache } from '../../src/blob/blob-cache.js';
import { BlobServer } from '../../src/blob/blob-server.js';

const KIB = 1024;
const CLEANUP_INTERVAL = '200 ms';

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('blob cleanup and limits', () => {
  let serverRpc: RpcService;
  let clientRpc: RpcService;
  let server: BlobServer;
  let client: BlobClient;
  let work: string;
  const stored = (key: string): boolean => existsSync(join(server.storagePath, key));

  before(async () => {
    serverRpc = await RpcService.start();
    clientRpc = await RpcService.start();
    server = await BlobServer.start(serverRpc, {
      configuration: Configuration.fromRecord({ 'blob.service.cleanup.interval': CLEANUP_INTERVAL, 'blob.max-size': '64 kb', 'blob.chunk-size': '16 kb' }),
      logger: silentLogger(),
    });
    client = new BlobClient(clientRpc, serverRpc.address, { chunkSizeBytes: 16 * KIB, maxSizeBytes: 64 * KIB });
    work = await mkdtemp(join(tmpdir(), 'eddy-blob-cleanup-test-'));
  });
  after(async () => {
    await server.close();
    await clientRpc.stop();
    await serverRpc.stop();
    await rm(work, { recursive: true, force: true });
  });

  describe('BlobServer', () => {
    it("keeps a job's blob while the job runs, and removes it once the job is released and the cleanup interval has passed", async () => {
      const [running, unused] = [randomBytes(10 * KIB), randomBytes(10 * KIB)];
      // Retained before it is stored, so that a slow upload cannot outlast the interval unretained.
      server.retain('job-a', blobKeyOf(running));
      const { key } = await client.uploadBytes(running);
      const { key: unusedKey } = await client.uploadBytes(unused);
      // The blob no job retains goes after an interval: proof that the cleanup ran while job-a held its blob.
      await waitFor(() => !stored(unusedKey), 'the blob no job retains to be removed');
      assert.ok(stored(key), 'the blob of the running job was removed');

      server.releaseJob('job-a');
      await waitFor(() => !stored(key), "the released job's blob to be removed");
    });

    it('keeps a blob two jobs share until both are released', async () => {
      const shared = randomBytes(10 * KIB);
      server.retain('job-b', blobKeyOf(shared));
      server.retain('job-c', blobKeyOf(shared));
      const { key } = await client.uploadBytes(shared);
      const { key: witness } = await client.uploadBytes(randomBytes(10 * KIB));
      server.releaseJob('job-b');
      await waitFor(() => !stored(witness), 'an unretained blob uploaded at the same time to be removed');
      assert.ok(stored(key), 'a blob job-c still uses was removed');
      server.releaseJob('job-c');
      await waitFor(() => !stored(key), 'the blob to be removed once both jobs are released');
    });

    it('refuses an upload larger than blob.max-size as soon as its first chunk announces it, storing nothing', async () => {
      // A raw client that does not check the size itself.
      const unchecked = new BlobClient(clientRpc, serverRpc.address, { chunkSizeBytes: 16 * KIB, maxSizeBytes: Number.POSITIVE_INFINITY });
      const content = randomBytes(100 * KIB);
      const error = await unchecked.uploadBytes(content).then(
        () => assert.fail('the server stored a blob larger than blob.max-size'),
        (failure: unknown) => failure,
      );
      assert.ok(error instanceof RpcCallError, `got ${String(error)}`);
      assert.equal(error.code, GrpcStatus.RESOURCE_EXHAUSTED);
      assert.match(error.message, new RegExp(`The upload of blob ${blobKeyOf(content)} is 0\\.1 MiB \\(102400 bytes\\), larger than blob\\.max-size \\(64 kb\\) allowed by the blob server at ${serverRpc.address}, so nothing was stored; raise blob\\.max-size`));
      assert.equal(stored(blobKeyOf(content)), false);
      assert.deepEqual((await readdir(server.storagePath)).filter((name) => !isBlobKey(name)), [], 'no temp file left');
    });

    it('counts the bytes it receives, and refuses an upload as soon as they pass the size it announced (so never more than blob.max-size)', async () => {
      const content = randomBytes(80 * KIB);
      const key = blobKeyOf(content);
      const chunks: blob.BlobChunk[] = [0, 1, 2, 3, 4].map((index) => ({ key: index === 0 ? key : '', totalSize: index === 0 ? 10 * KIB : 0, data: content.subarray(index * 16 * KIB, (index + 1) * 16 * KIB) }));
      const error = await clientRpc
        .streamClient(serverRpc.address)
        .clientStream(blob.BlobService.methods['upload']!, chunks, 5000)
        .then(
          () => assert.fail('the upload was stored'),
          (failure: unknown) => failure,
        );
      assert.ok(error instanceof RpcCallError, `got ${String(error)}`);
      assert.match(error.message, /carried more than the 10240 bytes its first chunk announced/);
      assert.equal(stored(key), false);
      assert.deepEqual((await readdir(server.storagePath)).filter((name) => !isBlobKey(name)), [], 'no temp file left');
    });
  });

  it('the client refuses a file larger than blob.max-size before it sends anything, naming the size, the limit and the option', async () => {
    const file = join(work, 'big.bundle');
    await writeFile(file, randomBytes(65 * KIB));
    // Nothing listens at this address: a refusal that contacted the server would fail as unreachable.
    const nowhere = new BlobClient(clientRpc, '127.0.0.1:1', { maxSizeBytes: 64 * KIB });
    await assert.rejects(nowhere.uploadFile(file), (error: unknown) => {
      assert.ok(error instanceof BlobTooLargeError, `got ${String(error)}`);
      assert.equal(
        error.message,
        `${file} is 0.1 MiB (66560 bytes), larger than blob.max-size (64 kb) so nothing was uploaded to the blob server at 127.0.0.1:1; ` +
          'raise blob.max-size (on the client and the JobManager), or make it smaller',
      );
      return true;
    });
  });

  describe('BlobCache', () => {
    it('removes the blobs of a released job once the cleanup interval has passed, and keeps those of a job still running', async () => {
      const [keptContent, releasedContent] = [randomBytes(10 * KIB), randomBytes(10 * KIB)];
      server.retain('cache-test', blobKeyOf(keptContent));
      server.retain('cache-test', blobKeyOf(releasedContent));
      const { key: kept } = await client.uploadBytes(keptContent);
      const { key: released } = await client.uploadBytes(releasedContent);
      const cache = new BlobCache({ rpcService: clientRpc, jobManagerHostPort: serverRpc.address, logger: silentLogger(), timeoutMs: 5000, cleanupIntervalMs: 200 });
      try {
        await cache.getFile(kept, 'running');
        await cache.getFile(released, 'ended');
        cache.releaseJob('ended');
        await waitFor(() => !existsSync(join(cache.directory, released)), "the ended job's cached blob to be removed");
        assert.deepEqual(cache.keys, [kept]);
        assert.ok(existsSync(join(cache.directory, kept)), "the running job's blob was removed");
      } finally {
        await cache.close();
        server.releaseJob('cache-test');
      }
    });

    it('stays within blob.cache.max-size by removing the least recently used blob no job uses, never one a job uses', async () => {
      const keys = new Map<string, string>();
      for (const name of ['a', 'b', 'c', 'd']) {
        const content = randomBytes(10 * KIB);
        server.retain('lru-test', blobKeyOf(content));
        keys.set(name, (await client.uploadBytes(content)).key);
      }
      const key = (name: string): string => keys.get(name)!;
      const cache = new BlobCache({ rpcService: clientRpc, jobManagerHostPort: serverRpc.address, logger: silentLogger(), timeoutMs: 5000, maxSizeBytes: 25 * KIB });
      const held = (): string[] => [...keys].filter(([, k]) => cache.keys.includes(k)).map(([name]) => name);
      try {
        await cache.getFile(key('a'), 'job-1');
        await cache.getFile(key('b'), 'job-2');
        await cache.getFile(key('a'), 'job-3'); // a is now used more recently than b
        cache.releaseJob('job-1');
        cache.releaseJob('job-2');
        cache.releaseJob('job-3');
        assert.deepEqual(held(), ['a', 'b'], 'under the bound, unused blobs stay');

        await cache.getFile(key('c'), 'job-4'); // 30 KiB > 25 KiB: b, the least recently used, goes
        await waitFor(() => !held().includes('b'), 'b to be evicted');
        assert.deepEqual(held(), ['a', 'c']);
        assert.equal(existsSync(join(cache.directory, key('b'))), false);

        await cache.getFile(key('d'), 'job-5'); // a goes; c and d are in use and stay
        await waitFor(() => !held().includes('a'), 'a to be evicted');
        assert.deepEqual(held(), ['c', 'd']);
        assert.ok(cache.sizeBytes <= 25 * KIB);

        const small = new BlobCache({ rpcService: clientRpc, jobManagerHostPort: serverRpc.address, logger: silentLogger(), timeoutMs: 5000, maxSizeBytes: 5 * KIB });
        try {
          await small.getFile(key('c'), 'job-6');
          await small.getFile(key('d'), 'job-7');
          assert.equal(small.keys.length, 2, 'blobs in use are kept even over the bound');
        } finally {
          await small.close();
        }
      } finally {
        await cache.close();
        server.releaseJob('lru-test');
      }
    });
  });
});
