/**
 * CollectedResultsForwarder: the TaskExecutor's part of the collect() path. It sends each task's
 * collected batches to the job's JobMaster, in order and one at a time per attempt, and
 * acknowledges each to the task once the JobManager stored it; the task counts unacknowledged
 * batches against its window (CollectChannel), so a JobManager that holds back (its buffer for the
 * client is full) or cannot be reached backpressures the task instead of filling this queue.
 *
 * Every report has a deadline (the ask timeout). A failed one is sent again after a jittered,
 * growing delay (the shared Backoff, from 50 ms up to 2 s), logged with what it waits for; the
 * JobMaster stores a batch once whatever the retries (batches are numbered per attempt), so the
 * client sees each record as often as it was produced. It stops when the batch is stored, when
 * the attempt is not current any more (the job restarted: the new attempt sends its records
 * again), when the attempt ended here, or when the batch is refused for good: then the task fails
 * with the JobMaster's reason.
 *
 * Threading: everything runs in the TaskExecutor's mailbox; report answers come back through
 * runInMainThread and re-check that the attempt is still forwarded.
 */
import { Backoff, type Logger } from '@eddy/common';
import type { eddy_jobmaster_v1 as jm } from '@eddy/proto';
import type { CollectOutcome } from './collected-results.js';

/** The delays between tries of one attempt's batch: the shared Backoff, from 50 ms up to 2 s. */
const RETRY_INITIAL_MS = 50;
const RETRY_MAX_MS = 2_000;

/** The attempt whose batches are forwarded, as the TaskExecutor sees it. */
export interface CollectTarget {
  readonly executionAttemptId: string;
  readonly jobId: string;
  /** For log lines, e.g. "Map -> Sink: Collect (1/2) (attempt 0)". */
  readonly name: string;
  /** False once the attempt ended or left this TaskManager: its queued batches are dropped. */
  isRunning(): boolean;
  /** The JobManager stored every batch up to `sequence`. */
  acknowledge(sequence: number): void;
  /** A batch can never be stored: the task fails with this error. */
  fail(error: Error): void;
}

export interface CollectedResultsForwarderServices {
  /** Sends one batch to the JobMaster of `jobId`, with a deadline; rejects when it cannot. */
  report(jobId: string, request: jm.CollectedRecords): Promise<jm.ReportCollectedRecordsResponse>;
  runInMainThread(fn: () => void): void;
  scheduleInMainThread(fn: () => void, delayMs: number): { cancel(): void };
  readonly logger: Logger;
  /** The jitter of the retry delays (numbers in [0, 1)); default Math.random. Tests fix it. */
  readonly random?: () => number;
}

interface Forwarding {
  readonly target: CollectTarget;
  readonly queue: { readonly sequence: number; readonly batch: Uint8Array }[];
  readonly backoff: Backoff;
  sending: boolean;
  timer: { cancel(): void } | undefined;
  /** Set while the JobManager's buffer is full, so the wait is logged once. */
  waitingForClient: boolean;
}

/** The error a task fails with when the JobMaster refuses one of its batches for good. */
export class CollectedRecordsRefusedError extends Error {
  override readonly name = 'CollectedRecordsRefusedError';
}

export class CollectedResultsForwarder {
  private readonly forwarding = new Map<string, Forwarding>();
  private closed = false;

  constructor(private readonly services: CollectedResultsForwarderServices) {}

  /** Batches queued for all attempts; for tests. */
  get queuedBatches(): number {
    let count = 0;
    for (const state of this.forwarding.values()) count += state.queue.length;
    return count;
  }

  /** Batch `sequence` of `target` is to be sent (after the ones queued before it). */
  enqueue(target: CollectTarget, sequence: number, batch: Uint8Array): void {
    if (this.closed || !target.isRunning()) return;
    let state = this.forwarding.get(target.executionAttemptId);
    if (state === undefined) {
      state = { target, queue: [], backoff: this.newBackoff(), sending: false, timer: undefined, waitingForClient: false };
      this.forwarding.set(target.executionAttemptId, state);
    }
    state.queue.push({ sequence, batch });
    this.sendNext(state);
  }

  private newBackoff(): Backoff {
    const { random } = this.services;
    return new Backoff({ initialMs: RETRY_INITIAL_MS, maxMs: RETRY_MAX_MS, ...(random === undefined ? {} : { random }) });
  }

  /** Stops forwarding for every attempt (the TaskExecutor stops). */
  close(): void {
    this.closed = true;
    for (const state of this.forwarding.values()) state.timer?.cancel();
    this.forwarding.clear();
  }

  private drop(state: Forwarding): void {
    state.timer?.cancel();
    if (this.forwarding.get(state.target.executionAttemptId) === state) this.forwarding.delete(state.target.executionAttemptId);
  }

  private sendNext(state: Forwarding): void {
    if (state.sending || state.timer !== undefined) return;
    if (this.forwarding.get(state.target.executionAttemptId) !== state) return;
    if (!state.target.isRunning()) {
      this.drop(state);
      return;
    }
    const next = state.queue[0];
    if (next === undefined) {
      this.drop(state);
      return;
    }
    state.sending = true;
    const { target } = state;
    this.services.report(target.jobId, { executionAttemptId: target.executionAttemptId, sequence: next.sequence, batch: next.batch }).then(
      (response) => this.services.runInMainThread(() => this.onAnswer(state, next.sequence, response)),
      (error: unknown) => this.services.runInMainThread(() => this.onFailure(state, next.sequence, error)),
    );
  }

  private onAnswer(state: Forwarding, sequence: number, response: jm.ReportCollectedRecordsResponse): void {
    state.sending = false;
    if (this.forwarding.get(state.target.executionAttemptId) !== state) return;
    const { target } = state;
    const log = this.services.logger;
    switch (response.outcome as CollectOutcome) {
      case 'ACCEPTED':
      case 'DUPLICATE':
        state.queue.shift();
        state.backoff.reset();
        if (state.waitingForClient) log.info({ jobId: target.jobId, task: target.name }, "The job's client read collected records; sending again");
        state.waitingForClient = false;
        target.acknowledge(sequence);
        this.sendNext(state);
        return;
      case 'BUFFER_FULL':
        // The JobMaster held the report until its hold time ran out: the client reads slowly or not at all.
        if (!state.waitingForClient) {
          log.info(
            { jobId: target.jobId, task: target.name, configKey: 'collect-sink.max-buffered-size' },
            "The JobManager holds as many collected records as it may for the job's client; the collect sink waits until the client reads",
          );
        }
        state.waitingForClient = true;
        this.retry(state, state.backoff.nextDelayMs());
        return;
      case 'UNKNOWN_ATTEMPT':
        log.info({ jobId: target.jobId, task: target.name, dropped: state.queue.length }, 'Dropping the collected records of an attempt the JobMaster no longer runs; its new attempt sends them again');
        this.drop(state);
        return;
      case 'REFUSED':
        this.drop(state);
        target.fail(new CollectedRecordsRefusedError(response.message));
        return;
      default:
        state.sending = true;
        this.onFailure(state, sequence, new Error(`the JobMaster answered with an unknown outcome '${response.outcome}'`));
    }
  }

  private onFailure(state: Forwarding, sequence: number, error: unknown): void {
    state.sending = false;
    if (this.forwarding.get(state.target.executionAttemptId) !== state) return;
    const delayMs = state.backoff.nextDelayMs();
    this.services.logger.warn(
      {
        jobId: state.target.jobId,
        task: state.target.name,
        batch: sequence,
        attempt: state.backoff.failures,
        retryInMs: delayMs,
        waitingFor: `the JobMaster of job ${state.target.jobId} to store batch ${sequence} of ${state.target.name}`,
        reason: error instanceof Error ? error.message : String(error),
      },
      'Could not send collected records to the JobMaster; sending them again',
    );
    this.retry(state, delayMs);
  }

  private retry(state: Forwarding, delayMs: number): void {
    state.timer = this.services.scheduleInMainThread(() => {
      state.timer = undefined;
      this.sendNext(state);
    }, delayMs);
  }
}
