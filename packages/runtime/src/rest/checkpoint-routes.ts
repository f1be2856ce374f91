/**
 * GET /jobs/:jobid/checkpoints (Flink's CheckpointingStatistics) and the per-task details of one
 * checkpoint. Eddy keeps the latest completed and failed checkpoint and the 10 most recent ones;
 * the details routes answer for those.
 */
import type { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import { Type } from 'typebox';
import { fetchJob, JobIdParams, type RestApp, type RestServices } from './rest-app.js';
import { ErrorResponse, notFound } from './rest-errors.js';

const TaskStatistics = Type.Object({
  id: Type.Integer(),
  status: Type.String(),
  latest_ack_timestamp: Type.Integer(),
  state_size: Type.Integer(),
  end_to_end_duration: Type.Integer(),
  num_subtasks: Type.Integer(),
  num_acknowledged_subtasks: Type.Integer(),
});

const CheckpointStatistics = Type.Object({
  id: Type.Integer(),
  status: Type.String({ description: 'IN_PROGRESS, COMPLETED or FAILED' }),
  trigger_timestamp: Type.Integer(),
  latest_ack_timestamp: Type.Integer(),
  state_size: Type.Integer(),
  end_to_end_duration: Type.Integer(),
  num_subtasks: Type.Integer(),
  num_acknowledged_subtasks: Type.Integer(),
  tasks: Type.Record(Type.String(), TaskStatistics),
  external_path: Type.Optional(Type.String()),
  failure_timestamp: Type.Optional(Type.Integer()),
  failure_message: Type.Optional(Type.String()),
});

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

const CheckpointingStatistics = Type.Object(
  {
    counts: Type.Object({ total: Type.Integer(), in_progress: Type.Integer(), completed: Type.Integer(), failed: Type.Integer() }),
    latest: Type.Object({
      completed: Nullable(CheckpointStatistics),
      failed: Nullable(CheckpointStatistics),
      restored: Nullable(Type.Object({ id: Type.Integer(), external_path: Type.String() })),
    }),
    history: Type.Array(CheckpointStatistics),
  },
  { description: "Flink's CheckpointingStatistics (without the summary, which Eddy does not keep over all checkpoints)" },
);

const SubtaskDetails = Type.Object(
  {
    ...TaskStatistics.properties,
    subtasks: Type.Array(
      Type.Object({
        index: Type.Integer(),
        status: Type.String({ description: 'completed or pending_or_failed' }),
        ack_timestamp: Type.Optional(Type.Integer()),
        end_to_end_duration: Type.Optional(Type.Integer()),
        state_size: Type.Optional(Type.Integer()),
        checkpoint: Type.Optional(Type.Object({ sync: Type.Integer(), async: Type.Integer() })),
        alignment: Type.Optional(Type.Object({ duration: Type.Integer() })),
      }),
    ),
  },
  { description: "Flink's TaskCheckpointStatisticsWithSubtaskDetails (without the summary)" },
);

type Summary = dispatcher.CheckpointSummary;

function endToEnd(summary: Summary, at: number): number {
  return at > 0 ? at - summary.triggerTimestamp : 0;
}

function latestAck(subtasks: readonly dispatcher.SubtaskCheckpointSummary[]): number {
  return subtasks.reduce((max, subtask) => Math.max(max, subtask.acknowledgeTimestamp), 0);
}

function taskStatistics(summary: Summary, vertex: dispatcher.VertexDetails) {
  const acked = summary.subtasks.filter((subtask) => subtask.vertexId === vertex.id);
  const ack = latestAck(acked);
  return {
    id: summary.checkpointId,
    status: summary.status,
    latest_ack_timestamp: ack,
    state_size: acked.reduce((sum, subtask) => sum + subtask.stateSize, 0),
    end_to_end_duration: endToEnd(summary, ack),
    num_subtasks: vertex.parallelism,
    num_acknowledged_subtasks: acked.length,
  };
}

export function checkpointJson(summary: Summary, vertices: readonly dispatcher.VertexDetails[]) {
  const ack = latestAck(summary.subtasks);
  return {
    id: summary.checkpointId,
    status: summary.status,
    trigger_timestamp: summary.triggerTimestamp,
    latest_ack_timestamp: ack,
    state_size: summary.stateSize,
    end_to_end_duration: summary.endTimestamp > 0 ? summary.endTimestamp - summary.triggerTimestamp : endToEnd(summary, ack),
    num_subtasks: summary.totalSubtasks,
    num_acknowledged_subtasks: summary.acknowledgedSubtasks,
    tasks: Object.fromEntries(vertices.map((vertex) => [vertex.id, taskStatistics(summary, vertex)])),
    ...(summary.status === 'COMPLETED' && summary.externalPath !== '' ? { external_path: summary.externalPath } : {}),
    ...(summary.status === 'FAILED' ? { failure_timestamp: summary.endTimestamp, failure_message: summary.failureMessage } : {}),
  };
}

export function checkpointingStatisticsJson(details: dispatcher.JobDetails) {
  const stats = details.checkpoints;
  if (stats === null || stats === undefined || !stats.enabled) {
    return { counts: { total: 0, in_progress: 0, completed: 0, failed: 0 }, latest: { completed: null, failed: null, restored: null }, history: [] };
  }
  const json = (summary: Summary | null | undefined) => (summary === null || summary === undefined ? null : checkpointJson(summary, details.vertices));
  return {
    counts: { total: stats.completed + stats.failed + stats.inProgress, in_progress: stats.inProgress, completed: stats.completed, failed: stats.failed },
    latest: {
      completed: json(stats.latestCompleted),
      failed: json(stats.latestFailed),
      restored: stats.restoredCheckpointId > 0 ? { id: stats.restoredCheckpointId, external_path: stats.restoredPath } : null,
    },
    history: stats.history.map((summary) => checkpointJson(summary, details.vertices)),
  };
}

function findCheckpoint(details: dispatcher.JobDetails, checkpointId: number): Summary {
  const stats = details.checkpoints;
  const candidates = stats === null || stats === undefined ? [] : [...stats.history, stats.latestCompleted, stats.latestFailed];
  const found = candidates.find((summary) => summary !== null && summary !== undefined && summary.checkpointId === checkpointId);
  if (found === null || found === undefined) throw notFound(`Job ${details.jobId} has no statistics of checkpoint ${checkpointId}; GET /jobs/${details.jobId}/checkpoints lists the ones it keeps`);
  return found;
}

const CheckpointParams = Type.Object({ jobid: JobIdParams.properties.jobid, checkpointid: Type.Integer({ minimum: 0 }) });
const Errors = { 400: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse };

export function registerCheckpointRoutes(app: RestApp, services: RestServices): void {
  app.get(
    '/jobs/:jobid/checkpoints',
    { schema: { summary: "A job's checkpoint counts, latest checkpoints and recent history", params: JobIdParams, response: { 200: CheckpointingStatistics, ...Errors } } },
    async (request) => checkpointingStatisticsJson(await fetchJob(services, request.params.jobid)),
  );
  app.get(
    '/jobs/:jobid/checkpoints/details/:checkpointid',
    { schema: { summary: 'One checkpoint with its per-vertex statistics', params: CheckpointParams, response: { 200: CheckpointStatistics, ...Errors } } },
    async (request) => {
      const details = await fetchJob(services, request.params.jobid);
      return checkpointJson(findCheckpoint(details, request.params.checkpointid), details.vertices);
    },
  );
  app.get(
    '/jobs/:jobid/checkpoints/details/:checkpointid/subtasks/:vertexid',
    {
      schema: {
        summary: "One checkpoint's statistics per subtask of one vertex: acknowledgement, size, sync and async parts, alignment",
        params: Type.Object({ ...CheckpointParams.properties, vertexid: Type.String({ pattern: '^[0-9A-Za-z_.:-]{1,256}$' }) }),
        response: { 200: SubtaskDetails, ...Errors },
      },
    },
    async (request) => {
      const details = await fetchJob(services, request.params.jobid);
      const summary = findCheckpoint(details, request.params.checkpointid);
      const vertex = details.vertices.find((candidate) => candidate.id === request.params.vertexid);
      if (vertex === undefined) throw notFound(`Job ${details.jobId} has no vertex ${request.params.vertexid}`);
      const subtasks = Array.from({ length: vertex.parallelism }, (_, index) => {
        const acked = summary.subtasks.find((subtask) => subtask.vertexId === vertex.id && subtask.subtask === index);
        if (acked === undefined) return { index, status: 'pending_or_failed' };
        return {
          index,
          status: 'completed',
          ack_timestamp: acked.acknowledgeTimestamp,
          end_to_end_duration: acked.acknowledgeTimestamp - summary.triggerTimestamp,
          state_size: acked.stateSize,
          checkpoint: { sync: acked.syncDurationMs, async: acked.asyncDurationMs },
          alignment: { duration: acked.alignmentDurationMs },
        };
      });
      return { ...taskStatistics(summary, vertex), subtasks };
    },
  );
}
