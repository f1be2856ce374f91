import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { Configuration } from '@eddy/common';
import { configurationError } from '../fixtures/configuration-error-assertion.js';

import {
  ExponentialDelayRestartBackoffTimeStrategy,
  FailureRateRestartBackoffTimeStrategy,
  FixedDelayRestartBackoffTimeStrategy,
  NoRestartBackoffTimeStrategy,
  createRestartBackoffTimeStrategy,
  type RestartBackoffTimeStrategy,
} from '../../src/jobmaster/failover/restart-backoff-time-strategy.js';
import { RestartStrategyOptions, defaultRestartStrategyType, isCheckpointingEnabled } from '../../src/jobmaster/failover/restart-strategy-options.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;


/** A hand-driven clock, and a jitter source that returns the middle of its range (no jitter) unless told otherwise. */
function environment() {
  const env = { time: 0, randomValue: 0.5 };
  return { env, now: () => env.time, random: () => env.randomValue };
}

function strategyFor(settings: Record<string, string>, env = environment()): RestartBackoffTimeStrategy {
  return createRestartBackoffTimeStrategy(Configuration.fromRecord(settings), { now: env.now, random: env.random });
}

/** Records a failure and returns the decision the JobMaster would take. */
function fail(strategy: RestartBackoffTimeStrategy): { restart: boolean; backoffMs: number } {
  strategy.notifyFailure(new Error('task failed'));
  return { restart: strategy.canRestart(), backoffMs: strategy.getBackoffTimeMs() };
}

describe('createRestartBackoffTimeStrategy', () => {
  it('uses fixed-delay with 3 attempts 1 s apart when nothing is configured and the job takes no checkpoints', () => {
    const strategy = createRestartBackoffTimeStrategy(Configuration.empty(), { now: () => 0, random: () => 0.5 });
    assert.ok(strategy instanceof FixedDelayRestartBackoffTimeStrategy);
    for (let attempt = 1; attempt <= 3; attempt++) assert.deepEqual(fail(strategy), { restart: true, backoffMs: 1_000 }, `failure ${attempt}`);
    assert.deepEqual(fail(strategy), { restart: false, backoffMs: 1_000 }, 'the fourth failure fails the job');
    assert.equal(strategy.describe(), 'fixed-delay (3 attempts, 1 s delay): all 3 attempts used');
    assert.equal(RestartStrategyOptions.type.defaultValue, 'fixed-delay');
    assert.equal(defaultRestartStrategyType(false), 'fixed-delay');
  });

  it('honours fixed-delay settings given without a type, as the default strategy reads them', () => {
    const strategy = strategyFor({ 'restart-strategy.fixed-delay.attempts': '1', 'restart-strategy.fixed-delay.delay': '50 ms' });
    assert.deepEqual(fail(strategy), { restart: true, backoffMs: 50 });
    assert.deepEqual(fail(strategy), { restart: false, backoffMs: 50 });
  });

  it('restarts without a limit, 1 s apart, when nothing is configured and the job takes checkpoints (Flink through 1.18)', () => {
    const strategy = createRestartBackoffTimeStrategy(Configuration.empty(), { now: () => 0, random: () => 0.5, checkpointingEnabled: true });
    assert.ok(strategy instanceof FixedDelayRestartBackoffTimeStrategy);
    for (let i = 0; i < 50; i++) assert.deepEqual(fail(strategy), { restart: true, backoffMs: 1000 });
    assert.equal(defaultRestartStrategyType(true), 'fixed-delay');
    const limited = createRestartBackoffTimeStrategy(Configuration.fromRecord({ 'restart-strategy.fixed-delay.attempts': '2' }), { checkpointingEnabled: true });
    assert.deepEqual([fail(limited).restart, fail(limited).restart, fail(limited).restart], [true, true, false], 'attempts set: that limit');
    assert.equal(isCheckpointingEnabled(Configuration.fromRecord({ 'execution.checkpointing.interval': '10 s' })), true);
    assert.equal(isCheckpointingEnabled(Configuration.fromRecord({})), false);
  });

  it('uses the configured type over the default, with or without checkpointing', () => {
    const none = createRestartBackoffTimeStrategy(Configuration.fromRecord({ 'restart-strategy.type': 'none' }), { checkpointingEnabled: true });
    assert.ok(none instanceof NoRestartBackoffTimeStrategy);
    const exponential = strategyFor({ 'restart-strategy.type': 'exponential-delay' });
    assert.ok(exponential instanceof ExponentialDelayRestartBackoffTimeStrategy);
  });

  it("accepts Flink's aliases for each type, in any case", () => {
    const cases: [string, new (...args: never[]) => RestartBackoffTimeStrategy][] = [
      ['none', NoRestartBackoffTimeStrategy],
      ['off', NoRestartBackoffTimeStrategy],
      ['disable', NoRestartBackoffTimeStrategy],
      ['fixed-delay', FixedDelayRestartBackoffTimeStrategy],
      ['fixeddelay', FixedDelayRestartBackoffTimeStrategy],
      ['failure-rate', FailureRateRestartBackoffTimeStrategy],
      ['FailureRate', FailureRateRestartBackoffTimeStrategy],
      ['exponential-delay', ExponentialDelayRestartBackoffTimeStrategy],
      ['exponentialdelay', ExponentialDelayRestartBackoffTimeStrategy],
    ];
    for (const [type, expected] of cases) {
      assert.ok(strategyFor({ 'restart-strategy.type': type }) instanceof expected, type);
    }
  });

  it('refuses an unknown type and lists the allowed ones', () => {
    const error = configurationError(() => strategyFor({ 'restart-strategy.type': 'always' }));
    assert.equal(error.key, 'restart-strategy.type');
    assert.match(error.message, /^Invalid value 'always' for restart-strategy.type \(from code\): expected one of 'none', 'off', 'disable', 'fixed-delay', .* or 'exponentialdelay'$/);
  });

  it('refuses negative attempts, a multiplier below 1 and a jitter outside 0..1, naming each key', () => {
    assert.match(
      configurationError(() => strategyFor({ 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.attempts': '-1' })).message,
      /^Invalid value '-1' for restart-strategy.fixed-delay.attempts \(from code\): expected a whole number of at least 0$/,
    );
    const error = configurationError(() =>
      strategyFor({
        'restart-strategy.type': 'exponential-delay',
        'restart-strategy.exponential-delay.backoff-multiplier': '0.5',
        'restart-strategy.exponential-delay.jitter-factor': '1.5',
      }),
    );
    assert.deepEqual(
      error.problems.map((problem) => [problem.key, problem.expectedForm]),
      [
        ['restart-strategy.exponential-delay.backoff-multiplier', "a number of at least 1, such as '1.5'"],
        ['restart-strategy.exponential-delay.jitter-factor', "a number from 0 to 1, such as '0.1'"],
      ],
    );
    assert.equal(
      configurationError(() => strategyFor({ 'restart-strategy.type': 'failure-rate', 'restart-strategy.failure-rate.max-failures-per-interval': '0' })).key,
      'restart-strategy.failure-rate.max-failures-per-interval',
    );
  });

  it('refuses an initial backoff above the maximum, naming both keys', () => {
    const error = configurationError(() =>
      strategyFor({
        'restart-strategy.type': 'exponential-delay',
        'restart-strategy.exponential-delay.initial-backoff': '2 min',
        'restart-strategy.exponential-delay.max-backoff': '1 min',
      }),
    );
    assert.equal(
      error.message,
      'Invalid exponential-delay restart strategy: restart-strategy.exponential-delay.initial-backoff (2 min, from code) must not be ' +
        'greater than restart-strategy.exponential-delay.max-backoff (1 min, from code); lower the initial backoff or raise the maximum',
    );
  });

  it('ignores the options of strategies other than the selected one', () => {
    const strategy = strategyFor({ 'restart-strategy.type': 'none', 'restart-strategy.fixed-delay.attempts': '-5' });
    assert.ok(strategy instanceof NoRestartBackoffTimeStrategy);
  });
});

describe('NoRestartBackoffTimeStrategy', () => {
  it('never restarts', () => {
    const strategy = strategyFor({ 'restart-strategy.type': 'none' });
    assert.deepEqual(fail(strategy), { restart: false, backoffMs: 0 });
    assert.match(strategy.describe(), /^none: restarts are off; set restart-strategy.type/);
  });
});

describe('FixedDelayRestartBackoffTimeStrategy', () => {
  it('restarts at most `attempts` times, each after the delay', () => {
    const strategy = strategyFor({
      'restart-strategy.type': 'fixed-delay',
      'restart-strategy.fixed-delay.attempts': '3',
      'restart-strategy.fixed-delay.delay': '1 s',
    });
    assert.equal(strategy.describe(), 'fixed-delay (3 attempts, 1 s delay): no failure yet');
    assert.deepEqual(fail(strategy), { restart: true, backoffMs: 1_000 });
    assert.deepEqual(fail(strategy), { restart: true, backoffMs: 1_000 });
    assert.equal(strategy.describe(), 'fixed-delay (3 attempts, 1 s delay): attempt 2 of 3');
    assert.deepEqual(fail(strategy), { restart: true, backoffMs: 1_000 });
    assert.equal(fail(strategy).restart, false);
    assert.equal(strategy.describe(), 'fixed-delay (3 attempts, 1 s delay): all 3 attempts used');
  });

  it('restarts 3 times by default (Flink: once), and not at all with 0 attempts', () => {
    const byDefault = strategyFor({ 'restart-strategy.type': 'fixed-delay' });
    for (let attempt = 1; attempt <= 3; attempt++) assert.deepEqual(fail(byDefault), { restart: true, backoffMs: 1_000 });
    assert.equal(fail(byDefault).restart, false);

    const never = strategyFor({ 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.attempts': '0' });
    assert.equal(fail(never).restart, false);
  });
});

describe('FailureRateRestartBackoffTimeStrategy', () => {
  const settings = {
    'restart-strategy.type': 'failure-rate',
    'restart-strategy.failure-rate.max-failures-per-interval': '3',
    'restart-strategy.failure-rate.failure-rate-interval': '10 s',
    'restart-strategy.failure-rate.delay': '500 ms',
  };

  it('gives up when more than the allowed failures fall within the interval', () => {
    const clock = environment();
    const strategy = strategyFor(settings, clock);
    for (const time of [0, 1_000, 2_000]) {
      clock.env.time = time;
      assert.deepEqual(fail(strategy), { restart: true, backoffMs: 500 }, `failure at ${time}`);
    }
    assert.equal(strategy.describe(), 'failure-rate (at most 3 failures per 10 s, 500 ms delay): 3 failures within the last 10 s');
    clock.env.time = 10_000; // four failures within exactly 10 s
    assert.equal(fail(strategy).restart, false);
    assert.equal(strategy.describe(), 'failure-rate (at most 3 failures per 10 s, 500 ms delay): more than 3 failures within 10 s');
  });

  it('keeps restarting as long as failures stay below the rate', () => {
    const clock = environment();
    const strategy = strategyFor(settings, clock);
    for (let i = 0; i < 50; i++) {
      clock.env.time = i * 3_400; // never four within 10 s
      assert.equal(fail(strategy).restart, true, `failure ${i}`);
    }
  });

  it('allows one failure per minute by default', () => {
    const clock = environment();
    const strategy = strategyFor({ 'restart-strategy.type': 'failure-rate' }, clock);
    assert.deepEqual(fail(strategy), { restart: true, backoffMs: 1_000 });
    clock.env.time = MINUTE + 1;
    assert.equal(fail(strategy).restart, true);
    clock.env.time = MINUTE + 30 * SECOND;
    assert.equal(fail(strategy).restart, false);
  });
});

describe('ExponentialDelayRestartBackoffTimeStrategy', () => {
  const noJitter = { 'restart-strategy.exponential-delay.jitter-factor': '0' };
  const exponentialFor = (settings: Record<string, string>, clock = environment()): RestartBackoffTimeStrategy =>
    strategyFor({ 'restart-strategy.type': 'exponential-delay', ...settings }, clock);

  it('grows the backoff by the multiplier up to the maximum', () => {
    const clock = environment();
    const strategy = exponentialFor(
      {
        ...noJitter,
        'restart-strategy.exponential-delay.initial-backoff': '1 s',
        'restart-strategy.exponential-delay.max-backoff': '5 s',
        'restart-strategy.exponential-delay.backoff-multiplier': '2',
      },
      clock,
    );
    const backoffs: number[] = [];
    for (let i = 0; i < 6; i++) {
      const decision = fail(strategy);
      assert.equal(decision.restart, true);
      backoffs.push(decision.backoffMs);
      clock.env.time += decision.backoffMs + 100; // restarted, then failed again soon after
    }
    assert.deepEqual(backoffs, [1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
  });

  it('reaches the default maximum of 1 min from 200 ms by factors of 1.5', () => {
    const clock = environment();
    const strategy = exponentialFor(noJitter, clock);
    const backoffs: number[] = [];
    for (let i = 0; i < 16; i++) {
      backoffs.push(fail(strategy).backoffMs);
      clock.env.time += strategy.getBackoffTimeMs();
    }
    assert.deepEqual(backoffs.slice(0, 5), [200, 300, 450, 675, 1_013]);
    assert.equal(backoffs[15], MINUTE);
  });

  it('moves each backoff by up to the jitter factor either way', () => {
    const clock = environment();
    const strategy = exponentialFor({ 'restart-strategy.exponential-delay.initial-backoff': '1 s' }, clock);
    clock.env.randomValue = 0;
    assert.equal(fail(strategy).backoffMs, 900);
    clock.env.time += 1_000;
    clock.env.randomValue = 0.999_999;
    assert.equal(fail(strategy).backoffMs, 1_650, '1.5 s + 10 %');
  });

  it('resets the backoff and the attempt count after running without failure for the threshold', () => {
    const clock = environment();
    const strategy = exponentialFor(
      { ...noJitter, 'restart-strategy.exponential-delay.reset-backoff-threshold': '1 h', 'restart-strategy.exponential-delay.attempts-before-reset-backoff': '3' },
      clock,
    );
    assert.equal(fail(strategy).backoffMs, 200);
    clock.env.time = 1_000;
    assert.equal(fail(strategy).backoffMs, 300);
    assert.match(strategy.describe(), /: attempt 2 of 3, backoff 300 ms$/);

    clock.env.time = 1_300 + HOUR - 1; // restarted at 1300, failed just before an hour of running
    assert.equal(fail(strategy).backoffMs, 450);
    const restartedAt = clock.env.time + 450;
    clock.env.time = restartedAt + HOUR; // an hour of running since the restart
    assert.deepEqual(fail(strategy), { restart: true, backoffMs: 200 });
    assert.match(strategy.describe(), /: attempt 1 of 3, backoff 200 ms$/);
  });

  it('gives up after attempts-before-reset-backoff failures without a reset', () => {
    const clock = environment();
    const strategy = exponentialFor({ ...noJitter, 'restart-strategy.exponential-delay.attempts-before-reset-backoff': '2' }, clock);
    assert.equal(fail(strategy).restart, true);
    clock.env.time += 5_000;
    assert.equal(fail(strategy).restart, true);
    clock.env.time += 5_000;
    assert.equal(fail(strategy).restart, false);
    assert.match(strategy.describe(), /, 2 attempts before reset\): all 2 attempts used since the backoff was last reset$/);
  });

  it('keeps restarting without limit by default', () => {
    const clock = environment();
    const strategy = exponentialFor({}, clock);
    for (let i = 0; i < 1_000; i++) {
      assert.equal(fail(strategy).restart, true);
      clock.env.time += strategy.getBackoffTimeMs();
    }
    assert.match(strategy.describe(), /: attempt 1000, backoff /);
    assert.match(RestartStrategyOptions.exponentialDelayAttemptsBeforeResetBackoff.description, /means unlimited/);
  });
});
