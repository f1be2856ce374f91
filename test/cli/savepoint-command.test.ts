/**
 * eddy savepoint (take one, --json, --dispose) and the savepoint flags of eddy run as a user runs
 * them: child processes of the eddy command against a JobManager and a TaskManager that are child
 * processes too. Also the missing-uid warning, printed by eddy run and logged by the JobMaster.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stopClusterProcesses, useCluster, waitFor } from '../cluster/cluster-harness.js';
import { parseJson, runEddy, type CliResult } from './eddy-cli.js';

after(stopClusterProcesses);

const countingJob = fileURLToPath(new URL('../../../test/savepoint/jobs/counting.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'eddy-savepoint-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function assertSucceeded(result: CliResult): void {
  assert.equal(result.code, 0, `exit code; stdout: ${result.stdout}; stderr: ${result.stderr}`);
}

const jobIdOf = (result: CliResult): string => /Job has been submitted with JobID ([0-9a-f]{32})/.exec(result.stdout)?.[1] ?? assert.fail(`no job id in ${result.stdout}`);

describe('eddy savepoint', () => {
  const cluster = useCluster({ taskManagers: 1, slots: 2 });
  const eddy = (...args: string[]): Promise<CliResult> => runEddy([...args, '-m', cluster.jobManager.address], { timeoutMs: 60_000 });
  /** An endless-enough counting job (checkpoints a minute apart), submitted detached. */
  const submit = async (name: string, variant: string): Promise<CliResult> =>
    runEddy(['run', '-d', '-m', cluster.jobManager.address, countingJob, '--', '100000000', '5', join(scratch, `${name}-out`), join(scratch, `${name}-chk`), '60000', '200', variant], { timeoutMs: 60_000 });

  it('warns about operators that can hold state without a uid, in eddy run and in the JobMaster log; not when they have one', async () => {
    const withoutUids = await submit('no-uids', 'no-uids');
    assertSucceeded(withoutUids);
    assert.match(
      withoutUids.stderr,
      /^Warning: 3 operator\(s\) that can hold state have no uid: 'Source: Generator', 'Keyed Aggregation', 'Sink: Text File Sink'; set uid\(\) so a savepoint survives changes to the job$/m,
    );
    const jobId = jobIdOf(withoutUids);
    await waitFor(() => cluster.jobManager.linesWith('Operators that can hold state have no uid; set uid() so a savepoint survives changes to the job').some((line) => line['jobId'] === jobId), 'the JobMaster warning');
    await cluster.client.cancelJob(jobId);

    const withUids = await submit('uids', 'same');
    assertSucceeded(withUids);
    assert.doesNotMatch(withUids.stderr, /uid/);
    await cluster.client.cancelJob(jobIdOf(withUids));
  });

  it('takes a savepoint and prints its path (as JSON with --json), refuses one without a directory, and disposes of it', async () => {
    const submitted = await submit('running', 'same');
    assertSucceeded(submitted);
    const jobId = jobIdOf(submitted);
    await waitFor(async () => (await cluster.client.requestJob(jobId)).vertices.every((v) => v.subtasks.every((s) => s.attempts.at(-1)?.state === 'RUNNING')), 'the job to run', 30_000);
    try {
      const savepoints = join(scratch, 'savepoints');
      const taken = await eddy('savepoint', jobId, savepoints);
      assertSucceeded(taken);
      const path = /^Savepoint completed\. Path: (.+)$/m.exec(taken.stdout)?.[1] ?? '';
      assert.match(path, new RegExp(`^${savepoints}/savepoint-${jobId.slice(0, 6)}-[0-9a-f]{12}$`));
      assert.match(taken.stdout, new RegExp(`Resume from it with \`eddy run -s ${path} <job file>\``));
      assert.ok(existsSync(join(path, '_metadata')));

      const json = parseJson(await eddy('savepoint', jobId, savepoints, '--json')) as { savepointPath: string };
      assert.deepEqual(Object.keys(json), ['savepointPath']);
      assert.ok(existsSync(join(json.savepointPath, '_metadata')));

      const noDirectory = await eddy('savepoint', jobId);
      assert.equal(noDirectory.code, 1);
      assert.match(noDirectory.stderr, /no savepoint directory: name one \(`eddy savepoint <jobId> <directory>`.*\) or set state\.savepoints\.dir/);
      assert.equal((await cluster.client.requestJob(jobId)).status, 'RUNNING', 'the job runs on');

      const notASavepoint = join(scratch, 'not-a-savepoint');
      mkdirSync(notASavepoint);
      writeFileSync(join(notASavepoint, 'notes.txt'), 'keep me');
      const refused = await eddy('savepoint', '--dispose', notASavepoint);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, new RegExp(`Cannot dispose of ${notASavepoint}: it is not a readable savepoint \\(Cannot restore from ${notASavepoint}: it has no _metadata file`));
      assert.ok(existsSync(join(notASavepoint, 'notes.txt')), 'nothing deleted');

      const disposed = await eddy('savepoint', '--dispose', path);
      assertSucceeded(disposed);
      assert.equal(disposed.stdout, `Savepoint '${path}' disposed.\n`);
      assert.ok(!existsSync(path), 'the savepoint directory is gone');
      assert.deepEqual(readdirSync(savepoints), [json.savepointPath.slice(savepoints.length + 1)], 'the other savepoint stays');
    } finally {
      await cluster.client.cancelJob(jobId);
    }
  });

  it('refuses --allowNonRestoredState without -s, saying what it needs', async () => {
    const result = await eddy('run', '--allowNonRestoredState', countingJob);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /--allowNonRestoredState only applies with -s\/--fromSavepoint <savepointPath>/);
  });
});
