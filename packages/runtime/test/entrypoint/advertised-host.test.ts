import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import pino from 'pino';

import { detectAdvertisedHost, isWildcardHost } from '../../src/entrypoint/advertised-host.js';

function listen(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not a TCP server');
  return address.port;
}

function recordingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

const hasIpv6Loopback = Object.values(networkInterfaces()).some((addresses) => addresses?.some((a) => a.address === '::1'));

describe('detectAdvertisedHost', () => {
  it('treats 0.0.0.0 and :: as wildcards, and nothing else', () => {
    assert.ok(isWildcardHost('0.0.0.0') && isWildcardHost('::'));
    assert.ok(!isWildcardHost('127.0.0.1') && !isWildcardHost('localhost'));
  });

  it('advertises the local address of its connection to the JobManager', async () => {
    const server = await listen('127.0.0.1');
    try {
      const { logger } = recordingLogger();
      assert.equal(await detectAdvertisedHost({ jobManagerAddress: `127.0.0.1:${portOf(server)}`, logger, maxWaitMs: 5000 }), '127.0.0.1');
    } finally {
      server.close();
    }
  });

  it('takes the address from the connection, so an IPv6 JobManager gives an IPv6 address', { skip: hasIpv6Loopback ? false : 'no ::1 on this machine' }, async () => {
    const server = await listen('::1');
    try {
      const { logger } = recordingLogger();
      assert.equal(await detectAdvertisedHost({ jobManagerAddress: `[::1]:${portOf(server)}`, logger, maxWaitMs: 5000 }), '::1');
    } finally {
      server.close();
    }
  });

  it('waits for a JobManager that is not up yet, saying what it waits for', async () => {
    const probe = await listen('127.0.0.1');
    const port = portOf(probe);
    await new Promise((resolve) => probe.close(resolve));
    const { logger, lines } = recordingLogger();
    const detected = detectAdvertisedHost({ jobManagerAddress: `127.0.0.1:${port}`, logger, maxWaitMs: 30_000 });
    const deadline = Date.now() + 10_000;
    while (!lines.some((line) => String(line['msg']).startsWith('Waiting for the JobManager'))) {
      if (Date.now() > deadline) throw new Error('no waiting line logged');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(lines[0]?.['jobManager'], `127.0.0.1:${port}`);
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      assert.equal(await detected, '127.0.0.1');
    } finally {
      server.close();
    }
  });

  it('falls back to a non-loopback interface when the JobManager stays unreachable, and warns', async () => {
    const probe = await listen('127.0.0.1');
    const port = portOf(probe);
    await new Promise((resolve) => probe.close(resolve));
    const { logger, lines } = recordingLogger();
    const external = Object.values(networkInterfaces())
      .flatMap((addresses) => addresses ?? [])
      .find((a) => !a.internal && a.family === 'IPv4');
    const detected = await detectAdvertisedHost({ jobManagerAddress: `127.0.0.1:${port}`, logger, maxWaitMs: 150 });
    assert.equal(detected, external?.address ?? '127.0.0.1');
    assert.ok(lines.some((line) => line['level'] === 40 && line['fallback'] === detected));
  });
});
