/**
 * eddy update as a user runs it (the eddy command as a child process against a JobManager and
 * TaskManagers that are child processes too): compatible new code takes over the running job's
 * state and keeps counting where it was, every count committed once; code whose state type
 * changed is refused with the incompatibility before anything happens to the job.
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
  const everySubtaskRuns = async (jobId: string): Promise<boolean> => (await cluster.client.requestJob(jobId)).vertices.every((v) => v.subtasks.every((s) => s.attempts.at(-1)?.state === 'RUNNING'));

  it('refuses code whose state type changed before touching the job, then moves compatible code onto the running state, which keeps counting', async () => {
    const submitted = await eddy('run', '-d', typedCounter, ...args('v1'));
    assertSucceeded(submitted);
    const v1 = /Job has been submitted with JobID ([0-9a-f]{32})/.exec(submitted.stdout)?.[1] ?? assert.fail(`no job id in ${submitted.stdout}`);
    await waitFor(async () => ((await cluster.client.requestJob(v1)).checkpoints?.completed ?? 0) >= 2 && committed().length >= 30, 'v1 to commit 30 counts in two checkpoints', 30_000);

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
});
