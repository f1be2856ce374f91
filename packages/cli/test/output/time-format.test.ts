import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAge, formatElapsed, formatTimestamp } from '../../src/output/time-format.js';

describe('time formats', () => {
  it('prints a duration in its two largest units', () => {
    assert.deepEqual(
      [0, 850, 1_000, 12_345, 59_999, 60_000, 245_000, 3_600_000, 7_380_000, 86_400_000, 273_600_000].map(formatElapsed),
      ['0 ms', '850 ms', '1.0 s', '12.3 s', '59.9 s', '1m 00s', '4m 05s', '1h 00m', '2h 03m', '1d 00h', '3d 04h'],
    );
  });

  it('prints a negative duration (clocks of two hosts) as zero', () => {
    assert.equal(formatElapsed(-5), '0 ms');
  });

  it("prints local date and time to the second, and '-' for a time not reached", () => {
    const at = new Date(2024, 4, 1, 14, 3, 22, 500).getTime();
    assert.equal(formatTimestamp(at), '2024-05-01 14:03:22');
    assert.equal(formatTimestamp(0), '-');
  });

  it('prints how long ago something was', () => {
    assert.equal(formatAge(10_000, 11_500), '1.5 s ago');
    assert.equal(formatAge(0, 11_500), '-');
  });
});
