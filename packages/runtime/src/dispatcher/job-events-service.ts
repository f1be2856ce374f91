/** Serves eddy.dispatcher.v1.JobEvents: a client follows one job's transitions as they happen. */
import * as grpc from '@grpc/grpc-js';
import { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import { StreamCallError, type RpcService, type StreamWriter } from '@eddy/rpc';
import type { JobEventLog } from './job-event-log.js';

export function serveJobEvents(rpcService: RpcService, eventLog: JobEventLog): void {
  rpcService.serveStreamService(dispatcher.JobEvents, {
    followJob: async (request: dispatcher.FollowJobRequest, out: StreamWriter<dispatcher.JobEvent>): Promise<void> => {
      const events = eventLog.get(request.jobId);
      if (events === undefined) {
        throw new StreamCallError(grpc.status.NOT_FOUND, `No job ${request.jobId} at the JobManager at ${rpcService.address}; 'eddy list --all' shows the jobs it knows`);
      }
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
        if (events.closed || out.cancelled) return;
        await new Promise<void>((resolve) => {
          cancelWait = resolve;
          events.changed().then(resolve, resolve);
        });
      }
    },
  });
}
