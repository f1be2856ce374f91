/**
 * Restart strategies: after a failure, may the JobMaster restart the job, and after what delay?
 * Names and semantics are Flink's (`RestartBackoffTimeStrategy` and its four implementations);
 * the options are in restart-strategy-options.ts.
 *
 * The JobMaster calls, for each failure that leads to a restart decision:
 *   strategy.notifyFailure(cause);
 *   if (strategy.canRestart()) restart after strategy.getBackoffTimeMs() else fail the job;
 * and logs strategy.describe() with the decision.
 */
import { ConfigurationError, formatDuration, type ConfigOption, type Configuration } from '@eddy/common';

import { RestartStrategyOptions, UNLIMITED_ATTEMPTS, canonicalRestartStrategyType, defaultRestartStrategyType, isCheckpointingEnabled } from './restart-strategy-options.js';

/** Decides whether and when a failed job is restarted. Not thread-safe: used from the JobMaster's mailbox. */
export interface RestartBackoffTimeStrategy {
  /** Records a failure; call it before canRestart and getBackoffTimeMs. */
  notifyFailure(cause: unknown): void;
  /** Whether the job may be restarted after the failures recorded so far. */
  canRestart(): boolean;
  /** How long to wait before restarting, in ms, after the last recorded failure. */
  getBackoffTimeMs(): number;
  /** The strategy, its settings and where it stands, for logs, e.g. "fixed-delay (3 attempts, 1 s delay): attempt 2 of 3". */
  describe(): string;
}

/** What the strategies need from their surroundings; tests pass their own. */
export interface RestartStrategyEnvironment {
  /** Current time in ms. Defaults to a monotonic clock. */
  readonly now?: () => number;
  /** A number in [0, 1), for jitter. Defaults to Math.random. */
  readonly random?: () => number;
  /** Whether the job takes checkpoints (picks the default strategy). Defaults to isCheckpointingEnabled(configuration). */
  readonly checkpointingEnabled?: boolean;
}

function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}

function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

function checkArgument(condition: boolean, message: string): void {
  if (!condition) throw new RangeError(message);
}

/**
 * Builds the strategy `restart-strategy.type` selects (or, when it is not set, the default for a
 * job with or without checkpointing), from its options. Throws a
 * ConfigurationError listing every value of that strategy that does not parse or does not fit.
 */
export function createRestartBackoffTimeStrategy(
  configuration: Configuration,
  environment: RestartStrategyEnvironment = {},
): RestartBackoffTimeStrategy {
  const now = environment.now ?? monotonicNow;
  const random = environment.random ?? Math.random;
  const problems: ConfigurationError[] = [];
  const read = <T>(option: ConfigOption<T>): T => {
    try {
      return configuration.get(option);
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      problems.push(error);
      return option.defaultValue;
    }
  };
  const finish = <S extends RestartBackoffTimeStrategy>(build: () => S): S => {
    if (problems.length > 0) throw ConfigurationError.combine(problems);
    return build();
  };

  // Not set: the default depends on whether the job takes checkpoints (see defaultRestartStrategyType).
  const typeSet = configuration.has(RestartStrategyOptions.type.key);
  const checkpointing = environment.checkpointingEnabled ?? isCheckpointingEnabled(configuration);
  const type = typeSet ? canonicalRestartStrategyType(configuration.get(RestartStrategyOptions.type)) : defaultRestartStrategyType(checkpointing);
  switch (type) {
    case 'none':
      return new NoRestartBackoffTimeStrategy();
    case 'fixed-delay': {
      // With checkpointing and nothing set, Flink's unlimited attempts (see defaultRestartStrategyType).
      const unlimited = !typeSet && checkpointing && !configuration.has(RestartStrategyOptions.fixedDelayAttempts.key);
      const attempts = unlimited ? UNLIMITED_ATTEMPTS : read(RestartStrategyOptions.fixedDelayAttempts);
      const delayMs = read(RestartStrategyOptions.fixedDelayDelay);
      return finish(() => new FixedDelayRestartBackoffTimeStrategy({ attempts, delayMs }));
    }
    case 'failure-rate': {
      const maxFailuresPerInterval = read(RestartStrategyOptions.failureRateMaxFailuresPerInterval);
      const intervalMs = read(RestartStrategyOptions.failureRateInterval);
      const delayMs = read(RestartStrategyOptions.failureRateDelay);
      return finish(() => new FailureRateRestartBackoffTimeStrategy({ maxFailuresPerInterval, intervalMs, delayMs, now }));
    }
    case 'exponential-delay': {
      const initialBackoffMs = read(RestartStrategyOptions.exponentialDelayInitialBackoff);
      const maxBackoffMs = read(RestartStrategyOptions.exponentialDelayMaxBackoff);
      const backoffMultiplier = read(RestartStrategyOptions.exponentialDelayBackoffMultiplier);
      const resetBackoffThresholdMs = read(RestartStrategyOptions.exponentialDelayResetBackoffThreshold);
      const jitterFactor = read(RestartStrategyOptions.exponentialDelayJitterFactor);
      const attemptsBeforeResetBackoff = read(RestartStrategyOptions.exponentialDelayAttemptsBeforeResetBackoff);
      if (problems.length === 0 && initialBackoffMs > maxBackoffMs) {
        const initial = RestartStrategyOptions.exponentialDelayInitialBackoff;
        const max = RestartStrategyOptions.exponentialDelayMaxBackoff;
        problems.push(
          new ConfigurationError(
            `Invalid exponential-delay restart strategy: ${initial.key} (${initial.format(initialBackoffMs)}, from ` +
              `${configuration.sourceOf(initial.key)}) must not be greater than ${max.key} (${max.format(maxBackoffMs)}, from ` +
              `${configuration.sourceOf(max.key)}); lower the initial backoff or raise the maximum`,
            { key: initial.key },
          ),
        );
      }
      return finish(
        () =>
          new ExponentialDelayRestartBackoffTimeStrategy({
            initialBackoffMs,
            maxBackoffMs,
            backoffMultiplier,
            resetBackoffThresholdMs,
            jitterFactor,
            attemptsBeforeResetBackoff,
            now,
            random,
          }),
      );
    }
  }
}

/** restart-strategy.type none: every failure fails the job. */
export class NoRestartBackoffTimeStrategy implements RestartBackoffTimeStrategy {
  notifyFailure(_cause: unknown): void {}

  canRestart(): boolean {
    return false;
  }

  getBackoffTimeMs(): number {
    return 0;
  }

  describe(): string {
    return `none: restarts are off; set ${RestartStrategyOptions.type.key} to restart a failed job`;
  }
}

/** restart-strategy.type fixed-delay: at most `attempts` restarts, each after `delayMs`. */
export class FixedDelayRestartBackoffTimeStrategy implements RestartBackoffTimeStrategy {
  readonly #attempts: number;
  readonly #delayMs: number;
  #failures = 0;

  constructor(settings: { attempts: number; delayMs: number }) {
    checkArgument(Number.isSafeInteger(settings.attempts) && settings.attempts >= 0, `attempts must be a whole number ≥ 0, got ${settings.attempts}`);
    checkArgument(settings.delayMs >= 0, `delayMs must be ≥ 0, got ${settings.delayMs}`);
    this.#attempts = settings.attempts;
    this.#delayMs = settings.delayMs;
  }

  notifyFailure(_cause: unknown): void {
    this.#failures += 1;
  }

  canRestart(): boolean {
    return this.#failures <= this.#attempts;
  }

  getBackoffTimeMs(): number {
    return this.#delayMs;
  }

  describe(): string {
    const settings = `fixed-delay (${plural(this.#attempts, 'attempt')}, ${formatDuration(this.#delayMs)} delay)`;
    if (this.#failures === 0) return `${settings}: no failure yet`;
    if (!this.canRestart()) return `${settings}: all ${plural(this.#attempts, 'attempt')} used`;
    return `${settings}: attempt ${this.#failures} of ${this.#attempts}`;
  }
}

/**
 * restart-strategy.type failure-rate: restarts after `delayMs` as long as no more than
 * `maxFailuresPerInterval` failures fall within any `intervalMs`.
 */
export class FailureRateRestartBackoffTimeStrategy implements RestartBackoffTimeStrategy {
  readonly #maxFailuresPerInterval: number;
  readonly #intervalMs: number;
  readonly #delayMs: number;
  readonly #now: () => number;
  /** Times of the latest failures, oldest first; at most maxFailuresPerInterval + 1 of them. */
  readonly #failureTimes: number[] = [];

  constructor(settings: { maxFailuresPerInterval: number; intervalMs: number; delayMs: number; now?: () => number }) {
    checkArgument(
      Number.isSafeInteger(settings.maxFailuresPerInterval) && settings.maxFailuresPerInterval >= 1,
      `maxFailuresPerInterval must be a whole number ≥ 1, got ${settings.maxFailuresPerInterval}`,
    );
    checkArgument(settings.intervalMs > 0, `intervalMs must be > 0, got ${settings.intervalMs}`);
    checkArgument(settings.delayMs >= 0, `delayMs must be ≥ 0, got ${settings.delayMs}`);
    this.#maxFailuresPerInterval = settings.maxFailuresPerInterval;
    this.#intervalMs = settings.intervalMs;
    this.#delayMs = settings.delayMs;
    this.#now = settings.now ?? monotonicNow;
  }

  notifyFailure(_cause: unknown): void {
    this.#failureTimes.push(this.#now());
    if (this.#failureTimes.length > this.#maxFailuresPerInterval + 1) this.#failureTimes.shift();
  }

  canRestart(): boolean {
    return this.#failuresWithinInterval() <= this.#maxFailuresPerInterval;
  }

  getBackoffTimeMs(): number {
    return this.#delayMs;
  }

  describe(): string {
    const interval = formatDuration(this.#intervalMs);
    const settings =
      `failure-rate (at most ${plural(this.#maxFailuresPerInterval, 'failure')} per ${interval}, ` +
      `${formatDuration(this.#delayMs)} delay)`;
    const recent = this.#failuresWithinInterval();
    if (this.canRestart()) return `${settings}: ${plural(recent, 'failure')} within the last ${interval}`;
    return `${settings}: more than ${plural(this.#maxFailuresPerInterval, 'failure')} within ${interval}`;
  }

  /** Failures no older than the interval, counted back from the latest one. */
  #failuresWithinInterval(): number {
    const latest = this.#failureTimes[this.#failureTimes.length - 1];
    if (latest === undefined) return 0;
    return this.#failureTimes.filter((time) => latest - time <= this.#intervalMs).length;
  }
}

/**
 * restart-strategy.type exponential-delay: the first restart waits `initialBackoffMs`; each
 * further failure multiplies the delay by `backoffMultiplier`, up to `maxBackoffMs`; each delay
 * is moved at random by up to ±`jitterFactor` of itself (so it may exceed the maximum by that
 * much, as in Flink). Once the job has run for `resetBackoffThresholdMs` after a restart without
 * failing, the delay and the attempt count start again from the beginning. More than
 * `attemptsBeforeResetBackoff` failures without such a reset fail the job.
 */
export class ExponentialDelayRestartBackoffTimeStrategy implements RestartBackoffTimeStrategy {
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #backoffMultiplier: number;
  readonly #resetBackoffThresholdMs: number;
  readonly #jitterFactor: number;
  readonly #attemptsBeforeResetBackoff: number;
  readonly #now: () => number;
  readonly #random: () => number;
  /** Failures since the backoff was last reset. */
  #attempt = 0;
  /** The delay before jitter; kept unrounded so that growth is exact. */
  #currentBackoffMs: number;
  /** The delay handed out for the latest failure, jitter included. */
  #backoffMs = 0;
  /** When the job was (or will be) restarted after the latest failure. */
  #restartAt: number | undefined;

  constructor(settings: {
    initialBackoffMs: number;
    maxBackoffMs: number;
    backoffMultiplier: number;
    resetBackoffThresholdMs: number;
    jitterFactor: number;
    attemptsBeforeResetBackoff: number;
    now?: () => number;
    random?: () => number;
  }) {
    checkArgument(settings.initialBackoffMs >= 1, `initialBackoffMs must be ≥ 1, got ${settings.initialBackoffMs}`);
    checkArgument(
      settings.maxBackoffMs >= settings.initialBackoffMs,
      `maxBackoffMs (${settings.maxBackoffMs}) must not be below initialBackoffMs (${settings.initialBackoffMs})`,
    );
    checkArgument(settings.backoffMultiplier >= 1, `backoffMultiplier must be ≥ 1, got ${settings.backoffMultiplier}`);
    checkArgument(settings.resetBackoffThresholdMs >= 1, `resetBackoffThresholdMs must be ≥ 1, got ${settings.resetBackoffThresholdMs}`);
    checkArgument(settings.jitterFactor >= 0 && settings.jitterFactor <= 1, `jitterFactor must be within 0 and 1, got ${settings.jitterFactor}`);
    checkArgument(
      Number.isSafeInteger(settings.attemptsBeforeResetBackoff) && settings.attemptsBeforeResetBackoff >= 1,
      `attemptsBeforeResetBackoff must be a whole number ≥ 1, got ${settings.attemptsBeforeResetBackoff}`,
    );
    this.#initialBackoffMs = settings.initialBackoffMs;
    this.#maxBackoffMs = settings.maxBackoffMs;
    this.#backoffMultiplier = settings.backoffMultiplier;
    this.#resetBackoffThresholdMs = settings.resetBackoffThresholdMs;
    this.#jitterFactor = settings.jitterFactor;
    this.#attemptsBeforeResetBackoff = settings.attemptsBeforeResetBackoff;
    this.#now = settings.now ?? monotonicNow;
    this.#random = settings.random ?? Math.random;
    this.#currentBackoffMs = settings.initialBackoffMs;
  }

  notifyFailure(_cause: unknown): void {
    const now = this.#now();
    if (this.#restartAt === undefined || now - this.#restartAt >= this.#resetBackoffThresholdMs) {
      this.#attempt = 1;
      this.#currentBackoffMs = this.#initialBackoffMs;
    } else {
      this.#attempt += 1;
      this.#currentBackoffMs = Math.min(this.#currentBackoffMs * this.#backoffMultiplier, this.#maxBackoffMs);
    }
    this.#backoffMs = this.#withJitter(this.#currentBackoffMs);
    this.#restartAt = now + this.#backoffMs;
  }

  canRestart(): boolean {
    return this.#attempt <= this.#attemptsBeforeResetBackoff;
  }

  getBackoffTimeMs(): number {
    return this.#backoffMs;
  }

  describe(): string {
    const limited = this.#attemptsBeforeResetBackoff !== UNLIMITED_ATTEMPTS;
    const settings =
      `exponential-delay (${formatDuration(this.#initialBackoffMs)} initial, ${formatDuration(this.#maxBackoffMs)} max, ` +
      `x${this.#backoffMultiplier}, jitter ${this.#jitterFactor}, reset after ${formatDuration(this.#resetBackoffThresholdMs)}` +
      `${limited ? `, ${plural(this.#attemptsBeforeResetBackoff, 'attempt')} before reset` : ''})`;
    if (this.#attempt === 0) return `${settings}: no failure yet`;
    if (!this.canRestart()) {
      return `${settings}: all ${plural(this.#attemptsBeforeResetBackoff, 'attempt')} used since the backoff was last reset`;
    }
    const attempt = limited ? `attempt ${this.#attempt} of ${this.#attemptsBeforeResetBackoff}` : `attempt ${this.#attempt}`;
    return `${settings}: ${attempt}, backoff ${formatDuration(this.#backoffMs)}`;
  }

  #withJitter(backoffMs: number): number {
    const offset = backoffMs * this.#jitterFactor;
    const jittered = backoffMs + (this.#random() * 2 - 1) * offset;
    return Math.max(0, Math.round(jittered));
  }
}
