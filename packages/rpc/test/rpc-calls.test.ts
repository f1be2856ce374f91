import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Configuration } from '@eddy/common';
import { eddy_testing_v1 as testing, type GatewayDescriptor } from '@eddy/proto';
import { RpcService } from '../src/rpc-service.js';
import {
  EndpointNotStartedError,
  GatewayMismatchError,
  MessageTooLargeError,
  ProtocolVersionMismatchError,
  RemoteHandlerError,
  RpcTimeoutError,
  RpcUnreachableError,
  UnknownEndpointError,
  ERROR_TRAILER,
} from '../src/rpc-errors.js';
import { InvalidAddressError } from '../src/rpc-address.js';
import { TestingCounterEndpoint } from './fixtures/testing-counter-endpoint.js';
import { outcome, waitFor } from './fixtures/test-utils.js';

const SMALL_LIMIT = Configuration.fromRecord({ 'rpc.max-message-size': '64 kb' });

/**
 * Every behaviour below is checked twice: from another RpcService (over gRPC on 127.0.0.1) and
 * from the endpoint's own RpcService (in-process, no network). They must not differ.
 */
describe('RPC calls, remote and local alike', () => {
  let server: RpcService;
  let remoteCaller: RpcService;
  let counter: TestingCounterEndpoint;
  let idle: TestingCounterEndpoint;
  before(async () => {
    server = await RpcService.start({ configuration: SMALL_LIMIT });
    remoteCaller = await RpcService.start({ configuration: SMALL_LIMIT });
    counter = new TestingCounterEndpoint(server, 'counter');
    idle = new TestingCounterEndpoint(server, 'idle');
    await counter.start();
  });
  after(async () => {
    await remoteCaller.stop();
    await server.stop();
  });

  for (const mode of ['remote', 'local'] as const) {
    const caller = (): RpcService => (mode === 'remote' ? remoteCaller : server);
    const connect = <G>(endpoint: { address: string }, gateway: GatewayDescriptor<G>): Promise<G> => caller().connect(endpoint.address, gateway);

    describe(`${mode} calls`, () => {
      it('answers an ask with the decoded response, defaults filled in', async () => {
        const proxy = await connect(counter, testing.CounterGateway);
        const before = counter.counter.value;
        const answer = await proxy.increment({ delta: 3 });
        assert.deepEqual(answer, { value: before + 3, endpointId: 'counter' });
        assert.deepEqual(await proxy.increment({ delta: 0 }), { value: before + 3, endpointId: 'counter' });
      });

      it('fails an ask that misses its per-call deadline with RpcTimeoutError naming method, address, deadline and config key', async () => {
        const proxy = await connect(counter, testing.CounterGateway);
        const { error, elapsedMs } = await outcome(proxy.sleep({ delayMs: 5000 }, { timeoutMs: 100 }));
        assert.ok(error instanceof RpcTimeoutError, `got ${String(error)}`);
        assert.ok(elapsedMs >= 90 && elapsedMs < 2000, `timed out after ${elapsedMs} ms`);
        assert.match(error.message, /CounterGateway\.sleep/);
        assert.ok(error.message.includes(counter.address));
        assert.match(error.message, /100 ms/);
        assert.match(error.message, /rpc\.ask-timeout/);
      });

      it('sends a tell without waiting, and its handler runs', async () => {
        const proxy = await connect(counter, testing.CounterGateway);
        const before = counter.counter.value;
        const result = proxy.incrementOneWay({ delta: 7 });
        assert.equal(result, undefined);
        await waitFor(() => counter.counter.value === before + 7, 'the tell to be handled');
      });

      it('never fails the caller of a tell: not when the handler throws, nor when the endpoint is not started', async () => {
        const unhandled: unknown[] = [];
        const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
        process.on('unhandledRejection', onUnhandled);
        try {
          const proxy = await connect(counter, testing.CounterGateway);
          const toIdle = await connect(idle, testing.CounterGateway);
          assert.doesNotThrow(() => proxy.incrementOneWay({ delta: -1 }));
          assert.doesNotThrow(() => toIdle.incrementOneWay({ delta: 1 }));
          // An ask sent after the tells on the same channel returns after they were handled.
          const before = counter.counter.value;
          proxy.incrementOneWay({ delta: 2 });
          await waitFor(async () => (await proxy.getValue({})).value === before + 2, 'a later tell to be handled');
          assert.equal(idle.counter.value, 0);
          assert.deepEqual(unhandled, []);
        } finally {
          process.off('unhandledRejection', onUnhandled);
        }
      });

      it('keeps the remote handler error: its name, message and stack', async () => {
        const proxy = await connect(counter, testing.CounterGateway);
        const { error } = await outcome(proxy.fail({ name: 'InventoryError', message: 'shelf 7 is empty' }));
        assert.ok(error instanceof RemoteHandlerError, `got ${String(error)}`);
        assert.equal(error.remoteName, 'InventoryError');
        assert.equal(error.remoteMessage, 'shelf 7 is empty');
        assert.match(error.remoteStack, /InventoryError: shelf 7 is empty/);
        assert.match(error.remoteStack, /testing-counter-endpoint/);
        assert.match(error.message, /CounterGateway\.fail failed at .*InventoryError: shelf 7 is empty/);
      });

      it('answers a call to an endpoint that is not started with EndpointNotStartedError', async () => {
        const proxy = await connect(idle, testing.CounterGateway);
        await assert.rejects(proxy.increment({ delta: 1 }), EndpointNotStartedError);
        assert.equal(idle.counter.value, 0);
      });

      it('fails connect() to an endpoint id nobody hosts with UnknownEndpointError listing what is hosted', async () => {
        const { error } = await outcome(caller().connect(`${server.address}/nobody`, testing.CounterGateway));
        assert.ok(error instanceof UnknownEndpointError, `got ${String(error)}`);
        assert.match(error.message, /No endpoint .*nobody/);
        assert.match(error.message, /counter/);
      });

      it('fails a call with UnknownEndpointError once the endpoint has stopped', async () => {
        const shortLived = new TestingCounterEndpoint(server, `short-lived-${mode}`);
        await shortLived.start();
        const proxy = await connect(shortLived, testing.CounterGateway);
        await shortLived.closeAsync();
        await assert.rejects(proxy.increment({ delta: 1 }), UnknownEndpointError);
      });

      it('refuses an oversized request at the sender, before anything reaches the endpoint', async () => {
        const proxy = await connect(counter, testing.CounterGateway);
        const { error } = await outcome(proxy.echo({ payload: Buffer.alloc(100 * 1024), responseSize: 0 }));
        assert.ok(error instanceof MessageTooLargeError, `got ${String(error)}`);
        assert.equal(error.fields.direction, 'request');
        assert.equal(error.fields.allowedBytes, 64 * 1024);
        assert.ok(error.fields.actualBytes > 100 * 1024);
        assert.match(error.message, /rpc\.max-message-size/);
      });

      it('refuses an oversized response at its sender and tells the caller why', async () => {
        const proxy = await connect(counter, testing.CounterGateway);
        const { error } = await outcome(proxy.echo({ payload: Buffer.alloc(0), responseSize: 200 * 1024 }));
        assert.ok(error instanceof MessageTooLargeError, `got ${String(error)}`);
        assert.equal(error.fields.direction, 'response');
        assert.equal(error.fields.allowedBytes, 64 * 1024);
        // The endpoint keeps serving.
        assert.equal((await proxy.echo({ payload: Buffer.alloc(0), responseSize: 1024 })).payload.length, 1024);
      });

      it('fails connect() with GatewayMismatchError when the endpoint serves another gateway', async () => {
        const other: GatewayDescriptor<object> = { name: 'eddy.testing.v1.LedgerGateway', fingerprint: 'ffff', methods: {} };
        const { error } = await outcome(caller().connect(counter.address, other));
        assert.ok(error instanceof GatewayMismatchError, `got ${String(error)}`);
        assert.match(error.message, /serves eddy\.testing\.v1\.CounterGateway, but the client was built for eddy\.testing\.v1\.LedgerGateway/);
      });

      it('fails connect() with GatewayMismatchError when the client was built from another version of the gateway', async () => {
        const drifted = { ...testing.CounterGateway, fingerprint: '0123456789abcdef' };
        const { error } = await outcome(caller().connect(counter.address, drifted));
        assert.ok(error instanceof GatewayMismatchError, `got ${String(error)}`);
        assert.match(error.message, /built against schema 0123456789abcdef/);
      });
    });
  }

  it('uses rpc.ask-timeout as the default deadline of an ask', async () => {
    const impatient = await RpcService.start({ configuration: Configuration.fromRecord({ 'rpc.ask-timeout': '150 ms' }) });
    try {
      const proxy = await impatient.connect(counter.address, testing.CounterGateway);
      const { error, elapsedMs } = await outcome(proxy.sleep({ delayMs: 10_000 }));
      assert.ok(error instanceof RpcTimeoutError, `got ${String(error)}`);
      assert.equal(error.fields.timeoutMs, 150);
      assert.ok(elapsedMs >= 140 && elapsedMs < 3000, `timed out after ${elapsedMs} ms`);
    } finally {
      await impatient.stop();
    }
  });

  it('defaults rpc.ask-timeout to 10 s and rpc.max-message-size to 10 MiB', async () => {
    const defaults = await RpcService.start();
    try {
      assert.equal(defaults.askTimeoutMs, 10_000);
      assert.equal(defaults.maxMessageSize, 10 * 1024 * 1024);
    } finally {
      await defaults.stop();
    }
  });

  it('fails connect() with ProtocolVersionMismatchError naming both versions', async () => {
    const future = await RpcService.start({ protocolVersion: 99 });
    try {
      const { error } = await outcome(future.connect(counter.address, testing.CounterGateway));
      assert.ok(error instanceof ProtocolVersionMismatchError, `got ${String(error)}`);
      assert.match(error.message, /speaks RPC protocol version 1, this client speaks version 99/);
    } finally {
      await future.stop();
    }
  });

  it('fails with RpcUnreachableError "connection refused" when nothing listens at the address', async () => {
    const gone = await RpcService.start();
    const address = gone.address;
    await gone.stop();
    const { error, elapsedMs } = await outcome(remoteCaller.connect(`${address}/counter`, testing.CounterGateway));
    assert.ok(error instanceof RpcUnreachableError, `got ${String(error)}`);
    assert.equal(error.fields.cause, 'connection refused');
    assert.ok(error.message.includes(address));
    // grpc-js's "No connection established. Last error: Error: ... Resolution note: " reduced to its point.
    assert.equal(error.fields.detail, `connect ECONNREFUSED ${address}`);
    assert.doesNotMatch(error.message, /Resolution note|No connection established/);
    assert.ok(elapsedMs < 2000, `took ${elapsedMs} ms`);
  });

  it('fails with RpcUnreachableError "host not found" when the host does not resolve', async () => {
    const { error } = await outcome(remoteCaller.connect('no-such-host.invalid:6123/counter', testing.CounterGateway));
    assert.ok(error instanceof RpcUnreachableError, `got ${String(error)}`);
    assert.equal(error.fields.cause, 'host not found');
    assert.doesNotMatch(error.message, /Resolution note: ?\)|No connection established/);
  });

  it('refuses a malformed address with the expected form', async () => {
    await assert.rejects(remoteCaller.connect('127.0.0.1:6123', testing.CounterGateway), InvalidAddressError);
    await assert.rejects(remoteCaller.connect('localhost/x', testing.CounterGateway), /expected host:port\/endpointId/);
  });

  it('answers malformed bytes from a raw gRPC client with INVALID_ARGUMENT and keeps serving everyone', async () => {
    const raw = new grpc.Client(server.address, grpc.credentials.createInsecure());
    try {
      const metadata = new grpc.Metadata();
      metadata.set('eddy-endpoint', 'counter');
      const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
      const error = await new Promise<grpc.ServiceError | null>((resolve) => {
        raw.makeUnaryRequest(testing.CounterGateway.methods.increment.path, (b: Buffer) => b, (b: Buffer) => b, garbage, metadata, { deadline: Date.now() + 5000 }, (err) => resolve(err));
      });
      assert.ok(error !== null);
      assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
      assert.match(error.details, /not a valid eddy\.testing\.v1\.IncrementRequest/);
      assert.ok(error.metadata.get(ERROR_TRAILER).length > 0);
      const proxy = await remoteCaller.connect(counter.address, testing.CounterGateway);
      const before = counter.counter.value;
      assert.equal((await proxy.increment({ delta: 1 })).value, before + 1);
    } finally {
      raw.close();
    }
  });
});
