import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { eddy_testing_v1 as testing, type StreamServiceDescriptor } from '@eddy/proto';
import { RpcService } from '../src/rpc-service.js';
import { UnauthenticatedError } from '../src/rpc-errors.js';
import { AuthTokenCheck, bearer } from '../src/call-auth.js';
import { ENDPOINT_HEADER } from '../src/grpc-transport.js';
import { codecFor } from '../src/rpc-codec.js';
import { TestingCounterEndpoint } from './fixtures/testing-counter-endpoint.js';
import { outcome } from './fixtures/test-utils.js';

const TOKEN = 'c2f1e9a0d4b7-cluster-token';

const Echo: StreamServiceDescriptor = {
  name: 'eddy.testing.v1.TestingStreams',
  methods: {
    echo: { name: 'echo', path: '/eddy.testing.v1.TestingStreams/Echo', requestType: 'eddy.testing.v1.EchoRequest', responseType: 'eddy.testing.v1.EchoResponse', requestStream: false, responseStream: false },
  },
};

function capturingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[]; text: () => string } {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      raw.push(chunk.toString('utf8'));
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines, text: () => raw.join('') };
}

describe('calls into an RpcService that has an auth token', () => {
  const log = capturingLogger();
  let server: RpcService;
  let counter: TestingCounterEndpoint;
  let anonymous: RpcService;
  let wrong: RpcService;
  let member: RpcService;
  before(async () => {
    server = await RpcService.start({ authToken: TOKEN, logger: log.logger });
    server.serveStreamService(Echo, { echo: async (request: testing.EchoRequest): Promise<testing.EchoResponse> => ({ payload: Buffer.alloc(request.responseSize, 1) }) });
    counter = new TestingCounterEndpoint(server, 'counter');
    await counter.start();
    anonymous = await RpcService.start();
    wrong = await RpcService.start({ authToken: `${TOKEN}x` });
    member = await RpcService.start({ authToken: TOKEN });
  });
  after(async () => {
    await Promise.all([anonymous.stop(), wrong.stop(), member.stop()]);
    await server.stop();
  });

  it('refuses a caller without the token at the handshake with UnauthenticatedError naming the option and the environment variable', async () => {
    const { error } = await outcome(anonymous.connect(counter.address, testing.CounterGateway));
    assert.ok(error instanceof UnauthenticatedError, `got ${String(error)}`);
    assert.equal(error.fields.tokenPresent, false);
    assert.match(error.message, /no auth token/);
    assert.match(error.message, /security\.auth\.token/);
    assert.match(error.message, /EDDY_AUTH_TOKEN/);
    assert.ok(error.message.includes(server.address), error.message);
  });

  it('refuses a caller with a wrong token, saying it was wrong', async () => {
    const { error } = await outcome(wrong.connect(counter.address, testing.CounterGateway));
    assert.ok(error instanceof UnauthenticatedError, `got ${String(error)}`);
    assert.equal(error.fields.tokenPresent, true);
    assert.match(error.message, /a wrong auth token/);
  });

  it('refuses stream calls (blob transfers, job events) without the token too', async () => {
    const { error } = await outcome(anonymous.streamClient(server.address).unary(Echo.methods['echo']!, { payload: Buffer.alloc(0), responseSize: 3 }, 5000));
    assert.ok(error instanceof UnauthenticatedError, `got ${String(error)}`);
  });

  it('serves a caller with the token: gateway calls and stream calls', async () => {
    const proxy = await member.connect(counter.address, testing.CounterGateway);
    const before = counter.counter.value;
    assert.equal((await proxy.increment({ delta: 2 })).value, before + 2);
    const echoed = await member.streamClient(server.address).unary<testing.EchoRequest, testing.EchoResponse>(Echo.methods['echo']!, { payload: Buffer.alloc(0), responseSize: 3 }, 5000);
    assert.equal(echoed.payload.length, 3);
  });

  it('runs nothing for a refused call, whatever method it names', async () => {
    const before = counter.counter.value;
    // Straight to a gateway method, past the handshake a proxy would make first.
    const client = new grpc.Client(server.address, grpc.credentials.createInsecure());
    try {
      const metadata = new grpc.Metadata();
      metadata.set(ENDPOINT_HEADER, 'counter');
      const request = codecFor(testing.CounterGateway.methods.increment.requestType).encode({ delta: 5 });
      const code = await new Promise<number>((resolve) => {
        client.makeUnaryRequest(testing.CounterGateway.methods.increment.path, (bytes: Buffer) => bytes, (bytes: Buffer) => bytes, request, metadata, { deadline: Date.now() + 5000 }, (error) =>
          resolve(error?.code ?? grpc.status.OK),
        );
      });
      assert.equal(code, grpc.status.UNAUTHENTICATED);
    } finally {
      client.close();
    }
    assert.equal(counter.counter.value, before);
  });

  it('lets in-process calls through without a token', async () => {
    const proxy = await server.connect(counter.address, testing.CounterGateway);
    const before = counter.counter.value;
    assert.equal((await proxy.increment({ delta: 1 })).value, before + 1);
  });

  it('logs a refusal once per peer host, and never the token', async () => {
    await outcome(anonymous.connect(counter.address, testing.CounterGateway));
    await outcome(wrong.connect(counter.address, testing.CounterGateway));
    const refusals = log.lines.filter((line) => line['msg'] === 'Refused a call without the cluster auth token (logged once per peer host)');
    assert.equal(refusals.length, 1, JSON.stringify(refusals));
    assert.equal(refusals[0]!['peer'], '127.0.0.1');
    assert.ok(!log.text().includes(TOKEN), 'the token appears in the log');
  });
});

describe('AuthTokenCheck', () => {
  it('matches the token only, whole and exact, and only in the Bearer form for headers', () => {
    const check = new AuthTokenCheck(TOKEN);
    assert.equal(check.matches(TOKEN), true);
    for (const other of ['', TOKEN.slice(0, -1), `${TOKEN} `, TOKEN.toUpperCase(), `${TOKEN}${TOKEN}`]) assert.equal(check.matches(other), false, other);
    assert.equal(check.matchesBearer(bearer(TOKEN)), true);
    assert.equal(check.matchesBearer(TOKEN), false);
    assert.equal(check.matchesBearer(`Basic ${TOKEN}`), false);
    assert.equal(check.matchesBearer(undefined), false);
  });

  it('refuses to be built without a token', () => {
    assert.throws(() => new AuthTokenCheck(''), /needs a token/);
  });
});
