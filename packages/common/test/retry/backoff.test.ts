import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from '../../src/retry/backoff.js';

/** A random source that returns `values` in turn, then repeats the last. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)]!;
}

/** A seeded generator (mulberry32), so spread tests see the same numbers on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('Backoff', () => {
  it('with full jitter, grows the ceiling exponentially from initialMs and caps it at maxMs', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1_000, jitter: 'full', random: () => 0.999999 });
    assert.deepEqual(
      Array.from({ length: 6 }, () => backoff.nextDelayMs()),
      [100, 200, 400, 800, 1_000, 1_000],
    );
    assert.equal(backoff.failures, 6);
  });

  it('with full jitter, may wait anywhere from 0 up to the ceiling', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1_000, jitter: 'full', random: sequence(0, 0.5, 0.25) });
    assert.deepEqual([backoff.nextDelayMs(), backoff.nextDelayMs(), backoff.nextDelayMs()], [0, 100, 100]);
  });

  it('with decorrelated jitter, stays between initialMs and three times the previous delay, and within maxMs', () => {
    const highest = new Backoff({ initialMs: 100, maxMs: 2_000, random: () => 0.999999 });
    assert.deepEqual(
      Array.from({ length: 5 }, () => highest.nextDelayMs()),
      [300, 900, 2_000, 2_000, 2_000],
    );
    const lowest = new Backoff({ initialMs: 100, maxMs: 2_000, random: () => 0 });
    assert.deepEqual(
      Array.from({ length: 3 }, () => lowest.nextDelayMs()),
      [100, 100, 100],
    );
  });

  it('never hands out a delay outside [initialMs, maxMs] (decorrelated) or [0, maxMs] (full), whatever the random source says', () => {
    for (const jitter of ['full', 'decorrelated'] as const) {
      const backoff = new Backoff({ initialMs: 50, maxMs: 700, jitter, random: seeded(7) });
      for (let i = 0; i < 1_000; i++) {
        const delay = backoff.nextDelayMs();
        assert.ok(delay <= 700 && delay >= (jitter === 'full' ? 0 : 50), `${jitter}: ${delay}`);
        assert.ok(Number.isInteger(delay));
      }
    }
    const broken = new Backoff({ initialMs: 50, maxMs: 700, random: sequence(-3, 7) });
    assert.deepEqual([broken.nextDelayMs(), broken.nextDelayMs()], [50, 150]);
  });

  it('spreads the delays of many peers that fail at the same moment', () => {
    for (const jitter of ['full', 'decorrelated'] as const) {
      const random = seeded(42);
      // 200 peers, each on its third retry: their delays must not bunch up.
      const delays = Array.from({ length: 200 }, () => {
        const backoff = new Backoff({ initialMs: 100, maxMs: 10_000, jitter, random });
        backoff.nextDelayMs();
        backoff.nextDelayMs();
        return backoff.nextDelayMs();
      });
      const distinct = new Set(delays).size;
      assert.ok(distinct > 100, `${jitter}: ${distinct} distinct delays of 200`);
      // No 20 ms window holds more than a tenth of them: they do not arrive in a wave.
      const sorted = [...delays].sort((a, b) => a - b);
      let crowded = 0;
      for (let i = 0, j = 0; i < sorted.length; i++) {
        while (sorted[i]! - sorted[j]! > 20) j++;
        crowded = Math.max(crowded, i - j + 1);
      }
      assert.ok(crowded <= 20, `${jitter}: ${crowded} of 200 peers retry within the same 20 ms`);
    }
  });

  it('starts again from initialMs after reset()', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 10_000, jitter: 'full', random: () => 0.999999 });
    backoff.nextDelayMs();
    backoff.nextDelayMs();
    backoff.nextDelayMs();
    backoff.reset();
    assert.equal(backoff.failures, 0);
    assert.equal(backoff.nextDelayMs(), 100);
  });

  it('does not overflow after a very long outage', () => {
    const backoff = new Backoff({ initialMs: 1, maxMs: 30_000, jitter: 'full', random: () => 0.5 });
    let last = 0;
    for (let i = 0; i < 5_000; i++) last = backoff.nextDelayMs();
    assert.equal(last, 15_000);
  });

  it('refuses settings that make no sense, naming them', () => {
    assert.throws(() => new Backoff({ initialMs: 0, maxMs: 10 }), /initialMs must be at least 1 ms, got 0/);
    assert.throws(() => new Backoff({ initialMs: 100, maxMs: 10 }), /maxMs \(10\) must be a number not below initialMs \(100\)/);
    assert.throws(() => new Backoff({ initialMs: 1, maxMs: 10, multiplier: 0.5 }), /multiplier must be at least 1/);
  });
});
