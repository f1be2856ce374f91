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
const scratch = mkdtempSync(join(tmpdir(), 'eddy-exactly-once-'));
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

describe('exactly once with checkpoints, TaskManagers killed', () => {
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

  it('commits every running count of a keyed count exactly once while TaskManagers are killed three times', async () => {
    const records = 6000;
    const keys = 20;
    const output = join(scratch, 'kill-out');
    const checkpoints = join(scratch, 'kill-chk');
    const { jobId } = await client.submitJobFile(jobFile('keyed-count'), { args: [String(records), String(keys), output, checkpoints, '200', '1500'] });
    const completed = (): number => jobManager.linesWith(/^Completed checkpoint \d+ for job/).filter((line) => line['jobId'] === jobId).length;
    for (let kill = 0; kill < 3; kill++) {
      const before = completed();
      await waitFor(() => completed() >= before + 2, `two more completed checkpoints before kill ${kill + 1}`, 30_000);
      const status = await client.requestJob(jobId);
      const busy = new Set(status.vertices.flatMap((v) => v.subtasks.map((s) => s.attempts.at(-1)?.taskManagerId)));
      const victim = taskManagers.findIndex((tm) => !tm.hasExited && busy.has(tm.taskManagerId));
      assert.ok(victim >= 0, 'a TaskManager running the job');
      await taskManagers[victim]!.kill('SIGKILL');
      taskManagers[victim] = await startTaskManager(jobManager.address, { slots: 2 });
    }
    const terminal = await client.followJob(jobId, () => undefined);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    const details = await client.requestJob(jobId);
    assert.ok(details.restarts >= 3, `restarted at least three times (was ${details.restarts})`);
    assertExactCounts(committedRecords(output), records, keys);
  });

});
