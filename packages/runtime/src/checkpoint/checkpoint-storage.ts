/**
 * Where a job's checkpoints live (Flink's CheckpointStorage), seen from the JobMaster.
 *
 *   FileSystemCheckpointStorage   state.checkpoints.dir set: `<dir>/<job id>/chk-<n>/`, tasks write
 *                                 their state files there, the JobMaster writes `_metadata` last
 *   JobManagerCheckpointStorage   no directory: state travels inline in the acknowledgements and
 *                                 completed checkpoints are kept in memory only
 *
 * Writing `_metadata` is the commit point of a checkpoint, atomic on every file system (locally temp
 * file, fsync, rename, fsync of the directory; one PutObject on S3), so a crash leaves either no
 * metadata or a whole one. Deleting goes by file: a file is
 * removed once no retained checkpoint refers to it (a finished task's state is carried into later
 * checkpoints by reference, and so are the unchanged key groups of an incremental checkpoint).
 *
 * Threading: called from the JobMaster's main thread; the returned promises settle off it (file
 * I/O), so callers re-enter the mailbox before touching their state.
 */
import { CheckpointMetadataError, decodeMetadata, encodeMetadata, METADATA_FILE_NAME, type CompletedCheckpoint } from './checkpoint-metadata.js';
import { nameOf, parentOf, StateFileNotFoundError, statePath, type StateFileSystem } from './filesystem/state-file-system.js';

export interface CheckpointStorage {
  /** The job's checkpoint directory handed to tasks; '' when state goes to the JobManager. */
  readonly taskStorageDirectory: string;
  /** Human form for logs and messages. */
  describe(): string;
  /** Checks the job's checkpoint location can be used (before the first deployment); rejects saying what to fix. */
  checkLocation(): Promise<void>;
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

  constructor(
    private readonly fileSystem: StateFileSystem,
    baseDirectory: string,
    jobId: string,
  ) {
    this.taskStorageDirectory = statePath(baseDirectory, jobId);
  }

  describe(): string {
    return this.taskStorageDirectory;
  }

  checkLocation(): Promise<void> {
    return this.fileSystem.checkStore(this.taskStorageDirectory);
  }

  async initializeLocation(checkpointId: number): Promise<void> {
    await this.fileSystem.prepareDirectory(statePath(this.taskStorageDirectory, checkpointDirectoryName(checkpointId)));
  }

  async persist(checkpoint: Omit<CompletedCheckpoint, 'metadataPath'>): Promise<string> {
    const target = statePath(this.taskStorageDirectory, checkpointDirectoryName(checkpoint.checkpointId), METADATA_FILE_NAME);
    try {
      await this.fileSystem.writeAtomically(target, encodeMetadata(checkpoint, parentOf(target)));
    } catch (error) {
      throw new Error(`Could not write the metadata of checkpoint ${checkpoint.checkpointId} to ${target}: ${(error as Error).message}`, { cause: error });
    }
    return target;
  }

  async discardFiles(checkpointId: number, paths: readonly string[], metadataPath: string): Promise<void> {
    await Promise.all([...paths, ...(metadataPath === '' ? [] : [metadataPath])].map((path) => this.fileSystem.delete(path)));
    // The checkpoint's directory, and those of earlier checkpoints whose last shared file (an
    // incremental checkpoint refers to earlier files) went now, once they are empty.
    const base = this.taskStorageDirectory.replace(/\/+$/, '');
    const directories = new Set([statePath(this.taskStorageDirectory, checkpointDirectoryName(checkpointId)), ...paths.map((path) => parentOf(path))]);
    await Promise.all([...directories].filter((directory) => parentOf(directory) === base).map((directory) => this.fileSystem.deleteDirectoryIfEmpty(directory).catch(() => undefined)));
  }

  async discardAborted(checkpointId: number): Promise<void> {
    await this.fileSystem.deleteDirectory(statePath(this.taskStorageDirectory, checkpointDirectoryName(checkpointId)));
  }
}

export class JobManagerCheckpointStorage implements CheckpointStorage {
  readonly taskStorageDirectory = '';

  describe(): string {
    return "the JobManager's memory (state.checkpoints.dir is not set)";
  }

  checkLocation(): Promise<void> {
    return Promise.resolve();
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

/**
 * Reads a completed checkpoint from `path`: a `chk-<n>` directory or its `_metadata` file.
 * Throws CheckpointMetadataError saying what is missing or wrong, with the path.
 */
export async function readCompletedCheckpoint(path: string, fileSystem: StateFileSystem): Promise<CompletedCheckpoint> {
  let file = path;
  try {
    if (nameOf(path) !== METADATA_FILE_NAME && (await fileSystem.isDirectory(path))) file = statePath(path, METADATA_FILE_NAME);
  } catch (error) {
    throw new CheckpointMetadataError(`Cannot restore from ${path}: ${(error as Error).message}`, { cause: error });
  }
  let bytes: Uint8Array;
  try {
    bytes = await fileSystem.readFile(file);
  } catch (error) {
    if (!(error instanceof StateFileNotFoundError)) throw new CheckpointMetadataError(`Cannot read ${file}: ${(error as Error).message}`, { cause: error });
    throw new CheckpointMetadataError(
      file !== path
        ? `Cannot restore from ${path}: it has no ${METADATA_FILE_NAME} file, so it is not a completed checkpoint (a checkpoint that did not complete has none)`
        : `Cannot restore from ${path}: it does not exist`,
    );
  }
  return decodeMetadata(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), `The checkpoint metadata file ${file}`, file);
}

/** The checkpoint directory a `_metadata` path belongs to. */
export function checkpointDirectoryOfMetadata(metadataPath: string): string {
  return nameOf(metadataPath) === METADATA_FILE_NAME ? parentOf(metadataPath) : metadataPath;
}
