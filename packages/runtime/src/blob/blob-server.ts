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
 * Size: an upload larger than blob.max-size is refused as soon as its first chunk announces that
 * size, or its bytes pass it, before anything is stored.
 *
 * Release (Flink's cleanup of a job's blobs): the Dispatcher retains a job's blob while the job
 * runs and releases it when the job ends. A blob that no job retains is removed once it has gone
 * unused for blob.service.cleanup.interval, checked at that interval; being uploaded, or asked for
 * (`has`, `isStored`), counts as a use, so code uploaded for a job about to be submitted stays.
 *
 * Test hook: EDDY_TESTING_BLOB_DOWNLOAD_CHUNK_DELAY_MS (never set outside tests) delays each chunk
 * of a download by that many milliseconds, so tests can make a bundle arrive slowly.
 *
 * Lifecycle: `start()` creates the directory (when blob.storage.directory is empty, a fresh one
 * under the system temp directory named after this process, after removing those that processes
 * now gone left there) and serves BlobService on the RpcService; `close()` stops the cleanup,
 * refuses further calls and removes the directory when it was the per-process default. The
 * service stays registered on the RpcService's server (gRPC cannot remove it) and answers UNAVAILABLE.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import type { Configuration, Logger } from '@eddy/common';
import { eddy_blob_v1 as blob } from '@eddy/proto';
import { GrpcStatus, StreamCallError, type RpcService, type StreamWriter } from '@eddy/rpc';
import { BlobOptions, BlobTooLargeError, checkChunkSize, createOwnedTempDir, fileSize, isBlobKey, removeStaleTempDirs, writeFully } from '@eddy/cluster-common';

export interface BlobServerServices {
  readonly configuration: Configuration;
  readonly logger: Logger;
}

const TEMP_PREFIX = '.upload-';
/** Prefix of the per-process default storage directories in the temp directory. */
export const BLOB_STORE_DIR_PREFIX = 'eddy-blobs-';

/** Test hook: milliseconds to wait before each chunk of a download (see the file comment). */
const CHUNK_DELAY_ENV = 'EDDY_TESTING_BLOB_DOWNLOAD_CHUNK_DELAY_MS';

export class BlobServer {
  private closed = false;
  private readonly chunkDelayMs = Number(process.env[CHUNK_DELAY_ENV] ?? 0) || 0;
  /** Per stored blob key, the jobs that retain it. */
  private readonly retainedBy = new Map<string, Set<string>>();
  /** Per blob key that no job retains, when it was last used (uploaded, asked for, released). */
  private readonly unusedSince = new Map<string, number>();
  private readonly cleanupTimer: NodeJS.Timeout;
  private readonly maxSizeBytes: number;
  private readonly cleanupIntervalMs: number;

  private constructor(
    private readonly rpcService: RpcService,
    readonly storagePath: string,
    private readonly ownsDirectory: boolean,
    private readonly chunkSize: number,
    configuration: Configuration,
    private readonly logger: Logger,
  ) {
    this.maxSizeBytes = configuration.get(BlobOptions.maxSize);
    this.cleanupIntervalMs = configuration.get(BlobOptions.cleanupInterval);
    this.cleanupTimer = setInterval(() => void this.removeUnused(), this.cleanupIntervalMs);
    this.cleanupTimer.unref();
  }

  /**
   * Creates (or reuses) the storage directory and serves BlobService on `rpcService`. Rejects when
   * blob.chunk-size does not fit rpc.max-message-size, or the directory cannot be created.
   */
  static async start(rpcService: RpcService, services: BlobServerServices): Promise<BlobServer> {
    const { configuration } = services;
    const chunkSize = configuration.get(BlobOptions.chunkSize);
    checkChunkSize(chunkSize, rpcService.maxMessageSize);
    const configured = configuration.get(BlobOptions.storageDirectory);
    const logger = services.logger.child({ component: 'BlobServer' });
    let storagePath: string;
    if (configured === '') {
      const stale = await removeStaleTempDirs(BLOB_STORE_DIR_PREFIX);
      if (stale.length > 0) logger.info({ removed: stale }, 'Removed blob store directories that ended JobManagers left in the temp directory');
      storagePath = await createOwnedTempDir(BLOB_STORE_DIR_PREFIX);
    } else {
      storagePath = configured;
      await mkdir(storagePath, { recursive: true });
      await removeStaleUploads(storagePath, configuration.get(BlobOptions.transferTimeout));
    }
    const server = new BlobServer(rpcService, storagePath, configured === '', chunkSize, configuration, logger);
    // Blobs an earlier JobManager stored here count as unused from now on: no job retains them yet.
    for (const name of await readdir(storagePath)) if (isBlobKey(name)) server.unusedSince.set(name, Date.now());
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

  /** Stops the cleanup and refuses further calls; removes the storage directory when it was the per-process default. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.cleanupTimer);
    if (this.ownsDirectory) await rm(this.storagePath, { recursive: true, force: true });
    this.logger.info({ storagePath: this.storagePath, removed: this.ownsDirectory }, 'Blob server closed');
  }

  /** Whether the blob is stored (for the Dispatcher, which refuses jobs whose code is missing); counts as a use. */
  async isStored(key: string): Promise<boolean> {
    if (!isBlobKey(key)) return false;
    this.touch(key);
    return (await fileSize(this.pathOf(key))) !== undefined;
  }

  /** Keeps blob `key` while job `jobId` runs (the Dispatcher calls it when it accepts the job). */
  retain(jobId: string, key: string): void {
    let jobs = this.retainedBy.get(key);
    if (jobs === undefined) this.retainedBy.set(key, (jobs = new Set()));
    jobs.add(jobId);
    this.unusedSince.delete(key);
  }

  /**
   * Job `jobId` ended: the blobs it retained that no other job retains are removed once they have
   * gone unused for blob.service.cleanup.interval.
   */
  releaseJob(jobId: string): void {
    for (const [key, jobs] of this.retainedBy) {
      if (!jobs.delete(jobId) || jobs.size > 0) continue;
      this.retainedBy.delete(key);
      this.unusedSince.set(key, Date.now());
      this.logger.debug({ key, jobId, cleanupIntervalMs: this.cleanupIntervalMs }, 'Blob released; removed once unused for the cleanup interval');
    }
  }

  /** A use of `key`: unless a job retains it, its unused time starts again. */
  private touch(key: string): void {
    if (!this.retainedBy.has(key)) this.unusedSince.set(key, Date.now());
  }

  /** Removes the blobs no job has retained or used for the cleanup interval. */
  private async removeUnused(): Promise<void> {
    const now = Date.now();
    for (const [key, since] of [...this.unusedSince]) {
      if (now - since < this.cleanupIntervalMs) continue;
      this.unusedSince.delete(key);
      try {
        await rm(this.pathOf(key), { force: true });
        this.logger.info({ key, unusedForMs: now - since }, 'Removed blob no job uses');
      } catch (error) {
        this.logger.warn({ key, err: error }, 'Could not remove a blob no job uses; trying again after the cleanup interval');
        this.unusedSince.set(key, since);
      }
    }
  }

  private pathOf(key: string): string {
    return join(this.storagePath, key);
  }

  private checkOpen(): void {
    if (this.closed) throw new StreamCallError(GrpcStatus.UNAVAILABLE, `The blob server at ${this.address} is closed`);
  }

  private async has(request: blob.BlobKeyRequest): Promise<blob.HasBlobResponse> {
    this.checkOpen();
    checkKey(request.key);
    this.touch(request.key);
    const size = await fileSize(this.pathOf(request.key));
    this.logger.debug({ key: request.key, present: size !== undefined }, 'Answered whether a blob is stored');
    return size === undefined ? { present: false, size: 0 } : { present: true, size };
  }

  private async upload(chunks: AsyncIterable<blob.BlobChunk>): Promise<blob.UploadBlobResponse> {
    this.checkOpen();
    const iterator = chunks[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done === true) {
      throw new StreamCallError(GrpcStatus.INVALID_ARGUMENT, 'A blob upload carried no chunk; its first chunk must carry the key and the total size');
    }
    const { key, totalSize } = first.value;
    checkKey(key);
    if (!Number.isSafeInteger(totalSize) || totalSize < 0) {
      throw new StreamCallError(GrpcStatus.INVALID_ARGUMENT, `The upload of blob ${key} announced a total size of ${totalSize}; expected a whole number of bytes`);
    }
    // Refused before anything is read further or stored; the rest of the stream is left unread.
    if (totalSize > this.maxSizeBytes) throw this.tooLarge(key, totalSize);
    this.touch(key);
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
          if (size > this.maxSizeBytes) throw this.tooLarge(key, size);
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
    this.touch(key);
    this.logger.info({ key, size: totalSize }, 'Stored blob');
    return { key, size: totalSize, alreadyPresent: false };
  }

  private tooLarge(key: string, sizeBytes: number): StreamCallError {
    const error = new BlobTooLargeError({
      what: `The upload of blob ${key}`,
      sizeBytes,
      maxSizeBytes: this.maxSizeBytes,
      where: `allowed by the blob server at ${this.address}, so nothing was stored`,
    });
    this.logger.warn({ key, sizeBytes, maxSizeBytes: this.maxSizeBytes }, 'Refused a blob upload larger than blob.max-size');
    return new StreamCallError(GrpcStatus.RESOURCE_EXHAUSTED, error.message);
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
        throw new StreamCallError(GrpcStatus.NOT_FOUND, `no blob ${key} in the blob store at ${this.address}; upload it first`);
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
    throw new StreamCallError(GrpcStatus.INVALID_ARGUMENT, `'${key.slice(0, 80)}' is not a blob key: expected the sha256 of the content as 64 lowercase hex digits`);
  }
}

function refusal(key: string, why: string): StreamCallError {
  return new StreamCallError(GrpcStatus.INVALID_ARGUMENT, `The upload of blob ${key} was refused: ${why}; nothing was stored`);
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
