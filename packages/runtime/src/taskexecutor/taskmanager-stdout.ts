/**
 * TaskManagerStdout: where the print() sinks of a TaskManager's tasks write, and what it can show
 * of each job's printed lines afterwards (`eddy logs <jobId> --stdout`).
 *
 * With a log file (log.file) the lines go to the .out file next to it, Flink's taskmanager-N.out,
 * rolled over by size like the log (log.max-file-size, log.max-backup-index) and never mixed into
 * the JSON log lines. Without one they go to the process's stdout as plain lines: in a container
 * that is its log (`docker logs`), as with Flink's images.
 *
 * The .out file holds every job's lines as they were printed, with no mark of the job, as Flink's
 * does. To answer for one job, the TaskManager keeps the end of each job's printed text in memory
 * (taskmanager.stdout.retained-size per job, for the most recent jobs): `tail` serves from there,
 * in either mode. What a TaskManager printed before it restarted is only in its .out file.
 *
 * Threading: the TaskExecutor's event loop (TaskThread callbacks and gateway calls). Text arrives
 * in whole lines, a sink's buffer at a time (up to 16 KiB or one buffer timeout), never per record.
 */
import { memorySizeOption, RotatingFile, type Logger } from '@eddy/common';

/** Jobs whose printed text is kept; the one that printed least recently is forgotten first. */
const MAX_JOBS = 16;

export const TaskManagerStdoutOptions = {
  retainedSize: memorySizeOption({
    key: 'taskmanager.stdout.retained-size',
    defaultBytes: 1024 * 1024,
    minBytes: 0,
    description: `How much of each job's print() output a TaskManager keeps in memory (the end of it, in whole lines) for \`eddy logs <jobId> --stdout\`, for its ${MAX_JOBS} most recent jobs. The .out file (or stdout) gets everything regardless.`,
  }),
} as const;

export interface TaskManagerStdoutOptions {
  /** The .out file; undefined writes to `write` (default process.stdout). */
  readonly outFile?: { readonly path: string; readonly maxFileSizeBytes: number; readonly maxBackupIndex: number };
  /** Characters of printed text kept per job (taskmanager.stdout.retained-size). */
  readonly retainedChars: number;
  /** Where text goes without an .out file; default process.stdout. */
  readonly write?: (text: string) => void;
  readonly logger: Logger;
}

/** The end of one job's printed text. */
interface JobTail {
  chunks: string[];
  length: number;
  /** Text was dropped from the front. */
  cut: boolean;
}

export class TaskManagerStdout {
  /** The .out file's path, or 'stdout'. */
  readonly location: string;
  private readonly file: RotatingFile | undefined;
  private readonly write: (text: string) => void;
  /** In order of the last print, oldest first (Map order, re-inserted on each print). */
  private readonly tails = new Map<string, JobTail>();
  private failed = false;

  constructor(private readonly options: TaskManagerStdoutOptions) {
    if (options.outFile !== undefined) {
      this.file = new RotatingFile({ ...options.outFile, mode: 'copy-truncate' });
      this.location = options.outFile.path;
    } else {
      this.location = 'stdout';
    }
    this.write = options.write ?? ((text) => void process.stdout.write(text));
  }

  /** Text (whole lines) that a task of `jobId` printed. */
  print(jobId: string, text: string): void {
    this.keep(jobId, text);
    try {
      if (this.file !== undefined) this.file.write(text);
      else this.write(text);
      this.failed = false;
    } catch (error) {
      // A full disk must not fail the task; say so once per run of failures, the tail keeps the text.
      if (!this.failed) this.options.logger.warn({ err: error, file: this.location }, 'Could not write printed output to the .out file');
      this.failed = true;
    }
  }

  /**
   * The end of what `jobId` printed here, at most `maxChars` characters, starting at a line.
   * `known` is false when no task of the job printed here (or it was forgotten).
   */
  tail(jobId: string, maxChars: number): { known: boolean; text: string; truncated: boolean } {
    const tail = this.tails.get(jobId);
    if (tail === undefined) return { known: false, text: '', truncated: false };
    let text = tail.chunks.join('');
    let truncated = tail.cut;
    if (text.length > maxChars) {
      text = fromLineAt(text, text.length - maxChars);
      truncated = true;
    }
    return { known: true, text, truncated };
  }

  close(): void {
    this.file?.close();
  }

  private keep(jobId: string, text: string): void {
    const limit = this.options.retainedChars;
    let tail = this.tails.get(jobId);
    if (tail === undefined) {
      tail = { chunks: [], length: 0, cut: false };
      if (this.tails.size >= MAX_JOBS) this.tails.delete(this.tails.keys().next().value as string);
    } else {
      this.tails.delete(jobId);
    }
    this.tails.set(jobId, tail);
    tail.chunks.push(text);
    tail.length += text.length;
    while (tail.length > limit && tail.chunks.length > 0) {
      const first = tail.chunks[0] as string;
      const excess = tail.length - limit;
      tail.cut = true;
      if (first.length <= excess) {
        tail.chunks.shift();
        tail.length -= first.length;
      } else {
        const rest = fromLineAt(first, excess);
        tail.chunks[0] = rest;
        tail.length -= first.length - rest.length;
      }
    }
  }
}

/** `text` from the first line that starts at or after `start` ('' when none does). */
function fromLineAt(text: string, start: number): string {
  if (start <= 0 || text.charCodeAt(start - 1) === 10) return text.slice(start);
  const newline = text.indexOf('\n', start);
  return newline < 0 ? '' : text.slice(newline + 1);
}
