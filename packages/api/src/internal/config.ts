/** Job configuration keys the API writes or reads (Flink's names). */
export const BUFFER_TIMEOUT_KEY = 'execution.buffer-timeout';
/** Parallelism of the operators, and the environment, that set none (`eddy run -p` sets it). */
export const DEFAULT_PARALLELISM_KEY = 'parallelism.default';
export const DEFAULT_BUFFER_TIMEOUT_MS = 100;
/** How often watermark generators emit (Flink's key; the runtime declares the option). */
export const AUTO_WATERMARK_INTERVAL_KEY = 'pipeline.auto-watermark-interval';
export const DEFAULT_AUTO_WATERMARK_INTERVAL_MS = 200;
/**
 * Incremental checkpoints (Flink's key; the runtime declares the option and hands the chain the
 * task's effective value, 'true' only with checkpointing on).
 */
export const INCREMENTAL_CHECKPOINTS_KEY = 'execution.checkpointing.incremental';

const UNITS: Record<string, number> = {
  '': 1, ms: 1, milli: 1, millis: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  min: 60_000, m: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
};

/** Parses a Flink-style duration ("100 ms", "2 s", "250") into milliseconds; -1 stays -1. */
export function parseDurationMs(text: string, key: string): number {
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS[(match[2] ?? '').toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new Error(`${key}: '${text}' is not a duration such as '100 ms' or '2 s'`);
  const value = Number(match[1]);
  return value < 0 ? -1 : value * unit;
}

export function formatDurationMs(ms: number): string {
  return ms < 0 ? '-1' : `${ms} ms`;
}

/** Buffer timeout of the job: -1 means flush only when full or at the end, 0 after every record. */
export function bufferTimeoutMs(configuration: Readonly<Record<string, string>>): number {
  const value = configuration[BUFFER_TIMEOUT_KEY];
  return value === undefined ? DEFAULT_BUFFER_TIMEOUT_MS : parseDurationMs(value, BUFFER_TIMEOUT_KEY);
}
