/** Snapshots of a running job for clients: JobDetails and JobSummary from the ExecutionGraph. */
import type { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import type { ExecutionGraph } from '../executiongraph/execution-graph.js';
import type { Execution } from '../executiongraph/execution-graph.js';

function record<K extends string>(map: ReadonlyMap<K, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of map) out[key] = value;
  return out;
}

function attemptDetails(execution: Execution): dispatcher.AttemptDetails {
  return {
    attempt: execution.attemptNumber,
    state: execution.state,
    stateTimestamps: record(execution.stateTimestamps),
    taskManagerId: execution.taskManagerId,
    taskManagerAddress: execution.taskManagerAddress,
    failureCause: execution.failureCause ?? null,
    numRecordsIn: execution.numRecordsIn,
    numRecordsOut: execution.numRecordsOut,
  };
}

export function buildJobDetails(graph: ExecutionGraph, waitingFor: string): dispatcher.JobDetails {
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
