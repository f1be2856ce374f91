/**
 * Where checkpoint files live, behind one small interface (Flink's FileSystem, cut down to what
 * checkpoints do): state files written as a stream of chunks, read whole, deleted one by one or by
 * prefix, and `_metadata` written atomically.
 *
 *   LocalStateFileSystem   `/abs/path` (a directory every TaskManager shares)
 *   S3StateFileSystem      `s3://bucket/key`, through the AWS SDK v3 (any S3-compatible store)
 *
 * Paths stay plain strings everywhere (state handles, `_metadata`, logs); statePath() and
 * parentOf() join and split them the same way for both kinds. StateFileSystems picks the file
 * system of a path.
 */

/** One state file being written. Nothing is visible under its path before close() resolves. */
export interface StateFileOutput {
  /** The file's path (`/abs/...` or `s3://bucket/...`). */
  readonly path: string;
  /** Appends `chunk`; resolves when it may be reused and more may be written (backpressure). */
  write(chunk: Uint8Array): Promise<void>;
  /** Makes the file durable and complete; rejects with the path and the cause. */
  close(): Promise<void>;
  /** Gives the file up and removes what was written; never rejects. */
  abandon(): Promise<void>;
}

export interface StateFileSystem {
  /** Human form for logs: the kind and, for S3, the endpoint. Never a secret. */
  describe(): string;
  /** Starts a new file at `path` (its parent directory is created as needed). */
  createOutput(path: string): Promise<StateFileOutput>;
  /** The whole file; rejects with StateFileNotFoundError when there is none. */
  readFile(path: string): Promise<Uint8Array>;
  /** Whether `path` is a directory (local) or a prefix with objects under it (S3). */
  isDirectory(path: string): Promise<boolean>;
  /** Removes one file; a missing one is no error. */
  delete(path: string): Promise<void>;
  /** Removes `directory` and everything under it; a missing one is no error. */
  deleteDirectory(directory: string): Promise<void>;
  /** Removes `directory` if nothing is left in it (local); object stores have no directories to remove. */
  deleteDirectoryIfEmpty(directory: string): Promise<void>;
  /** Writes `bytes` to `path` so a reader sees either no file or all of it. */
  writeAtomically(path: string, bytes: Uint8Array): Promise<void>;
  /** Makes `directory` ready for files (created locally; the bucket exists on S3); rejects saying what to fix. */
  prepareDirectory(directory: string): Promise<void>;
  /**
   * Checks the store behind `directory` answers (the bucket exists, the credentials are accepted):
   * a check at job start. Locally nothing: directories are created per checkpoint.
   */
  checkStore(directory: string): Promise<void>;
  /** Ends the file system's connections once the calls in progress settled. */
  close(): Promise<void>;
}

/** A file that does not exist; `path` names it. */
export class StateFileNotFoundError extends Error {
  override readonly name = 'StateFileNotFoundError';
  constructor(readonly path: string) {
    super(`${path} does not exist`);
  }
}

/** A checkpoint location that cannot be used: a missing bucket, refused credentials, an unwritable directory. */
export class StateStorageError extends Error {
  override readonly name = 'StateStorageError';
}

const S3_SCHEME = /^s3[an]?:\/\//i;

export function isS3Path(path: string): boolean {
  return S3_SCHEME.test(path);
}

/** `s3a://` and `s3n://` (Hadoop's names) are `s3://` here. */
export function normalizeS3Path(path: string): string {
  return path.replace(S3_SCHEME, 's3://');
}

/** `base` joined with `names`, with `/` whatever the kind of path. */
export function statePath(base: string, ...names: string[]): string {
  return [base.replace(/\/+$/, ''), ...names].join('/');
}

/** The directory (or prefix) `path` is in. */
export function parentOf(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  return slash <= 0 ? '/' : trimmed.slice(0, slash);
}

/** The last name of `path`. */
export function nameOf(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
