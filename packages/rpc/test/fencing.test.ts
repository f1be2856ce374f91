import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eddy_testing_v1 as testing } from '@eddy/proto';
import { RpcService } from '../src/rpc-service.js';
import { FencingTokenMismatchError } from '../src/rpc-errors.js';
import { TestingFencedCounterEndpoint } from './fixtures/testing-counter-endpoint.js';
import { rpcServicePair, outcome } from './fixtures/test-utils.js';

describe('FencedRpcEndpoint', () => {
  const rpc = rpcServicePair();

  for (const mode of ['remote', 'local'] as const) {
    const caller = (): RpcService => (mode === 'remote' ? rpc.client : rpc.server);

    it(`runs ${mode} calls that carry the current fencing token`, async () => {
      const endpoint = new TestingFencedCounterEndpoint(rpc.server, `fenced-ok-${mode}`, 'leader-1');
      await endpoint.start();
      const proxy = await caller().connect(endpoint.address, testing.CounterGateway, 'leader-1');
      assert.equal((await proxy.increment({ delta: 2 })).value, 2);
      await endpoint.closeAsync();
    });

    it(`rejects a ${mode} call carrying a stale fencing token, and never runs it`, async () => {
      const endpoint = new TestingFencedCounterEndpoint(rpc.server, `fenced-stale-${mode}`, 'leader-2');
      await endpoint.start();
      const stale = await caller().connect(endpoint.address, testing.CounterGateway, 'leader-1');
      const { error } = await outcome(stale.increment({ delta: 1 }));
      assert.ok(error instanceof FencingTokenMismatchError, `got ${String(error)}`);
      assert.equal(error.fields.received, 'leader-1');
      assert.equal(error.fields.expected, 'leader-2');
      assert.match(error.message, /stale leader session/);
      assert.equal(endpoint.counter.value, 0);
      assert.deepEqual(endpoint.counter.seen, []);
      const unfenced = await caller().connect(endpoint.address, testing.CounterGateway);
      await assert.rejects(unfenced.increment({ delta: 1 }), /carried no fencing token/);
      assert.equal(endpoint.counter.value, 0);
      await endpoint.closeAsync();
    });

    it(`rejects ${mode} calls with the old token once the token has been replaced`, async () => {
      const endpoint = new TestingFencedCounterEndpoint(rpc.server, `fenced-change-${mode}`, 'session-a');
      await endpoint.start();
      const oldSession = await caller().connect(endpoint.address, testing.CounterGateway, 'session-a');
      const newSession = await caller().connect(endpoint.address, testing.CounterGateway, 'session-b');
      assert.equal((await oldSession.increment({ delta: 1 })).value, 1);
      await assert.rejects(newSession.increment({ delta: 10 }), FencingTokenMismatchError);
      await endpoint.changeFencingToken('session-b');
      await assert.rejects(oldSession.increment({ delta: 100 }), FencingTokenMismatchError);
      assert.equal((await newSession.increment({ delta: 10 })).value, 11);
      assert.deepEqual(endpoint.counter.seen, [1, 10]);
      await endpoint.closeAsync();
    });
  }

  it('refuses a call that was queued before the token changed, when its turn comes', async () => {
    const endpoint = new TestingFencedCounterEndpoint(rpc.server, 'fenced-queued', 'epoch-1');
    await endpoint.start();
    const proxy = await rpc.server.connect(endpoint.address, testing.CounterGateway, 'epoch-1');
    // The token change is enqueued first, the call right behind it: the call must see the new token.
    const changed = endpoint.changeFencingToken('epoch-2');
    const call = outcome(proxy.increment({ delta: 1 }));
    await changed;
    assert.ok((await call).error instanceof FencingTokenMismatchError);
    assert.equal(endpoint.counter.value, 0);
    await endpoint.closeAsync();
  });

  it('refuses every call while it has no fencing token', async () => {
    const endpoint = new TestingFencedCounterEndpoint(rpc.server, 'fenced-none', undefined);
    await endpoint.start();
    const proxy = await rpc.client.connect(endpoint.address, testing.CounterGateway, 'anything');
    const { error } = await outcome(proxy.increment({ delta: 1 }));
    assert.ok(error instanceof FencingTokenMismatchError);
    assert.match(error.message, /has no leader session yet/);
    await endpoint.closeAsync();
  });
});
