/**
 * The Dispatcher as its clients address it: the endpoint ids of the JobManager's front doors, and
 * the errors the Dispatcher refuses with (they cross gRPC by name, so the client tells them apart
 * by these classes' names).
 */

/** The Dispatcher's endpoint on the JobManager's RpcService. */
export const DISPATCHER_ENDPOINT_ID = 'dispatcher';
/** The ResourceManager's endpoint on the JobManager's RpcService. */
export const RESOURCE_MANAGER_ENDPOINT_ID = 'resourcemanager';

/** Base class of the Dispatcher's refusals. */
export class DispatcherError extends Error {
  override readonly name: string = 'DispatcherError';
}

export class JobNotFoundError extends DispatcherError {
  override readonly name = 'JobNotFoundError';
}

export class DuplicateJobSubmissionError extends DispatcherError {
  override readonly name = 'DuplicateJobSubmissionError';
}
