/**
 * How late this process's event loop runs, to send along with heartbeats: a TaskManager whose loop
 * is stalled (a long synchronous task, a GC pause) answers late but is alive, and the receiver can
 * tell that apart from a dead or cut-off one.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Resolution of the delay sampler, in ms; Node checks the loop this often. */
const RESOLUTION_MS = 10;
const NS_PER_MS = 1e6;

/**
 * Samples the event-loop delay with Node's built-in histogram (perf_hooks.monitorEventLoopDelay),
 * which costs one native timer per process: cheap enough to leave on.
 *
 * Node records the time between two firings of a timer due every RESOLUTION_MS, so an idle loop
 * shows about RESOLUTION_MS; we subtract it to report how late the loop ran. Node's reset() drops
 * the interval in progress, so a stall that starts within RESOLUTION_MS after a sample is not
 * seen; at one sample per heartbeat that blind spot is about 1 % of the time.
 */
export class EventLoopLagProbe {
  readonly #histogram: IntervalHistogram;
  #closed = false;

  constructor() {
    this.#histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.#histogram.enable();
  }

  /**
   * The 99th percentile of how late the event loop ran since the previous sample (or since
   * construction), in ms; 0 when nothing was measured. Resets the histogram.
   */
  sampleMs(): number {
    if (this.#closed || this.#histogram.count === 0) return 0;
    const p99 = this.#histogram.percentile(99) / NS_PER_MS - RESOLUTION_MS;
    this.#histogram.reset();
    return Number.isFinite(p99) && p99 > 0 ? p99 : 0;
  }

  /** Stops sampling. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#histogram.disable();
  }
}
