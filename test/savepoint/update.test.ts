/**
 * eddy update as a user runs it (the eddy command as a child process against a JobManager and
 * TaskManagers that are child processes too): compatible new code takes over the running job's
 * state and keeps counting where it was, every count committed once; code whose state type
 * changed is refused with the incompatibility before anything happens to the job; new code that
 * fits but fails to start leaves the savepoint, and the old code resumes from it.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stopClusterProcesses, waitFor } from '../cluster/cluster-harness.js';
import { checkpointJob, committedRecords, followToEnd, scratchDirectory, useCheckpointCluster } from '../checkpoint/checkpoint-test-utils.js';
import { parseJson, runEddy, type CliResult } from '../cli/eddy-cli.js';

after(stopClusterProcesses);

const scratch = scratchDirectory('eddy-update-');
const typedCounter = checkpointJob('typed-counter');

function assertSucceeded(result: CliResult): void {
  assert.equal(result.code, 0, `exit code; stdout: ${result.stdout}; stderr: ${result.stderr}`);
}

describe('eddy update', () => {
  const cluster = useCheckpointCluster({ taskManagers: 2, slots: 2, restartAttempts: 5 });
  // -m before the job's arguments, which follow --.
  const eddy = (command: string, ...args: string[]): Promise<CliResult> => runEddy([command, '-m', cluster.jobManager.address, ...args], { timeoutMs: 90_000 });
  const output = join(scratch, 'out');
  const checkpoints = join(scratch, 'chk');
  const savepoints = join(scratch, 'savepoints');
  const committed = (): [string, number, string][] => committedRecords(output) as [string, number, string][];
  const args = (variant: string): string[] => ['--', variant, '4', '300', output, checkpoints, '150'];
  /** `eddy run -d`: the id of the submitted job. */
  const submit = async (...args: string[]): Promise<string> => {
    const submitted = await eddy('run', '-d', ...args);
    assertSucceeded(submitted);
    return /Job has been submitted with JobID ([0-9a-f]{32})/.exec(submitted.stdout)?.[1] ?? assert.fail(`no job id in ${submitted.stdout}`);
  };
  /** The first code running with state: two completed checkpoints and 30 committed counts. */
  const v1Committed30 = (jobId: string, commits: () => unknown[]): Promise<void> =>
    waitFor(async () => ((await cluster.client.requestJob(jobId)).checkpoints?.completed ?? 0) >= 2 && commits().length >= 30, 'v1 to commit 30 counts in two checkpoints', 30_000);
  const everySubtaskRuns = async (jobId: string): Promise<boolean> => (await cluster.client.requestJob(jobId)).vertices.every((v) => v.subtasks.every((s) => s.attempts.at(-1)?.state === 'RUNNING'));

  it('refuses code whose state type changed before touching the job, then moves compatible code onto the running state, which keeps counting', async () => {
    const v1 = await submit(typedCounter, ...args('v1'));
    await v1Committed30(v1, committed);

    // v3 keeps the count as a string: refused, and v1 runs on as it did.
    const refused = await eddy('update', v1, '--savepointPath', savepoints, typedCounter, ...args('v3'));
    assert.equal(refused.code, 1, `exit code; stdout: ${refused.stdout}; stderr: ${refused.stderr}`);
    assert.match(refused.stderr, new RegExp(`Job ${v1} was not touched: the new code does not fit its state:`));
    assert.match(refused.stderr, /- .*'count'.*field 'count' was NUMBER, is STRING/);
    assert.equal(existsSync(savepoints) ? readdirSync(savepoints).length : 0, 0, 'no savepoint was taken');
    const afterRefusal = await cluster.client.requestJob(v1);
    assert.equal(afterRefusal.status, 'RUNNING');
    assert.equal(afterRefusal.restarts, 0, 'the refused update did not restart the job');
    const before = committed().length;
    await waitFor(() => committed().length > before + 10, 'v1 to go on committing after the refused update', 20_000);

    // v2 gained an optional field and writes another variant: it takes over v1's counts.
    const updated = await eddy('update', v1, '--json', '--savepointPath', savepoints, typedCounter, ...args('v2'));
    assertSucceeded(updated);
    const result = parseJson(updated) as { oldJobId: string; jobId: string; savepointPath: string; gapMs: number };
    assert.equal(result.oldJobId, v1);
    assert.ok(result.savepointPath.startsWith(savepoints), `the savepoint is under --savepointPath: ${result.savepointPath}`);
    assert.ok(Number.isFinite(result.gapMs) && result.gapMs > 0, `a gap in ms: ${result.gapMs}`);
    assert.equal((await cluster.client.requestJob(v1)).status, 'FINISHED', 'the old job stopped with its savepoint');
    assert.ok(await everySubtaskRuns(result.jobId), 'every subtask of the new job runs when the update returns');

    await waitFor(() => committed().filter(([, , variant]) => variant === 'v2').length >= 30, 'the new code to commit 30 counts', 30_000);
    await cluster.client.cancelJob(result.jobId);
    await followToEnd(cluster.client, result.jobId);

    const byKey = new Map<string, [number, string][]>();
    for (const [key, count, variant] of committed()) byKey.set(key, [...(byKey.get(key) ?? []), [count, variant]]);
    for (const [key, counts] of byKey) {
      counts.sort((a, b) => a[0] - b[0]);
      assert.deepEqual(counts.map(([count]) => count), Array.from({ length: counts.length }, (_, i) => i + 1), `the committed counts of ${key} run 1..n, each once`);
      const firstV2 = counts.find(([, variant]) => variant === 'v2');
      if (firstV2 !== undefined) assert.ok(firstV2[0] > 1, `${key}: the new code went on from v1's count, not from zero`);
      const lastV1 = counts.filter(([, variant]) => variant === 'v1').at(-1);
      if (firstV2 !== undefined && lastV1 !== undefined) assert.equal(firstV2[0], lastV1[0] + 1, `${key}: v2 starts right after v1's last committed count`);
    }
  });

  it('leaves the savepoint intact when the new code fits the state but fails to start, says how to resume either version, and the old code resumes from it', async () => {
    const out = join(scratch, 'broken-out');
    const chk = join(scratch, 'broken-chk');
    const sp = join(scratch, 'broken-savepoints');
    const argsOf = (variant: string): string[] => ['--', variant, '4', '300', out, chk, '150'];
    const counts = (): [string, number, string][] => committedRecords(out) as [string, number, string][];
    const v1 = await submit(typedCounter, ...argsOf('v1'));
    await v1Committed30(v1, counts);

    const failed = await eddy('update', v1, '--savepointPath', sp, typedCounter, ...argsOf('v2-broken'));
    assert.equal(failed.code, 1, `exit code; stdout: ${failed.stdout}; stderr: ${failed.stderr}`);
    const message = new RegExp(`Job ${v1} stopped with savepoint (\\S+), but the new job [0-9a-f]{32} did not start running: .*v2-broken cannot open its counter.*The savepoint is intact: start the new version with \`eddy run -s (\\S+) <new job file>\`, or the old one with \`eddy run -s (\\S+) <old job file>\``, 's');
    const match = message.exec(failed.stderr) ?? assert.fail(`the failure names the savepoint and both ways back: ${failed.stderr}`);
    const savepoint = match[1] as string;
    assert.deepEqual([match[2], match[3]], [savepoint, savepoint]);
    assert.ok(savepoint.startsWith(sp) && existsSync(savepoint), `the savepoint is there: ${savepoint}`);
    assert.equal((await cluster.client.requestJob(v1)).status, 'FINISHED', 'the old job stopped with its savepoint');

    // The old code, resumed from the savepoint, counts on where it stopped.
    const before = counts().length;
    const again = await submit('-s', savepoint, typedCounter, ...argsOf('v1'));
    await waitFor(() => counts().length >= before + 30, 'the resumed old code to commit 30 more counts', 30_000);
    await cluster.client.cancelJob(again);
    await followToEnd(cluster.client, again);
    const byKey = new Map<string, number[]>();
    for (const [key, count] of counts()) byKey.set(key, [...(byKey.get(key) ?? []), count]);
    for (const [key, list] of byKey) {
      list.sort((a, b) => a - b);
      assert.deepEqual(list, Array.from({ length: list.length }, (_, i) => i + 1), `the committed counts of ${key} run 1..n, each once, across the stop and the resume`);
    }
  });
});
