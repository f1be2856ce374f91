/**
 * The file systems of one owner (a JobMaster's checkpointing, a task): the file system of a path
 * by its scheme, each created on first use and closed with the owner.
 */
import { LocalStateFileSystem } from './local-state-file-system.js';
import type { S3Settings } from './s3-options.js';
import { S3StateFileSystem, type StateFileSystemLogger } from './s3-state-file-system.js';
import { isS3Path, type StateFileSystem } from './state-file-system.js';

export class StateFileSystems {
  private readonly local = new LocalStateFileSystem();
  private s3: S3StateFileSystem | undefined;

  constructor(
    private readonly s3Settings: S3Settings,
    private readonly logger: StateFileSystemLogger,
  ) {}

  /** The file system `path` is on: S3 for `s3://`, else the local one. */
  of(path: string): StateFileSystem {
    if (!isS3Path(path)) return this.local;
    this.s3 ??= new S3StateFileSystem(this.s3Settings, this.logger);
    return this.s3;
  }

  /** Waits for the calls in progress and ends every connection. */
  async close(): Promise<void> {
    await this.s3?.close();
  }
}
