/**
 * RotatingFile: an append-only text file capped in size, as log4j's size-based rolling file does
 * for Flink's logs: once the next write would take the file past `maxFileSizeBytes`, the file
 * becomes `<path>.1` (`<path>.1` becomes `<path>.2`, and so on; the one past `maxBackupIndex` is
 * deleted) and writing goes on in an empty `<path>`.
 *
 * Two ways to roll, for two kinds of file:
 *   - 'rename': the file is this process's alone (a daemon's log): it is renamed and a new one opened.
 *   - 'copy-truncate': another writer may hold the file open too (a TaskManager's .out file, which
 *     start-cluster.sh also points the process's stdout and stderr at): the content is copied to
 *     `<path>.1` and the file truncated in place, as logrotate's copytruncate does. Every writer
 *     appends (O_APPEND), so all of them go on at the new end. The file's size is read before
 *     each write, since the other writers add to it too.
 *
 * Writes are synchronous: a line is in the file before the next statement runs, and nothing is
 * lost when the process exits right after. A single write larger than the cap is written whole.
 */
import { closeSync, copyFileSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export type RotationMode = 'rename' | 'copy-truncate';

export interface RotatingFileOptions {
  readonly path: string;
  /** Size at which the file is rolled; at least 1. */
  readonly maxFileSizeBytes: number;
  /** Rolled files kept (`<path>.1` is the newest); 0 keeps none: the file is emptied instead. */
  readonly maxBackupIndex: number;
  /** Default 'rename'. */
  readonly mode?: RotationMode;
}

export class RotatingFile {
  readonly path: string;
  readonly #maxFileSizeBytes: number;
  readonly #maxBackupIndex: number;
  readonly #mode: RotationMode;
  #fd: number | undefined;
  #size: number;

  constructor(options: RotatingFileOptions) {
    if (!(options.maxFileSizeBytes >= 1)) throw new RangeError(`maxFileSizeBytes must be at least 1, got ${options.maxFileSizeBytes}`);
    if (!(Number.isInteger(options.maxBackupIndex) && options.maxBackupIndex >= 0)) throw new RangeError(`maxBackupIndex must be a whole number >= 0, got ${options.maxBackupIndex}`);
    this.path = options.path;
    this.#maxFileSizeBytes = options.maxFileSizeBytes;
    this.#maxBackupIndex = options.maxBackupIndex;
    this.#mode = options.mode ?? 'rename';
    mkdirSync(dirname(this.path), { recursive: true });
    this.#fd = openSync(this.path, 'a');
    this.#size = fstatSync(this.#fd).size;
  }

  /** Appends `text`, rolling the file first when it would pass the cap. Throws once closed. */
  write(text: string): void {
    const fd = this.#fd;
    if (fd === undefined) throw new Error(`${this.path} is closed`);
    const bytes = Buffer.byteLength(text);
    if (this.#mode === 'copy-truncate') this.#size = fstatSync(fd).size;
    if (this.#size > 0 && this.#size + bytes > this.#maxFileSizeBytes) this.#roll();
    writeSync(this.#fd as number, text);
    this.#size += bytes;
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #roll(): void {
    const backup = (index: number): string => `${this.path}.${index}`;
    if (this.#maxBackupIndex > 0) {
      rmSync(backup(this.#maxBackupIndex), { force: true });
      for (let index = this.#maxBackupIndex - 1; index >= 1; index--) {
        if (existsSync(backup(index))) renameSync(backup(index), backup(index + 1));
      }
    }
    if (this.#mode === 'rename') {
      closeSync(this.#fd as number);
      if (this.#maxBackupIndex > 0) renameSync(this.path, backup(1));
      this.#fd = openSync(this.path, this.#maxBackupIndex > 0 ? 'a' : 'w');
    } else {
      if (this.#maxBackupIndex > 0) copyFileSync(this.path, backup(1));
      ftruncateSync(this.#fd as number, 0);
    }
    this.#size = 0;
  }
}
