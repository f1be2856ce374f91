/**
 * Errors of the REST API in Flink's shape: `{"errors": ["..."]}` with the status code that says
 * what went wrong (400 a malformed request, 404 an unknown job or path, 409 a job in the wrong
 * state, 413 a body too large, 500 a failure of the JobManager, 503 a JobManager that did not
 * answer in time).
 */
import { DispatcherError, JobNotFoundError } from '@eddy/cluster-common';
import { RemoteHandlerError, RpcTimeoutError } from '@eddy/rpc';
import { Type } from 'typebox';


export const ErrorResponse = Type.Object({ errors: Type.Array(Type.String()) }, { description: "Flink's error shape" });

/** A refusal with its HTTP status; the message goes to the client as is. */
export class RestHandlerError extends Error {
  override readonly name = 'RestHandlerError';
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function notFound(message: string): RestHandlerError {
  return new RestHandlerError(404, message);
}

export function badRequest(message: string): RestHandlerError {
  return new RestHandlerError(400, message);
}

/**
 * Turns what a gateway call rejected with into a RestHandlerError: an unknown job is 404, a job
 * in a state that does not allow the request 409 (the Dispatcher's refusals), a deadline 503.
 */
export function fromGatewayError(error: unknown): RestHandlerError {
  if (error instanceof RestHandlerError) return error;
  if (error instanceof RemoteHandlerError) {
    if (error.remoteName === JobNotFoundError.name) return notFound(error.remoteMessage);
    if (error.remoteName === DispatcherError.name) return new RestHandlerError(409, error.remoteMessage);
    return new RestHandlerError(500, `${error.remoteName}: ${error.remoteMessage}`);
  }
  if (error instanceof RpcTimeoutError) return new RestHandlerError(503, `The JobManager did not answer in time: ${error.message}`);
  return new RestHandlerError(500, error instanceof Error ? error.message : String(error));
}

/** Awaits a gateway call, turning its rejection into the REST error it means. */
export async function gatewayCall<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw fromGatewayError(error);
  }
}
