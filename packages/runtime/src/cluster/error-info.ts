/** Errors as data (ErrorInfo), for task failures and job failure causes that cross processes. */
import type { eddy_cluster_v1 as cluster } from '@eddy/proto';
import { RemoteHandlerError } from '@eddy/rpc';

/** ErrorInfo of any thrown value; a RemoteHandlerError is unwrapped to what the remote handler threw. */
export function errorInfoOf(error: unknown, location = ''): cluster.ErrorInfo {
  if (error instanceof RemoteHandlerError) {
    return { name: error.remoteName, message: error.remoteMessage, stack: error.remoteStack, location };
  }
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack ?? '', location };
  return { name: 'Error', message: String(error), stack: '', location };
}

/** One line for people: `TypeError: boom (at Map (1/2) (attempt 0) on taskmanager-1)`. */
export function describeError(info: cluster.ErrorInfo): string {
  const where = info.location === '' ? '' : ` (at ${info.location})`;
  return `${info.name}: ${info.message}${where}`;
}
