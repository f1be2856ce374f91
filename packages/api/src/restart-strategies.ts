import { formatDurationMs } from './internal/config.js';

/** Configuration entries of one restart strategy (Flink's restart-strategy.* keys). */
export type RestartStrategyConfiguration = Readonly<Record<string, string>>;

/**
 * Restart strategies by Flink's names, for env.setRestartStrategy(...). Durations in milliseconds.
 * Each sets restart-strategy.type and its keys; anything else can be set with env.configure(key, value).
 */
export const RestartStrategies = {
  /** The job fails at the first failure. */
  noRestart(): RestartStrategyConfiguration {
    return { 'restart-strategy.type': 'none' };
  },

  /** Restarts up to `attempts` times, waiting `delayMs` each time. */
  fixedDelayRestart(attempts: number, delayMs: number): RestartStrategyConfiguration {
    return {
      'restart-strategy.type': 'fixed-delay',
      'restart-strategy.fixed-delay.attempts': String(attempts),
      'restart-strategy.fixed-delay.delay': formatDurationMs(delayMs),
    };
  },

  /** Restarts while at most `maxFailuresPerInterval` failures happen within `failureIntervalMs`. */
  failureRateRestart(maxFailuresPerInterval: number, failureIntervalMs: number, delayMs: number): RestartStrategyConfiguration {
    return {
      'restart-strategy.type': 'failure-rate',
      'restart-strategy.failure-rate.max-failures-per-interval': String(maxFailuresPerInterval),
      'restart-strategy.failure-rate.failure-rate-interval': formatDurationMs(failureIntervalMs),
      'restart-strategy.failure-rate.delay': formatDurationMs(delayMs),
    };
  },

  /** Restarts with a delay that grows after each failure and resets after a quiet period. */
  exponentialDelayRestart(options: {
    initialBackoffMs: number;
    maxBackoffMs: number;
    backoffMultiplier: number;
    resetBackoffThresholdMs: number;
    jitterFactor: number;
  }): RestartStrategyConfiguration {
    return {
      'restart-strategy.type': 'exponential-delay',
      'restart-strategy.exponential-delay.initial-backoff': formatDurationMs(options.initialBackoffMs),
      'restart-strategy.exponential-delay.max-backoff': formatDurationMs(options.maxBackoffMs),
      'restart-strategy.exponential-delay.backoff-multiplier': String(options.backoffMultiplier),
      'restart-strategy.exponential-delay.reset-backoff-threshold': formatDurationMs(options.resetBackoffThresholdMs),
      'restart-strategy.exponential-delay.jitter-factor': String(options.jitterFactor),
    };
  },
} as const;
