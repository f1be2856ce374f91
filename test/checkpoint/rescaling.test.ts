/**
 * Rescaling: a keyed event-time job (keyed state, event-time timers, a window, the exactly-once
 * file sink) runs at parallelism 2 on a JobManager and TaskManagers as child processes, is
 * canceled with its latest checkpoint retained, and resumes from it (execution.savepoint.path) at
 * parallelism 3 and at parallelism 1. What both runs committed together must be exactly what a run
 * without interruption commits, row by row: computed here from the events.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { waitFor } from '../cluster/cluster-harness.js';
import { checkpointJob, committedRecords, followToEnd, scratchDirectory, useCheckpointCluster } from './checkpoint-test-utils.js';

const scratch = scratchDirectory('eddy-rescaling-');

const RECORDS = 6000;
const WINDOW = 1000;
const event = (i: number): { key: string; ts: number } => ({ key: `k${i % 7}`, ts: 1000 * Math.floor(i / 10) + ((i * 37) % 10) * 97 });

/** Every row an uninterrupted run of jobs/rescalable.ts commits, as sorted JSON. */
function expectedRows(records: number): string[] {
  const rows: unknown[][] = [];
  const running = new Map<string, number>();
  const perWindow = new Map<string, number>();
  for (let i = 0; i < records; i++) {
    const { key, ts } = event(i);
    const n = (running.get(key) ?? 0) + 1;
    running.set(key, n);
    rows.push(['count', key, n]);
    const start = ts - (ts % WINDOW);
    const id = JSON.stringify([key, start]);
    perWindow.set(id, (perWindow.get(id) ?? 0) + 1);
  }
  for (const [id, n] of perWindow) {
    const [key, start] = JSON.parse(id) as [string, number];
    rows.push(['timer', key, start + WINDOW - 1, n], ['window', key, start, start + WINDOW, n]);
  }
  return rows.map((row) => JSON.stringify(row)).sort();
}

describe('restoring at another parallelism', () => {
  const cluster = useCheckpointCluster({ taskManagers: 2, slots: 2, restartAttempts: 0 });

  /** Runs the job at parallelism 2 until checkpoints committed part of its output, cancels it, and returns the retained checkpoint. */
  async function retainedCheckpointAtTwo(name: string): Promise<{ output: string; checkpoint: string; committedBefore: number }> {
    const output = join(scratch, `${name}-out`);
    const checkpoints = join(scratch, `${name}-chk`);
    const { jobId } = await cluster.client.submitJobFile(checkpointJob('rescalable'), {
      args: [String(RECORDS), output, checkpoints, '200', '1000', '2'],
      configuration: { 'execution.checkpointing.externalized-checkpoint-retention': 'RETAIN_ON_CANCELLATION' },
    });
    const completed = (): number => cluster.jobManager.linesWith(/^Completed checkpoint \d+ for job/).filter((line) => line['jobId'] === jobId).length;
    await waitFor(() => completed() >= 3 && committedRecords(output).length > 0, 'three completed checkpoints and committed output', 30_000);
    await cluster.client.cancelJob(jobId);
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'CANCELED', terminal.cause?.message);
    const retained = readdirSync(join(checkpoints, jobId)).filter((entry) => entry.startsWith('chk-'));
    assert.equal(retained.length, 1, `one retained checkpoint: ${retained.join(', ')}`);
    return { output, checkpoint: join(checkpoints, jobId, retained[0] as string), committedBefore: committedRecords(output).length };
  }

  for (const parallelism of [3, 1]) {
    it(`resumes a checkpoint of parallelism 2 at parallelism ${parallelism}: keyed state, timers, window and source positions redistributed, every row committed exactly once`, async () => {
      const { output, checkpoint, committedBefore } = await retainedCheckpointAtTwo(`to-${parallelism}`);
      const expected = expectedRows(RECORDS);
      assert.ok(committedBefore < expected.length, `the cancel came mid-job: ${committedBefore} of ${expected.length} rows committed before it`);
      const { jobId } = await cluster.client.submitJobFile(checkpointJob('rescalable'), {
        args: [String(RECORDS), output, join(scratch, `to-${parallelism}-chk-2`), '200', '0', String(parallelism)],
        configuration: { 'execution.savepoint.path': checkpoint },
      });
      const terminal = await followToEnd(cluster.client, jobId);
      assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
      const details = await cluster.client.requestJob(jobId);
      assert.deepEqual(
        details.vertices.map((vertex) => vertex.subtasks.length),
        details.vertices.map(() => parallelism),
        'the job ran at the new parallelism',
      );
      const deployed = cluster.jobManager.linesWith(/switched from SCHEDULED to DEPLOYING/).filter((line) => line['jobId'] === jobId).length;
      assert.equal(deployed, details.vertices.length * parallelism, 'each subtask deployed once');
      assert.deepEqual(committedRecords(output).map((row) => JSON.stringify(row)).sort(), expected);
    });
  }

  it('refuses before deploying anything to resume keyed state at another max parallelism, saying what to set', async () => {
    const { checkpoint } = await retainedCheckpointAtTwo('max');
    const { jobId } = await cluster.client.submitJobFile(checkpointJob('rescalable'), {
      args: [String(RECORDS), join(scratch, 'max-out-2'), join(scratch, 'max-chk-2'), '200', '0', '3', '256'],
      configuration: { 'execution.savepoint.path': checkpoint },
    });
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FAILED');
    assert.match(
      terminal.cause?.message ?? '',
      /Cannot start from .*_metadata: operator \S+ has keyed state cut into 128 key groups .* with max parallelism 256\. The max parallelism of an operator with keyed state cannot change: set it back to 128/,
    );
    const deployed = cluster.jobManager.linesWith(/switched from SCHEDULED to DEPLOYING/).filter((line) => line['jobId'] === jobId);
    assert.deepEqual(deployed, [], 'no task was deployed');
  });
});
