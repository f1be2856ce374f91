/** Serves eddy.dispatcher.v1.JobEvents: a client follows one job's transitions, or its collected results, as they happen. */
import { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import { GrpcStatus, StreamCallError, type RpcService, type StreamWriter } from '@eddy/rpc';
import { unknownJobMessage } from './dispatcher.js';
import { CollectedResultsReleasedError, type CollectedResults } from '../collect/collected-results.js';
import type { JobEventLog, JobLogs } from './job-event-log.js';

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
    collectResults: (requests: AsyncIterable<dispatcher.CollectResultsRequest>, out: StreamWriter<dispatcher.CollectedBatch>) =>
      followResults(requests, (jobId) => logsOf(jobId).results, out),
  });
}

/**
 * Serves one CollectResults stream: its first request names the job and where to start; the
 * batches go out from there until the job has ended and the reader has them all. The requests
 * after the first acknowledge what the reader has read, which releases it when the reader said it
 * acknowledges (the submitting client); such a stream ends only once the reader acknowledged the
 * last batch (or stopped sending), so nothing it read stays held until collect-sink.retention.
 */
export async function followResults(
  requests: AsyncIterable<dispatcher.CollectResultsRequest>,
  resultsOf: (jobId: string) => CollectedResults,
  out: StreamWriter<dispatcher.CollectedBatch>,
): Promise<void> {
  const iterator = requests[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done === true) return;
  const { jobId, fromSequence, acknowledge } = first.value;
  const results = resultsOf(jobId);
  let requestsEnded = false;
  let wakeEnd: (() => void) | undefined;
  // Acknowledgements arrive while batches go out.
  void (async () => {
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
      if (acknowledge) results.acknowledge(next.value.acknowledgedUpTo);
    }
  })()
    .catch(() => undefined)
    .finally(() => {
      requestsEnded = true;
      wakeEnd?.();
    });
  try {
    await follow(results, out, false, fromSequence);
  } catch (error) {
    if (error instanceof CollectedResultsReleasedError) throw new StreamCallError(GrpcStatus.OUT_OF_RANGE, error.message);
    throw error;
  }
  out.onCancel(() => wakeEnd?.());
  while (acknowledge && results.releasedUpTo < results.end && !requestsEnded && !out.cancelled) {
    await new Promise<void>((resolve) => {
      wakeEnd = resolve;
      results.whenRoom().then(resolve, resolve);
    });
  }
}

/** What `follow` reads: a job's events (BoundedLog) or its collected results (CollectedResults). */
export interface FollowedLog<T> {
  /** The entries from sequence number `from` on, and the number after the last. */
  since(from: number): { entries: T[]; next: number };
  /** Sequence number the next entry gets. */
  readonly end: number;
  /** No entries come any more. */
  readonly closed: boolean;
  /** Resolves at the next entry, or when the log closes. */
  changed(): Promise<void>;
}

/**
 * Writes what the log holds from `from` on, then each new entry, until the log closes or the
 * client goes away; with `replayOnly`, ends once it has written what the log held (and what came
 * meanwhile).
 */
export async function follow<T>(events: FollowedLog<T>, out: StreamWriter<T>, replayOnly = false, from = 0): Promise<void> {
  let cancelWait: (() => void) | undefined;
  out.onCancel(() => cancelWait?.());
  let next = from;
  for (;;) {
    const batch = events.since(next);
    next = batch.next;
    for (const event of batch.entries) {
      if (out.cancelled) return;
      await out.write(event);
    }
    if (out.cancelled) return;
    // Entries appended while the batch was being written go out before waiting or ending.
    if (next < events.end) continue;
    if (events.closed || replayOnly) return;
    await new Promise<void>((resolve) => {
      cancelWait = resolve;
      events.changed().then(resolve, resolve);
    });
  }
}
