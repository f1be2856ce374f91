import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { Configuration } from '@eddy/common';
import { configurationError } from '../fixtures/configuration-error-assertion.js';

import { HeartbeatOptions, heartbeatSettings } from '../../src/heartbeat/heartbeat-options.js';


describe('heartbeatSettings', () => {
  it('defaults to a heartbeat every second, a 10 s timeout and lost after 2 unreachable RPCs, as Flink', () => {
    assert.deepEqual(heartbeatSettings(Configuration.empty()), { intervalMs: 1_000, timeoutMs: 10_000, rpcFailureThreshold: 2 });
    assert.equal(HeartbeatOptions.interval.key, 'heartbeat.interval');
    assert.equal(HeartbeatOptions.timeout.key, 'heartbeat.timeout');
    assert.equal(HeartbeatOptions.rpcFailureThreshold.key, 'heartbeat.rpc-failure-threshold');
  });

  it('reads the configured values, with -1 turning the unreachable check off', () => {
    const configuration = Configuration.fromRecord({
      'heartbeat.interval': '200 ms',
      'heartbeat.timeout': '3 s',
      'heartbeat.rpc-failure-threshold': '-1',
    });
    assert.deepEqual(heartbeatSettings(configuration), { intervalMs: 200, timeoutMs: 3_000, rpcFailureThreshold: -1 });
  });

  it('refuses a timeout that is not above the interval, naming both keys', () => {
    const error = configurationError(() =>
      heartbeatSettings(Configuration.fromRecord({ 'heartbeat.interval': '5 s', 'heartbeat.timeout': '5 s' }, 'command line')),
    );
    assert.equal(
      error.message,
      'Invalid heartbeat settings: heartbeat.timeout (5 s, from command line) must be greater than heartbeat.interval ' +
        '(5 s, from command line); raise the timeout or lower the interval',
    );
  });

  it('refuses an interval below 10 ms and a failure threshold of 0', () => {
    assert.match(
      configurationError(() => heartbeatSettings(Configuration.fromRecord({ 'heartbeat.interval': '5 ms' }))).message,
      /heartbeat\.interval .*at least 10 ms/,
    );
    assert.match(
      configurationError(() => heartbeatSettings(Configuration.fromRecord({ 'heartbeat.rpc-failure-threshold': '0' }))).message,
      /heartbeat\.rpc-failure-threshold .*at least 1, or -1 to turn the check off/,
    );
  });
});
