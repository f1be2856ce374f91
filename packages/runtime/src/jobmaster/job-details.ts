/** Snapshots of a running job for clients: JobDetails and JobSummary from the ExecutionGraph. */
import { hideSensitiveValues } from '@eddy/common/config';
import type { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import type { ExecutionGraph } from '../executiongraph/execution-graph.js';
import type { Execution } from '../executiongraph/execution-graph.js';
import type { CheckpointStats, CheckpointStatsTracker } from '../checkpoint/checkpoint-stats.js';

/** What JobDetails shows of checkpointing. */
export interface CheckpointingView {
  readonly enabled: boolean;
  readonly intervalMs: number;
  readonly mode: string;
  readonly storage: string;
  readonly stats: CheckpointStatsTracker;
}

function checkpointSummary(stats: CheckpointStats): dispatcher.CheckpointSummary {
  return {
    checkpointId: stats.checkpointId,
    status: stats.status,
    triggerTimestamp: stats.triggeredAt,
    endTimestamp: stats.endedAt,
    stateSize: stats.stateSize,
    externalPath: stats.externalPath,
    failureMessage: stats.failureMessage,
    acknowledgedSubtasks: stats.subtasks.length,
    totalSubtasks: stats.numberOfSubtasks,
    subtasks: stats.subtasks.map((subtask) => ({
      vertexId: subtask.vertexId,
      vertexName: subtask.vertexName,
      subtask: subtask.subtask,
      acknowledgeTimestamp: subtask.acknowledgedAt,
      stateSize: subtask.stateSize,
      alignmentDurationMs: subtask.alignmentDurationMs,
      syncDurationMs: subtask.syncDurationMs,
      asyncDurationMs: subtask.asyncDurationMs,
    })),
  };
}

export function buildCheckpointStatistics(view: CheckpointingView): dispatcher.CheckpointStatistics {
  const { stats } = view;
  return {
    enabled: view.enabled,
    intervalMs: view.intervalMs,
    mode: view.mode,
    completed: stats.numberOfCompleted,
    failed: stats.numberOfFailed,
    inProgress: stats.inProgress,
    latestCompleted: stats.latestCompleted === undefined ? null : checkpointSummary(stats.latestCompleted),
    latestFailed: stats.latestFailed === undefined ? null : checkpointSummary(stats.latestFailed),
    history: stats.recent().map(checkpointSummary),
    restoredCheckpointId: stats.restored.checkpointId,
    restoredPath: stats.restored.path,
    storage: view.storage,
  };
}

function record<K extends string>(map: ReadonlyMap<K, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of map) out[key] = value;
  return out;
}

function attemptDetails(execution: Execution): dispatcher.AttemptDetails {
  // Per-second values describe a running attempt; an ended one shows 0 (its counts stay).
  const running = execution.state === 'RUNNING';
  const rates = execution.rates;
  return {
    attempt: execution.attemptNumber,
    state: execution.state,
    stateTimestamps: record(execution.stateTimestamps),
    taskManagerId: execution.taskManagerId,
    taskManagerAddress: execution.taskManagerAddress,
    failureCause: execution.failureCause ?? null,
    numRecordsIn: execution.numRecordsIn,
    numRecordsOut: execution.numRecordsOut,
    numBytesIn: execution.numBytesIn,
    numBytesOut: execution.numBytesOut,
    ...(execution.watermark === undefined ? {} : { currentInputWatermark: execution.watermark.currentInputWatermark }),
    ...(rates?.currentOutputWatermark === undefined ? {} : { currentOutputWatermark: rates.currentOutputWatermark }),
    backPressuredTimeMsPerSecond: running ? (rates?.backPressuredTimeMsPerSecond ?? 0) : 0,
    idleTimeMsPerSecond: running ? (rates?.idleTimeMsPerSecond ?? 0) : 0,
    busyTimeMsPerSecond: running ? (rates?.busyTimeMsPerSecond ?? 0) : 0,
    numRecordsInPerSecond: running ? (rates?.numRecordsInPerSecond ?? 0) : 0,
    numRecordsOutPerSecond: running ? (rates?.numRecordsOutPerSecond ?? 0) : 0,
    numBytesInPerSecond: running ? (rates?.numBytesInPerSecond ?? 0) : 0,
    numBytesOutPerSecond: running ? (rates?.numBytesOutPerSecond ?? 0) : 0,
  };
}

export function buildJobDetails(graph: ExecutionGraph, waitingFor: string, checkpointing?: CheckpointingView): dispatcher.JobDetails {
  const statusTimestamps = record(graph.statusTimestamps);
  return {
    jobId: graph.jobId,
    name: graph.jobName,
    status: graph.state,
    statusTimestamps,
    vertices: graph.verticesTopologically.map((jobVertex) => ({
      id: jobVertex.id,
      name: jobVertex.name,
      parallelism: jobVertex.parallelism,
      maxParallelism: jobVertex.maxParallelism,
      slotSharingGroup: jobVertex.slotSharingGroup,
      subtasks: jobVertex.taskVertices.map((vertex) => ({
        subtask: vertex.subtaskIndex,
        attempts: [...vertex.priorExecutions, vertex.currentExecution].map(attemptDetails),
      })),
    })),
    failureCause: graph.failureCause ?? null,
    waitingFor,
    restarts: graph.restarts,
    startTime: statusTimestamps['CREATED'] ?? 0,
    endTime: statusTimestamps[graph.state] !== undefined && ['FINISHED', 'FAILED', 'CANCELED'].includes(graph.state) ? (statusTimestamps[graph.state] as number) : 0,
    checkpoints: checkpointing === undefined ? null : buildCheckpointStatistics(checkpointing),
    edges: graph.jobGraph.edges,
    // What the REST API and `eddy status` show: secrets (tokens, keys) as ******.
    configuration: hideSensitiveValues(graph.jobGraph.configuration),
  };
}

export function summarize(details: dispatcher.JobDetails): dispatcher.JobSummary {
  const tasksPerState: Record<string, number> = {};
  for (const vertex of details.vertices) {
    for (const subtask of vertex.subtasks) {
      const current = subtask.attempts[subtask.attempts.length - 1];
      if (current !== undefined) tasksPerState[current.state] = (tasksPerState[current.state] ?? 0) + 1;
    }
  }
  return { jobId: details.jobId, name: details.name, status: details.status, startTime: details.startTime, endTime: details.endTime, tasksPerState };
}
