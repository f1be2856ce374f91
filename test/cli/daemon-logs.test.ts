/** How eddy jobmanager and eddy taskmanager write their log lines: JSON into a pipe, for people with --pretty. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { ClusterProcess, EDDY, freePort, stopClusterProcesses } from '../cluster/cluster-harness.js';

after(stopClusterProcesses);

/** `eddy <args>` with stdout a pipe, its lines collected (see ClusterProcess). */
function startDaemon(role: string, args: string[]): ClusterProcess {
  const child = spawn(process.execPath, [EDDY, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDDY_LOG_LEVEL: 'info', EDDY_PROPERTIES: 'rest.port: 0' } });
  return new ClusterProcess(role, child);
}

function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

describe('daemon log lines', () => {
  it('are JSON lines when stdout is a pipe', async () => {
    const jobManager = startDaemon('jobmanager', ['jobmanager', '--port', '0']);
    try {
      const started = await jobManager.waitForLine((line) => line.msg === 'JobManager started', 'JobManager started', 15_000);
      assert.equal(started['name'], 'jobmanager');
      assert.equal(started.level, 30);
      assert.match(String(started['advertisedAddress']), /^127\.0\.0\.1:\d+$/);
      // ClusterProcess keeps a line that is not JSON as { msg: line, level: 30 } with nothing else.
      assert.ok(jobManager.lines.every((line) => typeof line['time'] === 'number'), 'every line parsed as a JSON log object');
    } finally {
      await jobManager.kill();
    }
  });

  for (const [role, args] of [
    ['jobmanager', ['jobmanager', '--port', '0', '--pretty']],
    ['taskmanager', ['taskmanager', '--jobmanager', '127.0.0.1:1', '--port', '0', '--pretty']],
  ] as const) {
    it(`are lines for people, one per entry, from the ${role} with --pretty`, async () => {
      const daemon = startDaemon(role, [...args]);
      try {
        const expected = role === 'jobmanager' ? 'JobManager started' : 'TaskManager started';
        const started = await daemon.waitForLine((line) => line.msg.includes(expected), expected, 15_000);
        assert.match(started.msg, new RegExp(`^\\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\] INFO \\(${role}\\): ${expected} \\{"`));
        assert.ok(daemon.lines.every((line) => !isJson(line.msg)), 'no line is JSON');
      } finally {
        await daemon.kill();
      }
    });
  }

  it('accept --no-pretty and stay JSON lines', async () => {
    const port = await freePort();
    const jobManager = startDaemon('jobmanager', ['jobmanager', '--port', String(port), '--no-pretty']);
    try {
      const started = await jobManager.waitForLine((line) => line.msg === 'JobManager started', 'JobManager started', 15_000);
      assert.equal(started['advertisedAddress'], `127.0.0.1:${port}`);
    } finally {
      await jobManager.kill();
    }
  });
});
