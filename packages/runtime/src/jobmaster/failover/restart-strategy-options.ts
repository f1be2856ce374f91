/**
 * Configuration options of the restart strategy: whether and when a JobMaster restarts a job
 * after a task fails or a TaskManager is lost. Keys follow Flink 1.19+ (`RestartStrategyOptions`).
 */
import { doubleOption, durationOption, enumOption, integerOption, type Configuration } from '@eddy/common';
import { CheckpointingOptions } from '../../checkpoint/checkpointing-options.js';

/** The values `restart-strategy.type` accepts; the aliases are Flink's. */
export const RESTART_STRATEGY_TYPES = [
  'none',
  'off',
  'disable',
  'fixed-delay',
  'fixeddelay',
  'failure-rate',
  'failurerate',
  'exponential-delay',
  'exponentialdelay',
] as const;

export type RestartStrategyTypeValue = (typeof RESTART_STRATEGY_TYPES)[number];

/** A restart strategy with its aliases folded into one name. */
export type RestartStrategyType = 'none' | 'fixed-delay' | 'failure-rate' | 'exponential-delay';

const CANONICAL_TYPES: Readonly<Record<RestartStrategyTypeValue, RestartStrategyType>> = {
  none: 'none',
  off: 'none',
  disable: 'none',
  'fixed-delay': 'fixed-delay',
  fixeddelay: 'fixed-delay',
  'failure-rate': 'failure-rate',
  failurerate: 'failure-rate',
  'exponential-delay': 'exponential-delay',
  exponentialdelay: 'exponential-delay',
};

/** Folds an alias ('off', 'fixeddelay', ...) into the strategy it names. */
export function canonicalRestartStrategyType(value: RestartStrategyTypeValue): RestartStrategyType {
  return CANONICAL_TYPES[value];
}

/** Stands for "no limit" in restart-strategy.exponential-delay.attempts-before-reset-backoff (Java's Integer.MAX_VALUE, as in Flink). */
export const UNLIMITED_ATTEMPTS = 2_147_483_647;

/**
 * Whether the job takes checkpoints (execution.checkpointing.interval set and positive), which
 * decides the restart strategy it gets when restart-strategy.type is not set.
 */
export function isCheckpointingEnabled(configuration: Configuration): boolean {
  return configuration.get(CheckpointingOptions.interval) > 0;
}

/**
 * The restart strategy of a job that does not set restart-strategy.type (nor does its cluster):
 * fixed-delay, restart-strategy.fixed-delay.delay (1 s) apart, with
 *
 * - with checkpointing, no limit on the attempts unless restart-strategy.fixed-delay.attempts is
 *   set: Flink's default through 1.18 (Integer.MAX_VALUE attempts, 1 s apart), which the
 *   checkpoints issue asked for. A job that restarts from a checkpoint loses little by restarting.
 *   Flink 1.19+ (FLIP-364) defaults to exponential-delay instead; set it to get that.
 * - without checkpointing, restart-strategy.fixed-delay.attempts (3) restarts. Flink does not
 *   restart such a job at all; Eddy restarts it a few times so that a lost TaskManager does not end
 *   it, while a job that fails on every attempt (a bad record, a missing input file) still ends
 *   FAILED within a few seconds instead of restarting forever. Without checkpoints a restart
 *   replays the job from its start.
 */
export function defaultRestartStrategyType(_checkpointingEnabled: boolean): RestartStrategyType {
  return 'fixed-delay';
}

export const RestartStrategyOptions = {
  type: enumOption({
    key: 'restart-strategy.type',
    values: RESTART_STRATEGY_TYPES,
    defaultValue: defaultRestartStrategyType(false),
    description:
      'How a job is restarted after a failure: none (also off, disable) fails the job at the first failure; ' +
      'fixed-delay (also fixeddelay) restarts a fixed number of times with a fixed delay; failure-rate (also failurerate) ' +
      'restarts while failures stay below a rate; exponential-delay (also exponentialdelay) restarts with a delay that grows ' +
      'after each failure and resets once the job has run without failure for a while. ' +
      'When it is not set: fixed-delay for a job without checkpointing (restart-strategy.fixed-delay.attempts restarts, ' +
      '3 by default, restart-strategy.fixed-delay.delay apart), so a lost TaskManager does not end the job but a job that ' +
      'fails on every attempt ends FAILED within seconds; for a job with checkpointing, fixed-delay without a limit on the ' +
      'attempts (unless restart-strategy.fixed-delay.attempts is set), as Flink did through 1.18 (Flink 1.19+ uses ' +
      "exponential-delay: set it for that). Flink does not restart a job without checkpointing at all; set 'none' for that.",
  }),

  fixedDelayAttempts: integerOption({
    key: 'restart-strategy.fixed-delay.attempts',
    defaultValue: 3,
    min: 0,
    description:
      'With restart-strategy.type fixed-delay (the default without checkpointing): how many times the job is restarted ' +
      "before it is declared failed. Eddy's default is 3 (Flink's is 1): enough to ride out a lost TaskManager or two.",
  }),
  fixedDelayDelay: durationOption({
    key: 'restart-strategy.fixed-delay.delay',
    defaultMs: 1_000,
    description: 'With restart-strategy.type fixed-delay: how long to wait between a failure and the restart.',
  }),

  failureRateMaxFailuresPerInterval: integerOption({
    key: 'restart-strategy.failure-rate.max-failures-per-interval',
    defaultValue: 1,
    min: 1,
    description:
      'With restart-strategy.type failure-rate: how many failures within restart-strategy.failure-rate.failure-rate-interval ' +
      'are restarted; one more within that interval fails the job.',
  }),
  failureRateInterval: durationOption({
    key: 'restart-strategy.failure-rate.failure-rate-interval',
    defaultMs: 60_000,
    minMs: 1,
    description: 'With restart-strategy.type failure-rate: the window in which failures are counted.',
  }),
  failureRateDelay: durationOption({
    key: 'restart-strategy.failure-rate.delay',
    defaultMs: 1_000,
    description: 'With restart-strategy.type failure-rate: how long to wait between a failure and the restart.',
  }),

  exponentialDelayInitialBackoff: durationOption({
    key: 'restart-strategy.exponential-delay.initial-backoff',
    defaultMs: 200,
    minMs: 1,
    description:
      'With restart-strategy.type exponential-delay: the delay before the first restart, and after the backoff was reset. ' +
      "Eddy's default is 200 ms rather than Flink's 1 s: a lost TaskManager is noticed within about a second (see " +
      'heartbeat.rpc-failure-threshold), and the job should be RUNNING again within about three seconds of the loss.',
  }),
  exponentialDelayMaxBackoff: durationOption({
    key: 'restart-strategy.exponential-delay.max-backoff',
    defaultMs: 60_000,
    minMs: 1,
    description:
      'With restart-strategy.type exponential-delay: the longest delay between a failure and the restart; the delay grows ' +
      'up to this and stays there. Must not be below restart-strategy.exponential-delay.initial-backoff.',
  }),
  exponentialDelayBackoffMultiplier: doubleOption({
    key: 'restart-strategy.exponential-delay.backoff-multiplier',
    defaultValue: 1.5,
    min: 1,
    description:
      'With restart-strategy.type exponential-delay: the factor by which the delay grows after each failure that comes ' +
      'before the backoff is reset. 1 keeps the delay constant.',
  }),
  exponentialDelayResetBackoffThreshold: durationOption({
    key: 'restart-strategy.exponential-delay.reset-backoff-threshold',
    defaultMs: 60 * 60_000,
    minMs: 1,
    description:
      'With restart-strategy.type exponential-delay: how long the job must run without failure after a restart for the ' +
      'delay and the attempt count to go back to their initial values.',
  }),
  exponentialDelayJitterFactor: doubleOption({
    key: 'restart-strategy.exponential-delay.jitter-factor',
    defaultValue: 0.1,
    min: 0,
    max: 1,
    description:
      'With restart-strategy.type exponential-delay: each delay is moved at random by up to this fraction of itself, up or ' +
      'down, so that jobs that failed together do not all restart at the same instant.',
  }),
  exponentialDelayAttemptsBeforeResetBackoff: integerOption({
    key: 'restart-strategy.exponential-delay.attempts-before-reset-backoff',
    defaultValue: UNLIMITED_ATTEMPTS,
    min: 1,
    description:
      'With restart-strategy.type exponential-delay: how many restarts are allowed before the backoff is reset; one more ' +
      `failure fails the job. The default, ${UNLIMITED_ATTEMPTS} (as in Flink), means unlimited.`,
  }),
} as const;
