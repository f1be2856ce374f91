/**
 * State files in a local (or mounted, shared) directory. `_metadata` is written atomically: temp
 * file, fsync, rename, fsync of the directory, so a crash leaves either no file or a whole one.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, rmdir, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StateFileNotFoundError, StateStorageError, type StateFileOutput, type StateFileSystem } from './state-file-system.js';

export class LocalStateFileSystem implements StateFileSystem {
  describe(): string {
    return 'the local file system';
  }

  async createOutput(path: string): Promise<StateFileOutput> {
    let file: FileHandle;
    try {
      await mkdir(dirname(path), { recursive: true });
      file = await open(path, 'w');
    } catch (error) {
      throw new Error(`could not create the state file ${path}: ${(error as Error).message}`, { cause: error });
    }
    return new LocalStateFileOutput(path, file);
  }

  async readFile(path: string): Promise<Uint8Array> {
    try {
      const bytes = await readFile(path);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new StateFileNotFoundError(path);
      throw error;
    }
  }

  async isDirectory(path: string): Promise<boolean> {
    try {
      return (await stat(path)).isDirectory();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async delete(path: string): Promise<void> {
    await unlink(path).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
  }

  async deleteDirectory(directory: string): Promise<void> {
    await rm(directory, { recursive: true, force: true });
  }

  async deleteDirectoryIfEmpty(directory: string): Promise<void> {
    await rmdir(directory).catch(() => undefined);
  }

  async writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
    const directory = dirname(path);
    const temporary = join(directory, `.${path.slice(directory.length + 1)}.inprogress`);
    try {
      await mkdir(directory, { recursive: true });
      await writeFile(temporary, bytes, { flush: true });
      await rename(temporary, path);
      syncDirectory(directory);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  checkStore(): Promise<void> {
    return Promise.resolve();
  }

  async prepareDirectory(directory: string): Promise<void> {
    try {
      await mkdir(directory, { recursive: true });
    } catch (error) {
      throw new StateStorageError(`Could not create the checkpoint directory ${directory}: ${(error as Error).message}`, { cause: error });
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

class LocalStateFileOutput implements StateFileOutput {
  constructor(
    readonly path: string,
    private file: FileHandle | undefined,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    try {
      const file = this.file;
      if (file === undefined) throw new Error('the file is closed');
      for (let offset = 0; offset < chunk.byteLength; ) {
        const { bytesWritten } = await file.write(chunk, offset, chunk.byteLength - offset);
        offset += bytesWritten;
      }
    } catch (error) {
      throw new Error(`could not write the state file ${this.path}: ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    if (file === undefined) return;
    try {
      await file.sync();
    } finally {
      await file.close();
    }
  }

  async abandon(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close().catch(() => undefined);
    await rm(this.path, { force: true }).catch(() => undefined);
  }
}

/** fsync of a directory makes a rename in it durable; some file systems refuse it, which is fine. */
/** fsync of a directory makes a rename in it durable; some file systems refuse it, which is fine. */
export function syncDirectory(directory: string): void {
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
