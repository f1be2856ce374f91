/**
 * Backoff: the delays of a retry loop. Every loop in Eddy that tries again after a failure asks
 * one of these how long to wait, so that many processes retrying against the same peer (every
 * TaskManager after a JobManager restart, every task reporting to a JobMaster that stalled) spread
 * out instead of arriving in waves.
 *
 * The delay grows exponentially from `initialMs` by `multiplier` per failure up to `maxMs`, and
 * is jittered (the two schemes of the AWS architecture blog's "Exponential Backoff And Jitter"):
 *   - 'full': uniform in [0, min(maxMs, initialMs * multiplier^n)].
 *     Spreads retries the most; a delay may be close to 0.
 *   - 'decorrelated' (default): uniform in [initialMs, min(maxMs, previous * 3)], where previous
 *     starts at initialMs. Never below initialMs, never above maxMs, and each delay depends on
 *     the one before rather than on a shared attempt count, so peers drift apart.
 * `random` (a source of numbers in [0, 1), Math.random by default) makes it deterministic in tests.
 *
 * A Backoff is a small state machine owned by one retry loop: call `nextDelayMs()` after each
 * failure, `reset()` after a success. It keeps no timer; the loop schedules (and cancels) its own.
 */

export type BackoffJitter = 'full' | 'decorrelated';

export interface BackoffOptions {
  /** The first delay (decorrelated: the smallest delay). At least 1 ms. */
  readonly initialMs: number;
  /** The largest delay. Not below initialMs. */
  readonly maxMs: number;
  /** Growth per failure for 'full' jitter; default 2. 'decorrelated' grows by up to 3x by design. */
  readonly multiplier?: number;
  /** Default 'decorrelated'. */
  readonly jitter?: BackoffJitter;
  /** Numbers in [0, 1); default Math.random. */
  readonly random?: () => number;
}

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly multiplier: number;
  readonly jitter: BackoffJitter;
  readonly #random: () => number;
  #failures = 0;
  #previousMs: number;

  constructor(options: BackoffOptions) {
    const { initialMs, maxMs } = options;
    const multiplier = options.multiplier ?? 2;
    if (!(Number.isFinite(initialMs) && initialMs >= 1)) throw new RangeError(`Backoff initialMs must be at least 1 ms, got ${initialMs}`);
    if (!(Number.isFinite(maxMs) && maxMs >= initialMs)) throw new RangeError(`Backoff maxMs (${maxMs}) must be a number not below initialMs (${initialMs})`);
    if (!(Number.isFinite(multiplier) && multiplier >= 1)) throw new RangeError(`Backoff multiplier must be at least 1, got ${multiplier}`);
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    this.multiplier = multiplier;
    this.jitter = options.jitter ?? 'decorrelated';
    this.#random = options.random ?? Math.random;
    this.#previousMs = initialMs;
  }

  /** Failures since the last reset (how many delays were handed out). */
  get failures(): number {
    return this.#failures;
  }

  /** The delay before the next attempt, in whole milliseconds; counts one more failure. */
  nextDelayMs(): number {
    const random = Math.min(Math.max(this.#random(), 0), 1);
    let delay: number;
    if (this.jitter === 'full') {
      // initialMs * multiplier^failures, without overflowing to Infinity on a long outage.
      const ceiling = Math.min(this.maxMs, this.initialMs * Math.pow(this.multiplier, Math.min(this.#failures, 1024)));
      delay = random * ceiling;
    } else {
      const ceiling = Math.min(this.maxMs, this.#previousMs * 3);
      delay = this.initialMs + random * (ceiling - this.initialMs);
    }
    this.#failures++;
    this.#previousMs = Math.min(this.maxMs, Math.max(this.initialMs, delay));
    return Math.round(Math.min(this.maxMs, delay));
  }

  /** Back to the first delay, after a success. */
  reset(): void {
    this.#failures = 0;
    this.#previousMs = this.initialMs;
  }
}
