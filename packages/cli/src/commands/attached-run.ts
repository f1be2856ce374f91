/**
 * `eddy run` attached to its job: it prints the job's transitions as they happen (or, on a
 * terminal, keeps a live table of the job under the lines that matter), prints what the job's
 * collect() sinks send, handles Ctrl-C and SIGTERM, and ends with a summary and an exit code that says how the
 * job ended (RunExitCode).
 *
 * Everything it starts (the event and result streams, the redraw timer, the cancel deadline) ends
 * before followAttached returns, or with the JobClient the caller closes.
 */
import type { JobClient, JobEvent } from '@eddy/client';
import { formatJobEvent, RestartHistory } from './job-event-format.js';
import { jobProgressOf, LiveView, renderJobProgress } from './job-progress-view.js';
import { describePrintedOutput } from './printed-output.js';

/** How `eddy run` exits; documented in its help. */
export const RunExitCode = {
  /** The job FINISHED, was submitted detached, or was left running on Ctrl-C (--detach-on-interrupt). */
  FINISHED: 0,
  /** The job FAILED, or the command could not do what it was asked (a bad job file, no JobManager, bad flags). */
  FAILED: 1,
  /** The job was canceled by someone else (`eddy cancel`, another client). */
  CANCELED: 2,
  /** Ctrl-C: this command canceled the job (128 + SIGINT, as shells report an interrupted command). */
  INTERRUPTED: 130,
  /** SIGTERM: as Ctrl-C, this command canceled the job (128 + SIGTERM). */
  TERMINATED: 143,
} as const;

/** How long a Ctrl-C waits for the job to reach CANCELED before giving up on it. */
export const CANCEL_WAIT_MS = 30_000;
/** How often the live view asks for the job's numbers and redraws. */
const REDRAW_INTERVAL_MS = 500;

/** Where `eddy run` writes: stdout for what stays, stderr for errors; on a terminal the live view under both. */
export class RunOutput {
  readonly view: LiveView | undefined;

  constructor(
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    this.view = stdout.isTTY ? new LiveView(stdout) : undefined;
  }

  lines(lines: readonly string[]): void {
    if (lines.length === 0) return;
    if (this.view === undefined) this.stdout.write(lines.map((line) => `${line}\n`).join(''));
    else this.view.print(lines);
  }

  errors(lines: readonly string[]): void {
    if (this.view === undefined) this.stderr.write(lines.map((line) => `${line}\n`).join(''));
    else this.view.print(lines, this.stderr);
  }
}

/**
 * Ctrl-C (SIGINT) or SIGTERM while `eddy run` works: the first one is the run's to handle (next()
 * resolves; both cancel the job, or detach with --detach-on-interrupt), a second one exits at once.
 * A service manager or `timeout` stops the command with SIGTERM; the job must not outlive it
 * unnoticed any more than after a Ctrl-C.
 */
export class Interrupts {
  #signal: 'SIGINT' | 'SIGTERM' | undefined;
  #wake: (() => void) | undefined;
  readonly #interrupted: Promise<void>;
  readonly #onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
    if (this.#signal !== undefined) {
      this.output.errors([`${signal === 'SIGINT' ? 'Interrupted' : 'Terminated'} again; exiting without waiting for the job`]);
      process.exit(exitCodeOfSignal(signal));
    }
    this.#signal = signal;
    this.#wake?.();
  };

  constructor(private readonly output: RunOutput) {
    this.#interrupted = new Promise((resolve) => (this.#wake = resolve));
    process.on('SIGINT', this.#onSignal);
    process.on('SIGTERM', this.#onSignal);
  }

  get interrupted(): boolean {
    return this.#signal !== undefined;
  }

  /** How the command exits after the interruption: 130 after Ctrl-C, 143 after SIGTERM. */
  get exitCode(): number {
    return exitCodeOfSignal(this.#signal ?? 'SIGINT');
  }

  /** How to interrupt once more, for messages: "Ctrl-C again", "SIGTERM again". */
  get again(): string {
    return this.#signal === 'SIGTERM' ? 'SIGTERM again' : 'Ctrl-C again';
  }

  /** Resolves at the first Ctrl-C or SIGTERM (at once when there was one already). */
  next(): Promise<void> {
    return this.#interrupted;
  }

  dispose(): void {
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
  }
}

function exitCodeOfSignal(signal: 'SIGINT' | 'SIGTERM'): number {
  return signal === 'SIGTERM' ? RunExitCode.TERMINATED : RunExitCode.INTERRUPTED;
}

export interface AttachedJob {
  readonly jobId: string;
  readonly name: string;
}

export interface FollowOptions {
  readonly output: RunOutput;
  readonly interrupts: Interrupts;
  /** What Ctrl-C (or SIGTERM) does: cancel the job (and wait for it), or leave it running and return. */
  readonly onInterrupt: 'cancel' | 'detach';
  /** How to follow or cancel the job later, printed when detaching. */
  readonly hints: readonly string[];
  /** The job runs on a cluster in this process (--local): its print() output comes to this terminal. */
  readonly local?: boolean;
}

/** Follows the job to its end (or to a Ctrl-C) and resolves to the exit code. */
export async function followAttached(client: JobClient, job: AttachedJob, options: FollowOptions): Promise<number> {
  const { output, interrupts } = options;
  const live = output.view !== undefined;
  const results = printCollectedResults(client, job.jobId, output);
  const progress = output.view === undefined ? undefined : drawProgress(client, job.jobId, output.view);
  const restarts = new RestartHistory();
  const terminal = client.followJob(job.jobId, (event) => {
    const lines = formatJobEvent(event, job.name, restarts);
    if (!live || shownAboveLiveView(event)) output.lines(lines);
  });
  // Awaited below; a failure after a Ctrl-C made us stop waiting must not go unhandled.
  terminal.catch(() => undefined);
  try {
    const ended = await Promise.race([terminal, interrupts.next().then(() => undefined)]);
    if (ended === undefined) return await onInterrupt(client, job, terminal, options);
    const failure = await results;
    if (failure !== undefined) output.errors([`Could not receive all records of the job's collect sinks: ${failure instanceof Error ? failure.message : String(failure)}`]);
    output.lines(await describePrintedOutput(client, job.jobId, options.local === true));
    progress?.stop();
    await printSummary(client, job, output);
    return exitCodeOf(ended.to);
  } finally {
    progress?.stop();
  }
}

async function onInterrupt(client: JobClient, job: AttachedJob, terminal: Promise<JobEvent>, options: FollowOptions): Promise<number> {
  const { output } = options;
  if (options.onInterrupt === 'detach') {
    output.view?.clear();
    output.lines([`Detached from job ${job.jobId}; it keeps running on the cluster.`, ...options.hints]);
    return RunExitCode.FINISHED;
  }
  output.lines([`Cancelling job ${job.jobId} (${options.interrupts.again} to stop waiting)...`]);
  try {
    await client.cancelJob(job.jobId);
  } catch (error) {
    // Most likely the job ended meanwhile; the event stream says how.
    output.errors([`Could not cancel job ${job.jobId}: ${error instanceof Error ? error.message : String(error)}`]);
  }
  const ended = await within(terminal, CANCEL_WAIT_MS);
  if (ended === undefined) {
    output.errors([`Job ${job.jobId} did not reach CANCELED within ${CANCEL_WAIT_MS / 1000} s; ask the JobManager how it is doing with \`eddy status ${job.jobId}\``]);
    return options.interrupts.exitCode;
  }
  await printSummary(client, job, output);
  return options.interrupts.exitCode;
}

/** Job status changes, failures and messages; the live view shows the rest as counts. */
function shownAboveLiveView(event: JobEvent): boolean {
  return event.kind !== 'task' || event.to === 'FAILED';
}

function exitCodeOf(status: string): number {
  switch (status) {
    case 'FINISHED':
      return RunExitCode.FINISHED;
    case 'CANCELED':
      return RunExitCode.CANCELED;
    default:
      return RunExitCode.FAILED;
  }
}

/** The job's final table (records in and out per vertex); a failed job's cause once more on stderr. */
async function printSummary(client: JobClient, job: AttachedJob, output: RunOutput): Promise<void> {
  output.view?.clear();
  let details;
  try {
    details = await client.requestJob(job.jobId);
  } catch (error) {
    output.errors([`Could not ask the JobManager for the job's final numbers: ${error instanceof Error ? error.message : String(error)}`]);
    return;
  }
  output.lines(renderJobProgress(jobProgressOf(details, Date.now()), output.view?.columns));
  const cause = details.failureCause;
  if (details.status !== 'FAILED' || !cause) return;
  // After restarts the restart strategy has given up (restart-strategy.type and its options decide).
  const after = details.restarts === 0 ? '' : ` after ${details.restarts} restart${details.restarts === 1 ? '' : 's'} (the restart strategy allows no more)`;
  output.errors([`Job ${job.jobId} FAILED${after}: ${cause.name}: ${cause.message}`]);
}

/**
 * Prints each record the job's collect() sinks send, one line each (strings as they are, anything
 * else as JSON), until the job has ended. Resolves to the stream's failure, if it had one.
 */
async function printCollectedResults(client: JobClient, jobId: string, output: RunOutput): Promise<unknown> {
  const attempts = new Map<string, number>();
  try {
    for await (const batch of client.collectResults(jobId)) {
      const lines: string[] = [];
      const subtask = `${batch.vertexId}/${batch.subtask}`;
      const seen = attempts.get(subtask);
      if (seen !== batch.attempt) {
        if (seen !== undefined) lines.push(`(collect sink ${batch.subtask + 1} restarted as attempt ${batch.attempt}: its records come again from the start)`);
        attempts.set(subtask, batch.attempt);
      }
      for (const record of batch.records) lines.push(recordLine(record));
      output.lines(lines);
    }
    return undefined;
  } catch (error) {
    return error;
  }
}

/** A record as print() shows it; bigints as their digits. */
export function recordLine(record: unknown): string {
  if (typeof record === 'string') return record;
  if (typeof record !== 'object' || record === null) return String(record);
  try {
    return JSON.stringify(record, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)) ?? String(record);
  } catch {
    return String(record);
  }
}

/** Redraws the live view from the job's details every REDRAW_INTERVAL_MS until stopped. */
function drawProgress(client: JobClient, jobId: string, view: LiveView): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const poll = async (): Promise<void> => {
    try {
      const details = await client.requestJob(jobId);
      if (!stopped) view.draw(renderJobProgress(jobProgressOf(details, Date.now()), view.columns));
    } catch {
      // A JobManager that went away ends the event stream, which reports it.
    }
    if (!stopped) timer = setTimeout(() => void poll(), REDRAW_INTERVAL_MS);
  };
  void poll();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** What `promise` resolves to within `ms`, or undefined. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
