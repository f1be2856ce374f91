/**
 * Flink's backpressure levels, from a task's backPressuredTimeMsPerSecond (the share of time it
 * waits for output credit): OK up to 10 %, LOW up to 50 %, HIGH above. A vertex shows its most
 * backpressured subtask. Shared by `eddy status` and the REST API, so both draw the same line.
 */

export type BackPressureLevel = 'ok' | 'low' | 'high';

/** Flink's thresholds (the web UI's and REST API's `backpressure-level`). */
export const BACK_PRESSURE_LOW_THRESHOLD = 0.1;
export const BACK_PRESSURE_HIGH_THRESHOLD = 0.5;

/** The share of time backpressured, 0..1, from ms per second. */
export function backPressureRatio(backPressuredTimeMsPerSecond: number): number {
  return Math.min(1, Math.max(0, backPressuredTimeMsPerSecond / 1000));
}

export function backPressureLevel(ratio: number): BackPressureLevel {
  if (ratio > BACK_PRESSURE_HIGH_THRESHOLD) return 'high';
  if (ratio > BACK_PRESSURE_LOW_THRESHOLD) return 'low';
  return 'ok';
}
