import type { SourceContext } from '../../source.js';
import type { InputSplitAssignment } from '../contract.js';
import { parseSplit, SplitReaderSource, type ReaderSplit } from './split-reader.js';

/**
 * A range of indexes [start, end): of values, of numbers, of generator calls. `subtask` is the
 * subtask the range was cut for: the enumerator hands it to that subtask only, so subtask i
 * emits the i-th share, as Flink's sequence and generator sources do.
 */
export interface RangeSplit {
  readonly start: number;
  readonly end: number;
  readonly subtask?: number;
}

/** The share [start, end) of `count` items that subtask `index` of `parallelism` takes: contiguous, sizes differ by at most one. */
export function contiguousShare(count: number, index: number, parallelism: number): [number, number] {
  return [Math.floor((index * count) / parallelism), Math.floor(((index + 1) * count) / parallelism)];
}

/** `count` items cut into `parallelism` contiguous ranges, as splits (empty ranges left out, at least one split). */
export function rangeSplits(count: number, parallelism: number): string[] {
  const splits: string[] = [];
  for (let i = 0; i < parallelism; i++) {
    const [start, end] = contiguousShare(count, i, parallelism);
    if (end > start || (i === 0 && count === 0)) splits.push(JSON.stringify({ start, end, subtask: i } satisfies RangeSplit));
  }
  return splits;
}

/** Emits `emit(i)` for i from the split's position to its end. */
async function readRange(split: ReaderSplit, range: RangeSplit, ctx: SourceContext<unknown>, emit: (index: number) => unknown): Promise<void> {
  const end = range.end;
  while (split.position < end) {
    const index = split.position;
    const more = ctx.collect(emit(index));
    split.position = index + 1;
    if (!more) {
      await ctx.waitForOutputs();
      if (ctx.isCanceled) return;
    }
  }
}

/** fromElements / fromCollection: the values, in order, from one subtask (Flink's FromElementsFunction). */
export class CollectionSource extends SplitReaderSource {
  constructor(
    private readonly values: readonly unknown[],
    nextInputSplit: () => Promise<InputSplitAssignment | undefined>,
  ) {
    super(nextInputSplit);
  }

  protected initialPosition(split: string): number {
    return parseSplit<RangeSplit>(split, 'fromCollection').start;
  }

  protected readSplit(split: ReaderSplit, ctx: SourceContext<unknown>): Promise<void> {
    const values = this.values;
    return readRange(split, parseSplit<RangeSplit>(split.split, 'fromCollection'), ctx, (index) => values[index]);
  }
}

/** fromSequence: the numbers from..to (inclusive), as ranges of offsets from `from`. */
export class SequenceSource extends SplitReaderSource {
  constructor(
    private readonly from: number,
    nextInputSplit: () => Promise<InputSplitAssignment | undefined>,
  ) {
    super(nextInputSplit);
  }

  protected initialPosition(split: string): number {
    return parseSplit<RangeSplit>(split, 'fromSequence').start;
  }

  protected readSplit(split: ReaderSplit, ctx: SourceContext<unknown>): Promise<void> {
    const from = this.from;
    return readRange(split, parseSplit<RangeSplit>(split.split, 'fromSequence'), ctx, (index) => from + index);
  }
}

export { readRange };
