/**
 * Barrier alignment on tasks with several input channels, under backpressure: exactly-once holds
 * and checkpoints complete; AT_LEAST_ONCE does not wait for alignment and loses nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JobClient } from '@eddy/client';
import { startJobManager, startTaskManager, stopClusterProcesses, type JobManagerProcess, type TaskManagerProcess } from '../cluster/cluster-harness.js';
import { committedRecords } from './checkpoint-test-utils.js';

after(stopClusterProcesses);

const jobFile = (name: string): string => fileURLToPath(new URL(`../../../test/checkpoint/jobs/${name}.ts`, import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'eddy-alignment-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function countsPerKey(output: unknown[]): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  for (const [key, count] of output as [string, number][]) seen.set(key, [...(seen.get(key) ?? []), count]);
  for (const counts of seen.values()) counts.sort((a, b) => a - b);
  return seen;
}

describe('barrier alignment with two inputs', () => {
  let jobManager: JobManagerProcess;
  const taskManagers: TaskManagerProcess[] = [];
  let client: JobClient;
  const records = 8000;
  const keys = 10;
  const perKey = (2 * records) / keys;

  before(async () => {
    jobManager = await startJobManager({ config: { 'restart-strategy.fixed-delay.attempts': '10', 'restart-strategy.fixed-delay.delay': '200 ms' } });
    for (let i = 0; i < 2; i++) taskManagers.push(await startTaskManager(jobManager.address, { slots: 3 }));
    client = await JobClient.connect(jobManager.address);
  });
  after(async () => client?.close());
  afterEach(async () => {
    for (let i = 0; i < taskManagers.length; i++) if (taskManagers[i]!.hasExited) taskManagers[i] = await startTaskManager(jobManager.address, { slots: 3 });
  });

  it('completes checkpoints while the aligning tasks are backpressured, and the output is exact', async () => {
    const output = join(scratch, 'eo-out');
    const { jobId } = await client.submitJobFile(jobFile('two-inputs'), { args: [String(records), String(keys), output, join(scratch, 'eo-chk'), '100', 'EXACTLY_ONCE', '0.25'] });
    const terminal = await client.followJob(jobId, () => undefined);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    const details = await client.requestJob(jobId);
    const stats = details.checkpoints;
    // Checkpoints that completed while the job ran (before its last records were read), not only the final one.
    const sourcesEnded = Math.max(...details.vertices[0]!.subtasks.map((subtask) => subtask.attempts.at(-1)?.stateTimestamps['FINISHED'] ?? 0));
    const duringTheRun = (stats?.history ?? []).filter((checkpoint) => checkpoint.status === 'COMPLETED' && checkpoint.endTimestamp < sourcesEnded - 200);
    assert.ok(duringTheRun.length >= 2, `checkpoints completed under backpressure: ${JSON.stringify(stats?.history.map((c) => [c.checkpointId, c.status, c.endTimestamp - c.triggerTimestamp]))}`);
    const aligned = (stats?.history ?? []).flatMap((checkpoint) => checkpoint.subtasks).filter((subtask) => subtask.alignmentDurationMs > 0);
    assert.ok(aligned.length > 0, 'some subtask waited for alignment');
    for (const [key, counts] of countsPerKey(committedRecords(output))) assert.deepEqual(counts, Array.from({ length: perKey }, (_, i) => i + 1), key);
  });

  it('in AT_LEAST_ONCE mode never waits for alignment and, with a TaskManager killed, loses no count', async () => {
    const output = join(scratch, 'alo-out');
    const { jobId } = await client.submitJobFile(jobFile('two-inputs'), { args: [String(records), String(keys), output, join(scratch, 'alo-chk'), '100', 'AT_LEAST_ONCE', '0.25'] });
    const completedBefore = async (): Promise<number> => (await client.requestJob(jobId)).checkpoints?.completed ?? 0;
    const deadline = Date.now() + 30_000;
    while ((await completedBefore()) < 2) {
      if (Date.now() > deadline) assert.fail('no checkpoint completed in AT_LEAST_ONCE mode');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const stats = (await client.requestJob(jobId)).checkpoints;
    const subtasks = (stats?.history ?? []).flatMap((checkpoint) => checkpoint.subtasks);
    assert.ok(subtasks.length > 0);
    assert.ok(subtasks.every((subtask) => subtask.alignmentDurationMs === 0), 'no subtask held a channel back');
    await taskManagers[1]!.kill('SIGKILL');
    taskManagers[1] = await startTaskManager(jobManager.address, { slots: 3 });
    const terminal = await client.followJob(jobId, () => undefined);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    for (const [key, counts] of countsPerKey(committedRecords(output))) {
      const distinct = [...new Set(counts)];
      assert.deepEqual(distinct, Array.from({ length: distinct.length }, (_, i) => i + 1), `${key}: no count missing`);
      assert.ok(distinct.length >= perKey, `${key}: every record counted at least once`);
    }
  });
});
