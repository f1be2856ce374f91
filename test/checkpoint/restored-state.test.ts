/**
 * Exactly-once under failures: jobs with checkpoints on a JobManager and TaskManagers as child
 * processes, TaskManagers killed with SIGKILL mid-job, and the committed output compared with an
 * independent computation, update by update.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JobClient } from '@eddy/client';
import { committedRecords } from './checkpoint-test-utils.js';
import { startJobManager, startTaskManager, stopClusterProcesses, waitFor, type JobManagerProcess, type TaskManagerProcess } from '../cluster/cluster-harness.js';

after(stopClusterProcesses);

const jobFile = (name: string): string => fileURLToPath(new URL(`../../../test/checkpoint/jobs/${name}.ts`, import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'eddy-restored-state-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The (index, count, attempt) lines the unbounded counter's sinks appended. */
function readCounts(directory: string): { index: number; count: number; attempt: number }[] {
  if (!existsSync(directory)) return [];
  const records: { index: number; count: number; attempt: number }[] = [];
  for (const name of readdirSync(directory)) {
    for (const line of readFileSync(join(directory, name), 'utf8').split('\n')) {
      const [index, count, attempt] = line.split(' ').map(Number);
      if (line !== '' && attempt !== undefined) records.push({ index: index as number, count: count as number, attempt });
    }
  }
  return records;
}

/** Every key's running counts must be exactly 1..n, each once: no duplicate, no gap. */
function assertExactCounts(output: unknown[], records: number, keys: number): void {
  const expected = new Map<string, number>();
  for (let i = 0; i < records; i++) expected.set(`k${i % keys}`, (expected.get(`k${i % keys}`) ?? 0) + 1);
  const seen = new Map<string, number[]>();
  for (const [key, count] of output as [string, number][]) seen.set(key, [...(seen.get(key) ?? []), count]);
  assert.deepEqual([...seen.keys()].sort(), [...expected.keys()].sort(), 'every key and no other');
  for (const [key, n] of expected) {
    const counts = (seen.get(key) ?? []).sort((a, b) => a - b);
    assert.deepEqual(counts, Array.from({ length: n }, (_, i) => i + 1), `the running counts of ${key}`);
  }
}

describe('state restored from checkpoints', () => {
  let jobManager: JobManagerProcess;
  const taskManagers: TaskManagerProcess[] = [];
  let client: JobClient;

  before(async () => {
    jobManager = await startJobManager({ config: { 'restart-strategy.fixed-delay.attempts': '20', 'restart-strategy.fixed-delay.delay': '200 ms' } });
    for (let i = 0; i < 3; i++) taskManagers.push(await startTaskManager(jobManager.address, { slots: 2 }));
    client = await JobClient.connect(jobManager.address);
  });
  after(async () => client?.close());
  afterEach(async () => {
    // Keep three TaskManagers alive for the next test.
    for (let i = 0; i < taskManagers.length; i++) {
      if (taskManagers[i]!.hasExited) taskManagers[i] = await startTaskManager(jobManager.address, { slots: 2 });
    }
  });

  it('continues keyed ValueState from the checkpoint after a kill: from the checkpointed count, never from zero, skipping nothing', async () => {
    const keys = 5;
    const output = join(scratch, 'unbounded-out');
    const checkpoints = join(scratch, 'unbounded-chk');
    const { jobId } = await client.submitJobFile(jobFile('unbounded-counter'), { args: [String(keys), '400', output, checkpoints, '150'] });
    const completed = (): number => jobManager.linesWith(/^Completed checkpoint \d+ for job/).filter((line) => line['jobId'] === jobId).length;
    await waitFor(() => completed() >= 3, 'three completed checkpoints', 30_000);
    const status = await client.requestJob(jobId);
    const busy = new Set(status.vertices.flatMap((v) => v.subtasks.map((s) => s.attempts.at(-1)?.taskManagerId)));
    const victim = taskManagers.findIndex((tm) => !tm.hasExited && busy.has(tm.taskManagerId));
    await taskManagers[victim]!.kill('SIGKILL');
    // Everything the first attempt wrote is on disk once its TaskManager is dead (written at once).
    const lastBefore = Math.max(...readCounts(output).filter((r) => r.attempt === 0).map((r) => r.index));
    taskManagers[victim] = await startTaskManager(jobManager.address, { slots: 2 });
    await waitFor(() => readCounts(output).some((r) => r.attempt > 0 && r.index > lastBefore + 50), 'the restarted job to get past where it was killed', 30_000);
    await client.cancelJob(jobId);
    await client.followJob(jobId, () => undefined);
    const records = readCounts(output);
    for (const record of records) {
      assert.equal(record.count, Math.floor(record.index / keys) + 1, `count of index ${record.index} in attempt ${record.attempt}: state neither lost nor counted twice`);
    }
    const restarted = records.filter((r) => r.attempt > 0);
    const firstAfter = Math.min(...restarted.map((r) => r.index));
    assert.ok(firstAfter <= lastBefore + 1, `the restored job resumed at or before where it was killed, skipping nothing (first index ${firstAfter}, last before the kill ${lastBefore})`);
    assert.ok(firstAfter > 2 * keys, `and not at the start: the first count after the restore is ${Math.floor(firstAfter / keys) + 1}`);
    // Each key's indices reach its subtask in order: up to the last one written for the key (the
    // job was canceled with some in flight), every one was counted in one attempt or the other.
    const seen = new Set(records.map((r) => r.index));
    const missing: number[] = [];
    for (let key = 0; key < keys; key++) {
      const last = Math.max(...records.filter((r) => r.index % keys === key).map((r) => r.index));
      for (let index = key; index <= last; index += keys) if (!seen.has(index)) missing.push(index);
    }
    assert.deepEqual(missing, [], 'no index skipped');
  });

  it('commits every running count exactly once when an operator throws once on a chosen record', async () => {
    const records = 3000;
    const keys = 7;
    const output = join(scratch, 'throw-out');
    const checkpoints = join(scratch, 'throw-chk');
    const { jobId } = await client.submitJobFile(jobFile('keyed-count'), { args: [String(records), String(keys), output, checkpoints, '100', '3000', '2100'] });
    const terminal = await client.followJob(jobId, () => undefined);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    assert.ok(existsSync(join(checkpoints, 'failed-once')), 'the planned failure happened');
    assert.equal((await client.requestJob(jobId)).restarts, 1);
    assertExactCounts(committedRecords(output), records, keys);
  });
});
