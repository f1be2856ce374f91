/**
 * Savepoints on a real cluster (a JobManager and TaskManagers as child processes): a savepoint of a
 * running keyed job with an exactly-once sink, the job canceled, the savepoint moved elsewhere and
 * the job resumed from it, its committed output compared with an uninterrupted run update by
 * update; a job that sets no max parallelism takes the savepoint's; and the restores a savepoint
 * refuses (an operator the job lost, another max parallelism, a corrupt savepoint) before anything
 * is deployed.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { JobClient } from '@eddy/client';
import { waitFor } from '../cluster/cluster-harness.js';
import { assertExactCounts, committedRecords, followToEnd, scratchDirectory, useCheckpointCluster } from '../checkpoint/checkpoint-test-utils.js';

const scratch = scratchDirectory('eddy-savepoints-');
const countingJob = fileURLToPath(new URL('../../../test/savepoint/jobs/counting.ts', import.meta.url));
/** State in files, not inline in `_metadata`, so the savepoint has files to move and lose. */
const STATE_IN_FILES = { 'state.storage.fs.memory-threshold': '0' };

const RECORDS = 3000;
const KEYS = 7;

async function waitUntilRunning(client: JobClient, jobId: string): Promise<void> {
  await waitFor(
    async () => (await client.requestJob(jobId)).vertices.every((vertex) => vertex.subtasks.every((subtask) => subtask.attempts.at(-1)?.state === 'RUNNING')),
    'every subtask RUNNING',
    30_000,
  );
}

/** Whether any attempt of the job got as far as DEPLOYING. */
async function anythingDeployed(client: JobClient, jobId: string): Promise<boolean> {
  const details = await client.requestJob(jobId);
  return details.vertices.some((vertex) => vertex.subtasks.some((subtask) => subtask.attempts.some((attempt) => !['CREATED', 'SCHEDULED', 'CANCELED'].includes(attempt.state))));
}

/** Whether the sink's state in the savepoint at `path` names pending part files (records counted before it). */
function sinkHoldsPendingParts(path: string): boolean {
  const { checkpoint } = JSON.parse(readFileSync(join(path, '_metadata'), 'utf8')) as {
    checkpoint: { vertices: { subtasks: { state: { operators: { operatorId: string; lists: { handle: { file?: string; inline?: string } | null }[] }[] } }[] }[] };
  };
  for (const vertex of checkpoint.vertices) {
    for (const subtask of vertex.subtasks) {
      for (const operator of subtask.state.operators) {
        if (operator.operatorId !== 'sink') continue;
        for (const { handle } of operator.lists) {
          const bytes = handle?.file !== undefined ? readFileSync(join(path, handle.file)) : Buffer.from(handle?.inline ?? '', 'base64');
          if (bytes.includes('.part-')) return true;
        }
      }
    }
  }
  return false;
}

describe('savepoints', () => {
  const cluster = useCheckpointCluster({ taskManagers: 2, slots: 2, restartAttempts: 0 });
  /** The savepoint of the first test, copied for the refusals. */
  let savepointCopy = '';

  it('resumes a canceled job from its savepoint, moved to another directory, and commits every running count exactly once', async () => {
    const output = join(scratch, 'resume-out');
    const args = (checkpoints: string): string[] => [String(RECORDS), String(KEYS), output, checkpoints, '60000', '1000'];
    const { jobId } = await cluster.client.submitJobFile(countingJob, { args: args(join(scratch, 'resume-chk-1')), configuration: STATE_IN_FILES });
    await waitUntilRunning(cluster.client, jobId);
    const savepoints = join(scratch, 'savepoints');
    // Savepoints until one holds counted records (the sink's pending part files), so the resumed
    // job must carry state; the earlier ones are left where they are.
    let path = '';
    await waitFor(
      async () => {
        path = await cluster.client.triggerSavepoint(jobId, savepoints);
        return sinkHoldsPendingParts(path);
      },
      'a savepoint that holds records the sink has not committed',
      20_000,
    );
    assert.match(basename(path), new RegExp(`^savepoint-${jobId.slice(0, 6)}-[0-9a-f]{12}$`));
    assert.equal(join(savepoints, basename(path)), path);
    const files = readdirSync(path);
    assert.ok(files.includes('_metadata'), `a _metadata in ${files.join(', ')}`);
    assert.ok(files.length > 1, 'state files next to it');
    const metadata = readFileSync(join(path, '_metadata'), 'utf8');
    assert.doesNotMatch(metadata, /"path":/, 'every state file is named relative to the savepoint directory');
    assert.match(metadata, /"savepoint":true/);
    assert.ok(!existsSync(join(scratch, 'resume-chk-1', jobId, `chk-${/"checkpointId":(\d+)/.exec(metadata)?.[1]}`)), 'nothing of it left in the checkpoint directory');

    // A savepoint commits nothing (Flink 1.15+): no checkpoint completed before the cancel.
    await cluster.client.cancelJob(jobId);
    assert.equal((await followToEnd(cluster.client, jobId)).to, 'CANCELED');
    assert.deepEqual(committedRecords(output), [], 'nothing committed by the canceled job: its only snapshot was the savepoint');
    assert.ok(existsSync(path), 'the savepoint outlives the job');

    savepointCopy = join(scratch, 'savepoint-copy');
    cpSync(path, savepointCopy, { recursive: true });
    const moved = join(scratch, 'elsewhere', 'moved-savepoint');
    cpSync(path, moved, { recursive: true });
    rmSync(path, { recursive: true });

    const resumed = await cluster.client.submitJobFile(countingJob, { args: args(join(scratch, 'resume-chk-2')), configuration: STATE_IN_FILES, savepointPath: join(moved, '_metadata') });
    const terminal = await followToEnd(cluster.client, resumed.jobId, 60_000);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    const details = await cluster.client.requestJob(resumed.jobId);
    assert.equal(details.checkpoints?.restoredPath, join(moved, '_metadata'));
    assertExactCounts(committedRecords(output), RECORDS, KEYS);
  });

  it('refuses a savepoint with state for an operator the job lacks, naming its uid and vertex, and drops that state with allowNonRestoredState', async () => {
    assert.notEqual(savepointCopy, '', 'the first test took the savepoint');
    const args = (name: string): string[] => [String(RECORDS), String(KEYS), join(scratch, `${name}-out`), join(scratch, `${name}-chk`), '60000', '0', 'renamed'];
    const { jobId } = await cluster.client.submitJobFile(countingJob, { args: args('unclaimed'), savepointPath: savepointCopy });
    const refused = await followToEnd(cluster.client, jobId);
    assert.equal(refused.to, 'FAILED');
    assert.match(refused.cause?.message ?? '', /it has state for operator count \(in 'Keyed Aggregation -> Sink: .*'\), which this job does not have.*--allowNonRestoredState/);
    assert.equal(await anythingDeployed(cluster.client, jobId), false, 'nothing deployed');

    const allowed = await cluster.client.submitJobFile(countingJob, { args: args('allowed'), savepointPath: savepointCopy, allowNonRestoredState: true });
    const terminal = await followToEnd(cluster.client, allowed.jobId, 60_000);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    // The sources resumed where the savepoint had them; the renamed count started empty.
    const counts = committedRecords(join(scratch, 'allowed-out')) as [string, number][];
    assert.ok(counts.length > 0 && counts.length < RECORDS, `only the records after the savepoint (${counts.length})`);
    assert.ok(counts.some(([, count]) => count === 1), 'the new operator counts from zero');
    // The sink kept its uid but is now chained behind 'count-v2' (another vertex id): matched by
    // uid, it got its state back, so at least one subtask's part counter went on from the savepoint's.
    const parts = readdirSync(join(scratch, 'allowed-out'));
    assert.ok(!(parts.includes('part-0-0') && parts.includes('part-1-0')), `the sink restored its part counters (parts: ${parts.join(', ')})`);
  });

  it('refuses a savepoint taken at another max parallelism, saying to set it back', async () => {
    const { jobId } = await cluster.client.submitJobFile(countingJob, {
      args: [String(RECORDS), String(KEYS), join(scratch, 'maxp-out'), join(scratch, 'maxp-chk'), '60000', '0', 'same', '64'],
      savepointPath: savepointCopy,
    });
    const refused = await followToEnd(cluster.client, jobId);
    assert.equal(refused.to, 'FAILED');
    assert.match(refused.cause?.message ?? '', /operator \S+ has keyed state cut into 128 key groups .* with max parallelism 64\. The max parallelism of an operator with keyed state cannot change: set it back to 128/);
    assert.equal(await anythingDeployed(cluster.client, jobId), false, 'nothing deployed');
  });

  it('takes the max parallelism of the savepoint when the job sets none (as Flink), and counts on exactly once', async () => {
    const output = join(scratch, 'adopt-out');
    const args = (checkpoints: string, maxParallelism: string): string[] => [String(RECORDS), String(KEYS), output, checkpoints, '60000', '1000', 'same', maxParallelism];
    const { jobId } = await cluster.client.submitJobFile(countingJob, { args: args(join(scratch, 'adopt-chk-1'), '64'), configuration: STATE_IN_FILES });
    await waitUntilRunning(cluster.client, jobId);
    let path = '';
    await waitFor(
      async () => {
        path = await cluster.client.triggerSavepoint(jobId, join(scratch, 'adopt-savepoints'));
        return sinkHoldsPendingParts(path);
      },
      'a savepoint that holds records the sink has not committed',
      20_000,
    );
    await cluster.client.cancelJob(jobId);
    await followToEnd(cluster.client, jobId);

    // No setMaxParallelism now: derived from parallelism 2 it would be 128.
    const resumed = await cluster.client.submitJobFile(countingJob, { args: args(join(scratch, 'adopt-chk-2'), '0'), configuration: STATE_IN_FILES, savepointPath: path });
    const terminal = await followToEnd(cluster.client, resumed.jobId, 60_000);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    assertExactCounts(committedRecords(output), RECORDS, KEYS);
    const adopted = cluster.jobManager.linesWith(/sets no max parallelism: it runs with 64/).filter((line) => line['jobId'] === resumed.jobId);
    assert.ok(adopted.length > 0, 'the JobMaster says it took 64 from the savepoint');
  });

  it('refuses a corrupt savepoint (a missing state file, a truncated or edited _metadata) naming the file, before anything is deployed', async () => {
    const start = async (savepointPath: string, name: string): Promise<string> => {
      const { jobId } = await cluster.client.submitJobFile(countingJob, { args: [String(RECORDS), String(KEYS), join(scratch, `${name}-out`), join(scratch, `${name}-chk`)], savepointPath });
      const terminal = await followToEnd(cluster.client, jobId);
      assert.equal(terminal.to, 'FAILED');
      assert.equal(await anythingDeployed(cluster.client, jobId), false, 'nothing deployed');
      return terminal.cause?.message ?? '';
    };
    const missing = join(scratch, 'missing-file');
    cpSync(savepointCopy, missing, { recursive: true });
    const lost = readdirSync(missing).find((name) => name !== '_metadata') as string;
    renameSync(join(missing, lost), join(scratch, 'lost-state-file'));
    assert.match(await start(missing, 'missing'), new RegExp(`the state file ${join(missing, lost)} of operator \\S+ of '.+' \\(\\d/2\\) is missing`));

    const truncated = join(scratch, 'truncated');
    cpSync(savepointCopy, truncated, { recursive: true });
    const bytes = readFileSync(join(truncated, '_metadata'));
    writeFileSync(join(truncated, '_metadata'), bytes.subarray(0, bytes.length - 50));
    assert.match(await start(truncated, 'truncated'), new RegExp(`The checkpoint metadata file ${join(truncated, '_metadata')} is not a readable checkpoint metadata file \\(the file looks truncated\\)`));

    const edited = join(scratch, 'edited');
    cpSync(savepointCopy, edited, { recursive: true });
    writeFileSync(join(edited, '_metadata'), readFileSync(join(edited, '_metadata'), 'utf8').replace('"maxParallelism":128', '"maxParallelism":129'));
    assert.match(await start(edited, 'edited'), new RegExp(`The checkpoint metadata file ${join(edited, '_metadata')} is corrupt: the sha256 of its content is`));
  });
});
