import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { eddy_testing_v1 as testing } from '@eddy/proto';
import { RpcService } from '../src/rpc-service.js';
import { TestingCounterEndpoint } from './fixtures/testing-counter-endpoint.js';

/** A pino logger at `level` whose JSON lines land in the returned array. */
function capturingLogger(level: string): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

describe('RPC logging', () => {
  it('logs an endpoint through a child logger with component and endpointId, and each served RPC at debug', async () => {
    const { logger, lines } = capturingLogger('debug');
    const server = await RpcService.start({ logger });
    const client = await RpcService.start();
    try {
      const endpoint = new TestingCounterEndpoint(server, 'logged');
      await endpoint.start();
      const counter = await client.connect(endpoint.address, testing.CounterGateway);
      await counter.increment({ delta: 1 });
      await counter.getValue({});
      const started = lines.find((l) => l['msg'] === 'RPC endpoint started');
      assert.equal(started?.['component'], 'TestingCounterEndpoint');
      assert.equal(started?.['endpointId'], 'logged');
      const served = lines.filter((l) => l['msg'] === 'Serving RPC').map((l) => l['method']);
      assert.deepEqual(served, ['CounterGateway.increment', 'CounterGateway.getValue']);
    } finally {
      await client.stop();
      await server.stop();
    }
  });

  it('logs no per-RPC line at info level', async () => {
    const { logger, lines } = capturingLogger('info');
    const server = await RpcService.start({ logger });
    try {
      const endpoint = new TestingCounterEndpoint(server, 'quiet');
      await endpoint.start();
      const counter = await server.connect(endpoint.address, testing.CounterGateway);
      for (let i = 0; i < 10; i++) await counter.increment({ delta: 1 });
      assert.equal(lines.filter((l) => l['msg'] === 'Serving RPC').length, 0);
      assert.ok(lines.some((l) => l['msg'] === 'RPC endpoint started'));
    } finally {
      await server.stop();
    }
  });
});
