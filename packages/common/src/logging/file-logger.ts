/**
 * A root logger that writes its JSON lines to a file instead of stdout: for daemons that run
 * inside a command whose own output is the point (`eddy run --local` runs a whole cluster in the
 * process and must not flood the user's terminal with its log).
 */
import { pino } from 'pino';
import type { Logger, LogLevel } from './logger.js';

export interface FileLoggerOptions {
  /** Process role, e.g. 'local-cluster'; becomes the `name` field of every line. */
  readonly name: string;
  /** File to append to; its directory is created when missing. */
  readonly path: string;
  readonly level?: LogLevel;
}

/** Lines are written synchronously, so nothing is lost when the process exits right after. */
export function createFileLogger(options: FileLoggerOptions): Logger {
  const destination = pino.destination({ dest: options.path, sync: true, mkdir: true });
  return pino({ name: options.name, level: options.level ?? 'info', base: { pid: process.pid } }, destination);
}
