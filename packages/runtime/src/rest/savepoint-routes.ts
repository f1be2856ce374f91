/**
 * Savepoints over REST, as Flink's asynchronous operations: POST /jobs/:jobid/savepoints and POST
 * /jobs/:jobid/stop answer 202 with a `request-id` at once; GET /jobs/:jobid/savepoints/:triggerid
 * says IN_PROGRESS, then COMPLETED with the savepoint's location or the failure.
 */
import { RemoteHandlerError } from '@eddy/rpc';
import { Type } from 'typebox';
import { JobIdParams, type RestApp, type RestServices } from './rest-app.js';
import { badRequest, ErrorResponse, gatewayCall, notFound } from './rest-errors.js';
import type { SavepointTriggers } from './savepoint-triggers.js';

const TriggerResponse = Type.Object({ 'request-id': Type.String({ description: 'The trigger id: 32 hex digits' }) }, { description: "Flink's TriggerResponse" });

const SavepointStatus = Type.Object(
  {
    status: Type.Object({ id: Type.Union([Type.Literal('IN_PROGRESS'), Type.Literal('COMPLETED')]) }),
    operation: Type.Optional(
      Type.Object({
        location: Type.Optional(Type.String({ description: 'The savepoint directory, when it succeeded' })),
        'failure-cause': Type.Optional(Type.Object({ class: Type.String(), 'stack-trace': Type.String() })),
      }),
    ),
  },
  { description: "Flink's AsynchronousOperationResult of a savepoint" },
);

const Errors = { 400: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse };

export function registerSavepointRoutes(app: RestApp, services: RestServices, triggers: SavepointTriggers): void {
  /** Checks the job exists (404 otherwise), then starts the savepoint in the background. */
  const trigger = async (jobId: string, request: { targetDirectory: string; stop: boolean; drain: boolean }): Promise<{ 'request-id': string }> => {
    const id = jobId.toLowerCase();
    await gatewayCall(services.dispatcher.requestJobStatus({ jobId: id }, { timeoutMs: services.callTimeoutMs }));
    const savepoint = services.dispatcher.triggerSavepoint({ jobId: id, ...request }, { timeoutMs: services.savepointTimeoutMs }).then(
      (response) => response.savepointPath,
      (error: unknown) => {
        // The Dispatcher's reason, under its own name, rather than the RPC layer's wrapper.
        if (error instanceof RemoteHandlerError) throw Object.assign(new Error(error.remoteMessage), { name: error.remoteName, stack: `${error.remoteName}: ${error.remoteMessage}` });
        throw error;
      },
    );
    const triggerId = triggers.add(id, savepoint);
    services.logger.info({ jobId: id, triggerId, stop: request.stop, targetDirectory: request.targetDirectory || undefined }, 'Savepoint triggered over REST');
    return { 'request-id': triggerId };
  };
  app.post(
    '/jobs/:jobid/savepoints',
    {
      schema: {
        summary: 'Triggers a savepoint; GET /jobs/:jobid/savepoints/:triggerid tells how it ends',
        params: JobIdParams,
        body: Type.Optional(
          Type.Object({
            'target-directory': Type.Optional(Type.String({ description: 'Where the savepoint goes; state.savepoints.dir when absent' })),
            'cancel-job': Type.Optional(Type.Boolean({ description: 'Not supported (Flink deprecated it): use POST /jobs/:jobid/stop' })),
          }),
        ),
        response: { 202: TriggerResponse, ...Errors },
      },
    },
    async (request, reply) => {
      const body = request.body ?? {};
      if (body['cancel-job'] === true) throw badRequest(`cancel-job is not supported; POST /jobs/${request.params.jobid}/stop stops the job with a savepoint`);
      return reply.code(202).send(await trigger(request.params.jobid, { targetDirectory: body['target-directory'] ?? '', stop: false, drain: false }));
    },
  );
  app.post(
    '/jobs/:jobid/stop',
    {
      schema: {
        summary: 'Stops a job with a savepoint (drain: sources first emit the end-of-time watermark); GET /jobs/:jobid/savepoints/:triggerid tells how it ends',
        params: JobIdParams,
        body: Type.Optional(Type.Object({ targetDirectory: Type.Optional(Type.String()), drain: Type.Optional(Type.Boolean()) })),
        response: { 202: TriggerResponse, ...Errors },
      },
    },
    async (request, reply) => {
      const body = request.body ?? {};
      return reply.code(202).send(await trigger(request.params.jobid, { targetDirectory: body.targetDirectory ?? '', stop: true, drain: body.drain ?? false }));
    },
  );
  app.get(
    '/jobs/:jobid/savepoints/:triggerid',
    {
      schema: {
        summary: 'How a savepoint triggered over REST is going',
        params: Type.Object({ jobid: JobIdParams.properties.jobid, triggerid: Type.String({ pattern: '^[0-9a-fA-F]{32}$', description: 'A trigger id: 32 hex digits' }) }),
        response: { 200: SavepointStatus, ...Errors },
      },
    },
    async (request) => {
      const outcome = triggers.get(request.params.jobid.toLowerCase(), request.params.triggerid);
      if (outcome === undefined) {
        throw notFound(`No savepoint ${request.params.triggerid} of job ${request.params.jobid}: it was not triggered over this JobManager's REST API, or it ended more than 5 minutes ago`);
      }
      if (outcome.status === 'IN_PROGRESS') return { status: { id: 'IN_PROGRESS' as const } };
      return { status: { id: 'COMPLETED' as const }, operation: 'location' in outcome ? { location: outcome.location } : { 'failure-cause': outcome.failure } };
    },
  );
}
