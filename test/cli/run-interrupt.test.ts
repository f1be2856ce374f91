/**
 * eddy run interrupted, as a user runs it: another client cancelling the job it follows, -d, Ctrl-C
 * and SIGTERM with and without --detach-on-interrupt, against a JobManager and a TaskManager as
 * child processes, and on --local. (The rest of eddy run: run.test.ts; one file each keeps each
 * within the runner's per-file budget on a loaded machine.)
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { useCluster, stopClusterProcesses, waitFor } from '../cluster/cluster-harness.js';
import { cliJob, killCliProcesses, runEddyLines, startEddy, type CliProcess } from './eddy-cli.js';

after(killCliProcesses);
after(stopClusterProcesses);

describe('eddy run interrupted, against a cluster', () => {
  const cluster = useCluster({ taskManagers: 1, slots: 4 });

  /** Waits until every task of the job runs. */
  async function waitForRunning(jobId: string): Promise<void> {
    await waitFor(async () => {
      const details = await cluster.client.requestJob(jobId);
      return details.vertices.every((vertex) => vertex.subtasks.every((subtask) => subtask.attempts.at(-1)?.state === 'RUNNING'));
    }, `every task of job ${jobId} RUNNING`, 20_000);
  }

  /** An attached run of the endless job, once all its tasks run. */
  async function attachedEndlessRun(extra: string[] = []): Promise<{ run: CliProcess; jobId: string }> {
    const run = startEddy(['run', cliJob('endless'), '-m', cluster.jobManager.address, ...extra]);
    const jobId = await run.jobId();
    await waitForRunning(jobId);
    await run.waitForLine(/Source: Generator -> Sink: Unnamed \(1\/1\) \[attempt 0\] INITIALIZING -> RUNNING/);
    return { run, jobId };
  }

  it('exits 2 when another client cancels the job it follows', async () => {
    const { run, jobId } = await attachedEndlessRun();
    await cluster.client.cancelJob(jobId);
    assert.equal(await run.exitCode(), 2, run.transcript());
    assert.ok(run.stdout.some((line) => /Job '.*' CANCELLING -> CANCELED$/.test(line)), run.transcript());
    assert.equal((await cluster.client.requestJob(jobId)).status, 'CANCELED');
  });

  it('with -d prints the job id and returns while the job keeps running', async () => {
    const { code, stdout, process } = await runEddyLines(['run', cliJob('endless'), '-m', cluster.jobManager.address, '-d']);
    assert.equal(code, 0, process.transcript());
    const jobId = (stdout[0] ?? '').split(' ').at(-1)!;
    assert.match(stdout[0] ?? '', /^Job has been submitted with JobID [0-9a-f]{32}$/);
    assert.match(stdout.join('\n'), new RegExp(`eddy logs ${jobId} --follow -m ${cluster.jobManager.address}`));
    await waitForRunning(jobId);
    await cluster.client.cancelJob(jobId);
    await waitFor(async () => (await cluster.client.requestJob(jobId)).status === 'CANCELED', 'the detached job to be canceled');
  });

  it('cancels the job on Ctrl-C, waits for CANCELED and exits 130', async () => {
    const { run, jobId } = await attachedEndlessRun();
    run.kill('SIGINT');
    assert.equal(await run.exitCode(), 130, run.transcript());
    assert.ok(run.stdout.includes(`Cancelling job ${jobId} (Ctrl-C again to stop waiting)...`), run.transcript());
    assert.ok(run.stdout.some((line) => / CANCELLING -> CANCELED$/.test(line)), 'it waited for the job to be canceled');
    assert.equal((await cluster.client.requestJob(jobId)).status, 'CANCELED');
  });

  it('cancels the job on SIGTERM as on Ctrl-C, waits for CANCELED and exits 143', async () => {
    const { run, jobId } = await attachedEndlessRun();
    run.kill('SIGTERM');
    assert.equal(await run.exitCode(), 143, run.transcript());
    assert.ok(run.stdout.includes(`Cancelling job ${jobId} (SIGTERM again to stop waiting)...`), run.transcript());
    assert.ok(run.stdout.some((line) => / CANCELLING -> CANCELED$/.test(line)), 'it waited for the job to be canceled');
    assert.equal((await cluster.client.requestJob(jobId)).status, 'CANCELED');
  });

  it('with --detach-on-interrupt leaves the job RUNNING on SIGTERM too', async () => {
    const { run, jobId } = await attachedEndlessRun(['--detach-on-interrupt']);
    run.kill('SIGTERM');
    assert.equal(await run.exitCode(), 0, run.transcript());
    assert.ok(run.stdout.includes(`Detached from job ${jobId}; it keeps running on the cluster.`), run.transcript());
    assert.equal((await cluster.client.requestJob(jobId)).status, 'RUNNING');
    await cluster.client.cancelJob(jobId);
  });

  it('with --detach-on-interrupt leaves the job RUNNING on Ctrl-C and says how to reach it', async () => {
    const { run, jobId } = await attachedEndlessRun(['--detach-on-interrupt']);
    run.kill('SIGINT');
    assert.equal(await run.exitCode(), 0, run.transcript());
    assert.ok(run.stdout.includes(`Detached from job ${jobId}; it keeps running on the cluster.`), run.transcript());
    assert.ok(run.stdout.some((line) => line.includes(`eddy cancel ${jobId} -m ${cluster.jobManager.address}`)));
    assert.equal((await cluster.client.requestJob(jobId)).status, 'RUNNING');
    await cluster.client.cancelJob(jobId);
  });
});

describe('eddy run --local interrupted', () => {
  for (const [signal, name, code] of [
    ['SIGINT', 'Ctrl-C', 130],
    ['SIGTERM', 'SIGTERM', 143],
  ] as const) {
    it(`cancels the job on ${name}, stops the local cluster and exits ${code}`, async () => {
      const run = startEddy(['run', cliJob('endless'), '--local']);
      const jobId = await run.jobId();
      await run.waitForLine(/\[attempt 0\] INITIALIZING -> RUNNING/);
      run.kill(signal);
      assert.equal(await run.exitCode(), code, run.transcript());
      assert.ok(run.stdout.includes(`Cancelling job ${jobId} (${name} again to stop waiting)...`), run.transcript());
      assert.ok(run.stdout.some((line) => / CANCELLING -> CANCELED$/.test(line)), run.transcript());
      const logFile = /its log goes to (\S+)$/.exec(run.stdout[0] ?? '')?.[1] as string;
      assert.match(readFileSync(logFile, 'utf8'), /"msg":"JobManager stopped"/, 'the local cluster was stopped after the job was canceled');
      rmSync(logFile);
    });
  }
});
