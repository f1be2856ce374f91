import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { eddy_testing_v1 as testing } from '@eddy/proto';
import { RpcService } from '../src/rpc-service.js';
import { EndpointNotStartedError, RpcTimeoutError, UnknownEndpointError } from '../src/rpc-errors.js';
import { TestingCounterEndpoint } from './fixtures/testing-counter-endpoint.js';
import { rpcServicePair, outcome, waitFor } from './fixtures/test-utils.js';

/** Resolves when released; for holding onStart/onStop open. */
function gate(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

describe('RpcEndpoint lifecycle', () => {
  const rpc = rpcServicePair();

  it('answers a call that arrives before start() with "endpoint not started" and does not run it', async () => {
    const endpoint = new TestingCounterEndpoint(rpc.server, 'not-started');
    const counter = await rpc.client.connect(endpoint.address, testing.CounterGateway);
    const { error } = await outcome(counter.increment({ delta: 1 }));
    assert.ok(error instanceof EndpointNotStartedError, `got ${String(error)}`);
    assert.match(error.message, /not started/);
    assert.equal(endpoint.counter.value, 0);
    await endpoint.closeAsync();
  });

  it('holds calls that arrive while onStart runs and serves them, in order, once it completes', async () => {
    const starting = gate();
    const endpoint = new TestingCounterEndpoint(rpc.server, 'starting', { onStart: () => starting.promise });
    const started = endpoint.start();
    assert.equal(endpoint.lifecycleState, 'STARTING');
    const counter = await rpc.client.connect(endpoint.address, testing.CounterGateway);
    const first = counter.increment({ delta: 1 });
    const second = counter.increment({ delta: 2 });
    // A round trip on the same channel, sent after the calls: once it returns, they have arrived.
    await rpc.client.connect(endpoint.address, testing.CounterGateway);
    assert.deepEqual(endpoint.counter.seen, [], 'no call may run before onStart completes');
    starting.release();
    await started;
    assert.equal(endpoint.lifecycleState, 'RUNNING');
    assert.deepEqual([(await first).value, (await second).value], [1, 3]);
    assert.deepEqual(endpoint.counter.seen, [1, 2]);
    await endpoint.closeAsync();
  });

  it('terminates and rejects start() when onStart fails', async () => {
    const endpoint = new TestingCounterEndpoint(rpc.server, 'bad-start', {
      onStart: () => {
        throw new Error('cannot open state');
      },
    });
    await assert.rejects(endpoint.start(), /cannot open state/);
    assert.equal(endpoint.lifecycleState, 'TERMINATED');
    await assert.rejects(rpc.client.connect(endpoint.address, testing.CounterGateway), UnknownEndpointError);
  });

  it('still serves calls while onStop runs, then terminates and settles its termination promise', async () => {
    const stopping = gate();
    const endpoint = new TestingCounterEndpoint(rpc.server, 'stopping', { onStop: () => stopping.promise });
    await endpoint.start();
    const counter = await rpc.client.connect(endpoint.address, testing.CounterGateway);
    const closed = endpoint.closeAsync();
    await waitFor(() => endpoint.lifecycleState === 'STOPPING', 'the endpoint to be stopping');
    assert.equal((await counter.increment({ delta: 5 })).value, 5);
    let terminated = false;
    void endpoint.terminated.then(() => (terminated = true));
    assert.equal(terminated, false);
    stopping.release();
    await closed;
    await endpoint.terminated;
    assert.equal(endpoint.lifecycleState, 'TERMINATED');
    const { error } = await outcome(counter.increment({ delta: 1 }));
    assert.ok(error instanceof UnknownEndpointError, `got ${String(error)}`);
  });

  it('rejects its termination promise when onStop fails', async () => {
    const endpoint = new TestingCounterEndpoint(rpc.server, 'bad-stop', {
      onStop: () => Promise.reject(new Error('flush failed')),
    });
    await endpoint.start();
    await assert.rejects(endpoint.closeAsync(), /flush failed/);
    assert.equal(endpoint.lifecycleState, 'TERMINATED');
  });

  it('refuses a second endpoint with an id that is already hosted', async () => {
    const endpoint = new TestingCounterEndpoint(rpc.server, 'unique');
    assert.throws(() => new TestingCounterEndpoint(rpc.server, 'unique'), /already hosted/);
    await endpoint.closeAsync();
  });

  it('stops every endpoint it hosts when the RpcService stops', async () => {
    const own = await RpcService.start();
    const stopped: string[] = [];
    const a = new TestingCounterEndpoint(own, 'a', { onStop: () => void stopped.push('a') });
    const b = new TestingCounterEndpoint(own, 'b', { onStop: () => void stopped.push('b') });
    await a.start();
    await b.start();
    await own.stop();
    assert.deepEqual(stopped.sort(), ['a', 'b']);
    assert.equal(a.lifecycleState, 'TERMINATED');
    assert.equal(b.lifecycleState, 'TERMINATED');
  });
});

describe('RpcEndpoint mailbox', () => {
  const rpc = rpcServicePair();

  it('runs runAsync tasks one at a time in the order they were sent', async () => {
    const endpoint = new TestingCounterEndpoint(rpc.server, 'order');
    await endpoint.start();
    const ran: number[] = [];
    let running = false;
    for (let i = 0; i < 100; i++) {
      endpoint.runAsync(() => {
        assert.equal(running, false, 'tasks must not overlap');
        running = true;
        ran.push(i);
        running = false;
      });
    }
    assert.deepEqual(ran, [], 'runAsync never runs the task inside the caller');
    await waitFor(() => ran.length === 100, 'all tasks to run');
    assert.deepEqual(ran, [...Array(100).keys()]);
    await endpoint.closeAsync();
  });

  it('dispatches calls from one caller in the order they were sent, remote and local alike', async () => {
    for (const [name, caller] of [['remote', () => rpc.client], ['local', () => rpc.server]] as const) {
      const endpoint = new TestingCounterEndpoint(rpc.server, `ordered-${name}`);
      await endpoint.start();
      const counter = await caller().connect(endpoint.address, testing.CounterGateway);
      const deltas = [...Array(200).keys()].map((i) => i + 1);
      await Promise.all(deltas.map((delta) => counter.increment({ delta })));
      assert.deepEqual(endpoint.counter.seen, deltas, `${name} calls out of order`);
      await endpoint.closeAsync();
    }
  });

  it('loses none of 1,000 concurrent increments sent through RPC, remote or local', async () => {
    for (const [name, caller] of [['remote', () => rpc.client], ['local', () => rpc.server]] as const) {
      const endpoint = new TestingCounterEndpoint(rpc.server, `concurrent-${name}`);
      await endpoint.start();
      const counter = await caller().connect(endpoint.address, testing.CounterGateway);
      const answers = await Promise.all(Array.from({ length: 1000 }, () => counter.increment({ delta: 1 })));
      assert.equal((await counter.getValue({})).value, 1000, `${name}: lost increments`);
      // Each handler ran alone: every intermediate value was seen exactly once.
      assert.deepEqual(
        answers.map((a) => a.value).sort((x, y) => x - y),
        [...Array(1000).keys()].map((i) => i + 1),
      );
      await endpoint.closeAsync();
    }
  });

  it('never deadlocks when two endpoints call each other from inside their handlers', async () => {
    const other = await RpcService.start();
    try {
      const a = new TestingCounterEndpoint(rpc.server, 'ping');
      const b = new TestingCounterEndpoint(other, 'pong');
      const c = new TestingCounterEndpoint(rpc.server, 'pong-local');
      await Promise.all([a.start(), b.start(), c.start()]);
      const toA = await rpc.client.connect(a.address, testing.CounterGateway);
      const toB = await rpc.client.connect(b.address, testing.CounterGateway);
      // a -> b -> a -> b -> a ... across processes' worth of RpcServices, both directions at once,
      // and a -> c -> a inside one RpcService; each handler awaits the other's answer.
      const timeout = { timeoutMs: 5000 };
      const [ab, ba, ac] = await Promise.all([
        toA.callPeer({ peerAddress: b.address, bounce: 4 }, timeout),
        toB.callPeer({ peerAddress: a.address, bounce: 4 }, timeout),
        toA.callPeer({ peerAddress: c.address, bounce: 3 }, timeout),
      ]);
      assert.ok(ab.ownValue > 0 && ba.ownValue > 0 && ac.ownValue > 0);
      // Every callPeer increments its own endpoint once, the innermost one increments the peer once.
      assert.equal(a.counter.value + b.counter.value + c.counter.value, 5 + 5 + 4 + 3);
    } finally {
      await other.stop();
    }
  });

  it('resolves callAsync with the task result, including tasks that await their own mailbox', async () => {
    const endpoint = new TestingCounterEndpoint(rpc.server, 'call-async');
    await endpoint.start();
    const value = await endpoint.callAsync(async () => {
      const inner = await endpoint.callAsync(() => 20, 1000);
      return inner + 1;
    }, 1000);
    assert.equal(value, 21);
    await assert.rejects(
      endpoint.callAsync(() => {
        throw new Error('task failed');
      }, 1000),
      /task failed/,
    );
    await endpoint.closeAsync();
  });

  it('rejects callAsync with RpcTimeoutError when the task does not finish within its timeout', async () => {
    const endpoint = new TestingCounterEndpoint(rpc.server, 'call-async-timeout');
    await endpoint.start();
    const { error, elapsedMs } = await outcome(endpoint.callAsync(() => new Promise<never>(() => undefined), 50));
    assert.ok(error instanceof RpcTimeoutError, `got ${String(error)}`);
    assert.ok(elapsedMs < 2000, `took ${elapsedMs} ms`);
    await endpoint.closeAsync();
  });

  it('cancels its scheduled tasks when it terminates, and runs the ones that are due before', async (t) => {
    mock.timers.enable({ apis: ['setTimeout'] });
    t.after(() => mock.timers.reset());
    const endpoint = new TestingCounterEndpoint(rpc.server, 'timers');
    await endpoint.start();
    const ran: string[] = [];
    endpoint.scheduleRunAsync(() => ran.push('early'), 10);
    endpoint.scheduleRunAsync(() => ran.push('late'), 1000);
    const cancelled = endpoint.scheduleRunAsync(() => ran.push('cancelled'), 20);
    cancelled.cancel();
    mock.timers.tick(50);
    await waitForMicrotasks();
    assert.deepEqual(ran, ['early']);
    await endpoint.closeAsync();
    mock.timers.tick(5000);
    await waitForMicrotasks();
    assert.deepEqual(ran, ['early'], 'a timer outlived its endpoint');
    endpoint.runAsync(() => ran.push('after-termination'));
    await waitForMicrotasks();
    assert.deepEqual(ran, ['early']);
  });
});

/** Lets queued microtasks (the mailbox drains in one) run. */
async function waitForMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
