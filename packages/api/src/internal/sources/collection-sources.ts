import type { Source, SourceContext } from '../../source.js';

/** fromElements / fromCollection: the values, in order, from one subtask (Flink's FromElementsFunction). */
export class CollectionSource implements Source<unknown> {
  constructor(private readonly values: readonly unknown[]) {}

  async run(ctx: SourceContext<unknown>): Promise<void> {
    const values = this.values;
    for (let i = 0; i < values.length; i++) {
      if (!ctx.collect(values[i])) {
        await ctx.waitForOutputs();
        if (ctx.isCanceled) return;
      }
    }
  }
}

/** The share [start, end) of `count` items that subtask `index` of `parallelism` takes: contiguous, sizes differ by at most one. */
export function contiguousShare(count: number, index: number, parallelism: number): [number, number] {
  return [Math.floor((index * count) / parallelism), Math.floor(((index + 1) * count) / parallelism)];
}

/** fromSequence: the numbers from..to (inclusive); each subtask emits its contiguous share. */
export class SequenceSource implements Source<unknown> {
  constructor(
    private readonly from: number,
    private readonly to: number,
    private readonly subtaskIndex: number,
    private readonly parallelism: number,
  ) {}

  async run(ctx: SourceContext<unknown>): Promise<void> {
    const [start, end] = contiguousShare(this.to - this.from + 1, this.subtaskIndex, this.parallelism);
    for (let value = this.from + start, last = this.from + end; value < last; value++) {
      if (!ctx.collect(value)) {
        await ctx.waitForOutputs();
        if (ctx.isCanceled) return;
      }
    }
  }
}
