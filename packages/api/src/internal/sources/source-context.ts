import type { SourceContext, SplitRequestResult } from '../../source.js';
import type { ChainContext } from '../contract.js';
import { NO_TIMESTAMP, type Output } from '../operators/stream-operator.js';
import type { SourceWatermarks } from '../operators/timestamps-and-watermarks.js';

/** What a split reader tells its context, so watermarks are generated per split. */
export interface SplitAwareSourceContext {
  startSplit(id: string): void;
  finishSplit(id: string): void;
}

/** How often (in records) a source looks at backpressure, cancellation and the clock. A power of two. */
export const BACKPRESSURE_CHECK_INTERVAL = 256;

/**
 * Longest a source runs without giving the task's event loop a turn, so that a cancel, timers,
 * flushes and credits get through even when nothing back-pressures it.
 */
export const MAX_RUN_WITHOUT_YIELD_MS = 5;

/**
 * The SourceContext of every source, built-in or user's. collect() is one call into the chain plus
 * a counter; every BACKPRESSURE_CHECK_INTERVAL records it asks whether the task was canceled or the
 * outputs are full, and whether the source has run MAX_RUN_WITHOUT_YIELD_MS without a break. From
 * then on collect() returns false until the source awaits waitForOutputs(), which waits for the
 * outputs or yields one event-loop turn. So pausing costs a promise per pause, not per record.
 */
export class DefaultSourceContext implements SourceContext<unknown>, SplitAwareSourceContext {
  private count = 0;
  private paused = false;
  private lastYield = Date.now();
  private readonly aborted: Promise<void>;

  constructor(
    private readonly output: Output,
    private readonly chain: ChainContext,
    /** Aborted when the task is canceled or the chain is disposed. */
    private readonly stopSignal: AbortSignal,
    /** The source's timestamps and watermarks, when it was given a WatermarkStrategy. */
    private readonly watermarks?: SourceWatermarks,
  ) {
    this.aborted = new Promise((resolve) => {
      if (stopSignal.aborted) resolve();
      else stopSignal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  collect(record: unknown): boolean {
    const watermarks = this.watermarks;
    this.output.collect(record, watermarks === undefined ? NO_TIMESTAMP : watermarks.timestamp(record));
    if ((++this.count & (BACKPRESSURE_CHECK_INTERVAL - 1)) === 0 && !this.paused) this.paused = this.shouldPause();
    return !this.paused;
  }

  collectWithTimestamp(record: unknown, timestamp: number): boolean {
    const watermarks = this.watermarks;
    this.output.collect(record, watermarks === undefined ? timestamp : watermarks.timestamp(record, timestamp));
    if ((++this.count & (BACKPRESSURE_CHECK_INTERVAL - 1)) === 0 && !this.paused) this.paused = this.shouldPause();
    return !this.paused;
  }

  async collectBatch(records: Iterable<unknown>): Promise<void> {
    const output = this.output;
    const watermarks = this.watermarks;
    if (watermarks === undefined) for (const record of records) output.collect(record, NO_TIMESTAMP);
    else for (const record of records) output.collect(record, watermarks.timestamp(record));
    if (this.stopSignal.aborted) return;
    if (this.chain.isBackPressured() || Date.now() - this.lastYield >= MAX_RUN_WITHOUT_YIELD_MS) await this.waitForOutputs();
  }

  waitForOutputs(): Promise<void> {
    this.paused = false;
    this.lastYield = Date.now();
    if (this.stopSignal.aborted) return this.aborted;
    if (this.chain.isBackPressured()) return Promise.race([this.chain.waitForOutputs(), this.aborted]);
    return new Promise((resolve) => setImmediate(resolve));
  }

  startSplit(id: string): void {
    this.watermarks?.startSplit(id);
  }

  /** For sources with a splitEnumerator (SplitRequestingSourceContext). */
  requestSplit(waitMs: number): Promise<SplitRequestResult> {
    const request = this.chain.requestSplit;
    if (request === undefined) return Promise.reject(new Error('this runtime has no SplitEnumerator for the source: run the job on a cluster of the same Eddy version as its CLI'));
    return request.call(this.chain, waitMs);
  }

  finishSplit(id: string): void {
    this.watermarks?.finishSplit(id);
  }

  /** The source's run() returned: stops what the context runs beside it (periodic watermarks). */
  close(): void {
    this.watermarks?.stop();
  }

  get isCanceled(): boolean {
    return this.stopSignal.aborted;
  }

  get signal(): AbortSignal {
    return this.stopSignal;
  }

  private shouldPause(): boolean {
    return this.stopSignal.aborted || this.chain.isBackPressured() || Date.now() - this.lastYield >= MAX_RUN_WITHOUT_YIELD_MS;
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
