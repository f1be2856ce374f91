/**
 * The state transitions of each job, kept for clients that follow a job (JobEvents.followJob)
 * and for `eddy logs`. One log per job, bounded; closed after the job's terminal status.
 *
 * Written from the JobMasters' and the Dispatcher's mailboxes and read by stream handlers, all on
 * the one event loop: appends are synchronous, readers wait for the next append with changed().
 */
import type { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';

/** Most events kept per job; older ones are dropped (a follower then starts at the oldest kept). */
const MAX_EVENTS_PER_JOB = 20_000;

export class JobEvents {
  private readonly events: dispatcher.JobEvent[] = [];
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

  append(event: dispatcher.JobEvent): void {
    if (this.closedFlag) return;
    this.events.push(event);
    if (this.events.length > MAX_EVENTS_PER_JOB) {
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
  since(from: number): { events: dispatcher.JobEvent[]; next: number } {
    const start = Math.max(from, this.first);
    return { events: this.events.slice(start - this.first), next: this.end };
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

export class JobEventLog {
  private readonly logs = new Map<string, JobEvents>();

  open(jobId: string): JobEvents {
    let log = this.logs.get(jobId);
    if (log === undefined) {
      log = new JobEvents();
      this.logs.set(jobId, log);
    }
    return log;
  }

  get(jobId: string): JobEvents | undefined {
    return this.logs.get(jobId);
  }

  append(event: dispatcher.JobEvent): void {
    this.logs.get(event.jobId)?.append(event);
  }

  close(jobId: string): void {
    this.logs.get(jobId)?.close();
  }

  forget(jobId: string): void {
    this.logs.get(jobId)?.close();
    this.logs.delete(jobId);
  }

  closeAll(): void {
    for (const log of this.logs.values()) log.close();
  }
}
