/**
 * TaskStateReporter: delivers the state changes of a TaskManager's task attempts to their
 * JobMasters, each one until it is acknowledged.
 *
 * A lost report would leave the JobMaster believing an attempt runs that has ended (a job RUNNING
 * forever), so a report is not fire-and-forget: each attempt's reports go out one at a time, in
 * the order they happened, each with a deadline (rpc.ask-timeout); a report that fails is sent
 * again after a jittered backoff, with a log line that says which report waits for what. Retrying
 * stops only when retrying cannot help:
 *   - the JobMaster is lost (the TaskExecutor calls `forgetJob`, or there is no gateway for the
 *     job any more): the job's tasks are failed locally and its slots freed anyway;
 *   - the report became irrelevant: the JobMaster answers that it does not know the attempt (it
 *     was superseded; the TaskExecutor then cancels it), the JobMaster endpoint is gone, or its
 *     fencing token changed (a new JobMaster leads the job);
 *   - the JobMaster refused the report itself (its handler threw): sending it again would get
 *     the same answer, so it is logged as an error and dropped.
 * While an attempt has a report in flight or waiting, `pendingAttempts` lists it, and the
 * TaskExecutor keeps naming it in its heartbeats, so that the JobMaster's reconciliation does not
 * take an attempt whose final report is on its way for one that vanished.
 *
 * Threading: every method and every callback runs in the owning TaskExecutor's mailbox; the
 * settling of a call is handed back through `runInMainThread`.
 *
 * Test hook: the environment variable EDDY_TESTING_DROP_TASK_STATE_REPORTS (read once at
 * construction, never set outside tests) names states, comma-separated, whose first report in this
 * process is lost on its way: the JobMaster never sees it and the call fails as a reset connection
 * does. It exists so that multi-process tests can prove that a lost report does not hang a job.
 */
import { Backoff, type Logger } from '@eddy/common';
import type { eddy_jobmaster_v1 as jm } from '@eddy/proto';
import { RpcUnreachableError } from '@eddy/rpc';

/** The timer of the owning endpoint (RpcEndpoint.scheduleRunAsync). */
export interface ReporterTimer {
  cancel(): void;
}

export interface TaskStateReporterOptions {
  readonly logger: Logger;
  readonly taskManagerId: string;
  /** The gateway of the job's JobMaster, or undefined once it is lost (then the job's reports are dropped). */
  readonly gatewayOf: (jobId: string) => jm.JobMasterGateway | undefined;
  /** The JobMaster answered that it does not know the attempt: the TaskExecutor cancels it. */
  readonly notifyUnknownAttempt: (executionAttemptId: string) => void;
  readonly runInMainThread: (fn: () => void) => void;
  readonly scheduleInMainThread: (fn: () => void, delayMs: number) => ReporterTimer;
  /** Deadline of one report call (rpc.ask-timeout). */
  readonly callTimeoutMs: number;
  /** First and largest retry delay; default 100 ms and 5 s. */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  /** Random numbers in [0, 1) for the jitter; default Math.random. */
  readonly random?: () => number;
  /** Test hook (see the file comment); default: read from the environment. */
  readonly dropStates?: readonly string[];
}

/** What a report says, with the attempt's name for log lines. */
export interface TaskStateReport {
  readonly jobId: string;
  /** "Map (1/2) (attempt 0)", for log lines. */
  readonly task: string;
  readonly update: jm.TaskExecutionStateUpdate;
}

interface AttemptReports {
  readonly jobId: string;
  readonly queue: TaskStateReport[];
  readonly backoff: Backoff;
  inFlight: boolean;
  retry: ReporterTimer | undefined;
}

/** Errors after which sending the same report again cannot succeed (matched by name, as they cross the wire). */
const IRRELEVANT = new Set(['UnknownEndpointError', 'FencingTokenMismatchError']);
const REFUSED = new Set(['RemoteHandlerError', 'MalformedPayloadError', 'MessageTooLargeError', 'GatewayMismatchError']);

export const DROP_TASK_STATE_REPORTS_ENV = 'EDDY_TESTING_DROP_TASK_STATE_REPORTS';

export class TaskStateReporter {
  readonly #options: TaskStateReporterOptions;
  readonly #log: Logger;
  readonly #attempts = new Map<string, AttemptReports>();
  /** Test hook: states whose first report is still to be dropped. */
  readonly #toDrop: Set<string>;
  #stopped = false;

  constructor(options: TaskStateReporterOptions) {
    this.#options = options;
    this.#log = options.logger;
    const drop = options.dropStates ?? (process.env[DROP_TASK_STATE_REPORTS_ENV] ?? '').split(',');
    this.#toDrop = new Set(drop.map((state) => state.trim()).filter((state) => state !== ''));
    if (this.#toDrop.size > 0) this.#log.warn({ states: [...this.#toDrop] }, `Test hook ${DROP_TASK_STATE_REPORTS_ENV} is set: the first report of each of these states will be lost`);
  }

  /** Queues `report` behind the attempt's earlier ones and sends it when they are acknowledged. */
  report(report: TaskStateReport): void {
    if (this.#stopped) return;
    const attemptId = report.update.executionAttemptId;
    let reports = this.#attempts.get(attemptId);
    if (reports === undefined) {
      reports = {
        jobId: report.jobId,
        queue: [],
        backoff: new Backoff({
          initialMs: this.#options.retryInitialMs ?? 100,
          maxMs: this.#options.retryMaxMs ?? 5_000,
          ...(this.#options.random === undefined ? {} : { random: this.#options.random }),
        }),
        inFlight: false,
        retry: undefined,
      };
      this.#attempts.set(attemptId, reports);
    }
    reports.queue.push(report);
    if (!reports.inFlight && reports.retry === undefined) this.#send(attemptId, reports);
  }

  /** Attempts of `jobId` with a report not yet acknowledged. */
  pendingAttempts(jobId: string): string[] {
    const ids: string[] = [];
    for (const [attemptId, reports] of this.#attempts) if (reports.jobId === jobId) ids.push(attemptId);
    return ids;
  }

  hasPending(executionAttemptId: string): boolean {
    return this.#attempts.has(executionAttemptId);
  }

  /** The JobMaster of `jobId` is lost: its reports are dropped (its tasks are failed locally). */
  forgetJob(jobId: string): void {
    for (const [attemptId, reports] of this.#attempts) {
      if (reports.jobId !== jobId) continue;
      this.#drop(attemptId, reports);
      this.#log.debug({ jobId, executionAttemptId: attemptId, dropped: reports.queue.length }, 'Dropped task state reports: the JobMaster is lost');
    }
  }

  /** Drops every report and cancels every retry; nothing is sent or called back afterwards. */
  stop(): void {
    this.#stopped = true;
    for (const [attemptId, reports] of this.#attempts) this.#drop(attemptId, reports);
  }

  #drop(attemptId: string, reports: AttemptReports): void {
    reports.retry?.cancel();
    reports.retry = undefined;
    this.#attempts.delete(attemptId);
  }

  #isCurrent(attemptId: string, reports: AttemptReports): boolean {
    return !this.#stopped && this.#attempts.get(attemptId) === reports;
  }

  #send(attemptId: string, reports: AttemptReports): void {
    reports.retry = undefined;
    const report = reports.queue[0];
    if (report === undefined) {
      this.#attempts.delete(attemptId);
      return;
    }
    const gateway = this.#options.gatewayOf(reports.jobId);
    if (gateway === undefined) {
      this.#log.debug({ jobId: reports.jobId, executionAttemptId: attemptId, state: report.update.state }, 'No JobMaster for the job any more; dropping its task state reports');
      this.#drop(attemptId, reports);
      return;
    }
    reports.inFlight = true;
    this.#call(gateway, report).then(
      (response) => this.#options.runInMainThread(() => this.#onAnswer(attemptId, reports, report, response)),
      (error: unknown) => this.#options.runInMainThread(() => this.#onFailure(attemptId, reports, report, error)),
    );
  }

  #call(gateway: jm.JobMasterGateway, report: TaskStateReport): Promise<jm.UpdateTaskExecutionStateResponse> {
    const state = report.update.state;
    if (this.#toDrop.delete(state)) {
      this.#log.warn({ jobId: report.jobId, executionAttemptId: report.update.executionAttemptId, state }, `Test hook ${DROP_TASK_STATE_REPORTS_ENV} lost a task state report`);
      return Promise.reject(
        new RpcUnreachableError({
          method: 'JobMasterGateway.updateTaskExecutionState',
          address: 'the JobMaster',
          cause: 'connection reset',
          detail: `lost on purpose by the test hook ${DROP_TASK_STATE_REPORTS_ENV}`,
        }),
      );
    }
    try {
      return gateway.updateTaskExecutionState(report.update, { timeoutMs: this.#options.callTimeoutMs });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #onAnswer(attemptId: string, reports: AttemptReports, report: TaskStateReport, response: jm.UpdateTaskExecutionStateResponse): void {
    if (!this.#isCurrent(attemptId, reports)) return;
    reports.inFlight = false;
    if (reports.backoff.failures > 0) {
      this.#log.info({ jobId: reports.jobId, task: report.task, state: report.update.state, attempts: reports.backoff.failures + 1 }, 'The JobMaster acknowledged a task state report after retries');
    }
    reports.backoff.reset();
    if (!response.accepted) {
      // Superseded: later reports of the attempt are as irrelevant; the attempt itself is canceled.
      this.#drop(attemptId, reports);
      this.#options.notifyUnknownAttempt(attemptId);
      return;
    }
    reports.queue.shift();
    this.#send(attemptId, reports);
  }

  #onFailure(attemptId: string, reports: AttemptReports, report: TaskStateReport, error: unknown): void {
    if (!this.#isCurrent(attemptId, reports)) return;
    reports.inFlight = false;
    const name = error instanceof Error ? error.name : '';
    const fields = { jobId: reports.jobId, task: report.task, state: report.update.state, err: error };
    if (IRRELEVANT.has(name)) {
      this.#log.info(fields, 'Dropped a task state report: the JobMaster it was for has ended or was replaced');
      this.#drop(attemptId, reports);
      return;
    }
    if (REFUSED.has(name)) {
      this.#log.error(fields, 'The JobMaster refused a task state report; it is not sent again');
      reports.queue.shift();
      this.#send(attemptId, reports);
      return;
    }
    const retryInMs = reports.backoff.nextDelayMs();
    this.#log.warn(
      { ...fields, attempt: reports.backoff.failures, retryInMs, waitingFor: `the JobMaster of job ${reports.jobId} to acknowledge ${report.task} ${report.update.state}` },
      'Could not report a task state change to the JobMaster; retrying',
    );
    reports.retry = this.#options.scheduleInMainThread(() => {
      if (this.#isCurrent(attemptId, reports)) this.#send(attemptId, reports);
    }, retryInMs);
  }
}
