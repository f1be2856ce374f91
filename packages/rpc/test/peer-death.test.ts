import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eddy_testing_v1 as testing } from '@eddy/proto';
import { RpcService } from '../src/rpc-service.js';
import { RpcUnreachableError } from '../src/rpc-errors.js';
import { outcome, spawnCounterProcess, type CounterProcess } from './fixtures/test-utils.js';

describe('a peer in another process that dies mid-conversation', () => {
  let client: RpcService;
  let peer: CounterProcess | undefined;
  before(async () => {
    client = await RpcService.start();
  });
  after(async () => {
    await peer?.kill();
    await client.stop();
  });

  it('fails calls in flight and later calls promptly with RpcUnreachableError, never hanging until the deadline', async () => {
    peer = await spawnCounterProcess();
    const counter = await client.connect(`${peer.address}/counter`, testing.CounterGateway);
    assert.equal((await counter.increment({ delta: 1 })).value, 1);
    // Calls the peer will never answer: they are in flight when it dies.
    const inFlight = [1, 2, 3].map(() => outcome(counter.sleep({ delayMs: -1 }, { timeoutMs: 30_000 })));
    await counter.getValue({});
    await peer.kill('SIGKILL');
    const results = await Promise.all(inFlight);
    for (const { error, elapsedMs } of results) {
      assert.ok(error instanceof RpcUnreachableError, `got ${String(error)}`);
      assert.ok(elapsedMs < 5000, `noticed only after ${elapsedMs} ms`);
      assert.ok(error.message.includes(peer.address));
      assert.ok(['connection reset', 'connection closed', 'connection refused'].includes(error.fields.cause), error.fields.cause);
    }
    const later = await outcome(counter.increment({ delta: 1 }, { timeoutMs: 30_000 }));
    assert.ok(later.error instanceof RpcUnreachableError, `got ${String(later.error)}`);
    assert.ok(later.elapsedMs < 2000, `took ${later.elapsedMs} ms`);
    assert.equal(later.error.fields.cause, 'connection refused');
  });
});
