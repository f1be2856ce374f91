/**
 * Failures that are the consequence of another one: a task whose partner on the data plane went
 * away fails too, often before the partner's own failure reaches the JobMaster (a TaskManager whose
 * task thread ran out of memory reports that later than the TaskManager next to it reports the
 * lost channel). The first failure of a failover decides the restart, as in Flink; when it is such
 * a consequence and the real one arrives before the restart, the real one becomes the failover's
 * root cause, which `eddy status`, `eddy logs` and the REST API's exceptions show first (in Flink,
 * the consumer is canceled instead of failing, so its root cause is the real failure too).
 * Decided by the error's name, since errors cross threads and processes as data.
 */
import type { eddy_cluster_v1 as cluster } from '@eddy/proto';

/**
 * The names of such errors (packages/runtime/src/network/network-errors.ts):
 *   ChannelClosedError      the other side of a channel went away before the partition ended
 *   ConnectionLostError     the connection to the producer's TaskManager failed
 *   PartitionNotFoundError  the producer's partition is gone (its task or TaskManager ended)
 *   RemoteChannelError      the producer's side reported its own failure on the channel
 */
const CONSEQUENTIAL: ReadonlySet<string> = new Set(['ChannelClosedError', 'ConnectionLostError', 'PartitionNotFoundError', 'RemoteChannelError']);

/** Whether `cause` is what a task reports when another task or TaskManager failed first. */
export function isConsequentialFailure(cause: Pick<cluster.ErrorInfo, 'name'>): boolean {
  return CONSEQUENTIAL.has(cause.name);
}
