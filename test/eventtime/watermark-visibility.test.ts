/**
 * Watermark visibility on 1 JobManager + 2 TaskManagers (child processes, real TCP): each subtask's
 * input watermark reaches the job's details, and the JobMaster warns once when event time stands
 * still while records arrive, naming the source subtask that holds it back (a source subtask
 * without data whose strategy lacks withIdleness). The same job with withIdleness, and one
 * without watermarks, run beside it and get no warning; the latter shows no watermark at all.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import { useCluster, waitFor, type LogLine } from '../cluster/cluster-harness.js';

const JOB = fileURLToPath(new URL('../../../test/eventtime/jobs/watermark-stall.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'eddy-watermark-stall-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const STALL_WARNING = 'Event time does not advance while records arrive: a source subtask holds the watermark back (a split without data and no WatermarkStrategy.withIdleness?)';
const configuration = { 'pipeline.watermark-stall-warning': '1 s' };

const currentAttempts = (vertex: dispatcher.VertexDetails | undefined): dispatcher.AttemptDetails[] => (vertex?.subtasks ?? []).map((subtask) => subtask.attempts.at(-1) as dispatcher.AttemptDetails);

describe('watermark visibility on a cluster', () => {
  const cluster = useCluster({ taskManagers: 2, slots: 3 });

  it('warns once, naming the silent source subtask, when event time stands still while records arrive; not for withIdleness or a job without watermarks', async () => {
    const client = cluster.client;
    const none = await client.submitJobFile(JOB, { args: ['none', join(scratch, 'none')], configuration });
    const idleness = await client.submitJobFile(JOB, { args: ['idleness', join(scratch, 'idleness')], configuration });
    const stalled = await client.submitJobFile(JOB, { args: ['stalled', join(scratch, 'stalled')], configuration });
    try {
      const warning = await cluster.jobManager.waitForLine((line) => line.msg === STALL_WARNING && line['jobId'] === stalled.jobId, 'the watermark stall warning of the stalled job', 40_000);
      assert.equal(warning.level, 40, 'a warning');
      assert.match(String(warning['vertexName']), /Timers/);
      const heldBackBy = warning['heldBackBy'] as { vertexName: string; subtask: number; task: string };
      assert.match(heldBackBy.vertexName, /Half-silent/);
      assert.equal(heldBackBy.subtask, 1, 'the silent subtask holds event time back');
      assert.match(heldBackBy.task, /\(2\/2\)$/);

      // The stalled job's details: the source's busy subtask shows its watermark, the keyed task none yet.
      const details = await client.requestJob(stalled.jobId);
      const [source, timers] = details.vertices;
      const sourceWatermark = currentAttempts(source)[0]?.currentInputWatermark;
      assert.ok(typeof sourceWatermark === 'number' && sourceWatermark > 1_000_000, `the busy source subtask's watermark: ${sourceWatermark}`);
      assert.deepEqual(
        currentAttempts(timers).map((attempt) => attempt.currentInputWatermark),
        [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY],
      );

      // Beside it: with withIdleness event time advanced past the start; without watermarks there are none to show.
      await waitFor(async () => currentAttempts((await client.requestJob(idleness.jobId)).vertices[1]).every((attempt) => (attempt.currentInputWatermark ?? 0) > 1_000_000), 'the withIdleness job to show its advancing watermark', 30_000);
      const noWatermarks = await client.requestJob(none.jobId);
      assert.ok(currentAttempts(noWatermarks.vertices[1]).some((attempt) => attempt.numRecordsIn > 0), 'the job without watermarks moved records');
      for (const vertex of noWatermarks.vertices) for (const attempt of currentAttempts(vertex)) assert.equal(attempt.currentInputWatermark, undefined);
      const warnings = (jobId: string): LogLine[] => cluster.jobManager.lines.filter((line) => line.msg === STALL_WARNING && line['jobId'] === jobId);
      assert.equal(warnings(none.jobId).length, 0);
      assert.equal(warnings(idleness.jobId).length, 0);
      assert.equal(warnings(stalled.jobId).length, 1, 'once per job');
    } finally {
      for (const { jobId } of [none, idleness, stalled]) await client.cancelJob(jobId).catch(() => undefined);
      for (const { jobId } of [none, idleness, stalled]) await client.followJob(jobId);
    }
  });
});
