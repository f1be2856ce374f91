import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backPressureLevel, busyTimesOf, subtaskBackPressure, vertexBackPressureLevel } from '../../src/rest/backpressure.js';

describe('backpressure as Flink shows it', () => {
  it("uses Flink's thresholds: ok up to 0.10, low up to 0.5, high above", () => {
    assert.deepEqual([0, 0.1, 0.1001, 0.5, 0.5001, 1].map(backPressureLevel), ['ok', 'ok', 'low', 'low', 'high', 'high']);
  });

  it('turns ms per second into ratios of a second, clamped to [0, 1]', () => {
    assert.deepEqual(subtaskBackPressure({ backPressuredTimeMsPerSecond: 600, idleTimeMsPerSecond: 100, busyTimeMsPerSecond: 300 }), { ratio: 0.6, idleRatio: 0.1, busyRatio: 0.3, level: 'high' });
    assert.deepEqual(subtaskBackPressure({ backPressuredTimeMsPerSecond: 1200, idleTimeMsPerSecond: -5, busyTimeMsPerSecond: Number.NaN }), { ratio: 1, idleRatio: 0, busyRatio: 0, level: 'high' });
    assert.equal(subtaskBackPressure({ backPressuredTimeMsPerSecond: 250, idleTimeMsPerSecond: 0, busyTimeMsPerSecond: 750 }).level, 'low');
  });

  it('gives a vertex the level of its most backpressured subtask', () => {
    const subtask = (ms: number) => subtaskBackPressure({ backPressuredTimeMsPerSecond: ms, idleTimeMsPerSecond: 0, busyTimeMsPerSecond: 1000 - ms });
    assert.equal(vertexBackPressureLevel([subtask(0), subtask(50)]), 'ok');
    assert.equal(vertexBackPressureLevel([subtask(0), subtask(700)]), 'high');
    assert.equal(vertexBackPressureLevel([]), 'ok');
  });

  it('reads the three values from an attempt only when all three were reported', () => {
    assert.equal(busyTimesOf({ numRecordsIn: 5 }), undefined);
    assert.equal(busyTimesOf({ backPressuredTimeMsPerSecond: 1, idleTimeMsPerSecond: 2 }), undefined);
    assert.deepEqual(busyTimesOf({ backPressuredTimeMsPerSecond: 1, idleTimeMsPerSecond: 2, busyTimeMsPerSecond: 3 }), { backPressuredTimeMsPerSecond: 1, idleTimeMsPerSecond: 2, busyTimeMsPerSecond: 3 });
  });
});
