/** Serves eddy.dispatcher.v1.JobEvents: a client follows one job's transitions, or its collected results, as they happen. */
import { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import { GrpcStatus, StreamCallError, type RpcService, type StreamWriter } from '@eddy/rpc';
import { unknownJobMessage } from './dispatcher.js';
import type { BoundedLog, JobEventLog, JobLogs } from './job-event-log.js';

export function serveJobEvents(rpcService: RpcService, eventLog: JobEventLog): void {
  const logsOf = (jobId: string): JobLogs => {
    const logs = eventLog.get(jobId);
    if (logs === undefined) {
      throw new StreamCallError(GrpcStatus.NOT_FOUND, unknownJobMessage(jobId, rpcService.address));
    }
    return logs;
  };
  rpcService.serveStreamService(dispatcher.JobEvents, {
    followJob: (request: dispatcher.FollowJobRequest, out: StreamWriter<dispatcher.JobEvent>) => follow(logsOf(request.jobId).events, out, request.replayOnly),
    collectResults: (request: dispatcher.FollowJobRequest, out: StreamWriter<dispatcher.CollectedBatch>) => follow(logsOf(request.jobId).results, out, request.replayOnly),
  });
}

/**
 * Writes what the log holds, then each new entry, until the log closes or the client goes away;
 * with `replayOnly`, ends once it has written what the log held (and what came meanwhile).
 */
export async function follow<T>(events: BoundedLog<T>, out: StreamWriter<T>, replayOnly = false): Promise<void> {
  let cancelWait: (() => void) | undefined;
  out.onCancel(() => cancelWait?.());
  let next = 0;
  for (;;) {
    const batch = events.since(next);
    next = batch.next;
    for (const event of batch.events) {
      if (out.cancelled) return;
      await out.write(event);
    }
    if (out.cancelled) return;
    // Entries appended while the batch was being written go out before waiting or ending.
    if (next !== events.end) continue;
    if (events.closed || replayOnly) return;
    await new Promise<void>((resolve) => {
      cancelWait = resolve;
      events.changed().then(resolve, resolve);
    });
  }
}
