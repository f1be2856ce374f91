/**
 * The secure mode whole (issue 18): mutual TLS between every process (security.ssl.internal.*),
 * the cluster's token (security.auth.token) on every call, and the REST API over HTTPS with the
 * token, as real processes on 127.0.0.1 with certificates of scripts/gen-certs.sh. A job runs
 * across two TaskManagers with its records over TLS; a client with a certificate but without the
 * token cannot submit, cancel or upload; one with the token but without a certificate cannot even
 * connect; and no line any process logged holds the token.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JobClient } from '@eddy/client';
import { Configuration } from '@eddy/common';
import { RpcService, UnauthenticatedError } from '@eddy/rpc';
import { loadInternalTls } from '@eddy/cluster-common';
import { BlobClient } from '@eddy/runtime';
import { finalWordCounts, generateCertificates, httpsGet } from './tls-fixtures.js';
import { startJobManager, startTaskManager, stopClusterProcesses, TEST_TASKS_BUNDLE, waitFor, type ClusterProcess, type JobManagerProcess } from './cluster-harness.js';

after(stopClusterProcesses);

const WORD_COUNT = fileURLToPath(new URL('../../../test/streaming/jobs/word-count.ts', import.meta.url));
const TOKEN = `secure-test-${randomBytes(16).toString('hex')}`;

const certificates = generateCertificates('eddy-secure-');
after(() => certificates.remove());
const { file, internalTls } = certificates;

/** GET over HTTPS, trusting the cluster's CA, with `headers`. */
const httpsGetWith = (url: string, headers: Record<string, string>) => httpsGet(url, { caFile: file('ca.pem'), anyHostName: true, headers });

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
      const counts = finalWordCounts(output);
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
    const refused = await httpsGetWith(`${jobManager.restUrl}/overview`, {});
    const answered = await httpsGetWith(`${jobManager.restUrl}/overview`, { authorization: `Bearer ${TOKEN}` });
    answers.push(refused.body, answered.body, (await httpsGetWith(`${jobManager.restUrl}/config`, { authorization: `Bearer ${TOKEN}` })).body);
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
