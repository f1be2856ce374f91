/** The job routes: list, overview, details (with the plan), config, exceptions, cancel. */
import { Type } from 'typebox';
import { exceptionsJson, jobDetailsJson, jobOverviewJson } from './job-json.js';
import { fetchJob, fetchJobs, JobIdParams, type RestApp, type RestServices } from './rest-app.js';
import { badRequest, ErrorResponse, gatewayCall } from './rest-errors.js';

const Counts = Type.Record(Type.String(), Type.Integer());
const Times = { 'start-time': Type.Integer(), 'end-time': Type.Integer({ description: '-1 while running' }), duration: Type.Integer() };
export const RecordMetrics = Type.Object({
  'read-bytes': Type.Integer(),
  'read-bytes-complete': Type.Boolean(),
  'write-bytes': Type.Integer(),
  'write-bytes-complete': Type.Boolean(),
  'read-records': Type.Integer(),
  'read-records-complete': Type.Boolean(),
  'write-records': Type.Integer(),
  'write-records-complete': Type.Boolean(),
});

const JobIdsWithStatus = Type.Object({ jobs: Type.Array(Type.Object({ id: Type.String(), status: Type.String() })) }, { description: "Flink's JobIdsWithStatusOverview" });

const JobOverview = Type.Object({ jid: Type.String(), name: Type.String(), state: Type.String(), ...Times, tasks: Counts });
const MultipleJobsDetails = Type.Object({ jobs: Type.Array(JobOverview) }, { description: "Flink's MultipleJobsDetails" });

const PlanNode = Type.Object({
  id: Type.String(),
  parallelism: Type.Integer(),
  operator: Type.String(),
  operator_strategy: Type.String(),
  description: Type.String(),
  inputs: Type.Optional(Type.Array(Type.Object({ num: Type.Integer(), id: Type.String(), ship_strategy: Type.String(), exchange: Type.String() }))),
  optimizer_properties: Type.Object({}),
});

const JobDetailsInfo = Type.Object(
  {
    jid: Type.String(),
    name: Type.String(),
    state: Type.String(),
    'job-type': Type.String(),
    ...Times,
    now: Type.Integer(),
    timestamps: Counts,
    vertices: Type.Array(
      Type.Object({
        id: Type.String(),
        name: Type.String(),
        maxParallelism: Type.Integer(),
        parallelism: Type.Integer(),
        status: Type.String(),
        ...Times,
        tasks: Counts,
        metrics: RecordMetrics,
      }),
    ),
    'status-counts': Counts,
    plan: Type.Object({ jid: Type.String(), name: Type.String(), type: Type.String(), nodes: Type.Array(PlanNode) }),
  },
  { description: "Flink's JobDetailsInfo" },
);

const JobConfigInfo = Type.Object(
  { jid: Type.String(), name: Type.String(), 'execution-config': Type.Object({ 'user-config': Type.Record(Type.String(), Type.String()) }) },
  { description: "Flink's JobConfigInfo: the job's own configuration (what it sets over the cluster's) as user-config" },
);

const ExceptionEntry = Type.Object({
  exceptionName: Type.String(),
  stacktrace: Type.String(),
  timestamp: Type.Integer(),
  taskName: Type.String(),
  endpoint: Type.String(),
  taskManagerId: Type.String(),
  failureLabels: Type.Record(Type.String(), Type.String()),
  concurrentExceptions: Type.Array(Type.Object({})),
});

const JobExceptionsInfo = Type.Object(
  {
    'root-exception': Type.Optional(Type.String()),
    timestamp: Type.Optional(Type.Integer()),
    'all-exceptions': Type.Array(Type.Object({ exception: Type.String(), task: Type.String(), location: Type.String(), timestamp: Type.Integer(), taskManagerId: Type.String() })),
    truncated: Type.Boolean(),
    exceptionHistory: Type.Object({ entries: Type.Array(ExceptionEntry), truncated: Type.Boolean() }),
  },
  { description: "Flink's JobExceptionsInfoWithHistory" },
);

const JobErrors = { 400: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse };

export function registerJobRoutes(app: RestApp, services: RestServices): void {
  app.get('/jobs', { schema: { summary: 'Every job the JobManager knows, with its status', response: { 200: JobIdsWithStatus, 503: ErrorResponse } } }, async () => {
    const jobs = await fetchJobs(services);
    return { jobs: jobs.map((job) => ({ id: job.jobId, status: job.status })) };
  });
  app.get('/jobs/overview', { schema: { summary: 'Every job with its times and task counts', response: { 200: MultipleJobsDetails, 503: ErrorResponse } } }, async () => {
    const jobs = await fetchJobs(services);
    const now = Date.now();
    return { jobs: jobs.map((job) => jobOverviewJson(job, now)) };
  });
  app.get(
    '/jobs/:jobid',
    { schema: { summary: 'A job: vertices with their state and records, and its plan', params: JobIdParams, response: { 200: JobDetailsInfo, ...JobErrors } } },
    async (request) => jobDetailsJson(await fetchJob(services, request.params.jobid), Date.now()),
  );
  app.get('/jobs/:jobid/config', { schema: { summary: "A job's configuration", params: JobIdParams, response: { 200: JobConfigInfo, ...JobErrors } } }, async (request) => {
    const details = await fetchJob(services, request.params.jobid);
    return { jid: details.jobId, name: details.name, 'execution-config': { 'user-config': details.configuration } };
  });
  app.get(
    '/jobs/:jobid/exceptions',
    { schema: { summary: "A job's root cause and the failures of its tasks, newest first", params: JobIdParams, response: { 200: JobExceptionsInfo, ...JobErrors } } },
    async (request) => exceptionsJson(await fetchJob(services, request.params.jobid)),
  );
  app.patch(
    '/jobs/:jobid',
    {
      schema: {
        summary: 'Cancels a job (mode=cancel, the default); answers 202 once cancellation has started',
        params: JobIdParams,
        querystring: Type.Object({ mode: Type.Optional(Type.String()) }),
        response: { 202: Type.Object({}), 409: ErrorResponse, ...JobErrors },
      },
    },
    async (request, reply) => {
      const mode = request.query.mode ?? 'cancel';
      if (mode !== 'cancel') throw badRequest(`mode=${mode} is not supported; use mode=cancel, or POST /jobs/${request.params.jobid}/stop to stop with a savepoint`);
      await gatewayCall(services.dispatcher.cancelJob({ jobId: request.params.jobid.toLowerCase() }, { timeoutMs: services.callTimeoutMs }));
      return reply.code(202).send({});
    },
  );
}
