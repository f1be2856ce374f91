import { statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { SourceContext } from '../../source.js';
import type { InputSplitAssignment } from '../contract.js';
import { parseSplit, SplitReaderSource, type ReaderSplit } from './split-reader.js';

/** A byte range of a file; length -1 reads to the end of the file. */
export interface FileInputSplit {
  readonly path: string;
  readonly start: number;
  readonly length: number;
}

export const TARGET_SPLIT_BYTES = 1024 * 1024;

/**
 * Plan-time splits of a text file: at least one per subtask, at most about 1 MiB each (Flink's
 * FileInputFormat.createInputSplits, minus block locations). When the file cannot be seen where the
 * plan is built (it may exist only on the TaskManagers), one split covers the whole file; a file
 * missing at run time then fails the task.
 */
export function createFileInputSplits(path: string, parallelism: number): string[] {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return [JSON.stringify({ path, start: 0, length: -1 } satisfies FileInputSplit)];
    size = stat.size;
  } catch {
    return [JSON.stringify({ path, start: 0, length: -1 } satisfies FileInputSplit)];
  }
  const count = Math.max(1, Math.min(size, Math.max(parallelism, Math.ceil(size / TARGET_SPLIT_BYTES))));
  const splits: string[] = [];
  for (let i = 0; i < count; i++) {
    const start = Math.floor((i * size) / count);
    const end = Math.floor(((i + 1) * size) / count);
    splits.push(JSON.stringify({ path, start, length: end - start } satisfies FileInputSplit));
  }
  return splits;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const READ_BYTES = 64 * 1024;

/**
 * readTextFile: each subtask asks for splits until none are left and emits the lines of each
 * (UTF-8, without the line terminator; "\r\n" is taken as one). A line belongs to the split in
 * which it starts: a split other than the first skips up to and including the first newline at or
 * after its start - 1, and reads past its end to finish its last line.
 *
 * A split's position is the byte offset of the next line to emit; at the split's start (nothing
 * emitted yet) the skip above still applies, further on the position is always a line start.
 */
export class TextFileSource extends SplitReaderSource {
  private readonly buffer = Buffer.allocUnsafe(READ_BYTES);

  constructor(nextInputSplit: () => Promise<InputSplitAssignment | undefined>) {
    super(nextInputSplit);
  }

  protected initialPosition(split: string): number {
    return parseSplit<FileInputSplit>(split, 'readTextFile').start;
  }

  protected async readSplit(split: ReaderSplit, ctx: SourceContext<unknown>): Promise<void> {
    const range = parseSplit<FileInputSplit>(split.split, 'readTextFile');
    let file: FileHandle;
    try {
      file = await open(range.path, 'r');
    } catch (error) {
      throw new Error(`readTextFile could not open ${range.path}: ${(error as Error).message}`, { cause: error });
    }
    try {
      await readLines(file, range, split, this.buffer, ctx);
    } finally {
      await file.close();
    }
  }
}

async function readLines(file: FileHandle, range: FileInputSplit, split: ReaderSplit, buffer: Buffer, ctx: SourceContext<unknown>): Promise<void> {
  const end = range.length < 0 ? Number.POSITIVE_INFINITY : range.start + range.length;
  const atSplitStart = split.position === range.start && range.start > 0;
  let position = atSplitStart ? range.start - 1 : split.position;
  let skipping = atSplitStart;
  let carry: Buffer | undefined;
  for (;;) {
    if (split.position >= end) return;
    const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
    if (ctx.isCanceled) return;
    if (bytesRead === 0) {
      if (!skipping && carry !== undefined && carry.length > 0 && split.position < end) {
        ctx.collect(decodeLine(carry, 0, carry.length));
        split.position = position;
      }
      return;
    }
    const chunk = buffer.subarray(0, bytesRead);
    let i = 0;
    if (skipping) {
      const newline = chunk.indexOf(NEWLINE);
      if (newline === -1) {
        position += bytesRead;
        continue;
      }
      skipping = false;
      i = newline + 1;
      split.position = position + i;
    }
    for (;;) {
      if (split.position >= end) return;
      const newline = chunk.indexOf(NEWLINE, i);
      if (newline === -1) {
        const rest = chunk.subarray(i);
        carry = carry === undefined ? Buffer.from(rest) : Buffer.concat([carry, rest]);
        break;
      }
      let line: string;
      if (carry === undefined) {
        line = decodeLine(chunk, i, newline);
      } else {
        const whole = Buffer.concat([carry, chunk.subarray(i, newline)]);
        carry = undefined;
        line = decodeLine(whole, 0, whole.length);
      }
      i = newline + 1;
      const more = ctx.collect(line);
      split.position = position + i;
      if (!more) {
        await ctx.waitForOutputs();
        if (ctx.isCanceled) return;
      }
    }
    position += bytesRead;
  }
}

function decodeLine(bytes: Buffer, start: number, end: number): string {
  if (end > start && bytes[end - 1] === CARRIAGE_RETURN) end--;
  return bytes.toString('utf8', start, end);
}
