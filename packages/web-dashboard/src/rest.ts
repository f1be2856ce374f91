/**
 * The JobManager's REST API as the dashboard reads it: Flink's paths and JSON shapes (docs/rest.md),
 * declared loosely, since a field Eddy does not know is left out rather than invented. Pages read
 * nothing else: what they show, a script can read with curl.
 */
import { authToken, noteAuthStatus } from './auth.js';

/** Counts of a job's or a vertex's tasks per ExecutionState, lower-cased as Flink writes them. */
export type TaskCounts = Partial<Record<string, number>>;

export interface Overview {
  taskmanagers: number;
  'slots-total': number;
  'slots-available': number;
  'jobs-running': number;
  'jobs-finished': number;
  'jobs-cancelled': number;
  'jobs-failed': number;
  'flink-version'?: string;
}

export interface JobOverview {
  jid: string;
  name: string;
  state: string;
  'start-time': number;
  'end-time': number;
  duration: number;
  'last-modification'?: number;
  tasks?: TaskCounts;
}

export interface IoMetrics {
  'read-bytes'?: number;
  'write-bytes'?: number;
  'read-records'?: number;
  'write-records'?: number;
  'accumulated-backpressured-time'?: number;
  'accumulated-idle-time'?: number;
  'accumulated-busy-time'?: number;
}

export interface JobVertex {
  id: string;
  name: string;
  parallelism: number;
  maxParallelism?: number;
  status: string;
  'start-time'?: number;
  'end-time'?: number;
  duration?: number;
  tasks?: TaskCounts;
  metrics?: IoMetrics;
}

export interface PlanInput {
  num?: number;
  id: string;
  ship_strategy?: string;
  exchange?: string;
}

export interface PlanNode {
  id: string;
  parallelism?: number;
  operator?: string;
  description?: string;
  inputs?: PlanInput[];
}

export interface JobDetails {
  jid: string;
  name: string;
  state: string;
  isStoppable?: boolean;
  'start-time': number;
  'end-time': number;
  duration: number;
  now?: number;
  maxParallelism?: number;
  timestamps?: Partial<Record<string, number>>;
  vertices: JobVertex[];
  'status-counts'?: TaskCounts;
  plan?: { jid?: string; name?: string; nodes: PlanNode[] };
}

export interface Subtask {
  subtask: number;
  status: string;
  attempt?: number;
  endpoint?: string;
  host?: string;
  'taskmanager-id'?: string;
  'start-time'?: number;
  duration?: number;
  metrics?: IoMetrics;
}

export interface VertexDetails {
  id: string;
  name: string;
  parallelism: number;
  now?: number;
  subtasks: Subtask[];
}

export type BackpressureLevel = 'ok' | 'low' | 'high';

export interface Backpressure {
  status?: string;
  'backpressure-level'?: BackpressureLevel;
  'end-timestamp'?: number;
  subtasks?: { subtask: number; 'backpressure-level'?: BackpressureLevel; ratio?: number; idleRatio?: number; busyRatio?: number }[];
}

/** Flink's metric list: `[{ id: "0.currentInputWatermark", value: "1700000000000" }]`. */
export type Watermarks = { id: string; value: string }[];

export interface CheckpointStats {
  id: number;
  status: string;
  is_savepoint?: boolean;
  checkpoint_type?: string;
  trigger_timestamp?: number;
  latest_ack_timestamp?: number;
  state_size?: number;
  checkpointed_size?: number;
  end_to_end_duration?: number;
  alignment_buffered?: number;
  num_subtasks?: number;
  num_acknowledged_subtasks?: number;
  external_path?: string;
  failure_message?: string;
}

export interface Checkpoints {
  counts?: { restored?: number; total?: number; in_progress?: number; completed?: number; failed?: number };
  latest?: { completed?: CheckpointStats | null; savepoint?: CheckpointStats | null; failed?: CheckpointStats | null; restored?: { id: number; restore_timestamp?: number; external_path?: string } | null };
  history?: CheckpointStats[];
}

export interface ExceptionEntry {
  exceptionName?: string;
  stacktrace?: string;
  timestamp?: number;
  taskName?: string | null;
  endpoint?: string | null;
  taskManagerId?: string | null;
  concurrentExceptions?: ExceptionEntry[];
}

export interface Exceptions {
  'root-exception'?: string | null;
  timestamp?: number | null;
  exceptionHistory?: { entries: ExceptionEntry[]; truncated?: boolean };
}

export interface TaskManagerSummary {
  id: string;
  path?: string;
  dataPort?: number;
  timeSinceLastHeartbeat?: number;
  slotsNumber: number;
  freeSlots: number;
  /** Eddy's own: the TaskManager's recent event-loop lag (p99), from its last heartbeat. */
  eventLoopLagMs?: number;
  hardware?: { cpuCores?: number; physicalMemory?: number; freeMemory?: number; managedMemory?: number };
}

export interface TaskManagerDetails extends TaskManagerSummary {
  /** Eddy's own: when it registered. */
  registeredAt?: number;
  metrics?: Partial<Record<string, number | unknown>>;
  allocatedSlots?: { index?: number; jobId?: string }[];
}

/** A REST call that got an answer other than 2xx: the status and Flink's `errors` list. */
export class RestError extends Error {
  constructor(
    readonly path: string,
    readonly status: number,
    readonly errors: string[],
  ) {
    super(`${path}: HTTP ${status}${errors.length > 0 ? `: ${errors.join('; ')}` : ''}`);
    this.name = 'RestError';
  }
}

/** Longest a dashboard request may take; the next poll tries again. */
const REQUEST_TIMEOUT_MS = 5_000;

/** Paths are relative to the page, so a dashboard served under a proxy's prefix still finds its API. */
async function call<T>(method: string, path: string, query = ''): Promise<T> {
  let response: Response;
  try {
    const token = authToken();
    const headers: Record<string, string> = token === undefined ? { accept: 'application/json' } : { accept: 'application/json', authorization: `Bearer ${token}` };
    response = await fetch(`.${path}${query}`, { method, headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (error) {
    throw new RestError(path, 0, [`the JobManager did not answer (${error instanceof Error ? error.message : String(error)})`]);
  }
  noteAuthStatus(response.status);
  if (!response.ok) {
    let errors: string[] = [];
    try {
      const body = (await response.json()) as { errors?: unknown };
      if (Array.isArray(body.errors)) errors = body.errors.map(String);
    } catch {
      // Not JSON: the status says enough.
    }
    throw new RestError(path, response.status, errors);
  }
  const text = await response.text();
  return (text === '' ? {} : JSON.parse(text)) as T;
}

const job = (jobId: string) => `/jobs/${encodeURIComponent(jobId)}`;
const vertex = (jobId: string, vertexId: string) => `${job(jobId)}/vertices/${encodeURIComponent(vertexId)}`;

export const rest = {
  overview: () => call<Overview>('GET', '/overview'),
  jobsOverview: () => call<{ jobs: JobOverview[] }>('GET', '/jobs/overview'),
  job: (jobId: string) => call<JobDetails>('GET', job(jobId)),
  vertex: (jobId: string, vertexId: string) => call<VertexDetails>('GET', vertex(jobId, vertexId)),
  backpressure: (jobId: string, vertexId: string) => call<Backpressure>('GET', `${vertex(jobId, vertexId)}/backpressure`),
  watermarks: (jobId: string, vertexId: string) => call<Watermarks>('GET', `${vertex(jobId, vertexId)}/watermarks`),
  checkpoints: (jobId: string) => call<Checkpoints>('GET', `${job(jobId)}/checkpoints`),
  exceptions: (jobId: string) => call<Exceptions>('GET', `${job(jobId)}/exceptions`),
  cancel: (jobId: string) => call<unknown>('PATCH', job(jobId), '?mode=cancel'),
  taskManagers: () => call<{ taskmanagers: TaskManagerSummary[] }>('GET', '/taskmanagers'),
  taskManager: (id: string) => call<TaskManagerDetails>('GET', `/taskmanagers/${encodeURIComponent(id)}`),
};
