/**
 * What is known about a job's checkpoints, for `eddy status`, `eddy checkpoints` and the REST API
 * to come (Flink's CheckpointStatsTracker): counts, the latest completed and failed one, and a
 * short history with per-subtask figures.
 *
 * Threading: the JobMaster's main thread (the coordinator reports into it).
 */
import type { eddy_checkpoint_v1 as cp } from '@eddy/proto';

/** Why a checkpoint failed, as the failure counter sees it. */
export type CheckpointFailureKind = 'TIMEOUT' | 'STORAGE' | 'TASK' | 'NOT_COUNTED';

export type CheckpointStatus = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface SubtaskCheckpointStats {
  readonly vertexId: string;
  readonly vertexName: string;
  readonly subtask: number;
  readonly acknowledgedAt: number;
  readonly stateSize: number;
  readonly alignmentDurationMs: number;
  readonly syncDurationMs: number;
  readonly asyncDurationMs: number;
}

export interface CheckpointStats {
  readonly checkpointId: number;
  status: CheckpointStatus;
  readonly triggeredAt: number;
  /** When it completed or failed; 0 while in progress. */
  endedAt: number;
  stateSize: number;
  readonly numberOfSubtasks: number;
  readonly subtasks: SubtaskCheckpointStats[];
  failureMessage: string;
  failureKind: CheckpointFailureKind | '';
  /** Where its `_metadata` is ('' in memory or while not completed). */
  externalPath: string;
}

/** How many checkpoints the history keeps (Flink's web.checkpoints.history default). */
export const CHECKPOINT_HISTORY_SIZE = 10;

export class CheckpointStatsTracker {
  numberOfCompleted = 0;
  numberOfFailed = 0;
  /** The checkpoint the job was last restored from (id 0 when none). */
  restored: { checkpointId: number; path: string; at: number } = { checkpointId: 0, path: '', at: 0 };
  private readonly history: CheckpointStats[] = [];
  private latestCompletedStats: CheckpointStats | undefined;
  private latestFailedStats: CheckpointStats | undefined;

  get inProgress(): number {
    return this.history.filter((stats) => stats.status === 'IN_PROGRESS').length;
  }

  get latestCompleted(): CheckpointStats | undefined {
    return this.latestCompletedStats;
  }

  get latestFailed(): CheckpointStats | undefined {
    return this.latestFailedStats;
  }

  /** Newest first. */
  recent(): readonly CheckpointStats[] {
    return [...this.history].reverse();
  }

  reportRestored(checkpointId: number, path: string): void {
    this.restored = { checkpointId, path, at: Date.now() };
  }

  reportTriggered(checkpointId: number, triggeredAt: number, numberOfSubtasks: number): void {
    this.history.push({ checkpointId, status: 'IN_PROGRESS', triggeredAt, endedAt: 0, stateSize: 0, numberOfSubtasks, subtasks: [], failureMessage: '', failureKind: '', externalPath: '' });
    if (this.history.length > CHECKPOINT_HISTORY_SIZE) this.history.shift();
  }

  reportAcknowledged(checkpointId: number, task: { vertexId: string; vertexName: string; subtask: number }, metrics: cp.SubtaskCheckpointMetrics | null): void {
    const stats = this.find(checkpointId);
    if (stats === undefined) return;
    stats.subtasks.push({
      vertexId: task.vertexId,
      vertexName: task.vertexName,
      subtask: task.subtask,
      acknowledgedAt: Date.now(),
      stateSize: metrics?.stateSize ?? 0,
      alignmentDurationMs: metrics?.alignmentDurationMs ?? 0,
      syncDurationMs: metrics?.syncDurationMs ?? 0,
      asyncDurationMs: metrics?.asyncDurationMs ?? 0,
    });
  }

  reportCompleted(checkpointId: number, completedAt: number, stateSize: number, path: string): void {
    this.numberOfCompleted++;
    const stats = this.find(checkpointId);
    if (stats === undefined) return;
    stats.status = 'COMPLETED';
    stats.endedAt = completedAt;
    stats.stateSize = stateSize;
    stats.externalPath = path;
    this.latestCompletedStats = stats;
  }

  reportFailed(checkpointId: number, failedAt: number, message: string, kind: CheckpointFailureKind): void {
    this.numberOfFailed++;
    const stats = this.find(checkpointId);
    if (stats === undefined) return;
    stats.status = 'FAILED';
    stats.endedAt = failedAt;
    stats.failureMessage = message;
    stats.failureKind = kind;
    this.latestFailedStats = stats;
  }

  private find(checkpointId: number): CheckpointStats | undefined {
    for (let i = this.history.length - 1; i >= 0; i--) if (this.history[i]?.checkpointId === checkpointId) return this.history[i];
    return undefined;
  }
}
