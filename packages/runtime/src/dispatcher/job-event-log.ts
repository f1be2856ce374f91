/**
 * The state transitions of each job, kept for clients that follow a job (JobEvents.followJob)
 * and for `eddy logs`. One log per job, bounded; closed after the job's terminal status.
 *
 * Written from the JobMasters' and the Dispatcher's mailboxes and read by stream handlers, all on
 * the one event loop: appends are synchronous, readers wait for the next append with changed().
 */
import type { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import { CollectedResults } from '../collect/collected-results.js';

/** Most entries kept per job and log; older ones are dropped (a follower then starts at the oldest kept). */
const MAX_ENTRIES_PER_JOB = 20_000;

/** An append-only, bounded log that readers follow: a job's events. */
export class BoundedLog<T> {
  private readonly events: T[] = [];
  /** Sequence number of events[0]. */
  private first = 0;
  private closedFlag = false;
  private waiters: (() => void)[] = [];

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Sequence number the next event gets. */
  get end(): number {
    return this.first + this.events.length;
  }

  append(event: T): void {
    if (this.closedFlag) return;
    this.events.push(event);
    if (this.events.length > MAX_ENTRIES_PER_JOB) {
      this.events.shift();
      this.first++;
    }
    this.wake();
  }

  close(): void {
    this.closedFlag = true;
    this.wake();
  }

  /** Events from sequence number `from` on (or from the oldest kept). */
  since(from: number): { entries: T[]; next: number } {
    const start = Math.max(from, this.first);
    return { entries: this.events.slice(start - this.first), next: this.end };
  }

  /** Resolves at the next append or close. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

export type JobEvents = BoundedLog<dispatcher.JobEvent>;

/** Per job: its transitions and what its collect sinks sent (bounded in bytes, see CollectedResults). */
export interface JobLogs {
  readonly events: BoundedLog<dispatcher.JobEvent>;
  readonly results: CollectedResults;
}

/** Bounds of a job's CollectedResults (collect-sink.max-buffered-size and collect-sink.retention). */
export interface CollectedResultsLimits {
  readonly maxBufferedBytes: number;
  readonly retentionMs: number;
}

export class JobEventLog {
  private readonly logs = new Map<string, JobLogs>();

  open(jobId: string, limits: CollectedResultsLimits): JobLogs {
    let log = this.logs.get(jobId);
    if (log === undefined) {
      log = { events: new BoundedLog(), results: new CollectedResults(jobId, limits.maxBufferedBytes, limits.retentionMs) };
      this.logs.set(jobId, log);
    }
    return log;
  }

  get(jobId: string): JobLogs | undefined {
    return this.logs.get(jobId);
  }

  close(jobId: string): void {
    const log = this.logs.get(jobId);
    log?.events.close();
    log?.results.close();
  }

  forget(jobId: string): void {
    this.close(jobId);
    this.logs.delete(jobId);
  }

  closeAll(): void {
    for (const jobId of this.logs.keys()) this.close(jobId);
  }
}
