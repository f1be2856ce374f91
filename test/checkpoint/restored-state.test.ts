/**
 * Exactly-once under failures: jobs with checkpoints on a JobManager and TaskManagers as child
 * processes, TaskManagers killed with SIGKILL mid-job, and the committed output compared with an
 * independent computation, update by update.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { waitFor, startTaskManager } from '../cluster/cluster-harness.js';
import { committedRecords, readCounts, assertExactCounts, useCheckpointCluster, checkpointJob, scratchDirectory, followToEnd } from './checkpoint-test-utils.js';

const scratch = scratchDirectory('eddy-restored-state-');

describe('state restored from checkpoints', () => {
  const cluster = useCheckpointCluster({ taskManagers: 3, slots: 2, restartAttempts: 20 });

  // Both keyed state backends: the same checkpoints, the same results.
  for (const backend of ['hashmap', 'lmdb']) {
    const configuration = { 'state.backend.type': backend };

    it(`continues keyed ValueState from the checkpoint after a kill: from the checkpointed count, never from zero, skipping nothing (state.backend.type ${backend})`, async () => {
      const keys = 5;
      const output = join(scratch, `unbounded-out-${backend}`);
      const checkpoints = join(scratch, `unbounded-chk-${backend}`);
      const { jobId } = await cluster.client.submitJobFile(checkpointJob('unbounded-counter'), { args: [String(keys), '400', output, checkpoints, '150'], configuration });
      const completed = (): number => cluster.jobManager.linesWith(/^Completed checkpoint \d+ for job/).filter((line) => line['jobId'] === jobId).length;
      await waitFor(() => completed() >= 3, 'three completed checkpoints', 30_000);
      const status = await cluster.client.requestJob(jobId);
      const busy = new Set(status.vertices.flatMap((v) => v.subtasks.map((s) => s.attempts.at(-1)?.taskManagerId)));
      const victim = cluster.taskManagers.findIndex((tm) => !tm.hasExited && busy.has(tm.taskManagerId));
      await cluster.taskManagers[victim]!.kill('SIGKILL');
      // Everything the first attempt wrote is on disk once its TaskManager is dead (written at once).
      const lastBefore = Math.max(...readCounts(output).filter((r) => r.attempt === 0).map((r) => r.index));
      cluster.taskManagers[victim] = await startTaskManager(cluster.jobManager.address, { slots: 2 });
      await waitFor(() => readCounts(output).some((r) => r.attempt > 0 && r.index > lastBefore + 50), 'the restarted job to get past where it was killed', 30_000);
      await cluster.client.cancelJob(jobId);
      await followToEnd(cluster.client, jobId);
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

    it(`commits every running count exactly once when an operator throws once on a chosen record (state.backend.type ${backend})`, async () => {
      const records = 3000;
      const keys = 7;
      const output = join(scratch, `throw-out-${backend}`);
      const checkpoints = join(scratch, `throw-chk-${backend}`);
      const { jobId } = await cluster.client.submitJobFile(checkpointJob('keyed-count'), { args: [String(records), String(keys), output, checkpoints, '100', '3000', '2100'], configuration });
      const terminal = await followToEnd(cluster.client, jobId);
      assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
      assert.ok(existsSync(join(checkpoints, 'failed-once')), 'the planned failure happened');
      assert.equal((await cluster.client.requestJob(jobId)).restarts, 1);
      assertExactCounts(committedRecords(output), records, keys);
      const started = cluster.taskManagers.flatMap((tm) => tm.linesWith('Task thread started')).filter((line) => line['jobId'] === jobId);
      assert.ok(started.length > 0 && started.every((line) => line['stateBackend'] === backend), `every task of the job ran with state.backend.type ${backend}`);
    });
  }
});
