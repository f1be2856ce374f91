/**
 * Safe defaults (issue 18), as real processes: a JobManager and a TaskManager started without bind
 * settings listen on loopback only (a connection to another address of this machine is refused)
 * and warn about nothing; started on 0.0.0.0 without TLS or a token, each logs one warning that
 * names the exposure and the options that close it.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, describe, it } from 'node:test';
import { startJobManager, startTaskManager, stopClusterProcesses, type ClusterProcess } from './cluster-harness.js';

after(stopClusterProcesses);

const EXPOSED = /listens beyond loopback without TLS or an auth token/;

/** An IPv4 address of this machine that is not loopback, if it has one. */
function externalAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return undefined;
}

/** Whether a TCP connection to host:port is accepted (false when refused), within 3 s. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: 3_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNREFUSED' ? resolve(false) : reject(error)));
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`no answer from ${host}:${port} within 3 s`));
    });
  });
}

const portOf = (address: unknown): number => Number(String(address).slice(String(address).lastIndexOf(':') + 1));

describe('where the daemons listen', () => {
  it('listens on loopback by default, not on the machine\'s other addresses, and warns about nothing', async (t) => {
    const jobManager = await startJobManager();
    const taskManager = await startTaskManager(jobManager.address);
    const rpc = await jobManager.waitForLine((line) => line.msg === 'JobManager started', 'JobManager started');
    const rest = await jobManager.waitForLine((line) => line.msg === 'REST endpoint started', 'REST endpoint started');
    const tm = await taskManager.waitForLine((line) => line.msg === 'TaskManager started', 'TaskManager started');
    assert.match(String(rpc['bindAddress']), /^127\.0\.0\.1:\d+$/);
    assert.match(String(rest['bindAddress']), /^127\.0\.0\.1:\d+$/);
    assert.match(String(tm['bindAddress']), /^127\.0\.0\.1:\d+$/);
    const external = externalAddress();
    if (external === undefined) {
      t.diagnostic('this machine has no non-loopback IPv4 address: the connection checks are skipped');
    } else {
      assert.equal(await accepts('127.0.0.1', portOf(rpc['bindAddress'])), true);
      for (const address of [rpc['bindAddress'], rest['bindAddress'], tm['bindAddress']]) {
        assert.equal(await accepts(external, portOf(address)), false, `${String(address)} is reachable at ${external}`);
      }
    }
    for (const process of [jobManager, taskManager] as ClusterProcess[]) assert.deepEqual(process.linesWith(EXPOSED), [], process.role);
  });

  it('warns once, naming the exposure and the options that close it, when a daemon listens on 0.0.0.0 without TLS or a token', async () => {
    const jobManager = await startJobManager({ config: { 'jobmanager.bind-host': '0.0.0.0' } });
    const taskManager = await startTaskManager(jobManager.address, { config: { 'taskmanager.bind-host': '0.0.0.0' } });
    for (const process of [jobManager, taskManager] as ClusterProcess[]) {
      const warning = await process.waitForLine((line) => EXPOSED.test(line.msg), 'the exposure warning');
      assert.equal(warning.level, 40);
      assert.match(warning.msg, /security\.auth\.token/);
      assert.match(warning.msg, /security\.ssl\.internal\.enabled/);
      assert.ok(Array.isArray(warning['exposed']) && (warning['exposed'] as string[]).every((what) => what.endsWith('on 0.0.0.0')), JSON.stringify(warning['exposed']));
      assert.equal(process.linesWith(EXPOSED).length, 1, process.role);
    }
  });
});
