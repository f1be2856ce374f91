/**
 * Where a job's checkpoints live (Flink's CheckpointStorage), seen from the JobMaster.
 *
 *   FileSystemCheckpointStorage   state.checkpoints.dir set: `<dir>/<job id>/chk-<n>/`, tasks write
 *                                 their state files there, the JobMaster writes `_metadata` last
 *   JobManagerCheckpointStorage   no directory: state travels inline in the acknowledgements and
 *                                 completed checkpoints are kept in memory only
 *
 * Writing `_metadata` is the commit point of a checkpoint: temp file, fsync, rename, fsync of the
 * directory, so a crash leaves either no metadata or a whole one. Deleting goes by file: a file is
 * removed once no retained checkpoint refers to it (a finished task's state is carried into later
 * checkpoints by reference, and so are the unchanged key groups of an incremental checkpoint).
 *
 * Threading: called from the JobMaster's main thread; the returned promises settle off it (file
 * I/O), so callers re-enter the mailbox before touching their state.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CheckpointMetadataError, decodeMetadata, encodeMetadata, METADATA_FILE_NAME, type CompletedCheckpoint } from './checkpoint-metadata.js';

export interface CheckpointStorage {
  /** The job's checkpoint directory handed to tasks; '' when state goes to the JobManager. */
  readonly taskStorageDirectory: string;
  /** Human form for logs and messages. */
  describe(): string;
  /** Makes sure checkpoint `id` can be written (its directory exists); rejects with the path and the OS error. */
  initializeLocation(checkpointId: number): Promise<void>;
  /** Writes `_metadata` atomically; resolves to its path ('' in memory). */
  persist(checkpoint: Omit<CompletedCheckpoint, 'metadataPath'>): Promise<string>;
  /** Removes `paths` (state files no retained checkpoint needs) and, when it is empty then, the checkpoint's directory. */
  discardFiles(checkpointId: number, paths: readonly string[], metadataPath: string): Promise<void>;
  /** Removes everything a checkpoint that did not complete wrote. */
  discardAborted(checkpointId: number): Promise<void>;
}

export function checkpointDirectoryName(checkpointId: number): string {
  return `chk-${checkpointId}`;
}

export class FileSystemCheckpointStorage implements CheckpointStorage {
  readonly taskStorageDirectory: string;

  constructor(baseDirectory: string, jobId: string) {
    this.taskStorageDirectory = join(baseDirectory, jobId);
  }

  describe(): string {
    return this.taskStorageDirectory;
  }

  async initializeLocation(checkpointId: number): Promise<void> {
    const directory = join(this.taskStorageDirectory, checkpointDirectoryName(checkpointId));
    try {
      await mkdir(directory, { recursive: true });
    } catch (error) {
      throw new Error(`Could not create the checkpoint directory ${directory}: ${(error as Error).message}`, { cause: error });
    }
  }

  async persist(checkpoint: Omit<CompletedCheckpoint, 'metadataPath'>): Promise<string> {
    const directory = join(this.taskStorageDirectory, checkpointDirectoryName(checkpoint.checkpointId));
    const target = join(directory, METADATA_FILE_NAME);
    const temporary = join(directory, `.${METADATA_FILE_NAME}.inprogress`);
    try {
      await mkdir(directory, { recursive: true });
      await writeFile(temporary, encodeMetadata(checkpoint), { flush: true });
      await rename(temporary, target);
      syncDirectory(directory);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      throw new Error(`Could not write the metadata of checkpoint ${checkpoint.checkpointId} to ${target}: ${(error as Error).message}`, { cause: error });
    }
    return target;
  }

  async discardFiles(checkpointId: number, paths: readonly string[], metadataPath: string): Promise<void> {
    await Promise.all([...paths, ...(metadataPath === '' ? [] : [metadataPath])].map((path) => unlink(path).catch(ignoreMissing)));
    // The checkpoint's directory, and those of earlier checkpoints whose last shared file (an
    // incremental checkpoint refers to earlier files) went now, once they are empty.
    const directories = new Set([join(this.taskStorageDirectory, checkpointDirectoryName(checkpointId)), ...paths.map((path) => dirname(path))]);
    await Promise.all([...directories].filter((directory) => dirname(directory) === this.taskStorageDirectory).map((directory) => rmdir(directory).catch(() => undefined)));
  }

  async discardAborted(checkpointId: number): Promise<void> {
    await rm(join(this.taskStorageDirectory, checkpointDirectoryName(checkpointId)), { recursive: true, force: true });
  }
}

export class JobManagerCheckpointStorage implements CheckpointStorage {
  readonly taskStorageDirectory = '';

  describe(): string {
    return "the JobManager's memory (state.checkpoints.dir is not set)";
  }

  initializeLocation(): Promise<void> {
    return Promise.resolve();
  }

  persist(): Promise<string> {
    return Promise.resolve('');
  }

  discardFiles(): Promise<void> {
    return Promise.resolve();
  }

  discardAborted(): Promise<void> {
    return Promise.resolve();
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

/** fsync of a directory makes a rename in it durable; some file systems refuse it, which is fine. */
function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(directory, 'r');
    fsyncSync(fd);
  } catch {
    // not supported here
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Reads a completed checkpoint from `path`: a `chk-<n>` directory or its `_metadata` file.
 * Throws CheckpointMetadataError saying what is missing or wrong, with the path.
 */
export async function readCompletedCheckpoint(path: string): Promise<CompletedCheckpoint> {
  let file = path;
  try {
    if ((await stat(path)).isDirectory()) file = join(path, METADATA_FILE_NAME);
  } catch (error) {
    throw new CheckpointMetadataError(`Cannot restore from ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message}`);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new CheckpointMetadataError(
      missing
        ? `Cannot restore from ${path}: it has no ${METADATA_FILE_NAME} file, so it is not a completed checkpoint (a checkpoint that did not complete has none)`
        : `Cannot read ${file}: ${(error as Error).message}`,
    );
  }
  return decodeMetadata(bytes, `The checkpoint metadata file ${file}`, file);
}

/** The checkpoint directory a `_metadata` path belongs to. */
export function checkpointDirectoryOfMetadata(metadataPath: string): string {
  return basename(metadataPath) === METADATA_FILE_NAME ? dirname(metadataPath) : metadataPath;
}
