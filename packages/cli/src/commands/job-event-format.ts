/**
 * How `eddy run` and `eddy logs` show a job's events: one readable line per state transition, in
 * the words of Flink's logs, with the time it happened.
 *
 *   12:00:01.250 Job 'word-count' CREATED -> RUNNING
 *   12:00:01.262 Flat Map (1/2) [attempt 0] DEPLOYING -> INITIALIZING on taskmanager-127.0.0.1:40123-9f2c
 *   12:00:01.300 Waiting for slots: needs 4 slots, 2 free on 1 TaskManager
 *   12:00:02.480 Map (2/2) [attempt 0] RUNNING -> FAILED on taskmanager-127.0.0.1:40123-9f2c
 *                    Error: bad record 17
 *
 * A job that ends FAILED gets its root cause under its last line, with the stack as the task
 * printed it (source-mapped: it names the job file's lines).
 */
import type { ErrorInfo, JobEvent } from '@eddy/client';

const CAUSE_INDENT = '    ';

/** `HH:MM:SS.mmm` of a timestamp, in local time. */
export function formatTime(timestamp: number): string {
  const time = new Date(timestamp);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(time.getHours())}:${two(time.getMinutes())}:${two(time.getSeconds())}.${String(time.getMilliseconds()).padStart(3, '0')}`;
}

/**
 * The lines of one event; `jobName` names the job in job status lines (its id when unknown). With
 * `restarts` (one per job followed, given every event in order), a restart says which one it is
 * and whether its root cause is the one before: "restarting (2nd time): same root cause as before: …".
 */
export function formatJobEvent(event: JobEvent, jobName?: string, restarts?: RestartHistory): string[] {
  const time = formatTime(event.timestamp);
  switch (event.kind) {
    case 'job': {
      const lines = [`${time} Job '${jobName ?? event.jobId}' ${event.from} -> ${event.to}`];
      if (event.to === 'RESTARTING' && restarts !== undefined) lines.push(`${CAUSE_INDENT}${restarts.next(event.cause ?? undefined)}`);
      else if (event.cause) lines.push(...formatCause(event.cause, event.to === 'FAILED'));
      return lines;
    }
    case 'task': {
      const where = event.taskManagerId === '' ? '' : ` on ${event.taskManagerId}`;
      const lines = [`${time} ${event.vertexName} (${event.subtask + 1}/${event.parallelism}) [attempt ${event.attempt}] ${event.from} -> ${event.to}${where}`];
      if (event.cause) lines.push(...formatCause(event.cause, false));
      return lines;
    }
    default:
      return [`${time} ${event.message}`];
  }
}

/**
 * An error as the cluster recorded it, indented under the line it belongs to: its name and
 * message, or (withStack) where it happened and its whole stack.
 */
export function formatCause(cause: ErrorInfo, withStack: boolean): string[] {
  const headline = `${cause.name}: ${cause.message}`;
  if (!withStack) return [`${CAUSE_INDENT}${headline}`];
  const lines = [`${CAUSE_INDENT}Root cause${cause.location === '' ? '' : ` (in ${cause.location})`}:`];
  const stack = cause.stack === '' ? headline : cause.stack;
  for (const line of stack.split('\n')) lines.push(`${CAUSE_INDENT}${line}`);
  return lines;
}

/** A job's restarts as its follower has seen them: how many, and the root cause of the last one. */
export class RestartHistory {
  #count = 0;
  #lastCause: string | undefined;

  /** How many restarts were seen. */
  get count(): number {
    return this.#count;
  }

  /**
   * Records one more restart and says it: "restarting (1st time): Error: bad record 7 (in Map (1/2)
   * (attempt 0) on …)", then "restarting (2nd time): same root cause as before: Error: bad record 7",
   * or "… new root cause: …" when it changed.
   */
  next(cause: ErrorInfo | undefined): string {
    this.#count++;
    const headline = cause === undefined ? 'no root cause was recorded' : `${cause.name}: ${cause.message}`;
    const previous = this.#lastCause;
    this.#lastCause = headline;
    const where = cause === undefined || cause.location === '' ? '' : ` (in ${cause.location})`;
    const what = previous === undefined ? `${headline}${where}` : previous === headline ? `same root cause as before: ${headline}` : `new root cause: ${headline}${where}`;
    return `restarting (${ordinal(this.#count)} time): ${what}`;
  }
}

/** 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, ... */
export function ordinal(n: number): string {
  const lastTwo = n % 100;
  const suffix = lastTwo >= 11 && lastTwo <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
