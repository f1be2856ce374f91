/**
 * The secure mode whole (issue 18): mutual TLS between every process (security.ssl.internal.*),
 * the cluster's token (security.auth.token) on every call, and the REST API over HTTPS with the
 * token, as real processes on 127.0.0.1 with certificates of scripts/gen-certs.sh. A job runs
 * across two TaskManagers with its records over TLS; a client with a certificate but without the
 * token cannot submit, cancel or upload; one with the token but without a certificate cannot even
 * connect; and no line any process logged holds the token.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JobClient } from '@eddy/client';
import { Configuration } from '@eddy/common';
import { RpcService, UnauthenticatedError } from '@eddy/rpc';
import { loadInternalTls } from '@eddy/cluster-common';
import { BlobClient } from '@eddy/runtime';
import { startJobManager, startTaskManager, stopClusterProcesses, TEST_TASKS_BUNDLE, waitFor, type ClusterProcess, type JobManagerProcess } from './cluster-harness.js';

after(stopClusterProcesses);

const GEN_CERTS = fileURLToPath(new URL('../../../scripts/gen-certs.sh', import.meta.url));
const WORD_COUNT = fileURLToPath(new URL('../../../test/streaming/jobs/word-count.ts', import.meta.url));
const TOKEN = `secure-test-${randomBytes(16).toString('hex')}`;

const certs = mkdtempSync(join(tmpdir(), 'eddy-secure-'));
after(() => rmSync(certs, { recursive: true, force: true }));
execFileSync(GEN_CERTS, [certs], { stdio: 'pipe' });
const file = (name: string): string => join(certs, name);

/** Mutual TLS with `name`.pem/.key, trusting the cluster's CA. */
const internalTls = (name: string): Record<string, string> => ({
  'security.ssl.internal.enabled': 'true',
  'security.ssl.internal.key': file(`${name}.key`),
  'security.ssl.internal.cert': file(`${name}.pem`),
  'security.ssl.internal.truststore': file('ca.pem'),
});

/** GET over HTTPS, trusting the cluster's CA, with `headers`. */
function httpsGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: readFileSync(file('ca.pem')), checkServerIdentity: () => undefined, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
    req.end();
  });
}

describe('a cluster with mutual TLS, the token and HTTPS', () => {
  let jobManager: JobManagerProcess;
  const processes: ClusterProcess[] = [];
  const answers: string[] = [];
  let client: JobClient;

  before(async () => {
    jobManager = await startJobManager({
      config: {
        ...internalTls('jobmanager'),
        'security.auth.token': TOKEN,
        'security.ssl.rest.enabled': 'true',
        'security.ssl.rest.key': file('jobmanager.key'),
        'security.ssl.rest.cert': file('jobmanager.pem'),
      },
    });
    processes.push(jobManager);
    for (let i = 0; i < 2; i++) processes.push(await startTaskManager(jobManager.address, { slots: 1, config: internalTls('taskmanager'), env: { EDDY_AUTH_TOKEN: TOKEN } }));
    client = await JobClient.connect(jobManager.address, { configuration: Configuration.fromRecord({ ...internalTls('client'), 'security.auth.token': TOKEN }) });
    await waitFor(async () => (await client.requestTaskManagers()).length === 2, 'both TaskManagers registered over TLS with the token', 20_000);
  });
  after(() => client?.close());

  it('runs a job across both TaskManagers, its records crossing between them over TLS', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'eddy-secure-job-'));
    try {
      const input = join(scratch, 'words.txt');
      writeFileSync(input, `${Array.from({ length: 1000 }, (_, i) => `w${i % 7} w${i % 3}`).join('\n')}\n`);
      const output = join(scratch, 'out');
      const { jobId } = await client.submitJobFile(WORD_COUNT, { args: [input, output, '2'] });
      assert.equal((await client.followJob(jobId)).to, 'FINISHED');
      const counts = new Map<string, number>();
      for (const name of readdirSync(output)) {
        for (const line of readFileSync(join(output, name), 'utf8').split('\n')) {
          if (line === '') continue;
          const [word, count] = JSON.parse(line) as [string, number];
          counts.set(word, Math.max(counts.get(word) ?? 0, count));
        }
      }
      assert.equal(counts.get('w0'), Math.ceil(1000 / 7) + Math.ceil(1000 / 3));
      const opened = processes.flatMap((process) => process.linesWith('Opened a data connection to a TaskManager'));
      assert.ok(opened.length >= 1, 'the TaskManagers exchanged records over a data connection');
      for (const line of opened) assert.match(String(line['tls']), /^TLSv1\.[23]$/);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('refuses a client with a certificate but without the token at its first call, so it can neither submit nor cancel, nor upload a blob', async () => {
    await assert.rejects(JobClient.connect(jobManager.address, { configuration: Configuration.fromRecord(internalTls('client')) }), (error: unknown) => {
      assert.ok(error instanceof UnauthenticatedError, String(error));
      assert.match(error.message, /carried no auth token.*security\.auth\.token/);
      return true;
    });
    const tls = loadInternalTls(Configuration.fromRecord(internalTls('client')));
    const anonymous = await RpcService.start({ ...(tls === undefined ? {} : { tls }) });
    try {
      await assert.rejects(new BlobClient(anonymous, jobManager.address).uploadFile(TEST_TASKS_BUNDLE), UnauthenticatedError);
    } finally {
      await anonymous.stop();
    }
  });

  it('does not let a client with the token but without a certificate connect', async () => {
    const plain = JobClient.connect(jobManager.address, { configuration: Configuration.fromRecord({ 'security.auth.token': TOKEN, 'rpc.ask-timeout': '2 s' }) });
    await assert.rejects(plain, (error: Error) => {
      assert.match(error.message, /mutual TLS.*security\.ssl\.internal\.enabled/s);
      return true;
    });
  });

  it('serves the REST API over HTTPS with the token, and 401 without it', async () => {
    assert.match(jobManager.restUrl, /^https:\/\//);
    const refused = await httpsGet(`${jobManager.restUrl}/overview`, {});
    const answered = await httpsGet(`${jobManager.restUrl}/overview`, { authorization: `Bearer ${TOKEN}` });
    answers.push(refused.body, answered.body, (await httpsGet(`${jobManager.restUrl}/config`, { authorization: `Bearer ${TOKEN}` })).body);
    assert.equal(refused.status, 401);
    assert.equal(answered.status, 200);
    assert.equal((JSON.parse(answered.body) as { taskmanagers: number }).taskmanagers, 2);
  });

  it('never writes the token into a line any process logged, nor into a REST answer', () => {
    for (const process of processes) {
      const lines = [...process.lines.map((line) => JSON.stringify(line)), ...process.stderr];
      assert.ok(lines.length > 0, `${process.role} logged something`);
      assert.deepEqual(lines.filter((line) => line.includes(TOKEN)), [], `${process.role} logged the token`);
    }
    assert.deepEqual(answers.filter((body) => body.includes(TOKEN)), []);
  });
});
