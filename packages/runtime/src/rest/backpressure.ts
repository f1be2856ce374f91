/**
 * Backpressure as Flink's REST API shows it (JobVertexBackPressureHandler): from a subtask's
 * backPressuredTimeMsPerSecond, idleTimeMsPerSecond and busyTimeMsPerSecond, ratios of a second,
 * and a level with Flink's thresholds (cluster-common's backPressureLevel, which `eddy status` uses
 * too): ok up to 0.10, low up to 0.5, high above.
 */

import { backPressureLevel, backPressureRatio, type BackPressureLevel } from '@eddy/cluster-common';

export { backPressureLevel, type BackPressureLevel };

/** The three time metrics Flink reports per subtask, in ms per second. */
export interface SubtaskBusyTimes {
  readonly backPressuredTimeMsPerSecond: number;
  readonly idleTimeMsPerSecond: number;
  readonly busyTimeMsPerSecond: number;
}

export interface SubtaskBackPressure {
  readonly ratio: number;
  readonly idleRatio: number;
  readonly busyRatio: number;
  readonly level: BackPressureLevel;
}

/** Ratios of a second, each clamped to [0, 1] (a rate sampled over a slightly longer window can pass 1000 ms/s). */
export function subtaskBackPressure(times: SubtaskBusyTimes): SubtaskBackPressure {
  const ratioOf = (ms: number): number => (Number.isFinite(ms) ? backPressureRatio(ms) : 0);
  const ratio = ratioOf(times.backPressuredTimeMsPerSecond);
  return { ratio, idleRatio: ratioOf(times.idleTimeMsPerSecond), busyRatio: ratioOf(times.busyTimeMsPerSecond), level: backPressureLevel(ratio) };
}

/** A vertex is as backpressured as its most backpressured subtask (Flink's vertex level). */
export function vertexBackPressureLevel(subtasks: readonly SubtaskBackPressure[]): BackPressureLevel {
  return backPressureLevel(subtasks.reduce((max, subtask) => Math.max(max, subtask.ratio), 0));
}

/**
 * The three values from what the JobMaster knows of an attempt, when the TaskManager reported
 * them (fields of AttemptDetails of these names); undefined otherwise. The one place the REST API
 * reads them, so a change of where they live changes only this function.
 */
export function busyTimesOf(attempt: object): SubtaskBusyTimes | undefined {
  const fields = attempt as Partial<Record<keyof SubtaskBusyTimes, unknown>>;
  const { backPressuredTimeMsPerSecond, idleTimeMsPerSecond, busyTimeMsPerSecond } = fields;
  if (typeof backPressuredTimeMsPerSecond !== 'number' || typeof idleTimeMsPerSecond !== 'number' || typeof busyTimeMsPerSecond !== 'number') return undefined;
  return { backPressuredTimeMsPerSecond, idleTimeMsPerSecond, busyTimeMsPerSecond };
}
