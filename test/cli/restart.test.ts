/**
 * Restarts as `eddy run` shows them, against a JobManager and a TaskManager in processes of their
 * own that use the default restart strategy (the test clusters' fast fixed-delay left out).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startJobManager, startTaskManager, stopClusterProcesses, type JobManagerProcess } from '../cluster/cluster-harness.js';
import { cliJob, killCliProcesses, startEddy } from './eddy-cli.js';

after(killCliProcesses);
after(stopClusterProcesses);

describe('eddy run of a job that fails on every attempt, with the default restart strategy', () => {
  let jobManager: JobManagerProcess;

  before(async () => {
    jobManager = await startJobManager({ unset: ['restart-strategy.type', 'restart-strategy.fixed-delay.attempts', 'restart-strategy.fixed-delay.delay'] });
    await startTaskManager(jobManager.address, { slots: 1 });
  });

  it('says each restart and that its root cause is the same, then exits 1 with the root cause once the strategy gives up', async () => {
    const startedAt = Date.now();
    // The type check (seconds of CPU the first time, typecheck.test.ts's subject) has no part in this.
    const run = startEddy(['run', '--no-typecheck', cliJob('bad-record'), '-m', jobManager.address]);
    // fixed-delay, 3 attempts 1 s apart: about 4 s; the bound leaves room for a loaded machine.
    assert.equal(await run.exitCode(40_000), 1, run.transcript());
    const elapsedMs = Date.now() - startedAt;
    const restarts = run.stdout.filter((line) => line.trimStart().startsWith('restarting ('));
    assert.deepEqual(
      restarts.map((line) => line.trim().replace(/ \(in .*\)$/, '')),
      [
        'restarting (1st time): Error: bad record 5',
        'restarting (2nd time): same root cause as before: Error: bad record 5',
        'restarting (3rd time): same root cause as before: Error: bad record 5',
      ],
      run.transcript(),
    );
    assert.match(restarts[0] ?? '', /\(in Source: Sequence Source -> Map -> Sink: Unnamed \(1\/1\) \(attempt 0\)\)$/, 'the first restart says where it failed');
    assert.equal(run.stdout.filter((line) => / Job '.*' RUNNING -> RESTARTING$/.test(line)).length, 3);
    assert.ok(run.stdout.some((line) => / Job '.*' FAILING -> FAILED$/.test(line)), run.transcript());
    assert.match(run.stderr.join('\n'), /^Job [0-9a-f]{32} FAILED after 3 restarts \(the restart strategy allows no more\): Error: bad record 5$/m);
    // Three restarts 1 s apart: it cannot have ended before they were waited out.
    assert.ok(elapsedMs >= 3_000, `ended after ${elapsedMs} ms`);
    const decisions = jobManager.linesWith('Job failed; the restart strategy gives up');
    assert.match(String(decisions.at(-1)?.['decision']), /^no restart \(fixed-delay \(3 attempts, 1 s delay\): all 3 attempts used\)$/);
  });
});
