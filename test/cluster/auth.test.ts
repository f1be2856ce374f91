/**
 * A cluster with security.auth.token (issue 18), as real processes on 127.0.0.1: a JobManager and
 * two TaskManagers that share the token, the eddy CLI with and without it, a blob upload without
 * it, a TaskManager without it. At the end every log line of every process, everything the CLI
 * printed and the REST answers are searched for the token.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { JobClient } from '@eddy/client';
import { Configuration } from '@eddy/common';
import { RpcService, UnauthenticatedError } from '@eddy/rpc';
import { BlobClient } from '@eddy/runtime';
import { cliJob, runEddy, type CliResult } from '../cli/eddy-cli.js';
import { startJobManager, startTaskManager, stopClusterProcesses, TEST_TASKS_BUNDLE, waitFor, type ClusterProcess, type JobManagerProcess } from './cluster-harness.js';

after(stopClusterProcesses);

const TOKEN = `auth-test-${randomBytes(16).toString('hex')}`;
const WITH_TOKEN = { EDDY_AUTH_TOKEN: TOKEN };

describe('a cluster with security.auth.token', () => {
  let jobManager: JobManagerProcess;
  const processes: ClusterProcess[] = [];
  /** Everything the CLI printed and the REST API answered, searched for the token at the end. */
  const printed: string[] = [];
  let client: JobClient;
  let runningJobId = '';

  const eddy = async (args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliResult> => {
    const result = await runEddy([...args, '-m', jobManager.address], { env, timeoutMs });
    printed.push(result.stdout, result.stderr);
    return result;
  };

  /** Exit 1, stderr says the call was refused for want of the token and what to set. */
  const assertRefused = (result: CliResult, carried: 'no' | 'a wrong'): void => {
    assert.equal(result.code, 1, `exit code; stdout: ${result.stdout}; stderr: ${result.stderr}`);
    assert.match(result.stderr, new RegExp(`carried ${carried} auth token`));
    assert.match(result.stderr, /security\.auth\.token/);
    assert.match(result.stderr, /EDDY_AUTH_TOKEN/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack without --verbose');
  };

  before(async () => {
    // The JobManager takes the token from -D, the TaskManagers from EDDY_AUTH_TOKEN.
    jobManager = await startJobManager({ config: { 'security.auth.token': TOKEN } });
    processes.push(jobManager);
    for (let i = 0; i < 2; i++) processes.push(await startTaskManager(jobManager.address, { slots: 1, env: WITH_TOKEN }));
    client = await JobClient.connect(jobManager.address, { configuration: Configuration.fromRecord({ 'security.auth.token': TOKEN }) });
    await waitFor(async () => (await client.requestTaskManagers()).length === 2, 'both TaskManagers to register with the token', 20_000);
  });
  after(() => client?.close());

  it('runs a job across both TaskManagers for a client with the token', async () => {
    const result = await eddy(['run', '--no-typecheck', cliJob('word-count'), '-p', '2'], WITH_TOKEN);
    assert.equal(result.code, 0, `stderr: ${result.stderr}`);
    assert.match(result.stdout, /\(to,\s*2\)|"to",\s*2|to.*2/);
  });

  it('refuses eddy run, list and cancel without the token, and with a wrong one, naming what to set', async () => {
    // -D, not the environment: the token must not become part of the job's configuration. Another
    // secret does (a job may need it), and must be shown hidden.
    const submitted = await eddy(['run', '--no-typecheck', '-d', cliJob('endless'), '-D', `security.auth.token=${TOKEN}`, '-D', `s3.secret-key=${TOKEN}`]);
    assert.equal(submitted.code, 0, `stderr: ${submitted.stderr}`);
    runningJobId = /[0-9a-f]{32}/.exec(submitted.stdout)?.[0] ?? '';
    assert.notEqual(runningJobId, '', submitted.stdout);
    const [run, list, wrongList, cancel, savepoint, wrongCancel] = await Promise.all([
      eddy(['run', '--no-typecheck', '-d', cliJob('endless')]),
      eddy(['list']),
      eddy(['list'], { EDDY_AUTH_TOKEN: `${TOKEN}0` }),
      eddy(['cancel', runningJobId]),
      eddy(['savepoint', runningJobId, '/tmp/eddy-auth-test-savepoints']),
      eddy(['cancel', runningJobId], { EDDY_AUTH_TOKEN: 'not-the-token' }),
    ]);
    assertRefused(run, 'no');
    assertRefused(list, 'no');
    assertRefused(wrongList, 'a wrong');
    assertRefused(cancel, 'no');
    assertRefused(savepoint, 'no');
    assertRefused(wrongCancel, 'a wrong');
    assert.equal((await client.listJobs()).length, 1, 'the refused run submitted nothing');
    assert.equal((await client.requestJob(runningJobId)).status, 'RUNNING');
  });

  it('answers REST requests with the token and 401s without it; the job configuration it shows holds no token and hides secrets', async () => {
    const get = async (path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> => {
      const response = await fetch(`${jobManager.restUrl}${path}`, { headers, signal: AbortSignal.timeout(5_000) });
      const body = await response.text();
      printed.push(body);
      return { status: response.status, body };
    };
    const bearer = { authorization: `Bearer ${TOKEN}` };
    for (const path of ['/overview', '/config', `/jobs/${runningJobId}/config`]) {
      assert.equal((await get(path)).status, 401, path);
      assert.equal((await get(path, { authorization: 'Bearer nope' })).status, 401, path);
      assert.equal((await get(path, bearer)).status, 200, path);
    }
    const config = JSON.parse((await get(`/jobs/${runningJobId}/config`, bearer)).body) as { 'execution-config': { 'user-config': Record<string, string> } };
    assert.equal(config['execution-config']['user-config']['security.auth.token'], undefined);
    assert.equal(config['execution-config']['user-config']['s3.secret-key'], '******');
    const refused = await fetch(`${jobManager.restUrl}/jobs/${runningJobId}?mode=cancel`, { method: 'PATCH', signal: AbortSignal.timeout(5_000) });
    assert.equal(refused.status, 401);
    assert.match(((await refused.json()) as { errors: string[] }).errors[0]!, /Authorization: Bearer <token>/);
  });

  it('cancels a job for a client that gives the token with -D', async () => {
    const result = await eddy(['cancel', runningJobId, '-D', `security.auth.token=${TOKEN}`]);
    assert.equal(result.code, 0, `stderr: ${result.stderr}`);
    await waitFor(async () => ((await client.requestJob(runningJobId)).status) === 'CANCELED', 'the job to be cancelled');
  });

  it('refuses a blob upload without the token before storing anything', async () => {
    const anonymous = await RpcService.start();
    try {
      await assert.rejects(new BlobClient(anonymous, jobManager.address).uploadFile(TEST_TASKS_BUNDLE), (error: unknown) => {
        assert.ok(error instanceof UnauthenticatedError, `got ${String(error)}`);
        return true;
      });
    } finally {
      await anonymous.stop();
    }
  });

  it('does not register a TaskManager without the token, which logs why', async () => {
    const outsider = await startTaskManager(jobManager.address, { slots: 1 });
    processes.push(outsider);
    const refused = await outsider.waitForLine((line) => line.msg === 'Could not register at the ResourceManager; retrying', 'a refused registration');
    assert.match(String(refused['reason']), /no auth token.*security\.auth\.token/);
    assert.equal((await client.requestTaskManagers()).length, 2);
    await outsider.kill();
  });

  it('never writes the token into a log line of any process, nor prints it', async () => {
    assert.ok(printed.length > 0);
    for (const process of processes) {
      const lines = process.lines.map((line) => JSON.stringify(line));
      assert.ok(lines.length > 0, `${process.role} logged nothing`);
      const leaks = [...lines, ...process.stderr].filter((line) => line.includes(TOKEN));
      assert.deepEqual(leaks, [], `${process.role} logged the token`);
    }
    assert.deepEqual(printed.filter((text) => text.includes(TOKEN)), [], 'the CLI printed the token');
  });
});
