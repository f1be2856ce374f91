import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';

import { EventLoopLagProbe } from '../../src/heartbeat/event-loop-lag.js';

function blockEventLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin: this is the stall the probe has to see
  }
}

describe('EventLoopLagProbe', () => {
  it('reports a loop blocked for about 50 ms as at least 30 ms of lag, then starts afresh', async () => {
    const probe = new EventLoopLagProbe();
    try {
      await delay(30); // let Node's sampler tick once, so the stall falls inside a measured interval
      probe.sampleMs();
      await delay(30);
      blockEventLoop(50);
      await delay(30);
      const lag = probe.sampleMs();
      assert.ok(lag >= 30, `expected at least 30 ms of lag, got ${lag}`);
      assert.ok(probe.sampleMs() < lag, 'a second sample no longer contains the stall');
    } finally {
      probe.close();
    }
  });

  it('reports 0 once closed, and close can be called twice', () => {
    const probe = new EventLoopLagProbe();
    probe.close();
    probe.close();
    assert.equal(probe.sampleMs(), 0);
  });
});
