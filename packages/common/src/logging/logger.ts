/**
 * Logging: one pino root logger per process, children per component.
 *
 * Convention (see docs/logging.md): messages are constant strings and the details go in fields;
 * info = lifecycle, registrations and state transitions; debug = one line per RPC; trace = per
 * heartbeat. Errors go under `err`. Nothing is logged per record.
 *
 * Lines are JSON (one object per line, for log shippers and `jq`) unless `pretty` is set: then
 * pino-pretty formats each line for people, in this process and synchronously, so a line is on
 * stdout before the next statement runs and nothing is lost when the process exits.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger };
export type LogLevel = LevelWithSilent;

export interface RootLoggerOptions {
  /** Process role, e.g. 'jobmanager'; becomes the `name` field of every line. */
  readonly name: string;
  /** Defaults to the EDDY_LOG_LEVEL environment variable, else 'info'. */
  readonly level?: LogLevel;
  /** Human-readable lines instead of JSON; default false. */
  readonly pretty?: boolean;
}

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Creates the process's root logger; components take `root.child({ component })`. */
export function createRootLogger(options: RootLoggerOptions): Logger {
  const fromEnv = process.env['EDDY_LOG_LEVEL'];
  if (fromEnv !== undefined && !LEVELS.includes(fromEnv)) {
    throw new Error(`Invalid EDDY_LOG_LEVEL '${fromEnv}': expected one of ${LEVELS.join(', ')}`);
  }
  const level = options.level ?? (fromEnv as LogLevel | undefined) ?? 'info';
  const settings = { name: options.name, level, base: { pid: process.pid } };
  if (options.pretty !== true) return pino(settings);
  // One line per entry, local time, the component before the message and the other fields as JSON
  // at the end: the shape of a Flink log line. Colours only when stdout is a terminal.
  const pretty = pinoPretty({
    sync: true,
    destination: 1,
    singleLine: true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    messageFormat: '{if component}{component}: {end}{msg}',
    ignore: 'pid,hostname,component',
  });
  return pino(settings, pretty);
}

/** A logger that drops everything; for unit tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
