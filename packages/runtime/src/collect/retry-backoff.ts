/**
 * Delays of the collect path's retry loop: exponential from `initialMs`, capped at `maxMs`, with
 * full jitter (uniform in [initialMs / 2, ceiling]) so the TaskManagers of a job that all wait
 * for one JobMaster spread out.
 *
 * Kept minimal and local on purpose: the same interface as the shared Backoff helper being written
 * for every retry loop (nextDelayMs() after a failure, reset() after a success); switch
 * createRetryBackoff to it once it lands.
 */
export interface RetryBackoff {
  /** The delay before the next try; counts one more failure. */
  nextDelayMs(): number;
  /** Back to the first delay, after a success. */
  reset(): void;
}

export function createRetryBackoff(initialMs: number, maxMs: number, random: () => number = Math.random): RetryBackoff {
  let failures = 0;
  return {
    nextDelayMs: () => {
      const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(failures, 30));
      failures++;
      return Math.round(ceiling / 2 + random() * (ceiling / 2));
    },
    reset: () => {
      failures = 0;
    },
  };
}
