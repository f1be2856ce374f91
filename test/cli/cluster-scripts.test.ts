/**
 * scripts/start-cluster.sh and scripts/stop-cluster.sh as a user runs them (see script-cluster.ts:
 * another working directory, a temporary log directory, a free JobManager port, a marker flag on
 * every process so the tests can tell that none is left).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseJson, runEddy } from './eddy-cli.js';
import { cleanUpScriptClusters, marker, markedProcesses, scriptCluster } from './script-cluster.js';

after(cleanUpScriptClusters);

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const pidOf = (logDir: string, name: string): number => Number.parseInt(readFileSync(join(logDir, `${name}.pid`), 'utf8'), 10);
const pidFiles = (logDir: string): string[] => (existsSync(logDir) ? readdirSync(logDir).filter((file) => file.endsWith('.pid')) : []);

describe('scripts/start-cluster.sh and scripts/stop-cluster.sh', () => {
  it('start a JobManager and two TaskManagers whose slots eddy taskmanagers lists, refuse a second start, and stop them all', async () => {
    const cluster = await scriptCluster('two');
    const start = await cluster.run('start-cluster.sh', '2', '-D', 'taskmanager.numberOfTaskSlots=2', '-D', marker);
    assert.equal(start.code, 0, `${start.stdout}\n${start.stderr}`);
    assert.match(start.stdout, /Eddy cluster running: a JobManager \(pid \d+\) and 2 TaskManager\(s\)/);
    const pids = ['jobmanager', 'taskmanager-1', 'taskmanager-2'].map((name) => pidOf(cluster.logDir, name));
    assert.ok(pids.every(isRunning), 'the JobManager and both TaskManagers run');

    const listed = parseJson(await runEddy(['taskmanagers', '--json', '-m', `127.0.0.1:${cluster.port}`])) as { slotsTotal: number; slotsFree: number }[];
    assert.deepEqual(
      listed.map((tm) => [tm.slotsTotal, tm.slotsFree]),
      [
        [2, 2],
        [2, 2],
      ],
    );

    const again = await cluster.run('start-cluster.sh', '1', '-D', marker);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`a cluster started with the log directory ${cluster.logDir} still runs \\(jobmanager, pid ${pids[0]}\\); stop it with scripts/stop-cluster.sh`));
    assert.ok(pids.every(isRunning), 'the refused start left the running cluster alone');

    const stop = await cluster.run('stop-cluster.sh');
    assert.equal(stop.code, 0, stop.stderr);
    for (const [index, name] of ['jobmanager', 'taskmanager-1', 'taskmanager-2'].entries()) assert.match(stop.stdout, new RegExp(`Stopped ${name} \\(pid ${pids[index]}\\)`));
    assert.doesNotMatch(stop.stderr, /SIGKILL/, 'every process stopped on SIGTERM');
    assert.deepEqual(pids.filter(isRunning), []);
    assert.deepEqual(markedProcesses(), []);
    assert.deepEqual(pidFiles(cluster.logDir), []);
    assert.ok(existsSync(join(cluster.logDir, 'jobmanager.log')), 'the logs stay');

    const nothing = await cluster.run('stop-cluster.sh');
    assert.equal(nothing.code, 0);
    assert.equal(nothing.stdout, `No cluster to stop: no pid files in ${cluster.logDir}\n`);
  });

  it('say which process did not come up, show the end of its log, and stop what they started', async () => {
    const cluster = await scriptCluster('broken');
    // The TaskManager's port is taken: it cannot start, the JobManager can.
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const takenPort = (taken.address() as { port: number }).port;
    try {
      const start = await cluster.run('start-cluster.sh', '1', '-D', `taskmanager.rpc.port=${takenPort}`, '-D', marker);
      assert.equal(start.code, 1, start.stdout);
      assert.match(start.stderr, new RegExp(`start-cluster\\.sh: taskmanager-1 exited while the cluster was starting; the end of ${cluster.logDir}/taskmanager-1\\.log:\\n`));
      assert.match(start.stderr, /EADDRINUSE/);
      assert.match(start.stderr, /Stopped jobmanager \(pid \d+\)/);
      assert.deepEqual(markedProcesses(), []);
      assert.deepEqual(pidFiles(cluster.logDir), []);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
