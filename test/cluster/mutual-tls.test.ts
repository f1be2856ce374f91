/**
 * Mutual TLS (security.ssl.internal.*) and HTTPS for REST (security.ssl.rest.*) on real processes
 * over 127.0.0.1, with certificates scripts/gen-certs.sh makes for the test: a job's records cross
 * TaskManagers over TLS; a TaskManager whose certificate another CA signed, a client with an expired
 * certificate and a raw TCP client are refused, and the JobManager or TaskManager says why; the
 * REST API answers over HTTPS and, with client authentication, only to a client with a certificate.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JobClient } from '@eddy/client';
import { Configuration } from '@eddy/common';
import { finalWordCounts, generateCertificates, httpsGet } from './tls-fixtures.js';
import { EDDY, startJobManager, startTaskManager, stopClusterProcesses, waitFor, type JobManagerProcess, type TaskManagerProcess } from './cluster-harness.js';

after(stopClusterProcesses);

const WORD_COUNT = fileURLToPath(new URL('../../../test/streaming/jobs/word-count.ts', import.meta.url));

const certificates = generateCertificates('eddy-tls-', ['--other-ca', '--expired']);
after(() => certificates.remove());
const { file, internalTls } = certificates;

/** HTTPS for the REST API, where only clients with a certificate of the cluster's CA are let in. */
const restTls = {
  'security.ssl.rest.enabled': 'true',
  'security.ssl.rest.key': file('jobmanager.key'),
  'security.ssl.rest.cert': file('jobmanager.pem'),
  'security.ssl.rest.authentication-enabled': 'true',
  'security.ssl.rest.truststore': file('ca.pem'),
};

/** GET `path` of the REST API at `url`, trusting the cluster's CA, with the client certificate or none. */
function get(url: string, path: string, withCertificate: boolean): Promise<{ status: number; body: string }> {
  return httpsGet(`${url}${path}`, { caFile: file('ca.pem'), anyHostName: true, ...(withCertificate ? { clientCertificate: { certFile: file('client.pem'), keyFile: file('client.key') } } : {}) });
}

function hostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

/** Resolves once the server closed `socket` (or it failed), with what arrived before. */
function closedBy(socket: import('node:net').Socket): Promise<{ received: number; error?: Error }> {
  return new Promise((resolve) => {
    let received = 0;
    let error: Error | undefined;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.on('error', (failure) => (error = failure));
    socket.on('close', () => resolve({ received, ...(error === undefined ? {} : { error }) }));
  });
}

describe('mutual TLS between the processes of a cluster', () => {
  let jobManager: JobManagerProcess;
  let taskManagers: TaskManagerProcess[];
  let client: JobClient;

  before(async () => {
    jobManager = await startJobManager({ config: { ...internalTls('jobmanager'), ...restTls } });
    taskManagers = await Promise.all([
      startTaskManager(jobManager.address, { slots: 1, config: { ...internalTls('taskmanager'), 'taskmanager.network.handshake-timeout': '1 s' } }),
      startTaskManager(jobManager.address, { slots: 1, config: internalTls('taskmanager') }),
    ]);
    client = await JobClient.connect(jobManager.address, { configuration: Configuration.fromRecord(internalTls('client')) });
    await waitFor(async () => (await client.requestTaskManagers()).length === 2, 'both TaskManagers registered');
  });
  after(() => client?.close());

  it('runs a job across two TaskManagers, its records crossing between them over TLS', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'eddy-tls-job-'));
    try {
      const input = join(scratch, 'words.txt');
      const lines = Array.from({ length: 2000 }, (_, i) => `w${i % 37} w${i % 11} w${i % 5}`);
      writeFileSync(input, `${lines.join('\n')}\n`);
      const output = join(scratch, 'out');
      const { jobId } = await client.submitJobFile(WORD_COUNT, { args: [input, output, '2'] });
      const terminal = await client.followJob(jobId);
      assert.equal(terminal.to, 'FINISHED');
      const counts = finalWordCounts(output);
      assert.equal(counts.get('w0'), Math.ceil(2000 / 37) + Math.ceil(2000 / 11) + Math.ceil(2000 / 5));
      const opened = taskManagers.flatMap((tm) => tm.linesWith('Opened a data connection to a TaskManager'));
      assert.ok(opened.length >= 1, 'the TaskManagers exchanged records over a data connection');
      for (const line of opened) assert.match(String(line['tls']), /^TLSv1\.[23]$/, 'every data connection is TLS');
      assert.equal(jobManager.linesWith('RPC service listening')[0]?.['tls'], true);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('keeps out a TaskManager whose certificate another CA signed, and the JobManager logs why', async () => {
    const intruder = await startTaskManager(jobManager.address, {
      slots: 1,
      config: { ...internalTls('other'), 'security.ssl.internal.truststore': file('ca.pem') },
    });
    const refused = await jobManager.waitForLine(
      (line) => line.msg.startsWith('Refused a connection at the TLS handshake') && /not signed by the truststore's CA/.test(String(line['reason'])),
      'the refusal of the other CA',
    );
    assert.equal(refused['remoteAddress'], '127.0.0.1');
    assert.match(String(refused['reason']), /eddy-other, issued by Another CA/);
    await intruder.waitForLine((line) => /could not reach|Failed to connect|refuses this process's certificate/.test(JSON.stringify(line)), 'the failed registration', 10_000);
    assert.equal((await client.requestTaskManagers()).length, 2, 'only the two TaskManagers of the cluster registered');
    const refusals = jobManager.linesWith(/^Refused a connection at the TLS handshake/).filter((line) => /eddy-other/.test(String(line['reason'])));
    assert.equal(refusals.length, 1, 'logged once for the peer, not once per attempt');
    await intruder.kill();
  });

  it('refuses a client whose certificate expired, saying "expired", and a process will not start with one', async () => {
    const { host, port } = hostPort(jobManager.address);
    const socket = connectTls({ host, port, key: readFileSync(file('expired.key')), cert: readFileSync(file('expired.pem')), ca: readFileSync(file('ca.pem')), ALPNProtocols: ['h2'], checkServerIdentity: () => undefined });
    const closed = await closedBy(socket);
    assert.equal(closed.received, 0, 'not a byte of gRPC for the expired certificate');
    const refused = await jobManager.waitForLine((line) => line.msg.startsWith('Refused a connection at the TLS handshake') && /expired/.test(String(line['reason'])), 'the refusal of the expired certificate');
    assert.match(String(refused['reason']), /eddy-expired\) expired on Jan 31 00:00:00 2020 GMT \(CERT_HAS_EXPIRED\)/);

    const config = { ...internalTls('taskmanager'), 'security.ssl.internal.cert': file('expired.pem'), 'security.ssl.internal.key': file('expired.key') };
    await assert.rejects(startTaskManager(jobManager.address, { config }), /exited/);
    const list = runEddy(['list', '-m', jobManager.address, ...defines(config)]);
    assert.notEqual(list.status, 0);
    assert.match(list.stderr, /the certificate of security\.ssl\.internal\.cert \(.*expired\.pem\) expired on 2020-01-31T00:00:00\.000Z; make a new one/);
  });

  it('drops a raw TCP client on the data port, and one that does not finish its handshake in taskmanager.network.handshake-timeout', async () => {
    const tm = taskManagers[0]!;
    const dataPort = Number((await tm.waitForLine((line) => line.msg === 'TaskManager network started', 'the data port'))['dataPort']);
    const raw = connectTcp({ host: '127.0.0.1', port: dataPort });
    raw.write(Buffer.from('\u0000\u0000\u0000\u000bHELLO eddy-data'));
    const dropped = await closedBy(raw);
    assert.equal(dropped.received < 64, true, 'no data protocol frame comes back, at most a TLS alert');
    await tm.waitForLine((line) => line.msg.startsWith('Refused a connection at the TLS handshake') && line['listener'] === 'data' && /does not speak TLS/.test(String(line['reason'])), 'the refused raw client');

    const started = Date.now();
    const silent = connectTcp({ host: '127.0.0.1', port: dataPort });
    await closedBy(silent);
    const waited = Date.now() - started;
    assert.ok(waited >= 900 && waited < 8000, `closed after the 1 s handshake timeout (${waited} ms)`);
    await tm.waitForLine((line) => line['listener'] === 'data' && /did not complete in time/.test(String(line['reason'])), 'the handshake timeout in the log');
  });

  it('lets the eddy CLI in with its certificate, and not without one', () => {
    const listed = runEddy(['list', '-m', jobManager.address, ...defines(internalTls('client'))]);
    assert.equal(listed.status, 0, listed.stderr);
    const plain = runEddy(['list', '-m', jobManager.address, '-D', 'rpc.ask-timeout=1 s']);
    assert.notEqual(plain.status, 0);
    assert.match(plain.stderr, new RegExp(`Could not reach a JobManager at ${jobManager.address}: .*; if the cluster uses mutual TLS, set security\.ssl\.internal\.enabled`));
  });

  it('serves the REST API over HTTPS at the https:// URL it logs, to clients with a certificate of the truststore only', async () => {
    assert.match(jobManager.restUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await get(jobManager.restUrl, '/overview', true);
    assert.equal(answer.status, 200);
    assert.equal((JSON.parse(answer.body) as { taskmanagers: unknown }).taskmanagers, 2);
    await assert.rejects(get(jobManager.restUrl, '/overview', false), /certificate required|socket hang up|ECONNRESET|alert/i);
  });
});

describe('TLS files that will not do', () => {
  it('a JobManager refuses to start when a file is missing, naming the option and the path', async () => {
    const missing = file('nope.key');
    await assert.rejects(startJobManager({ config: { ...internalTls('jobmanager'), 'security.ssl.internal.key': missing } }), (error: Error) => {
      assert.match(error.message, new RegExp(`security\\.ssl\\.internal\\.key \\(${missing.replace(/[.]/g, '\\.')}\\) cannot be read: there is no such file`));
      return true;
    });
  });
});

function defines(config: Record<string, string>): string[] {
  return Object.entries(config).flatMap(([key, value]) => ['-D', `${key}=${value}`]);
}

function runEddy(args: string[]): { status: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [EDDY, ...args], { encoding: 'utf8', stdio: 'pipe', timeout: 20_000, env: { ...process.env, EDDY_PROPERTIES: '' } });
    return { status: 0, stdout, stderr: '' };
  } catch (error) {
    const failed = error as { status: number | null; stdout: string; stderr: string };
    return { status: failed.status ?? -1, stdout: failed.stdout, stderr: failed.stderr };
  }
}
