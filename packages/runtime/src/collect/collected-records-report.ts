/**
 * The JobMaster's side of ReportCollectedRecords: stores a batch in the job's CollectedResults,
 * and while the buffer is full holds the report (up to `holdMs`) until the client has read enough
 * to make room. Holding instead of answering BUFFER_FULL at once means the TaskExecutor's next try
 * comes when there is room, not on a timer; answering before the caller's ask timeout means a
 * held report never looks like a lost JobManager.
 */
import type { eddy_jobmaster_v1 as jm } from '@eddy/proto';
import type { CollectedResults, CollectSource } from './collected-results.js';

/**
 * Offers the batch until it is stored, refused, or `holdMs` passed with the buffer still full.
 * `currentSource` is asked again after every wait: an attempt that stopped being current (the job
 * restarted) gets UNKNOWN_ATTEMPT.
 */
export async function reportCollectedRecords(
  results: CollectedResults,
  request: jm.CollectedRecords,
  currentSource: () => CollectSource | undefined,
  holdMs: number,
): Promise<jm.ReportCollectedRecordsResponse> {
  const holdUntil = Date.now() + holdMs;
  for (;;) {
    const source = currentSource();
    if (source === undefined) {
      return { outcome: 'UNKNOWN_ATTEMPT', message: `Attempt ${request.executionAttemptId} is not a current attempt of job ${results.jobId}` };
    }
    const result = results.offer(source, request.sequence, request.batch);
    const left = holdUntil - Date.now();
    if (result.outcome !== 'BUFFER_FULL' || left <= 0 || results.closed) return { outcome: result.outcome, message: result.message ?? '' };
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([results.whenRoom(), new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
    clearTimeout(timer);
  }
}
