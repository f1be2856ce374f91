import type { SourceContext } from '../../source.js';
import type { InputSplitAssignment } from '../contract.js';
import { contiguousShare } from './collection-sources.js';
import { sleep } from './source-context.js';
import { parseSplit, SplitReaderSource, type ReaderSplit } from './split-reader.js';

export interface GeneratorOptions {
  /** Records per second over all subtasks together; unlimited when absent. */
  readonly recordsPerSecond?: number;
}

/**
 * A generator split: indexes start, start+step, ... below end (end absent: forever). A finite
 * count is cut into contiguous ranges (step 1); an infinite one into `parallelism` interleaved
 * sequences (start i, step p), as today's subtasks took them.
 */
export interface GeneratorSplit {
  readonly start: number;
  readonly step: number;
  readonly end?: number;
  /** The subtask it was cut for (see RangeSplit). */
  readonly subtask: number;
}

/** Records of one endless split before the next held split gets its turn. */
const TURN_RECORDS = 1024;

export function generatorSplits(count: number, parallelism: number): string[] {
  const splits: string[] = [];
  for (let i = 0; i < parallelism; i++) {
    if (count === Number.POSITIVE_INFINITY) {
      splits.push(JSON.stringify({ start: i, step: parallelism, subtask: i } satisfies GeneratorSplit));
    } else {
      const [start, end] = contiguousShare(count, i, parallelism);
      if (end > start || (i === 0 && count === 0)) splits.push(JSON.stringify({ start, step: 1, end, subtask: i } satisfies GeneratorSplit));
    }
  }
  return splits;
}

/**
 * fromGenerator (Flink's DataGeneratorSource): records generator(index) for the indexes of each
 * split. A rate is split evenly among the subtasks and kept by sleeping between bursts, not per
 * record. The position of a split is the next index to generate.
 */
export class GeneratorSource extends SplitReaderSource {
  private readonly rate: number;
  private started = 0;
  private emitted = 0;

  constructor(
    private readonly generator: (index: number) => unknown,
    options: GeneratorOptions,
    parallelism: number,
    nextInputSplit: () => Promise<InputSplitAssignment | undefined>,
  ) {
    super(nextInputSplit);
    this.rate = options.recordsPerSecond === undefined ? 0 : options.recordsPerSecond / parallelism;
  }

  protected initialPosition(split: string): number {
    return parseSplit<GeneratorSplit>(split, 'fromGenerator').start;
  }

  protected async readSplit(split: ReaderSplit, ctx: SourceContext<unknown>): Promise<boolean> {
    const { step, end = Number.POSITIVE_INFINITY } = parseSplit<GeneratorSplit>(split.split, 'fromGenerator');
    const generator = this.generator;
    const rate = this.rate;
    if (this.started === 0) this.started = Date.now();
    let allowed = Number.POSITIVE_INFINITY;
    // Endless splits held together (restored at a lower parallelism) take turns.
    const stopAt = end === Number.POSITIVE_INFINITY && this.heldSplitCount > 1 ? split.position + TURN_RECORDS * step : end;
    while (split.position < stopAt) {
      if (ctx.isCanceled) return true;
      if (rate > 0) {
        const elapsed = Date.now() - this.started;
        allowed = Math.floor((elapsed * rate) / 1000) + 1;
        if (this.emitted >= allowed) {
          await sleep(Math.max(1, Math.ceil((this.emitted * 1000) / rate - elapsed)), ctx.signal);
          continue;
        }
      }
      while (split.position < stopAt && this.emitted < allowed) {
        const index = split.position;
        const more = ctx.collect(generator(index));
        split.position = index + step;
        this.emitted++;
        if (!more) {
          await ctx.waitForOutputs();
          break;
        }
      }
    }
    return split.position >= end;
  }
}
