/** The vertex routes: subtasks with their TaskManager and records, backpressure, watermarks. */
import type { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import { Type } from 'typebox';
import { busyTimesOf, subtaskBackPressure, vertexBackPressureLevel } from './backpressure.js';
import { RecordMetrics } from './job-routes.js';
import { currentAttempt, vertexDetailsJson, watermarksJson } from './job-json.js';
import { fetchJob, VertexParams, type RestApp, type RestServices } from './rest-app.js';
import { ErrorResponse, notFound } from './rest-errors.js';

const VertexDetailsInfo = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    parallelism: Type.Integer(),
    maxParallelism: Type.Integer(),
    now: Type.Integer(),
    subtasks: Type.Array(
      Type.Object({
        subtask: Type.Integer(),
        status: Type.String(),
        attempt: Type.Integer(),
        endpoint: Type.String({ description: 'host:port of its TaskManager' }),
        'taskmanager-id': Type.String(),
        'start-time': Type.Integer(),
        'end-time': Type.Integer(),
        duration: Type.Integer(),
        metrics: RecordMetrics,
      }),
    ),
  },
  { description: "Flink's JobVertexDetailsInfo" },
);

const Level = Type.Union([Type.Literal('ok'), Type.Literal('low'), Type.Literal('high')]);
const BackPressureInfo = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('deprecated')], { description: "'deprecated' when no subtask reported its busy times yet (Flink's word for no statistics)" }),
    'backpressure-level': Type.Optional(Level),
    'end-timestamp': Type.Optional(Type.Integer()),
    subtasks: Type.Optional(
      Type.Array(Type.Object({ subtask: Type.Integer(), 'attempt-number': Type.Integer(), 'backpressure-level': Level, ratio: Type.Number(), idleRatio: Type.Number(), busyRatio: Type.Number() })),
    ),
  },
  { description: "Flink's JobVertexBackPressureInfo, from backPressuredTimeMsPerSecond, idleTimeMsPerSecond and busyTimeMsPerSecond" },
);

const Watermarks = Type.Array(Type.Object({ id: Type.String({ description: '<subtask>.currentInputWatermark' }), value: Type.String() }), {
  description: "Flink's metric list of the vertex's currentInputWatermark per subtask",
});

const VertexErrors = { 400: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse };

async function fetchVertex(services: RestServices, jobId: string, vertexId: string): Promise<dispatcher.VertexDetails> {
  const details = await fetchJob(services, jobId);
  const vertex = details.vertices.find((candidate) => candidate.id === vertexId);
  if (vertex === undefined) throw notFound(`Job ${details.jobId} has no vertex ${vertexId}; GET /jobs/${details.jobId} lists its vertices`);
  return vertex;
}

/** GET .../backpressure: each subtask's ratios and level, from what its TaskManager last reported. */
export function backPressureJson(vertex: dispatcher.VertexDetails, now: number) {
  const subtasks = vertex.subtasks.flatMap((subtask) => {
    const attempt = currentAttempt(subtask);
    const times = attempt === undefined ? undefined : busyTimesOf(attempt);
    if (attempt === undefined || times === undefined) return [];
    const pressure = subtaskBackPressure(times);
    return [{ subtask: subtask.subtask, 'attempt-number': attempt.attempt, 'backpressure-level': pressure.level, ratio: pressure.ratio, idleRatio: pressure.idleRatio, busyRatio: pressure.busyRatio }];
  });
  if (subtasks.length === 0) return { status: 'deprecated' as const };
  return {
    status: 'ok' as const,
    'backpressure-level': vertexBackPressureLevel(subtasks.map((subtask) => ({ ...subtask, level: subtask['backpressure-level'] }))),
    'end-timestamp': now,
    subtasks,
  };
}

export function registerVertexRoutes(app: RestApp, services: RestServices): void {
  app.get(
    '/jobs/:jobid/vertices/:vertexid',
    { schema: { summary: "A vertex's subtasks: state, attempt, TaskManager, records", params: VertexParams, response: { 200: VertexDetailsInfo, ...VertexErrors } } },
    async (request) => vertexDetailsJson(await fetchVertex(services, request.params.jobid, request.params.vertexid), Date.now()),
  );
  app.get(
    '/jobs/:jobid/vertices/:vertexid/backpressure',
    { schema: { summary: "A vertex's backpressure per subtask (Flink's ratio and level)", params: VertexParams, response: { 200: BackPressureInfo, ...VertexErrors } } },
    async (request) => backPressureJson(await fetchVertex(services, request.params.jobid, request.params.vertexid), Date.now()),
  );
  app.get(
    '/jobs/:jobid/vertices/:vertexid/watermarks',
    { schema: { summary: "A vertex's input watermark per subtask", params: VertexParams, response: { 200: Watermarks, ...VertexErrors } } },
    async (request) => watermarksJson(await fetchVertex(services, request.params.jobid, request.params.vertexid)),
  );
}
