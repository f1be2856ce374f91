/**
 * What the rescaling tests share: the rows an uninterrupted run of jobs/rescalable.ts commits, and
 * a retained checkpoint of it taken at parallelism 2.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { waitFor, type SharedCluster } from '../cluster/cluster-harness.js';
import { checkpointJob, committedRecords, followToEnd } from './checkpoint-test-utils.js';

export const RECORDS = 6000;
const WINDOW = 1000;
const event = (i: number): { key: string; ts: number } => ({ key: `k${i % 7}`, ts: 1000 * Math.floor(i / 10) + ((i * 37) % 10) * 97 });

/** Every row an uninterrupted run of jobs/rescalable.ts commits, as sorted JSON. */
export function expectedRows(records: number): string[] {
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

/**
 * Runs jobs/rescalable.ts at parallelism 2 until checkpoints committed part of its output, stops it
 * with a savepoint (eddy stop without --drain: open windows and timers stay in the savepoint), and
 * returns the savepoint and the output directory.
 */
export async function savepointAtTwo(cluster: SharedCluster, scratch: string, name: string, backend = 'hashmap'): Promise<{ output: string; checkpoint: string; committedBefore: number }> {
  const output = join(scratch, `${name}-out`);
  const checkpoints = join(scratch, `${name}-chk`);
  const { jobId } = await cluster.client.submitJobFile(checkpointJob('rescalable'), { args: [String(RECORDS), output, checkpoints, '200', '1000', '2'], configuration: { 'state.backend.type': backend } });
  const completed = (): number => cluster.jobManager.linesWith(/^Completed checkpoint \d+ for job/).filter((line) => line['jobId'] === jobId).length;
  await waitFor(() => completed() >= 3 && committedRecords(output).length > 0, 'three completed checkpoints and committed output', 30_000);
  const savepoint = await cluster.client.stopWithSavepoint(jobId, { targetDirectory: join(scratch, `${name}-savepoints`), timeoutMs: 30_000 });
  const terminal = await followToEnd(cluster.client, jobId);
  assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
  return { output, checkpoint: savepoint, committedBefore: committedRecords(output).length };
}

/**
 * Takes a savepoint at parallelism 2 with the state backend `backends.from`, resumes it at
 * `parallelism` with `backends.to` into the same output directory, and checks that both runs
 * together committed exactly what an uninterrupted run does. Resolves to the savepoint (the resumed
 * job never deletes it).
 */
export async function assertResumesAt(cluster: SharedCluster, scratch: string, parallelism: number, backends = { from: 'hashmap', to: 'hashmap' }): Promise<string> {
  const name = `to-${parallelism}-${backends.from}-${backends.to}`;
  const { output, checkpoint, committedBefore } = await savepointAtTwo(cluster, scratch, name, backends.from);
  const expected = expectedRows(RECORDS);
  assert.ok(committedBefore < expected.length, `the stop came mid-job: ${committedBefore} of ${expected.length} rows committed before it`);
  const { jobId } = await cluster.client.submitJobFile(checkpointJob('rescalable'), {
    args: [String(RECORDS), output, join(scratch, `${name}-chk-2`), '200', '0', String(parallelism)],
    configuration: { 'execution.savepoint.path': checkpoint, 'state.backend.type': backends.to },
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
  return checkpoint;
}
