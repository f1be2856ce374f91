/**
 * JobDetails (what the Dispatcher and JobMaster know) in the JSON shapes of Flink's REST API.
 * Pure functions of the details and the time, so they are tested without a cluster. A value
 * Flink shows and Eddy does not know is left out, never made up.
 */
import type { eddy_cluster_v1 as cluster, eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';

/** Eddy's ExecutionStates, in Flink's order. */
export const EXECUTION_STATES = ['CREATED', 'SCHEDULED', 'DEPLOYING', 'INITIALIZING', 'RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED'] as const;
const TERMINAL_STATES = new Set(['FINISHED', 'CANCELED', 'FAILED']);
const TERMINAL_JOB_STATUSES = new Set(['FINISHED', 'CANCELED', 'FAILED']);

type Attempt = dispatcher.AttemptDetails;
type Vertex = dispatcher.VertexDetails;

export function currentAttempt(subtask: dispatcher.SubtaskDetails): Attempt | undefined {
  return subtask.attempts[subtask.attempts.length - 1];
}

/** host:port of the TaskManager an attempt runs on ('' before it was deployed). */
export function endpointOf(attempt: Attempt): string {
  const slash = attempt.taskManagerAddress.indexOf('/');
  return slash < 0 ? attempt.taskManagerAddress : attempt.taskManagerAddress.slice(0, slash);
}

/** When the attempt was deployed (-1 before), when it ended (-1 before), and for how long it ran. */
export function attemptTimes(attempt: Attempt, now: number): { start: number; end: number; duration: number } {
  const stamps = attempt.stateTimestamps;
  const start = stamps['DEPLOYING'] ?? stamps['INITIALIZING'] ?? stamps['RUNNING'] ?? -1;
  const end = TERMINAL_STATES.has(attempt.state) ? (stamps[attempt.state] ?? -1) : -1;
  return { start, end, duration: start < 0 ? -1 : (end < 0 ? now : end) - start };
}

/**
 * A vertex's state from its subtasks' (Flink's ExecutionJobVertex#getAggregateJobVertexState):
 * one state when all share it; otherwise a failure or cancellation wins, then running ones, and
 * a vertex whose subtasks partly finished is still RUNNING.
 */
export function aggregateState(states: readonly string[]): string {
  if (states.length === 0) return 'CREATED';
  if (states.every((state) => state === states[0])) return states[0] as string;
  for (const state of ['FAILED', 'CANCELING', 'CANCELED', 'INITIALIZING', 'RUNNING', 'FINISHED', 'DEPLOYING', 'SCHEDULED']) {
    if (states.includes(state)) return state === 'FINISHED' ? 'RUNNING' : state;
  }
  return 'CREATED';
}

function taskCounts(vertex: Vertex): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(EXECUTION_STATES.map((state) => [state, 0]));
  for (const subtask of vertex.subtasks) {
    const attempt = currentAttempt(subtask);
    if (attempt !== undefined) counts[attempt.state] = (counts[attempt.state] ?? 0) + 1;
  }
  return counts;
}

/** Flink's IO metrics of a set of attempts: records in and out, and whether they are final. */
export function recordMetrics(attempts: readonly Attempt[]): {
  'read-bytes': number;
  'read-bytes-complete': boolean;
  'write-bytes': number;
  'write-bytes-complete': boolean;
  'read-records': number;
  'read-records-complete': boolean;
  'write-records': number;
  'write-records-complete': boolean;
} {
  const complete = attempts.every((attempt) => TERMINAL_STATES.has(attempt.state));
  return {
    'read-bytes': attempts.reduce((sum, attempt) => sum + attempt.numBytesIn, 0),
    'read-bytes-complete': complete,
    'write-bytes': attempts.reduce((sum, attempt) => sum + attempt.numBytesOut, 0),
    'write-bytes-complete': complete,
    'read-records': attempts.reduce((sum, attempt) => sum + attempt.numRecordsIn, 0),
    'read-records-complete': complete,
    'write-records': attempts.reduce((sum, attempt) => sum + attempt.numRecordsOut, 0),
    'write-records-complete': complete,
  };
}

function currentAttempts(vertex: Vertex): Attempt[] {
  return vertex.subtasks.map(currentAttempt).filter((attempt): attempt is Attempt => attempt !== undefined);
}

export function jobTimes(details: dispatcher.JobDetails, now: number): { 'start-time': number; 'end-time': number; duration: number } {
  const start = details.startTime > 0 ? details.startTime : -1;
  const end = TERMINAL_JOB_STATUSES.has(details.status) && details.endTime > 0 ? details.endTime : -1;
  return { 'start-time': start, 'end-time': end, duration: start < 0 ? -1 : (end < 0 ? now : end) - start };
}

/** Flink's ship strategy names for Eddy's partitioners. */
export function shipStrategy(partitioner: string): string {
  return partitioner.toUpperCase();
}

/** GET /jobs/:jobid (Flink's JobDetailsInfo). */
export function jobDetailsJson(details: dispatcher.JobDetails, now: number) {
  const vertices = details.vertices.map((vertex) => {
    const attempts = currentAttempts(vertex);
    const times = attempts.map((attempt) => attemptTimes(attempt, now));
    const starts = times.map((t) => t.start).filter((t) => t >= 0);
    const start = starts.length === 0 ? -1 : Math.min(...starts);
    const ended = times.length > 0 && times.every((t) => t.end >= 0);
    const end = ended ? Math.max(...times.map((t) => t.end)) : -1;
    return {
      id: vertex.id,
      name: vertex.name,
      maxParallelism: vertex.maxParallelism,
      parallelism: vertex.parallelism,
      status: aggregateState(attempts.map((attempt) => attempt.state)),
      'start-time': start,
      'end-time': end,
      duration: start < 0 ? -1 : (end < 0 ? now : end) - start,
      tasks: taskCounts(vertex),
      metrics: recordMetrics(attempts),
    };
  });
  const statusCounts: Record<string, number> = Object.fromEntries(EXECUTION_STATES.map((state) => [state, 0]));
  for (const vertex of vertices) statusCounts[vertex.status] = (statusCounts[vertex.status] ?? 0) + 1;
  return {
    jid: details.jobId,
    name: details.name,
    state: details.status,
    'job-type': 'STREAMING',
    ...jobTimes(details, now),
    now,
    timestamps: details.statusTimestamps,
    vertices,
    'status-counts': statusCounts,
    plan: planJson(details),
  };
}

/** Flink's JSON plan: a node per vertex, each with the edges into it as `inputs`. */
export function planJson(details: dispatcher.JobDetails) {
  return {
    jid: details.jobId,
    name: details.name,
    type: 'STREAMING',
    nodes: details.vertices.map((vertex) => {
      const inputs = details.edges
        .filter((edge) => edge.targetVertexId === vertex.id)
        .map((edge, num) => ({ num, id: edge.sourceVertexId, ship_strategy: shipStrategy(edge.partitioner), exchange: 'pipelined_bounded' }));
      return {
        id: vertex.id,
        parallelism: vertex.parallelism,
        operator: '',
        operator_strategy: '',
        description: vertex.name,
        ...(inputs.length === 0 ? {} : { inputs }),
        optimizer_properties: {},
      };
    }),
  };
}

/** GET /jobs/overview's entry for one job (Flink's JobDetails in a MultipleJobsDetails). */
export function jobOverviewJson(summary: dispatcher.JobSummary, now: number) {
  const start = summary.startTime > 0 ? summary.startTime : -1;
  const end = TERMINAL_JOB_STATUSES.has(summary.status) && summary.endTime > 0 ? summary.endTime : -1;
  const tasks: Record<string, number> = { total: 0 };
  for (const state of EXECUTION_STATES) tasks[state.toLowerCase()] = 0;
  for (const [state, count] of Object.entries(summary.tasksPerState)) {
    tasks[state.toLowerCase()] = (tasks[state.toLowerCase()] ?? 0) + count;
    tasks['total'] = (tasks['total'] ?? 0) + count;
  }
  return { jid: summary.jobId, name: summary.name, state: summary.status, 'start-time': start, 'end-time': end, duration: start < 0 ? -1 : (end < 0 ? now : end) - start, tasks };
}

/** GET /jobs/:jobid/vertices/:vertexid (Flink's JobVertexDetailsInfo). */
export function vertexDetailsJson(vertex: Vertex, now: number) {
  return {
    id: vertex.id,
    name: vertex.name,
    parallelism: vertex.parallelism,
    maxParallelism: vertex.maxParallelism,
    now,
    subtasks: vertex.subtasks.flatMap((subtask) => {
      const attempt = currentAttempt(subtask);
      if (attempt === undefined) return [];
      const times = attemptTimes(attempt, now);
      return [
        {
          subtask: subtask.subtask,
          status: attempt.state,
          attempt: attempt.attempt,
          endpoint: endpointOf(attempt),
          'taskmanager-id': attempt.taskManagerId,
          'start-time': times.start,
          'end-time': times.end,
          duration: times.duration,
          metrics: recordMetrics([attempt]),
        },
      ];
    }),
  };
}

/** Flink's Long.MIN_VALUE and Long.MAX_VALUE, which it shows for no watermark yet and the end of input. */
const NO_WATERMARK = '-9223372036854775808';
const END_OF_INPUT = '9223372036854775807';

/** GET /jobs/:jobid/vertices/:vertexid/watermarks: Flink's metric list, one per subtask that has one. */
export function watermarksJson(vertex: Vertex): { id: string; value: string }[] {
  return vertex.subtasks.flatMap((subtask) => {
    const watermark = currentAttempt(subtask)?.currentInputWatermark;
    if (watermark === undefined) return [];
    const value = watermark === -Infinity ? NO_WATERMARK : watermark === Infinity ? END_OF_INPUT : String(Math.trunc(watermark));
    return [{ id: `${subtask.subtask}.currentInputWatermark`, value }];
  });
}

function errorText(error: cluster.ErrorInfo): string {
  return error.stack !== '' ? error.stack : `${error.name}: ${error.message}`;
}

/** Flink's web.exception-history-size default. */
export const EXCEPTION_HISTORY_SIZE = 16;

/** GET /jobs/:jobid/exceptions (Flink's JobExceptionsInfoWithHistory): the root cause first, then failed attempts, newest first. */
export function exceptionsJson(details: dispatcher.JobDetails) {
  const failures: { error: cluster.ErrorInfo; timestamp: number; taskName: string; endpoint: string; taskManagerId: string }[] = [];
  for (const vertex of details.vertices) {
    for (const subtask of vertex.subtasks) {
      for (const attempt of subtask.attempts) {
        if (attempt.failureCause === null || attempt.failureCause === undefined) continue;
        failures.push({
          error: attempt.failureCause,
          timestamp: attempt.stateTimestamps['FAILED'] ?? attempt.stateTimestamps[attempt.state] ?? 0,
          taskName: `${vertex.name} (${subtask.subtask + 1}/${vertex.parallelism})`,
          endpoint: endpointOf(attempt),
          taskManagerId: attempt.taskManagerId,
        });
      }
    }
  }
  failures.sort((a, b) => b.timestamp - a.timestamp);
  const root = details.failureCause;
  const rootTimestamp = Math.max(0, ...['FAILED', 'FAILING', 'RESTARTING'].map((status) => details.statusTimestamps[status] ?? 0));
  const entries = failures.slice(0, EXCEPTION_HISTORY_SIZE).map((failure) => ({
    exceptionName: failure.error.name,
    stacktrace: errorText(failure.error),
    timestamp: failure.timestamp,
    taskName: failure.taskName,
    endpoint: failure.endpoint,
    taskManagerId: failure.taskManagerId,
    failureLabels: {},
    concurrentExceptions: [],
  }));
  return {
    ...(root === null || root === undefined ? {} : { 'root-exception': errorText(root), timestamp: rootTimestamp }),
    'all-exceptions': failures.slice(0, EXCEPTION_HISTORY_SIZE).map((failure) => ({
      exception: errorText(failure.error),
      task: failure.taskName,
      location: failure.endpoint,
      timestamp: failure.timestamp,
      taskManagerId: failure.taskManagerId,
    })),
    truncated: failures.length > EXCEPTION_HISTORY_SIZE,
    exceptionHistory: { entries, truncated: failures.length > EXCEPTION_HISTORY_SIZE },
  };
}
