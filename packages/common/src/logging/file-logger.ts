/**
 * A root logger that writes its JSON lines to a file instead of stdout: for daemons given a
 * `log.file`, and for a command whose own output is the point (`eddy run --local` runs a whole
 * cluster in the process and must not flood the user's terminal with its log). The file rolls
 * over by size (see RotatingFile and LogOptions).
 */
import { pino } from 'pino';
import type { Logger, LogLevel } from './logger.js';
import { LogOptions } from './log-options.js';
import { RotatingFile } from './rotating-file.js';

export interface FileLoggerOptions {
  /** Process role, e.g. 'local-cluster'; becomes the `name` field of every line. */
  readonly name: string;
  /** File to append to; its directory is created when missing. */
  readonly path: string;
  readonly level?: LogLevel;
  /** Default log.max-file-size's default (100 MB). */
  readonly maxFileSizeBytes?: number;
  /** Default log.max-backup-index's default (10). */
  readonly maxBackupIndex?: number;
}

/**
 * Lines are written synchronously, so nothing is lost when the process exits right after. The
 * file is closed when the process exits.
 */
export function createFileLogger(options: FileLoggerOptions): Logger {
  const file = new RotatingFile({
    path: options.path,
    maxFileSizeBytes: options.maxFileSizeBytes ?? LogOptions.maxFileSize.defaultValue,
    maxBackupIndex: options.maxBackupIndex ?? LogOptions.maxBackupIndex.defaultValue,
  });
  return pino({ name: options.name, level: options.level ?? 'info', base: { pid: process.pid } }, { write: (line: string) => file.write(line) });
}
