import type { Source, SourceContext } from '../../source.js';
import { contiguousShare } from './collection-sources.js';
import { sleep } from './source-context.js';

export interface GeneratorOptions {
  /** Records per second over all subtasks together; unlimited when absent. */
  readonly recordsPerSecond?: number;
}

/**
 * fromGenerator (Flink's DataGeneratorSource): records generator(0..count-1). With a finite count
 * each subtask takes a contiguous share of the indexes; with Infinity, subtask i takes i, i+p, ...
 * A rate is split evenly among the subtasks and kept by sleeping between bursts, not per record.
 */
export class GeneratorSource implements Source<unknown> {
  constructor(
    private readonly count: number,
    private readonly generator: (index: number) => unknown,
    private readonly options: GeneratorOptions,
    private readonly subtaskIndex: number,
    private readonly parallelism: number,
  ) {}

  async run(ctx: SourceContext<unknown>): Promise<void> {
    const p = this.parallelism;
    let index: number;
    let end: number;
    let step: number;
    if (this.count === Number.POSITIVE_INFINITY) {
      [index, end, step] = [this.subtaskIndex, Number.POSITIVE_INFINITY, p];
    } else {
      [index, end] = contiguousShare(this.count, this.subtaskIndex, p);
      step = 1;
    }
    const rate = this.options.recordsPerSecond === undefined ? 0 : this.options.recordsPerSecond / p;
    const generator = this.generator;
    const started = Date.now();
    let emitted = 0;
    let allowed = Number.POSITIVE_INFINITY;
    while (index < end) {
      if (ctx.isCanceled) return;
      if (rate > 0) {
        const elapsed = Date.now() - started;
        allowed = Math.floor((elapsed * rate) / 1000) + 1;
        if (emitted >= allowed) {
          await sleep(Math.max(1, Math.ceil((emitted * 1000) / rate - elapsed)), ctx.signal);
          continue;
        }
      }
      for (; index < end && emitted < allowed; index += step, emitted++) {
        if (!ctx.collect(generator(index))) {
          index += step;
          emitted++;
          await ctx.waitForOutputs();
          break;
        }
      }
    }
  }
}
