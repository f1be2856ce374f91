/**
 * RpcServices over mutual TLS on 127.0.0.1 (certificates from scripts/gen-certs.sh): calls between
 * two services; peers refused at the handshake (another CA, an expired certificate, no TLS, not
 * pinned, too slow), each logged once with its address and the reason.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { eddy_testing_v1 as testing } from '@eddy/proto';
import { RpcService } from '../src/rpc-service.js';
import type { MutualTls } from '../src/tls-credentials.js';
import { TestingCounterEndpoint } from './fixtures/testing-counter-endpoint.js';

const GEN_CERTS = fileURLToPath(new URL('../../../../scripts/gen-certs.sh', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eddy-rpc-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));
execFileSync(GEN_CERTS, [dir, '--other-ca', '--expired'], { stdio: 'pipe' });

function material(name: string, extra: Partial<MutualTls> = {}): MutualTls {
  return { key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.pem`)), ca: readFileSync(join(dir, 'ca.pem')), fingerprints: [], handshakeTimeoutMs: 10_000, ...extra };
}

const fingerprintOf = (name: string): string => new X509Certificate(readFileSync(join(dir, `${name}.pem`))).fingerprint256;

function capturingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const refusals = (lines: Record<string, unknown>[]): Record<string, unknown>[] => lines.filter((line) => String(line['msg']).startsWith('Refused a connection at the TLS handshake'));

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('RpcService over mutual TLS', () => {
  const log = capturingLogger();
  let server: RpcService;
  let counter: TestingCounterEndpoint;

  before(async () => {
    server = await RpcService.start({ tls: material('jobmanager', { handshakeTimeoutMs: 500 }), logger: log.logger });
    counter = new TestingCounterEndpoint(server, 'counter');
    await counter.start();
  });
  after(() => server?.stop());

  async function callWith(tls: MutualTls | undefined): Promise<number> {
    const caller = await RpcService.start({ ...(tls === undefined ? {} : { tls }), configuration: undefined });
    try {
      const proxy = await caller.connect(counter.address, testing.CounterGateway);
      return (await proxy.increment({ delta: 1 })).value;
    } finally {
      await caller.stop();
    }
  }

  it('carries calls between two services that hold certificates of the same CA', async () => {
    assert.equal(server.isSecure, true);
    const before = counter.counter.value;
    assert.equal(await callWith(material('taskmanager')), before + 1);
  });

  it('refuses a caller whose certificate another CA signed, logging the address and the reason once', async () => {
    const other = material('other');
    await assert.rejects(callWith(other), /could not reach .*refuses this process's certificate/);
    await assert.rejects(callWith(other));
    await waitUntil(() => refusals(log.lines).some((line) => /eddy-other/.test(String(line['reason']))), 'the refusal');
    const lines = refusals(log.lines).filter((line) => /eddy-other/.test(String(line['reason'])));
    assert.equal(lines.length, 1, 'once per peer, not per attempt');
    assert.equal(lines[0]!['remoteAddress'], '127.0.0.1');
    assert.match(String(lines[0]!['reason']), /the peer's certificate \(eddy-other, issued by Another CA\) is not signed by the truststore's CA/);
  });

  it('refuses a caller with an expired certificate, saying "expired"', async () => {
    await assert.rejects(callWith(material('expired')), /could not reach/);
    await waitUntil(() => refusals(log.lines).some((line) => /expired on/.test(String(line['reason']))), 'the refusal');
  });

  it('refuses a caller without TLS, and a caller whose server it does not trust fails with the reason', async () => {
    await assert.rejects(callWith(undefined), /could not reach/);
    await waitUntil(() => refusals(log.lines).some((line) => /does not speak TLS/.test(String(line['reason']))), 'the refusal of plaintext');
    const trustsOtherCa = { ...material('other'), ca: readFileSync(join(dir, 'other-ca.pem')) };
    await assert.rejects(callWith(trustsOtherCa), /could not reach .*(self-signed certificate|unable to verify|unable to get local issuer)/);
  });

  it('closes a connection that does not finish its handshake in time', async () => {
    const started = Date.now();
    const silent = connectTcp({ host: '127.0.0.1', port: server.port });
    await new Promise<void>((resolve) => silent.once('close', () => resolve()).on('error', () => undefined));
    const waited = Date.now() - started;
    assert.ok(waited >= 450 && waited < 5000, `closed after the 500 ms handshake timeout (${waited} ms)`);
    await waitUntil(() => refusals(log.lines).some((line) => /did not complete in time/.test(String(line['reason']))), 'the timeout in the log');
  });

  it('with pins, accepts only the pinned certificates, on both sides', async () => {
    const pinned = await RpcService.start({ tls: material('jobmanager', { fingerprints: [fingerprintOf('taskmanager')] }), logger: capturingLogger().logger });
    const pinnedCounter = new TestingCounterEndpoint(pinned, 'pinned');
    await pinnedCounter.start();
    const call = async (tls: MutualTls): Promise<void> => {
      const caller = await RpcService.start({ tls });
      try {
        await caller.connect(pinnedCounter.address, testing.CounterGateway);
      } finally {
        await caller.stop();
      }
    };
    try {
      await call(material('taskmanager'));
      await assert.rejects(call(material('client')), /could not reach/, 'the server refuses a certificate it did not pin');
      await assert.rejects(call(material('taskmanager', { fingerprints: [fingerprintOf('client')] })), /is not one of security\.ssl\.internal\.cert\.fingerprint/, 'the client refuses a server it did not pin');
      await call(material('taskmanager', { fingerprints: [fingerprintOf('jobmanager')] }));
    } finally {
      await pinned.stop();
    }
  });
});
