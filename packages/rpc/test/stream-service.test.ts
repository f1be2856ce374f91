import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { StreamServiceDescriptor, eddy_testing_v1 as testing } from '@eddy/proto';
import { RpcService } from '../src/rpc-service.js';
import { RpcCallError } from '../src/grpc-transport.js';
import { RpcUnreachableError } from '../src/rpc-errors.js';
import { StreamCallError, type StreamWriter } from '../src/stream-service.js';
import { outcome, waitFor } from './fixtures/test-utils.js';

/** A streaming service for these tests only, built from the testing messages. */
const TestingStreams: StreamServiceDescriptor = {
  name: 'eddy.testing.v1.TestingStreams',
  methods: {
    echo: { name: 'echo', path: '/eddy.testing.v1.TestingStreams/Echo', requestType: 'eddy.testing.v1.EchoRequest', responseType: 'eddy.testing.v1.EchoResponse', requestStream: false, responseStream: false },
    fail: { name: 'fail', path: '/eddy.testing.v1.TestingStreams/Fail', requestType: 'eddy.testing.v1.FailRequest', responseType: 'eddy.testing.v1.CounterValue', requestStream: false, responseStream: false },
    count: { name: 'count', path: '/eddy.testing.v1.TestingStreams/Count', requestType: 'eddy.testing.v1.IncrementRequest', responseType: 'eddy.testing.v1.EchoResponse', requestStream: false, responseStream: true },
    failMidStream: { name: 'failMidStream', path: '/eddy.testing.v1.TestingStreams/FailMidStream', requestType: 'eddy.testing.v1.FailRequest', responseType: 'eddy.testing.v1.EchoResponse', requestStream: false, responseStream: true },
    collect: { name: 'collect', path: '/eddy.testing.v1.TestingStreams/Collect', requestType: 'eddy.testing.v1.EchoRequest', responseType: 'eddy.testing.v1.CounterValue', requestStream: true, responseStream: false },
    chat: { name: 'chat', path: '/eddy.testing.v1.TestingStreams/Chat', requestType: 'eddy.testing.v1.EchoRequest', responseType: 'eddy.testing.v1.EchoResponse', requestStream: true, responseStream: true },
  },
};

const MESSAGE_SIZE = 16 * 1024;

/** What the server side of the latest `count` or `collect` call did, for the tests to observe. */
interface HandlerState {
  written: number;
  writePending: boolean;
  cancelled: boolean;
  onCancelRan: boolean;
  received: number;
  settled: 'running' | 'resolved' | 'rejected';
  error?: unknown;
}

function newState(): HandlerState {
  return { written: 0, writePending: false, cancelled: false, onCancelRan: false, received: 0, settled: 'running' };
}

function numbered(index: number): testing.EchoResponse {
  const payload = Buffer.alloc(MESSAGE_SIZE);
  payload.writeUInt32BE(index);
  return { payload };
}

function indexOf(message: testing.EchoResponse): number {
  return Buffer.from(message.payload).readUInt32BE(0);
}

function track<T>(state: HandlerState, work: Promise<T>): Promise<T> {
  return work.then(
    (value) => {
      state.settled = 'resolved';
      return value;
    },
    (error: unknown) => {
      state.settled = 'rejected';
      state.error = error;
      throw error;
    },
  );
}

describe('streaming services', () => {
  let server: RpcService;
  let client: RpcService;
  let state = newState();
  let failedStreams = 0;
  const stub = () => client.streamClient(server.address);

  before(async () => {
    server = await RpcService.start();
    client = await RpcService.start();
    server.serveStreamService(TestingStreams, {
      echo: async (request: testing.EchoRequest): Promise<testing.EchoResponse> => ({ payload: Buffer.alloc(request.responseSize, 7) }),
      fail: async (request: testing.FailRequest): Promise<testing.CounterValue> => {
        if (request.name === 'plain') throw new TypeError(request.message);
        throw new StreamCallError(grpc.status.FAILED_PRECONDITION, request.message);
      },
      // Streams `delta` numbered messages of 16 KiB; a negative delta streams until cancelled.
      count: (request: testing.IncrementRequest, out: StreamWriter<testing.EchoResponse>): Promise<void> => {
        const current = (state = newState());
        out.onCancel(() => (current.onCancelRan = true));
        return track(
          current,
          (async () => {
            for (let index = 0; request.delta < 0 || index < request.delta; index++) {
              if (out.cancelled) {
                current.cancelled = true;
                return;
              }
              current.writePending = true;
              await out.write(numbered(index));
              current.writePending = false;
              current.written++;
            }
          })(),
        );
      },
      failMidStream: async (request: testing.FailRequest, out: StreamWriter<testing.EchoResponse>): Promise<void> => {
        for (let index = 0; index < 3; index++) await out.write(numbered(index));
        failedStreams++;
        throw new StreamCallError(grpc.status.RESOURCE_EXHAUSTED, request.message);
      },
      // Answers each request with `responseSize` copies of it (its payload); responseSize 1000 fails
      // the call. After the client half-closes, sends one last empty message.
      chat: (requests: AsyncIterable<testing.EchoRequest>, out: StreamWriter<testing.EchoResponse>): Promise<void> => {
        const current = (state = newState());
        out.onCancel(() => (current.onCancelRan = true));
        return track(
          current,
          (async () => {
            for await (const request of requests) {
              current.received++;
              if (request.responseSize === 1000) throw new StreamCallError(grpc.status.ABORTED, `request ${current.received} refused`);
              for (let copy = 0; copy < request.responseSize; copy++) {
                current.writePending = true;
                await out.write({ payload: request.payload });
                current.writePending = false;
                current.written++;
              }
            }
            await out.write({ payload: Buffer.alloc(0) });
          })(),
        );
      },
      // Answers with the number of bytes received and, as endpointId, the number of messages.
      collect: (requests: AsyncIterable<testing.EchoRequest>): Promise<testing.CounterValue> => {
        const current = (state = newState());
        let bytes = 0;
        return track(
          current,
          (async () => {
            for await (const request of requests) {
              if (request.responseSize === 1) throw new StreamCallError(grpc.status.INVALID_ARGUMENT, `chunk ${current.received} refused`);
              current.received++;
              bytes += request.payload.length;
            }
            return { value: bytes, endpointId: String(current.received) };
          })(),
        );
      },
    });
  });
  after(async () => {
    await client.stop();
    await server.stop();
  });

  it('answers a unary call with the decoded response', async () => {
    const response = await stub().unary<testing.EchoRequest, testing.EchoResponse>(TestingStreams.methods['echo']!, { payload: Buffer.alloc(0), responseSize: 300 }, 5000);
    assert.equal(response.payload.length, 300);
    assert.equal(response.payload[299], 7);
  });

  it('delivers every message of a long server stream, in order', async () => {
    const indexes: number[] = [];
    for await (const message of stub().serverStream<testing.IncrementRequest, testing.EchoResponse>(TestingStreams.methods['count']!, { delta: 600 }, 20_000)) {
      indexes.push(indexOf(message));
    }
    assert.equal(indexes.length, 600);
    assert.ok(indexes.every((value, index) => value === index));
    assert.equal(state.settled, 'resolved');
  });

  it('holds a server-stream handler back while its client does not read, without piling up listeners', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const total = 3000; // 48 MiB, far more than the transport buffers
      const stream = stub().serverStream<testing.IncrementRequest, testing.EchoResponse>(TestingStreams.methods['count']!, { delta: total }, 30_000);
      const iterator = stream[Symbol.asyncIterator]();
      const first = await iterator.next();
      assert.equal(first.done, false);
      await waitFor(() => state.writePending && state.written > 16, 'the handler to wait for its client');
      const writtenWhileStalled = state.written;
      assert.ok(writtenWhileStalled < total / 4, `the handler wrote ${writtenWhileStalled} of ${total} messages while nobody read`);
      let received = 1;
      for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
        assert.equal(indexOf(next.value), received);
        received++;
      }
      assert.equal(received, total);
      assert.equal(state.settled, 'resolved');
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(
        warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning').map((warning) => warning.message),
        [],
      );
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('sends a client stream and answers with what the handler made of it', async () => {
    const chunks = function* (): Generator<testing.EchoRequest> {
      for (let index = 0; index < 200; index++) yield { payload: Buffer.alloc(64 * 1024, index), responseSize: 0 };
    };
    const answer = await stub().clientStream<testing.EchoRequest, testing.CounterValue>(TestingStreams.methods['collect']!, chunks(), 20_000);
    assert.deepEqual(answer, { value: 200 * 64 * 1024, endpointId: '200' });
  });

  it('carries a handler error to the client with its status code and message, from every kind of method', async () => {
    const unary = await outcome(stub().unary(TestingStreams.methods['fail']!, { name: 'precondition', message: 'the shelf is empty' }, 5000));
    assert.ok(unary.error instanceof RpcCallError, `got ${String(unary.error)}`);
    assert.equal(unary.error.code, grpc.status.FAILED_PRECONDITION);
    assert.match(unary.error.message, /the shelf is empty/);

    const plain = await outcome(stub().unary(TestingStreams.methods['fail']!, { name: 'plain', message: 'not a number' }, 5000));
    assert.ok(plain.error instanceof RpcCallError, `got ${String(plain.error)}`);
    assert.equal(plain.error.code, grpc.status.INTERNAL);
    assert.match(plain.error.message, /TypeError: not a number/);

    const received: number[] = [];
    const streamed = await outcome(
      (async () => {
        for await (const message of stub().serverStream<testing.FailRequest, testing.EchoResponse>(TestingStreams.methods['failMidStream']!, { name: '', message: 'out of tokens' })) {
          received.push(indexOf(message));
        }
      })(),
    );
    assert.deepEqual(received, [0, 1, 2]);
    assert.ok(streamed.error instanceof RpcCallError, `got ${String(streamed.error)}`);
    assert.equal(streamed.error.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(streamed.error.message, /out of tokens/);

    const chunks = [{ payload: Buffer.alloc(10), responseSize: 0 }, { payload: Buffer.alloc(10), responseSize: 1 }, { payload: Buffer.alloc(10), responseSize: 0 }];
    const collected = await outcome(stub().clientStream(TestingStreams.methods['collect']!, chunks, 5000));
    assert.ok(collected.error instanceof RpcCallError, `got ${String(collected.error)}`);
    assert.equal(collected.error.code, grpc.status.INVALID_ARGUMENT);
    assert.match(collected.error.message, /chunk 1 refused/);
  });

  it('tells the handler when its client cancels a server stream, and ends the iteration quietly', async () => {
    const stream = stub().serverStream<testing.IncrementRequest, testing.EchoResponse>(TestingStreams.methods['count']!, { delta: -1 });
    let received = 0;
    for await (const message of stream) {
      assert.equal(indexOf(message), received);
      if (++received === 5) stream.cancel();
    }
    await waitFor(() => state.settled !== 'running', 'the handler to stop');
    assert.equal(state.settled, 'resolved');
    assert.ok(state.cancelled, 'the handler saw out.cancelled');
    assert.ok(state.onCancelRan, 'the onCancel hook ran');
  });

  it('cancels the call when its consumer stops iterating early, so the handler stops too', async () => {
    let received = 0;
    for await (const message of stub().serverStream<testing.IncrementRequest, testing.EchoResponse>(TestingStreams.methods['count']!, { delta: -1 })) {
      assert.equal(indexOf(message), received);
      if (++received === 3) break;
    }
    await waitFor(() => state.settled !== 'running', 'the handler to stop');
    assert.ok(state.onCancelRan, 'the onCancel hook ran');
  });

  it('does not crash the process when a server stream fails before anyone iterates it', async () => {
    const failedBefore = failedStreams;
    const stream = stub().serverStream<testing.FailRequest, testing.EchoResponse>(TestingStreams.methods['failMidStream']!, { name: '', message: 'early failure' });
    await waitFor(() => failedStreams > failedBefore, 'the handler to fail');
    // A round trip on the same connection: its answer comes after the failed stream's status.
    await stub().unary(TestingStreams.methods['echo']!, { payload: Buffer.alloc(0), responseSize: 1 }, 5000);
    // grpc-js may drop the messages nobody read before the failure; the failure itself must surface.
    const { error } = await outcome(
      (async () => {
        for await (const _ of stream);
      })(),
    );
    assert.ok(error instanceof RpcCallError, `got ${String(error)}`);
    assert.match(error.message, /early failure/);
  });

  it('cancels a client stream whose requests fail, rejecting with that failure; the handler does not hang', async () => {
    const chunks = async function* (): AsyncGenerator<testing.EchoRequest> {
      yield { payload: Buffer.alloc(100), responseSize: 0 };
      await waitFor(() => state.received === 1, 'the first chunk to arrive');
      throw new Error('disk went away');
    };
    const { error } = await outcome(stub().clientStream(TestingStreams.methods['collect']!, chunks(), 5000));
    assert.ok(error instanceof Error);
    assert.equal(error.message, 'disk went away');
    // Node's HTTP/2 half-closes a stream before it resets it, so the handler may see its input
    // end normally (see stream-service.ts); what matters is that it is not left waiting.
    await waitFor(() => state.settled !== 'running', 'the handler to stop');
    assert.equal(state.received, 1);
  });

  it('answers a request that is not a valid message with INVALID_ARGUMENT instead of hanging', async () => {
    const raw = new grpc.Client(server.address, grpc.credentials.createInsecure());
    try {
      const identity = (bytes: Buffer): Buffer => bytes;
      // Field 1 as a varint whose continuation bit promises bytes that never come.
      const call = raw.makeServerStreamRequest<Buffer, Buffer>(TestingStreams.methods['count']!.path, identity, identity, Buffer.from([0x08, 0xff]), new grpc.Metadata(), { deadline: Date.now() + 5000 });
      const status = await new Promise<grpc.StatusObject>((resolve) => {
        call.on('error', () => undefined);
        call.on('data', () => undefined);
        call.on('status', resolve);
      });
      assert.equal(status.code, grpc.status.INVALID_ARGUMENT, `got ${grpc.status[status.code]}: ${status.details}`);
      assert.match(status.details, /not a valid eddy\.testing\.v1\.IncrementRequest/);
    } finally {
      raw.close();
    }
  });

  it('carries requests and responses both ways on a bidirectional stream, in order, until the client half-closes', async () => {
    const chat = stub().bidiStream<testing.EchoRequest, testing.EchoResponse>(TestingStreams.methods['chat']!);
    const received: number[] = [];
    const reading = (async () => {
      for await (const message of chat) received.push(message.payload.length === 0 ? -1 : indexOf(message));
    })();
    for (let index = 0; index < 500; index++) await chat.write({ payload: numbered(index).payload, responseSize: 2 });
    await waitFor(() => received.length === 1000, 'every answer');
    assert.equal(state.settled, 'running', 'the handler waits for more requests');
    chat.end();
    await reading;
    assert.deepEqual(received, [...Array.from({ length: 1000 }, (_, i) => Math.floor(i / 2)), -1]);
    assert.equal(state.settled, 'resolved');
  });

  it('ends a bidirectional stream with the handler\'s error, and tells the handler when its client cancels', async () => {
    const failing = stub().bidiStream<testing.EchoRequest, testing.EchoResponse>(TestingStreams.methods['chat']!);
    await failing.write({ payload: numbered(0).payload, responseSize: 1 });
    await failing.write({ payload: Buffer.alloc(0), responseSize: 1000 });
    const received: number[] = [];
    const { error } = await outcome(
      (async () => {
        for await (const message of failing) received.push(indexOf(message));
      })(),
    );
    assert.deepEqual(received, [0]);
    assert.ok(error instanceof RpcCallError, `got ${String(error)}`);
    assert.equal(error.code, grpc.status.ABORTED);
    assert.match(error.message, /request 2 refused/);
    // Writes after the failure are dropped, not thrown.
    await failing.write({ payload: Buffer.alloc(1), responseSize: 1 });

    const cancelled = stub().bidiStream<testing.EchoRequest, testing.EchoResponse>(TestingStreams.methods['chat']!);
    await cancelled.write({ payload: numbered(7).payload, responseSize: 1 });
    for await (const message of cancelled) {
      assert.equal(indexOf(message), 7);
      cancelled.cancel();
    }
    // As with client streams, the handler may see its input end before it learns of the cancel.
    await waitFor(() => state.settled !== 'running' && state.onCancelRan, 'the handler to stop and see the cancel');
  });

  it('streams bulk data to the client over a data channel of its own, holding the handler back while the client does not read', async () => {
    const data = client.streamClient(server.address, { dataChannel: { flowControlWindowBytes: 1024 * 1024 } });
    assert.notEqual(data, stub());
    const chat = data.bidiStream<testing.EchoRequest, testing.EchoResponse>(TestingStreams.methods['chat']!);
    const iterator = chat[Symbol.asyncIterator]();
    await chat.write({ payload: Buffer.alloc(MESSAGE_SIZE, 1), responseSize: 2000 }); // 32 MiB back
    assert.equal((await iterator.next()).done, false);
    // A write that the transport takes resolves within microtasks, so a poll that sees one pending
    // sees the handler parked, waiting for its client to read.
    await waitFor(() => state.writePending && state.written > 16, 'the handler to wait for its client');
    assert.ok(state.written < 500, `the handler wrote ${state.written} of 2000 messages of 16 KiB while nobody read`);
    // Gateway-sized calls still pass on the shared channel meanwhile.
    await stub().unary(TestingStreams.methods['echo']!, { payload: Buffer.alloc(0), responseSize: 1 }, 5000);
    let received = 1;
    while (received < 2000) {
      const next = await iterator.next();
      assert.equal(next.done, false);
      received++;
    }
    chat.end();
    assert.equal((await iterator.next()).value?.payload.length, 0);
    assert.equal((await iterator.next()).done, true);
  });

  it('fails every kind of call to an address nobody listens on with RpcUnreachableError, quickly', async () => {
    const gone = await RpcService.start();
    const address = gone.address;
    await gone.stop();
    const dead = client.streamClient(address);
    const calls = [
      dead.unary(TestingStreams.methods['echo']!, { payload: Buffer.alloc(0), responseSize: 1 }, 10_000),
      (async () => {
        for await (const _ of dead.serverStream(TestingStreams.methods['count']!, { delta: 3 }, 10_000)) assert.fail('no message expected');
      })(),
      dead.clientStream(TestingStreams.methods['collect']!, [{ payload: Buffer.alloc(10), responseSize: 0 }], 10_000),
      (async () => {
        const chat = dead.bidiStream(TestingStreams.methods['chat']!);
        await chat.write({ payload: Buffer.alloc(10), responseSize: 1 });
        for await (const _ of chat) assert.fail('no message expected');
      })(),
    ];
    for (const call of calls) {
      const { error, elapsedMs } = await outcome(call);
      assert.ok(error instanceof RpcUnreachableError, `got ${String(error)}`);
      assert.ok(error.message.includes(address));
      assert.ok(elapsedMs < 2000, `failed after ${elapsedMs} ms`);
    }
  });

  it('rejects, rather than throws, a call made through a client whose RpcService has stopped', async () => {
    const caller = await RpcService.start();
    const streams = caller.streamClient(server.address);
    await caller.stop();
    let pending: Promise<unknown> | undefined;
    assert.doesNotThrow(() => (pending = streams.unary(TestingStreams.methods['echo']!, { payload: Buffer.alloc(0), responseSize: 1 }, 5000)));
    await assert.rejects(pending!, RpcUnreachableError);
    const iteration = outcome(
      (async () => {
        for await (const _ of streams.serverStream(TestingStreams.methods['count']!, { delta: 1 })) assert.fail('no message expected');
      })(),
    );
    assert.ok((await iteration).error instanceof RpcUnreachableError);
  });
});
