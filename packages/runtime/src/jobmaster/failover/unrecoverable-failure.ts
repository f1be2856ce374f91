/**
 * Failures no restart can fix (Flink's SuppressRestartsException, decided by the error's name since
 * errors cross threads and processes as data): the job fails at once instead of restarting until
 * the restart strategy gives up, failing the same way on every attempt.
 */
import type { eddy_cluster_v1 as cluster } from '@eddy/proto';

/**
 * The names of such errors and why a restart cannot help.
 *   StateMigrationError  restored state does not fit the code's state types (packages/api,
 *                        state-compatibility.ts): every restart restores the same state into the same code
 */
const UNRECOVERABLE: ReadonlyMap<string, string> = new Map([['StateMigrationError', 'the restored state does not fit the state types of the code, on every attempt']]);

/** Why no restart can fix `cause`, or undefined when a restart may. */
export function unrecoverableReason(cause: Pick<cluster.ErrorInfo, 'name'>): string | undefined {
  return UNRECOVERABLE.get(cause.name);
}
