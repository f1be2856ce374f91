/**
 * BlobServer: the JobManager's store for job code, content-addressed by sha256. Clients upload a
 * bundle once (BlobClient), TaskManagers download it into their BlobCache.
 *
 * Storage: one file per blob, `<storagePath>/<key>`. An upload streams into a temp file in the same
 * directory (`.upload-<key>-<random>`), hashing on the fly, and is renamed onto its key only once
 * its size and sha256 match the key; so a file named by a key is always complete and correct, and
 * concurrent uploads of the same content each write their own temp file and cannot corrupt it.
 *
 * Threading: the handlers run on the RpcService's server as calls arrive (no endpoint, no mailbox);
 * they share no state but the directory and the `closed` flag.
 *
 * Test hook: EDDY_TESTING_BLOB_DOWNLOAD_CHUNK_DELAY_MS (never set outside tests) delays each chunk
 * of a download by that many milliseconds, so tests can make a bundle arrive slowly.
 *
 * Lifecycle: `start()` creates the directory (a fresh one under the system temp directory when
 * blob.storage.directory is empty) and serves BlobService on the RpcService; `close()` refuses
 * further calls and removes the directory when it was the per-process default. The service stays
 * registered on the RpcService's server (gRPC cannot remove it) and answers UNAVAILABLE.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Configuration, Logger } from '@eddy/common';
import { eddy_blob_v1 as blob } from '@eddy/proto';
import { StreamCallError, type RpcService, type StreamWriter } from '@eddy/rpc';
import { isBlobKey } from './blob-key.js';
import { fileSize, writeFully } from './blob-files.js';
import { BlobOptions, checkChunkSize } from './blob-options.js';

export interface BlobServerServices {
  readonly configuration: Configuration;
  readonly logger: Logger;
}

const TEMP_PREFIX = '.upload-';
/** Test hook: milliseconds to wait before each chunk of a download (see the file comment). */
const CHUNK_DELAY_ENV = 'EDDY_TESTING_BLOB_DOWNLOAD_CHUNK_DELAY_MS';

export class BlobServer {
  private closed = false;
  private readonly chunkDelayMs = Number(process.env[CHUNK_DELAY_ENV] ?? 0) || 0;

  private constructor(
    private readonly rpcService: RpcService,
    readonly storagePath: string,
    private readonly ownsDirectory: boolean,
    private readonly chunkSize: number,
    private readonly logger: Logger,
  ) {}

  /**
   * Creates (or reuses) the storage directory and serves BlobService on `rpcService`. Rejects when
   * blob.chunk-size does not fit rpc.max-message-size, or the directory cannot be created.
   */
  static async start(rpcService: RpcService, services: BlobServerServices): Promise<BlobServer> {
    const { configuration } = services;
    const chunkSize = configuration.get(BlobOptions.chunkSize);
    checkChunkSize(chunkSize, rpcService.maxMessageSize);
    const configured = configuration.get(BlobOptions.storageDirectory);
    let storagePath: string;
    if (configured === '') {
      storagePath = await mkdtemp(join(tmpdir(), 'eddy-blobs-'));
    } else {
      storagePath = configured;
      await mkdir(storagePath, { recursive: true });
      await removeStaleUploads(storagePath, configuration.get(BlobOptions.transferTimeout));
    }
    const logger = services.logger.child({ component: 'BlobServer' });
    const server = new BlobServer(rpcService, storagePath, configured === '', chunkSize, logger);
    try {
      rpcService.serveStreamService(blob.BlobService, {
        has: (request: blob.BlobKeyRequest) => server.has(request),
        upload: (chunks: AsyncIterable<blob.BlobChunk>) => server.upload(chunks),
        download: (request: blob.BlobKeyRequest, out: StreamWriter<blob.BlobChunk>) => server.download(request, out),
      });
    } catch (error) {
      // A stopping RpcService, or a second blob server on the same one.
      await server.close();
      throw error;
    }
    logger.info({ storagePath, chunkSize, address: rpcService.address }, 'Blob server started');
    return server;
  }

  /** `host:port` clients reach this blob server under (its RpcService's address). */
  get address(): string {
    return this.rpcService.address;
  }

  /** Refuses further calls; removes the storage directory when it was the per-process default. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsDirectory) await rm(this.storagePath, { recursive: true, force: true });
    this.logger.info({ storagePath: this.storagePath, removed: this.ownsDirectory }, 'Blob server closed');
  }

  /** Whether the blob is stored (for the Dispatcher, which refuses jobs whose code is missing). */
  async isStored(key: string): Promise<boolean> {
    return isBlobKey(key) && (await fileSize(this.pathOf(key))) !== undefined;
  }

  private pathOf(key: string): string {
    return join(this.storagePath, key);
  }

  private checkOpen(): void {
    if (this.closed) throw new StreamCallError(grpc.status.UNAVAILABLE, `The blob server at ${this.address} is closed`);
  }

  private async has(request: blob.BlobKeyRequest): Promise<blob.HasBlobResponse> {
    this.checkOpen();
    checkKey(request.key);
    const size = await fileSize(this.pathOf(request.key));
    this.logger.debug({ key: request.key, present: size !== undefined }, 'Answered whether a blob is stored');
    return size === undefined ? { present: false, size: 0 } : { present: true, size };
  }

  private async upload(chunks: AsyncIterable<blob.BlobChunk>): Promise<blob.UploadBlobResponse> {
    this.checkOpen();
    const iterator = chunks[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done === true) {
      throw new StreamCallError(grpc.status.INVALID_ARGUMENT, 'A blob upload carried no chunk; its first chunk must carry the key and the total size');
    }
    const { key, totalSize } = first.value;
    checkKey(key);
    if (!Number.isSafeInteger(totalSize) || totalSize < 0) {
      throw new StreamCallError(grpc.status.INVALID_ARGUMENT, `The upload of blob ${key} announced a total size of ${totalSize}; expected a whole number of bytes`);
    }
    const path = this.pathOf(key);
    const stored = await fileSize(path);
    if (stored !== undefined) {
      // The rest of the stream is left unread; gRPC discards it once the answer is sent.
      this.logger.debug({ key, size: stored }, 'Blob already stored; upload discarded');
      return { key, size: stored, alreadyPresent: true };
    }
    this.logger.debug({ key, totalSize }, 'Receiving blob upload');
    const temp = join(this.storagePath, `${TEMP_PREFIX}${key}-${randomBytes(8).toString('hex')}`);
    try {
      const handle = await open(temp, 'wx');
      try {
        const hash = createHash('sha256');
        let size = 0;
        for (let chunk: blob.BlobChunk | undefined = first.value; chunk !== undefined; chunk = await nextChunk(iterator)) {
          size += chunk.data.length;
          if (size > totalSize) throw refusal(key, `it carried more than the ${totalSize} bytes its first chunk announced`);
          hash.update(chunk.data);
          await writeFully(handle, chunk.data);
        }
        if (size !== totalSize) throw refusal(key, `it ended after ${size} bytes, but its first chunk announced ${totalSize}`);
        const actual = hash.digest('hex');
        if (actual !== key) throw refusal(key, `its content hashes to sha256 ${actual}, not to its key ${key}`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      // Another upload of the same content may have finished meanwhile; either file is the same.
      const raced = await fileSize(path);
      if (raced !== undefined) {
        await rm(temp, { force: true });
        this.logger.debug({ key, size: raced }, 'Blob already stored; upload discarded');
        return { key, size: raced, alreadyPresent: true };
      }
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true }).catch((cleanup: unknown) => this.logger.warn({ err: cleanup, path: temp }, 'Could not remove the temp file of a failed upload'));
      this.logger.debug({ key, err: error }, 'Blob upload failed; nothing stored');
      throw error;
    }
    this.logger.info({ key, size: totalSize }, 'Stored blob');
    return { key, size: totalSize, alreadyPresent: false };
  }

  private async download(request: blob.BlobKeyRequest, out: StreamWriter<blob.BlobChunk>): Promise<void> {
    this.checkOpen();
    const { key } = request;
    checkKey(key);
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(key), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new StreamCallError(grpc.status.NOT_FOUND, `no blob ${key} in the blob store at ${this.address}; upload it first`);
      }
      throw error;
    }
    try {
      const { size } = await handle.stat();
      this.logger.debug({ key, size }, 'Serving blob download');
      // The first chunk goes out even for an empty blob: it carries the key and the size.
      for (let offset = 0, first = true; first || offset < size; first = false) {
        if (out.cancelled) {
          this.logger.debug({ key, sentBytes: offset, size }, 'Blob download cancelled by its client');
          return;
        }
        if (this.chunkDelayMs > 0) await sleep(this.chunkDelayMs);
        const length = Math.min(this.chunkSize, size - offset);
        const data = Buffer.allocUnsafe(length);
        const { bytesRead } = await handle.read(data, 0, length, offset);
        if (bytesRead === 0 && length > 0) throw new Error(`The file of blob ${key} ended after ${offset} of ${size} bytes`);
        offset += bytesRead;
        await out.write({ key: first ? key : '', totalSize: first ? size : 0, data: data.subarray(0, bytesRead) });
      }
    } finally {
      await handle.close();
    }
  }
}

function checkKey(key: string): void {
  if (!isBlobKey(key)) {
    throw new StreamCallError(grpc.status.INVALID_ARGUMENT, `'${key.slice(0, 80)}' is not a blob key: expected the sha256 of the content as 64 lowercase hex digits`);
  }
}

function refusal(key: string, why: string): StreamCallError {
  return new StreamCallError(grpc.status.INVALID_ARGUMENT, `The upload of blob ${key} was refused: ${why}; nothing was stored`);
}

async function nextChunk(iterator: AsyncIterator<blob.BlobChunk>): Promise<blob.BlobChunk | undefined> {
  const next = await iterator.next();
  return next.done === true ? undefined : next.value;
}

/**
 * Removes temp files of uploads cut off by the end of an earlier process. An upload still running
 * somewhere writes at least once per transfer timeout, so only files left alone for longer go.
 */
async function removeStaleUploads(directory: string, transferTimeoutMs: number): Promise<void> {
  for (const name of await readdir(directory)) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const path = join(directory, name);
    const modified = await stat(path).then((stats) => stats.mtimeMs, () => undefined);
    if (modified !== undefined && Date.now() - modified > transferTimeoutMs) await rm(path, { force: true });
  }
}
