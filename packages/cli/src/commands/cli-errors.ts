/**
 * What the job commands print when something goes wrong: the message a user can act on, without
 * the layers it came through. An error rebuilt from the JobManager (a Dispatcher refusal, an
 * unknown job) reads as the JobManager worded it. The original, with its stack, stays for --verbose
 * as the cause.
 *
 * The RPC layer's errors are recognised by name, as the RPC layer itself rebuilds errors, so the
 * CLI needs no dependency on it.
 */

interface RebuiltRemoteError {
  readonly name: string;
  /** RemoteHandlerError: the remote handler's own message. */
  readonly remoteMessage?: unknown;
  /** RpcCallError: the gRPC status details, which a stream handler fills with its message. */
  readonly fields?: { readonly detail?: unknown };
}

/** The error as the command should report it. */
export function userFacingError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const remote = error as Error & RebuiltRemoteError;
  let message: unknown;
  if (remote.name === 'RemoteHandlerError') message = remote.remoteMessage;
  else if (remote.name === 'RpcCallError') message = remote.fields?.detail;
  if (typeof message !== 'string' || message === '') return error;
  const clean = new Error(message, { cause: error });
  // --verbose prints the original with its stack as the cause; this one adds no frames of its own.
  clean.stack = `Error: ${message}`;
  return clean;
}
