/**
 * BlobCache: the TaskManager's local copies of job code, downloaded from the JobManager's blob
 * server on first use and kept for later jobs (a key names its content, so a copy never goes
 * stale).
 *
 * Concurrency: callers asking for the same key while it downloads share that one download. A
 * failed download is forgotten, so the next call tries again (possibly at another JobManager, see
 * setJobManager). Files found in the directory that this cache did not download (left by an earlier
 * TaskManager process) are hashed once before they are trusted.
 *
 * Lifecycle: the directory is created by the constructor (a fresh one under the system temp
 * directory when none is given); close() waits for running downloads and removes the directory
 * when the cache created it.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@eddy/common';
import type { RpcService } from '@eddy/rpc';
import { BlobClient, BlobError, fileSize, hashFile, InvalidBlobKeyError, isBlobKey } from '@eddy/cluster-common';

export interface BlobCacheOptions {
  readonly rpcService: RpcService;
  /** `host:port` of the JobManager whose blob server to download from. */
  readonly jobManagerHostPort: string;
  /** Where to keep the blobs. Default: a fresh directory under the system temp directory, removed by close(). */
  readonly directory?: string;
  readonly logger: Logger;
  /** Deadline of one download (blob.transfer.timeout). */
  readonly timeoutMs: number;
}

export class BlobCache {
  /** Where the blobs are kept, one file per key. */
  readonly directory: string;
  private readonly ownsDirectory: boolean;
  private readonly rpcService: RpcService;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private jobManager: string;
  /** Keys whose file in the directory is known to be complete and correct. */
  private readonly ready = new Set<string>();
  private readonly downloads = new Map<string, Promise<string>>();
  private closed = false;

  constructor(options: BlobCacheOptions) {
    this.rpcService = options.rpcService;
    this.jobManager = options.jobManagerHostPort;
    this.timeoutMs = options.timeoutMs;
    this.logger = options.logger.child({ component: 'BlobCache' });
    if (options.directory === undefined) {
      this.directory = mkdtempSync(join(tmpdir(), 'eddy-blob-cache-'));
      this.ownsDirectory = true;
    } else {
      this.directory = options.directory;
      mkdirSync(this.directory, { recursive: true });
      this.ownsDirectory = false;
    }
  }

  get jobManagerHostPort(): string {
    return this.jobManager;
  }

  /** Downloads from the JobManager at `hostPort` from now on (a new leader); running downloads go on. */
  setJobManager(hostPort: string): void {
    if (hostPort === this.jobManager) return;
    this.logger.info({ from: this.jobManager, to: hostPort }, 'Blob cache follows another JobManager');
    this.jobManager = hostPort;
  }

  /**
   * Resolves to the path of a local file holding blob `key`, downloading it first when this cache
   * has no verified copy. Rejects with InvalidBlobKeyError for a malformed key, with the download's
   * error when it fails (RpcUnreachableError, RpcCallError NOT_FOUND for a blob the JobManager does
   * not have, BlobTransferTimeoutError, BlobIntegrityError), and with BlobError once closed.
   */
  getFile(key: string): Promise<string> {
    if (!isBlobKey(key)) return Promise.reject(new InvalidBlobKeyError(key));
    if (this.closed) return Promise.reject(new BlobError(`The blob cache in ${this.directory} is closed; it serves no blob ${key}`));
    const path = join(this.directory, key);
    if (this.ready.has(key)) return Promise.resolve(path);
    let pending = this.downloads.get(key);
    if (pending === undefined) {
      pending = this.fetch(key, path).finally(() => this.downloads.delete(key));
      this.downloads.set(key, pending);
    }
    return pending;
  }

  /** Refuses further calls, waits for running downloads, and removes the directory if this cache created it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.downloads.values());
    if (this.ownsDirectory) await rm(this.directory, { recursive: true, force: true });
    this.logger.debug({ directory: this.directory, removed: this.ownsDirectory }, 'Blob cache closed');
  }

  private async fetch(key: string, path: string): Promise<string> {
    if ((await fileSize(path)) !== undefined) {
      const found = await hashFile(path);
      if (found.key === key) {
        this.ready.add(key);
        this.logger.debug({ key, size: found.size }, 'Reusing blob found in the cache directory');
        return path;
      }
      this.logger.warn({ key, actualKey: found.key, path }, 'Cached blob does not match its key; downloading it again');
      await rm(path, { force: true });
    }
    const jobManager = this.jobManager;
    const started = Date.now();
    try {
      await new BlobClient(this.rpcService, jobManager, { timeoutMs: this.timeoutMs }).downloadTo(key, path);
    } catch (error) {
      this.logger.debug({ key, jobManager, err: error }, 'Blob download failed; the next request tries again');
      throw error;
    }
    this.ready.add(key);
    this.logger.info({ key, jobManager, durationMs: Date.now() - started }, 'Downloaded blob');
    return path;
  }
}
