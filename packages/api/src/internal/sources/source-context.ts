import type { SourceContext } from '../../source.js';
import type { ChainContext } from '../contract.js';
import type { Output } from '../operators/stream-operator.js';

/** How often (in records) a source looks at backpressure and cancellation. A power of two. */
export const BACKPRESSURE_CHECK_INTERVAL = 256;

/**
 * The SourceContext of every source, built-in or user's. collect() is one call into the chain plus
 * a counter; every BACKPRESSURE_CHECK_INTERVAL records it asks the runtime whether the outputs are
 * full (or the task canceled) and from then on returns false until the source has awaited
 * waitForOutputs(). So backpressure costs a promise per pause, not per record.
 */
export class DefaultSourceContext implements SourceContext<unknown> {
  private count = 0;
  private paused = false;
  private readonly aborted: Promise<void>;

  constructor(
    private readonly output: Output,
    private readonly chain: ChainContext,
    /** Aborted when the task is canceled or the chain is disposed. */
    private readonly stopSignal: AbortSignal,
  ) {
    const signal = stopSignal;
    this.aborted = new Promise((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  collect(record: unknown): boolean {
    this.output.collect(record);
    if ((++this.count & (BACKPRESSURE_CHECK_INTERVAL - 1)) === 0) this.paused = this.stopSignal.aborted || this.chain.isBackPressured();
    return !this.paused;
  }

  async collectBatch(records: Iterable<unknown>): Promise<void> {
    const output = this.output;
    for (const record of records) output.collect(record);
    if (this.stopSignal.aborted) return;
    if (this.chain.isBackPressured()) await this.waitForOutputs();
  }

  waitForOutputs(): Promise<void> {
    this.paused = false;
    if (this.stopSignal.aborted) return this.aborted;
    return Promise.race([this.chain.waitForOutputs(), this.aborted]);
  }

  get isCanceled(): boolean {
    return this.stopSignal.aborted;
  }

  get signal(): AbortSignal {
    return this.stopSignal;
  }
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
