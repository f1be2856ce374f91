/**
 * Logging: one pino root logger per process, children per component.
 *
 * Convention (see docs/logging.md): messages are constant strings and the details go in fields;
 * info = lifecycle, registrations and state transitions; debug = one line per RPC; trace = per
 * heartbeat. Errors go under `err`. Nothing is logged per record.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };
export type LogLevel = LevelWithSilent;

export interface RootLoggerOptions {
  /** Process role, e.g. 'jobmanager'; becomes the `name` field of every line. */
  readonly name: string;
  /** Defaults to the EDDY_LOG_LEVEL environment variable, else 'info'. */
  readonly level?: LogLevel;
}

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Creates the process's root logger; components take `root.child({ component })`. */
export function createRootLogger(options: RootLoggerOptions): Logger {
  const fromEnv = process.env['EDDY_LOG_LEVEL'];
  if (fromEnv !== undefined && !LEVELS.includes(fromEnv)) {
    throw new Error(`Invalid EDDY_LOG_LEVEL '${fromEnv}': expected one of ${LEVELS.join(', ')}`);
  }
  const level = options.level ?? (fromEnv as LogLevel | undefined) ?? 'info';
  return pino({ name: options.name, level, base: { pid: process.pid } });
}

/** A logger that drops everything; for unit tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
