/**
 * BlobCache: the TaskManager's local copies of job code, downloaded from the JobManager's blob
 * server on first use and kept while jobs need them (a key names its content, so a copy never goes
 * stale), as Flink's PermanentBlobCache does.
 *
 * Concurrency: callers asking for the same key while it downloads share that one download. A
 * failed download is forgotten, so the next call tries again (possibly at another JobManager, see
 * setJobManager). Files found in the directory that this cache did not download (left by an earlier
 * TaskManager process) are hashed once before they are trusted.
 *
 * Release: getFile(key, jobId) records that the job uses the blob; releaseJob(jobId) (the
 * TaskExecutor calls it once it has no slot of the job left) ends that. A blob no job uses is
 * removed once it has gone unused for blob.service.cleanup.interval, checked at that interval; and
 * at once, least recently used first, while the cache holds more than blob.cache.max-size. A blob
 * a job uses is never removed.
 *
 * Lifecycle: the directory is created by the constructor (when none is given, a fresh one under
 * the system temp directory named after this process; directories of this kind that processes now
 * gone left there are removed in the background); close() stops the cleanup, waits for running
 * downloads and removes the directory when the cache created it.
 */
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@eddy/common';
import type { RpcService } from '@eddy/rpc';
import { BlobClient, BlobError, BlobOptions, createOwnedTempDirSync, fileSize, hashFile, InvalidBlobKeyError, isBlobKey, removeStaleTempDirs } from '@eddy/cluster-common';

/** Prefix of the per-process default cache directories in the temp directory. */
export const BLOB_CACHE_DIR_PREFIX = 'eddy-blob-cache-';

export interface BlobCacheOptions {
  readonly rpcService: RpcService;
  /** `host:port` of the JobManager whose blob server to download from. */
  readonly jobManagerHostPort: string;
  /** Where to keep the blobs. Default: a fresh directory under the system temp directory, removed by close(). */
  readonly directory?: string;
  readonly logger: Logger;
  /** Deadline of one download (blob.transfer.timeout). */
  readonly timeoutMs: number;
  /** How long a blob no job uses is kept (blob.service.cleanup.interval); default its default. */
  readonly cleanupIntervalMs?: number;
  /** Bound of the blobs kept (blob.cache.max-size); default its default. */
  readonly maxSizeBytes?: number;
}

/** A blob this cache holds, or is downloading. */
interface CacheEntry {
  /** Whether the file is complete and verified. */
  ready: boolean;
  size: number;
  lastUsed: number;
  /** The jobs that use it; empty: unused since `unusedSince`. */
  readonly jobs: Set<string>;
  unusedSince: number;
}

export class BlobCache {
  /** Where the blobs are kept, one file per key. */
  readonly directory: string;
  private readonly ownsDirectory: boolean;
  private readonly rpcService: RpcService;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly cleanupIntervalMs: number;
  private readonly maxSizeBytes: number;
  private jobManager: string;
  private readonly entries = new Map<string, CacheEntry>();
  private readonly downloads = new Map<string, Promise<string>>();
  private readonly cleanupTimer: NodeJS.Timeout;
  /** Removal of stale directories of ended TaskManagers, started by the constructor. */
  private readonly staleRemoval: Promise<void>;
  private closed = false;

  constructor(options: BlobCacheOptions) {
    this.rpcService = options.rpcService;
    this.jobManager = options.jobManagerHostPort;
    this.timeoutMs = options.timeoutMs;
    this.cleanupIntervalMs = options.cleanupIntervalMs ?? BlobOptions.cleanupInterval.defaultValue;
    this.maxSizeBytes = options.maxSizeBytes ?? BlobOptions.cacheMaxSize.defaultValue;
    this.logger = options.logger.child({ component: 'BlobCache' });
    if (options.directory === undefined) {
      this.staleRemoval = removeStaleTempDirs(BLOB_CACHE_DIR_PREFIX).then((removed) => {
        if (removed.length > 0) this.logger.info({ removed }, 'Removed blob cache directories that ended TaskManagers left in the temp directory');
      });
      this.directory = createOwnedTempDirSync(BLOB_CACHE_DIR_PREFIX);
      this.ownsDirectory = true;
    } else {
      this.staleRemoval = Promise.resolve();
      this.directory = options.directory;
      mkdirSync(this.directory, { recursive: true });
      this.ownsDirectory = false;
    }
    this.cleanupTimer = setInterval(() => void this.removeUnused(), this.cleanupIntervalMs);
    this.cleanupTimer.unref();
  }

  get jobManagerHostPort(): string {
    return this.jobManager;
  }

  /** Bytes of the complete blobs held. */
  get sizeBytes(): number {
    let total = 0;
    for (const entry of this.entries.values()) if (entry.ready) total += entry.size;
    return total;
  }

  /** The keys of the complete blobs held. */
  get keys(): string[] {
    return [...this.entries].filter(([, entry]) => entry.ready).map(([key]) => key);
  }

  /** Downloads from the JobManager at `hostPort` from now on (a new leader); running downloads go on. */
  setJobManager(hostPort: string): void {
    if (hostPort === this.jobManager) return;
    this.logger.info({ from: this.jobManager, to: hostPort }, 'Blob cache follows another JobManager');
    this.jobManager = hostPort;
  }

  /**
   * Resolves to the path of a local file holding blob `key`, for job `jobId`, downloading it first
   * when this cache has no verified copy; the blob stays until releaseJob(jobId) (and the other jobs
   * that use it) released it. Rejects with InvalidBlobKeyError for a malformed key, with the
   * download's error when it fails (RpcUnreachableError, RpcCallError NOT_FOUND for a blob the
   * JobManager does not have, BlobTransferTimeoutError, BlobIntegrityError), and with BlobError
   * once closed.
   */
  getFile(key: string, jobId: string): Promise<string> {
    if (!isBlobKey(key)) return Promise.reject(new InvalidBlobKeyError(key));
    if (this.closed) return Promise.reject(new BlobError(`The blob cache in ${this.directory} is closed; it serves no blob ${key}`));
    const path = join(this.directory, key);
    let entry = this.entries.get(key);
    if (entry === undefined) this.entries.set(key, (entry = { ready: false, size: 0, lastUsed: Date.now(), jobs: new Set(), unusedSince: Date.now() }));
    entry.jobs.add(jobId);
    entry.lastUsed = Date.now();
    if (entry.ready) return Promise.resolve(path);
    let pending = this.downloads.get(key);
    if (pending === undefined) {
      pending = this.fetch(key, path).finally(() => this.downloads.delete(key));
      this.downloads.set(key, pending);
    }
    return pending;
  }

  /**
   * Job `jobId` needs no blob here any more: the blobs no other job uses are removed after the
   * cleanup interval, or before while the cache is over its bound.
   */
  releaseJob(jobId: string): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (!entry.jobs.delete(jobId) || entry.jobs.size > 0) continue;
      entry.unusedSince = now;
      this.logger.debug({ key, jobId, cleanupIntervalMs: this.cleanupIntervalMs }, 'Cached blob released; removed once unused for the cleanup interval');
    }
    void this.evictOverBound();
  }

  /** Stops the cleanup, refuses further calls, waits for running downloads, and removes the directory if this cache created it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.cleanupTimer);
    await Promise.allSettled([...this.downloads.values(), this.staleRemoval]);
    if (this.ownsDirectory) await rm(this.directory, { recursive: true, force: true });
    this.logger.debug({ directory: this.directory, removed: this.ownsDirectory }, 'Blob cache closed');
  }

  private async fetch(key: string, path: string): Promise<string> {
    const size = await this.reuseOrDownload(key, path);
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      entry.ready = true;
      entry.size = size;
    }
    await this.evictOverBound();
    return path;
  }

  /** Resolves to the blob's size once `path` holds it, verified. */
  private async reuseOrDownload(key: string, path: string): Promise<number> {
    if ((await fileSize(path)) !== undefined) {
      const found = await hashFile(path);
      if (found.key === key) {
        this.logger.debug({ key, size: found.size }, 'Reusing blob found in the cache directory');
        return found.size;
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
    const size = (await fileSize(path)) ?? 0;
    this.logger.info({ key, jobManager, size, durationMs: Date.now() - started }, 'Downloaded blob');
    return size;
  }

  /** Whether `key` may go: complete, used by no job, not being downloaded. */
  private removable(key: string, entry: CacheEntry): boolean {
    return entry.ready && entry.jobs.size === 0 && !this.downloads.has(key);
  }

  /** Removes the blobs no job has used for the cleanup interval. */
  private async removeUnused(): Promise<void> {
    const now = Date.now();
    for (const [key, entry] of [...this.entries]) {
      if (this.removable(key, entry) && now - entry.unusedSince >= this.cleanupIntervalMs) await this.remove(key, 'unused for the cleanup interval');
      // A download that failed leaves an incomplete entry; once no job waits for it, it goes.
      else if (!entry.ready && entry.jobs.size === 0 && !this.downloads.has(key)) this.entries.delete(key);
    }
  }

  /** While the cache holds more than its bound, removes the least recently used blob no job uses. */
  private async evictOverBound(): Promise<void> {
    while (this.sizeBytes > this.maxSizeBytes) {
      let victim: [string, CacheEntry] | undefined;
      for (const candidate of this.entries) {
        if (this.removable(...candidate) && (victim === undefined || candidate[1].lastUsed < victim[1].lastUsed)) victim = candidate;
      }
      if (victim === undefined) return;
      await this.remove(victim[0], `the cache holds more than ${BlobOptions.cacheMaxSize.key} (${this.maxSizeBytes} bytes)`);
    }
  }

  private async remove(key: string, why: string): Promise<void> {
    const entry = this.entries.get(key);
    if (entry === undefined || !this.removable(key, entry)) return;
    this.entries.delete(key);
    try {
      await rm(join(this.directory, key), { force: true });
      this.logger.info({ key, size: entry.size, why }, 'Removed cached blob');
    } catch (error) {
      this.logger.warn({ key, err: error }, 'Could not remove a cached blob');
    }
  }
}
