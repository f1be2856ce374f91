import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Configuration } from '@eddy/common';
import { eddy_testing_v1 as testing } from '@eddy/proto';
import { RpcService } from '../src/rpc-service.js';
import { RemoteHandlerError, RpcUnreachableError, UnknownEndpointError } from '../src/rpc-errors.js';
import { TestingCounterEndpoint } from './fixtures/testing-counter-endpoint.js';
import { outcome, rpcServicePair } from './fixtures/test-utils.js';

describe('shutdown and oversized failures', () => {
  const rpc = rpcServicePair();

  it('rejects a callAsync whose task is still running when the endpoint terminates', async () => {
    const endpoint = new TestingCounterEndpoint(rpc.server, 'call-async-at-close');
    await endpoint.start();
    const pending = outcome(endpoint.callAsync(() => new Promise<never>(() => undefined), 60_000));
    await endpoint.closeAsync();
    const { error, elapsedMs } = await pending;
    assert.ok(error instanceof UnknownEndpointError, `got ${String(error)}`);
    assert.match(error.message, /stopped before it could run the call/);
    assert.ok(elapsedMs < 5000);
  });

  it('carries a huge handler error back as RemoteHandlerError, cut to size, and the channel keeps working', async () => {
    const endpoint = new TestingCounterEndpoint(rpc.server, 'huge-error');
    await endpoint.start();
    const counter = await rpc.client.connect(endpoint.address, testing.CounterGateway);
    const { error } = await outcome(counter.fail({ name: 'ReportError', message: 'x'.repeat(100_000) }, { timeoutMs: 5000 }));
    assert.ok(error instanceof RemoteHandlerError, `got ${String(error)}`);
    assert.equal(error.remoteName, 'ReportError');
    assert.ok(error.remoteMessage.length < 5000, `message of ${error.remoteMessage.length} characters`);
    assert.match(error.remoteMessage, /more characters cut/);
    assert.equal((await counter.increment({ delta: 1 })).value, 1);
    await endpoint.closeAsync();
  });

  it('fails calls and connects made after the caller stopped with clear errors, not a hang', async () => {
    const caller = await RpcService.start();
    const endpoint = new TestingCounterEndpoint(rpc.server, 'after-stop');
    await endpoint.start();
    const counter = await caller.connect(endpoint.address, testing.CounterGateway);
    await caller.stop();
    const { error } = await outcome(counter.increment({ delta: 1 }));
    assert.ok(error instanceof RpcUnreachableError, `got ${String(error)}`);
    assert.equal(error.fields.cause, 'connection closed');
    await assert.rejects(caller.connect(endpoint.address, testing.CounterGateway), /is stopping; it makes no new connections/);
    await endpoint.closeAsync();
  });

  it('stops within rpc.ask-timeout even when an endpoint never finishes starting', async () => {
    const service = await RpcService.start({ configuration: Configuration.fromRecord({ 'rpc.ask-timeout': '300 ms' }) });
    const stuck = new TestingCounterEndpoint(service, 'stuck', { onStart: () => new Promise<void>(() => undefined) });
    void stuck.start();
    const { elapsedMs, error } = await outcome(service.stop());
    assert.equal(error, undefined);
    assert.ok(elapsedMs >= 250 && elapsedMs < 5000, `stop took ${elapsedMs} ms`);
  });

  it('stops an endpoint that was asked to close while starting, once onStart completes', async () => {
    let finishStart!: () => void;
    const stopped: string[] = [];
    const endpoint = new TestingCounterEndpoint(rpc.server, 'close-while-starting', {
      onStart: () => new Promise<void>((resolve) => (finishStart = resolve)),
      onStop: () => void stopped.push('onStop'),
    });
    const started = endpoint.start();
    const closed = endpoint.closeAsync();
    finishStart();
    await started;
    await closed;
    assert.equal(endpoint.lifecycleState, 'TERMINATED');
    assert.deepEqual(stopped, ['onStop']);
  });
});
