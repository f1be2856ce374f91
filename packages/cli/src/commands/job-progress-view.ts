/**
 * The table `eddy run` shows of a job: its status and age, then per vertex how many tasks are in
 * which state and how many records went in and out (Flink's numRecordsIn and numRecordsOut,
 * summed over the vertex's current attempts):
 *
 *   Job 'word-count' (3f2a...) RUNNING for 12.3 s
 *     Source: Text File -> Flat Map        2 RUNNING             in 0        out 120,345
 *     Keyed Aggregation -> Sink: Print     1 RUNNING, 1 FINISHED in 120,000  out 0
 *     tasks: 3 RUNNING, 1 FINISHED
 *
 * On a terminal, LiveView keeps that table at the bottom of the screen and redraws it in place;
 * lines printed meanwhile (job status changes, failures, collected records) scroll above it. The
 * rendering is a pure function of the numbers, so it is tested without a terminal.
 */
import { clearScreenDown, cursorTo, moveCursor } from 'node:readline';
import type { JobDetails } from '@eddy/client';
import { EXECUTION_STATES, isGloballyTerminal, isRequestingSlots, type JobStatus } from '@eddy/runtime';

export interface VertexProgress {
  readonly name: string;
  /** Current attempts per ExecutionState. */
  readonly tasksPerState: Readonly<Record<string, number>>;
  readonly numRecordsIn: number;
  readonly numRecordsOut: number;
}

export interface JobProgress {
  readonly jobId: string;
  readonly name: string;
  readonly status: string;
  /** Since the job was created; until it ended, if it did. */
  readonly elapsedMs: number;
  /** What the job waits for; '' when nothing. */
  readonly waitingFor: string;
  readonly restarts: number;
  readonly vertices: readonly VertexProgress[];
}

/** The numbers of `details` at `now` (which only matters while the job runs). */
export function jobProgressOf(details: JobDetails, now: number): JobProgress {
  const end = details.endTime > 0 ? details.endTime : now;
  return {
    jobId: details.jobId,
    name: details.name,
    status: details.status,
    elapsedMs: details.startTime > 0 ? Math.max(0, end - details.startTime) : 0,
    waitingFor: details.waitingFor,
    restarts: details.restarts,
    vertices: details.vertices.map((vertex) => {
      const tasksPerState: Record<string, number> = {};
      let numRecordsIn = 0;
      let numRecordsOut = 0;
      for (const subtask of vertex.subtasks) {
        const current = subtask.attempts.at(-1);
        if (current === undefined) continue;
        tasksPerState[current.state] = (tasksPerState[current.state] ?? 0) + 1;
        numRecordsIn += current.numRecordsIn;
        numRecordsOut += current.numRecordsOut;
      }
      return { name: vertex.name, tasksPerState, numRecordsIn, numRecordsOut };
    }),
  };
}

/** 1,234,567 */
export function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

/** 850 ms, 12.3 s, 4 min 05 s */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const seconds = Math.floor(ms / 1_000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

/** "2 RUNNING, 1 FINISHED", in the order of the ExecutionState diagram. */
function statesText(tasksPerState: Readonly<Record<string, number>>): string {
  const known: string[] = EXECUTION_STATES.filter((state) => (tasksPerState[state] ?? 0) > 0);
  const others = Object.keys(tasksPerState).filter((state) => !known.includes(state) && (tasksPerState[state] ?? 0) > 0);
  return [...known, ...others].map((state) => `${tasksPerState[state]} ${state}`).join(', ');
}

/** Cuts a line to `columns` characters (a wrapped line would break redrawing in place). */
function fit(line: string, columns: number): string {
  return line.length <= columns ? line : `${line.slice(0, Math.max(0, columns - 1))}…`;
}

/**
 * The table's lines. `columns` is the terminal's width: names are shortened and lines cut to it;
 * without it nothing is cut.
 */
export function renderJobProgress(progress: JobProgress, columns = Number.POSITIVE_INFINITY): string[] {
  const ended = isGloballyTerminal(progress.status as JobStatus);
  const restarts = progress.restarts === 0 ? '' : `, ${progress.restarts} restart${progress.restarts === 1 ? '' : 's'}`;
  const lines = [`Job '${progress.name}' (${progress.jobId}) ${progress.status} ${ended ? 'after' : 'for'} ${formatDuration(progress.elapsedMs)}${restarts}`];
  // "requesting 2 slots" is no wait (the slots exist and are on their way): said as it is.
  if (progress.waitingFor !== '') lines.push(isRequestingSlots(progress.waitingFor) ? `  ${progress.waitingFor}` : `  waiting for slots: ${progress.waitingFor}`);
  const rows = progress.vertices.map((vertex) => ({
    name: vertex.name,
    states: statesText(vertex.tasksPerState),
    in: formatCount(vertex.numRecordsIn),
    out: formatCount(vertex.numRecordsOut),
  }));
  const width = (pick: (row: (typeof rows)[number]) => string): number => Math.max(0, ...rows.map((row) => pick(row).length));
  const [statesWidth, inWidth, outWidth] = [width((row) => row.states), width((row) => row.in), width((row) => row.out)];
  // Names get what the indent, the other columns and their labels ('  ', '  in ', '  out ') leave, but at least 12 characters.
  const nameWidth = Math.min(width((row) => row.name), Math.max(12, columns - statesWidth - inWidth - outWidth - 15));
  for (const row of rows) {
    const name = fit(row.name, nameWidth).padEnd(nameWidth);
    lines.push(`  ${name}  ${row.states.padEnd(statesWidth)}  in ${row.in.padStart(inWidth)}  out ${row.out.padStart(outWidth)}`);
  }
  const total: Record<string, number> = {};
  for (const vertex of progress.vertices) for (const [state, n] of Object.entries(vertex.tasksPerState)) total[state] = (total[state] ?? 0) + n;
  if (progress.vertices.length > 1) lines.push(`  tasks: ${statesText(total)}`);
  return lines.map((line) => fit(line, columns));
}

/**
 * A block of lines kept at the bottom of a terminal and redrawn in place (cursor moves and
 * clearing through node:readline). print() writes lines above it that stay.
 */
export class LiveView {
  #shown = 0;
  #current: readonly string[] = [];

  constructor(private readonly out: NodeJS.WriteStream) {}

  get columns(): number {
    return this.out.columns > 0 ? this.out.columns : 80;
  }

  /** Replaces the block with `lines`. */
  draw(lines: readonly string[]): void {
    this.#erase();
    this.#current = lines.map((line) => fit(line, this.columns));
    this.#write(this.#current);
  }

  /** Writes `lines` above the block (to `stream`, stderr for instance), then draws the block again under them. */
  print(lines: readonly string[], stream: NodeJS.WritableStream = this.out): void {
    this.#erase();
    stream.write(lines.map((line) => `${line}\n`).join(''));
    this.#write(this.#current);
  }

  /** Removes the block from the screen (what was printed above it stays). */
  clear(): void {
    this.#erase();
    this.#current = [];
  }

  #write(lines: readonly string[]): void {
    this.out.write(lines.map((line) => `${line}\n`).join(''));
    this.#shown = lines.length;
  }

  #erase(): void {
    if (this.#shown === 0) return;
    moveCursor(this.out, 0, -this.#shown);
    cursorTo(this.out, 0);
    clearScreenDown(this.out);
    this.#shown = 0;
  }
}
