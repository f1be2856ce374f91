import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskIOMetrics } from '../../src/metrics/task-io-metrics.js';
import { TaskMetricsView } from '../../src/metrics/task-metrics-view.js';

/** A task whose counters and worker event loop the test moves by hand, on a clock of its own. */
function fakeTask() {
  const ioMetrics = new TaskIOMetrics();
  const elu = { idle: 0, active: 0 };
  let now = 0;
  const view = new TaskMetricsView({ ioMetrics, eventLoopUtilization: () => elu }, 5, () => now);
  /** Advances one second in which the loop was idle `idleMs`, of which `backPressuredMs` waiting for credit. */
  const second = (records: number, idleMs: number, backPressuredMs: number): void => {
    now += 1000;
    elu.idle += idleMs;
    elu.active += 1000 - idleMs;
    ioMetrics.numRecordsIn.inc(records);
    ioMetrics.numBytesIn.inc(records * 10);
    if (backPressuredMs > 0) {
      // The timer measures real time: the test adds to its slot (8, see task-io-metrics.ts) instead.
      Atomics.add(new BigInt64Array(ioMetrics.buffer), 8, BigInt(backPressuredMs * 1000));
    }
    view.sample();
  };
  return { ioMetrics, view, second };
}

describe('TaskMetricsView', () => {
  it('shows zeros until it sampled a window', () => {
    const { view } = fakeTask();
    assert.deepEqual(view.rates(), { numRecordsInPerSecond: 0, numRecordsOutPerSecond: 0, numBytesInPerSecond: 0, numBytesOutPerSecond: 0, backPressuredTimeMsPerSecond: 0, idleTimeMsPerSecond: 0, busyTimeMsPerSecond: 0 });
  });

  it("splits each second into Flink's back-pressured, idle and busy time, from the worker's idle loop and its waits for credit", () => {
    const { view, second } = fakeTask();
    for (let i = 0; i < 3; i++) second(1000, 900, 700);
    const rates = view.rates();
    assert.ok(Math.abs(rates.backPressuredTimeMsPerSecond - 700) < 1, `back-pressured ${rates.backPressuredTimeMsPerSecond}`);
    assert.ok(Math.abs(rates.idleTimeMsPerSecond - 200) < 1, `idle ${rates.idleTimeMsPerSecond}`);
    assert.ok(Math.abs(rates.busyTimeMsPerSecond - 100) < 1, `busy ${rates.busyTimeMsPerSecond}`);
    assert.equal(rates.numRecordsInPerSecond, 1000);
    assert.equal(rates.numBytesInPerSecond, 10_000);
  });

  it('averages over the last five seconds only', () => {
    const { view, second } = fakeTask();
    for (let i = 0; i < 5; i++) second(100, 1000, 1000);
    assert.ok(view.rates().backPressuredTimeMsPerSecond > 990);
    for (let i = 0; i < 5; i++) second(5000, 0, 0);
    assert.equal(view.rates().backPressuredTimeMsPerSecond, 0);
    assert.equal(view.rates().busyTimeMsPerSecond, 1000);
    assert.equal(view.rates().numRecordsInPerSecond, 5000);
  });
});

describe('BackPressureTimer', () => {
  it('counts a wait in progress and nested waits once', async () => {
    const { backPressure } = new TaskIOMetrics();
    backPressure.start();
    backPressure.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const during = backPressure.timeUs();
    assert.ok(during >= 25_000, `a wait in progress counts (${during} µs)`);
    backPressure.stop();
    backPressure.stop();
    const after = backPressure.timeUs();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(backPressure.timeUs(), after, 'nothing counts once the wait ended');
    assert.ok(after < 200_000);
  });
});
