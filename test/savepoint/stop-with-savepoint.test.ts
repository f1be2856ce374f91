/**
 * `eddy stop` (Flink's stop-with-savepoint) on a real cluster, with an event-time window job whose
 * exactly-once sink only commits on the savepoint (its periodic checkpoints are a minute apart):
 * without --drain the open windows stay in the savepoint and fire only after the job is resumed
 * from it, so the two runs together commit every window exactly once; with --drain the end of
 * event time fires them before the job is FINISHED.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stopClusterProcesses, waitFor } from '../cluster/cluster-harness.js';
import { committedRecords, followToEnd, scratchDirectory, useCheckpointCluster } from '../checkpoint/checkpoint-test-utils.js';
import { runEddy } from '../cli/eddy-cli.js';
import { event } from '../eventtime/jobs/windows.js';
import { tumblingAndSessionRows } from '../eventtime/window-expectations.js';

after(stopClusterProcesses);

const JOB = fileURLToPath(new URL('../../../test/eventtime/jobs/windows-checkpointed.ts', import.meta.url));
const scratch = scratchDirectory('eddy-stop-savepoint-');
const RECORDS = 2000;

/** Every tumbling and session window of the job's events, as the sink writes them. */
function expectedRows(records: number): string[] {
  return tumblingAndSessionRows(Array.from({ length: records }, (_, i) => event(i)));
}

const rowsIn = (directory: string): string[] => committedRecords(directory).map((row) => JSON.stringify(row)).sort();

describe('eddy stop', () => {
  const cluster = useCheckpointCluster({ taskManagers: 2, slots: 2, restartAttempts: 0 });

  /** Starts the window job, which pauses halfway until `markers/release` exists; resolves once both sources wait there and every task runs. */
  async function startPaused(name: string, output: string): Promise<{ jobId: string; markers: string }> {
    const markers = join(scratch, `${name}-markers`);
    mkdirSync(markers, { recursive: true });
    const { jobId } = await cluster.client.submitJobFile(JOB, { args: [String(RECORDS), output, join(scratch, `${name}-chk`), '60000', '4000', markers] });
    await waitFor(() => existsSync(join(markers, 'halfway-0')) && existsSync(join(markers, 'halfway-1')), 'both source subtasks halfway', 30_000);
    // A stop is refused while a task is not RUNNING yet (the sources may get halfway before the windows run).
    await waitFor(
      async () => (await cluster.client.requestJob(jobId)).vertices.every((vertex) => vertex.subtasks.every((subtask) => subtask.attempts.at(-1)?.state === 'RUNNING')),
      'every subtask RUNNING',
      30_000,
    );
    return { jobId, markers };
  }

  it('without --drain keeps the open windows in the savepoint: they fire after the resume, and both runs commit every window exactly once', async () => {
    const output = join(scratch, 'no-drain-out');
    const { jobId, markers } = await startPaused('no-drain', output);

    const stop = await runEddy(['stop', jobId, '--savepointPath', join(scratch, 'savepoints'), '-m', cluster.jobManager.address], { timeoutMs: 60_000 });
    assert.equal(stop.code, 0, stop.stderr);
    const path = /^Savepoint completed\. Path: (.+)$/m.exec(stop.stdout)?.[1] ?? '';
    assert.match(path, new RegExp(`^${join(scratch, 'savepoints')}/savepoint-${jobId.slice(0, 6)}-[0-9a-f]{12}$`), stop.stdout);
    assert.match(stop.stdout, new RegExp(`^Job ${jobId} is FINISHED\\.`, 'm'));
    assert.equal((await followToEnd(cluster.client, jobId)).to, 'FINISHED');

    const expected = expectedRows(RECORDS);
    const first = rowsIn(output);
    assert.ok(first.length > 0, 'windows complete before the stop were committed with the savepoint');
    assert.deepEqual(
      first.filter((row) => !expected.includes(row)),
      [],
      'no window fired with part of its events: without drain, event time did not end',
    );
    assert.ok(first.length < expected.length / 2 + 20, `the open windows did not fire (${first.length} of ${expected.length})`);

    writeFileSync(join(markers, 'release'), '');
    const resumed = await cluster.client.submitJobFile(JOB, { args: [String(RECORDS), output, join(scratch, 'no-drain-chk-2'), '60000', '4000', markers], savepointPath: path });
    const terminal = await followToEnd(cluster.client, resumed.jobId, 60_000);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    assert.deepEqual(rowsIn(output), expected, 'the two runs together: every window once, with all its events');
  });

  it('with --drain fires every open window before the job is FINISHED', async () => {
    const output = join(scratch, 'drain-out');
    const { jobId } = await startPaused('drain', output);
    const path = await cluster.client.stopWithSavepoint(jobId, { targetDirectory: join(scratch, 'savepoints'), drain: true });
    assert.ok(existsSync(join(path, '_metadata')));
    assert.equal((await followToEnd(cluster.client, jobId)).to, 'FINISHED');
    const expected = expectedRows(RECORDS);
    const rows = rowsIn(output);
    const partial = rows.filter((row) => !expected.includes(row));
    assert.ok(partial.length > 0, 'windows open at the stop fired with the events they had (the end of event time came first)');
    // Every key's windows fired up to its last event before the stop: one tumbling window per key
    // and second up to there, none left in state.
    const tumblingEnds = rows.filter((row) => row.startsWith('["tumbling"')).map((row) => (JSON.parse(row) as [string, string, number, number])[3]);
    const lastSession = Math.max(...rows.filter((row) => row.startsWith('["session"')).map((row) => (JSON.parse(row) as [string, string, number, number])[3]));
    assert.ok(Math.max(...tumblingEnds) >= lastSession - 500, 'the last tumbling windows fired along with the last sessions');
  });

  it('refuses a savepoint directory it cannot write before stopping anything (the job runs on), and a job that has ended', async () => {
    const output = join(scratch, 'ended-out');
    const { jobId } = await startPaused('ended', output);
    const aFile = join(scratch, 'a-file');
    writeFileSync(aFile, '');
    const refused = await runEddy(['stop', jobId, '--savepointPath', join(aFile, 'savepoints'), '-m', cluster.jobManager.address], { timeoutMs: 60_000 });
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, new RegExp(`cannot write savepoints to ${join(aFile, 'savepoints')}: ENOTDIR`));
    const details = await cluster.client.requestJob(jobId);
    assert.equal(details.status, 'RUNNING');
    assert.equal(details.restarts, 0, 'nothing stopped, nothing restarted');
    assert.ok(details.vertices.every((vertex) => vertex.subtasks.every((subtask) => subtask.attempts.at(-1)?.state === 'RUNNING')), 'every task still runs');

    await cluster.client.cancelJob(jobId);
    await followToEnd(cluster.client, jobId);
    const stop = await runEddy(['stop', jobId, '--savepointPath', join(scratch, 'savepoints'), '-m', cluster.jobManager.address]);
    assert.equal(stop.code, 1);
    assert.match(stop.stderr, new RegExp(`Job ${jobId} has already ended: it is CANCELED; there is nothing to stop`));
  });
});
