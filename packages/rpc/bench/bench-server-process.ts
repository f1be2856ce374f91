/**
 * The server side of the RPC benchmark (rpc-bench.ts), run as a child process so that client and
 * server do not share an event loop.
 *
 * Hosts both
 *   (a) an Eddy RpcService with a TestingCounterEndpoint (id `bench-counter`), and
 *   (a') a second RpcService with the auth token given as the first argument, and the same endpoint, and
 *   (b) a bare grpc-js server serving eddy.testing.v1.CounterGateway from testing.proto, loaded
 *       with @grpc/proto-loader, whose Increment does the same work (add delta, reply the value).
 *
 * Prints ONE JSON line on stdout once all listen: `{"eddy":"host:port/bench-counter","eddyWithToken":"host:port/bench-counter","bare":"host:port","pid":n}`.
 * With `--tls DIR` (certificates of scripts/gen-certs.sh) it also hosts the endpoint on a further
 * RpcService with mutual TLS, and the line has `"eddyTls":"host:port/bench-counter"`.
 * Nothing else goes to stdout. Exits on SIGTERM/SIGINT, or when its stdin closes (so it cannot
 * outlive a parent that died).
 */
import * as grpc from '@grpc/grpc-js';
import { silentLogger } from '@eddy/common';
import { RpcService } from '../src/index.js';
import { TestingCounterEndpoint } from '../test/fixtures/testing-counter-endpoint.js';
import { loadBareCounterGateway } from './bare-grpc.js';
import { benchTls } from './bench-tls.js';

const ENDPOINT_ID = 'bench-counter';

/** The token of the authenticated RpcService: the first argument, from the parent. */
const BENCH_AUTH_TOKEN = process.argv[2] ?? '';

/** dist/bench/ → repository root's proto/ directory. */

interface IncrementRequest {
  delta: number;
}
interface CounterValue {
  value: number;
  endpointId: string;
}
function loadCounterService(): grpc.ServiceDefinition {
  return loadBareCounterGateway().service;
}

async function startBareServer(): Promise<{ server: grpc.Server; address: string }> {
  let value = 0;
  const server = new grpc.Server();
  server.addService(loadCounterService(), {
    Increment: (call: grpc.ServerUnaryCall<IncrementRequest, CounterValue>, callback: grpc.sendUnaryData<CounterValue>) => {
      value += call.request.delta;
      callback(null, { value, endpointId: ENDPOINT_ID });
    },
    GetValue: (_call: grpc.ServerUnaryCall<unknown, CounterValue>, callback: grpc.sendUnaryData<CounterValue>) => {
      callback(null, { value, endpointId: ENDPOINT_ID });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, boundPort) => {
      if (error) reject(error);
      else resolve(boundPort);
    });
  });
  return { server, address: `127.0.0.1:${port}` };
}

async function main(): Promise<void> {
  if (BENCH_AUTH_TOKEN === '') throw new Error('usage: bench-server-process.js <auth token>');
  const service = await RpcService.start({ logger: silentLogger() });
  const endpoint = new TestingCounterEndpoint(service, ENDPOINT_ID);
  await endpoint.start();
  const tlsDir = process.argv.indexOf('--tls');
  const tlsService = tlsDir < 0 ? undefined : await RpcService.start({ logger: silentLogger(), tls: benchTls(process.argv[tlsDir + 1] ?? '', 'jobmanager') });
  const tlsEndpoint = tlsService === undefined ? undefined : new TestingCounterEndpoint(tlsService, ENDPOINT_ID);
  await tlsEndpoint?.start();
  const serviceWithToken = await RpcService.start({ logger: silentLogger(), authToken: BENCH_AUTH_TOKEN });
  const endpointWithToken = new TestingCounterEndpoint(serviceWithToken, ENDPOINT_ID);
  await endpointWithToken.start();
  const bare = await startBareServer();

  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    // Never hang on a graceful shutdown: the parent is waiting for us to go.
    setTimeout(() => process.exit(0), 2000).unref();
    void Promise.allSettled([service.stop(), serviceWithToken.stop(), tlsService?.stop(), new Promise<void>((resolve) => bare.server.tryShutdown(() => resolve()))]).then(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.stdin.on('end', shutdown);
  process.stdin.on('close', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();

  process.stdout.write(`${JSON.stringify({ eddy: endpoint.address, eddyWithToken: endpointWithToken.address, bare: bare.address, pid: process.pid, ...(tlsEndpoint === undefined ? {} : { eddyTls: tlsEndpoint.address }) })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench-server-process failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
