/** What every route file shares: the app's type, the services routes read, the id parameters. */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from '@eddy/common';
import type { eddy_dispatcher_v1 as dispatcher, eddy_resourcemanager_v1 as rm } from '@eddy/proto';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { CachedReads } from './cached-reads.js';
import { gatewayCall } from './rest-errors.js';

/** The fastify instance routes are registered on, typed by typebox schemas. */
export type RestApp = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/**
 * Something more to serve (the web dashboard's static files): called after the API routes and
 * before the server listens. Its routes are left out of the OpenAPI document unless they declare
 * schemas.
 */
export type RestPlugin = (app: RestApp) => void | Promise<void>;

/** What the routes read, and their deadlines. */
export interface RestServices {
  readonly dispatcher: dispatcher.DispatcherGateway;
  readonly resourceManager: rm.ResourceManagerGateway;
  /** Deadline of one gateway call (rpc.ask-timeout). */
  readonly callTimeoutMs: number;
  /** Deadline of a savepoint (the checkpoint timeout plus the ask timeout). */
  readonly savepointTimeoutMs: number;
  readonly logger: Logger;
  /** Reads of job details, job lists and TaskManagers, shared for web.refresh-interval. */
  readonly cache: CachedReads;
  /** web.refresh-interval, for the dashboard. */
  readonly refreshIntervalMs: number;
}


/** Flink's JobID: 32 hex digits. */
export const JobIdParams = Type.Object({ jobid: Type.String({ pattern: '^[0-9a-fA-F]{32}$', description: 'A job id: 32 hex digits' }) });

/** A job and one of its vertices (Eddy's vertex ids are the JobGraph's: letters, digits, `_.:-`). */
export const VertexParams = Type.Object({
  jobid: Type.String({ pattern: '^[0-9a-fA-F]{32}$', description: 'A job id: 32 hex digits' }),
  vertexid: Type.String({ pattern: '^[0-9A-Za-z_.:-]{1,256}$', description: 'A vertex id of the job' }),
});

/** The job's details from the Dispatcher (its JobMaster while it runs, the archive after), through the cache. */
export function fetchJob(services: RestServices, jobId: string): Promise<dispatcher.JobDetails> {
  const id = jobId.toLowerCase();
  return gatewayCall(services.cache.get(`job ${id}`, () => services.dispatcher.requestJob({ jobId: id }, { timeoutMs: services.callTimeoutMs })));
}

/** Every job the Dispatcher knows (running and archived), through the cache. */
export async function fetchJobs(services: RestServices): Promise<dispatcher.JobSummary[]> {
  const response = await gatewayCall(services.cache.get('jobs', () => services.dispatcher.listJobs({ includeFinished: true }, { timeoutMs: services.callTimeoutMs })));
  return response.jobs;
}

/** The registered TaskManagers, through the cache. */
export async function fetchTaskManagers(services: RestServices): Promise<rm.TaskManagerInfo[]> {
  const response = await gatewayCall(services.cache.get('taskmanagers', () => services.resourceManager.requestTaskManagers({}, { timeoutMs: services.callTimeoutMs })));
  return response.taskManagers;
}
