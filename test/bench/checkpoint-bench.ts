/**
 * npm run bench:checkpoint: what checkpoints cost, as one JSON object.
 *
 *   throughput_ratio_with_checkpoints   bench:throughput's WordCount (6 M lines, parallelism 2 on two
 *                                       TaskManagers) with a checkpoint every second, against the same
 *                                       job without, alternating runs, medians (target >= 0.9)
 *   checkpoint_duration_p50_ms / _p99   of the WordCount's checkpoints
 *   checkpoint_size_bytes               a keyed count holding 1 M keys, its latest completed checkpoint
 *   checkpoint_duration_ms              that checkpoint's duration, trigger to completion (target <= 2 s)
 *   recovery_ms                         from a SIGKILL of one of its TaskManagers to every task RUNNING
 *                                       again, state restored (target <= 3 s), with the restart strategy
 *                                       a job with checkpoints gets by default (1 s delay) and a spare
 *                                       TaskManager already registered (as a cluster with spare slots)
 *   recovery_detect_ms                  of which from the kill to the job restarting (failure detected)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobClient } from '@eddy/client';
import { median, quantile } from './bench-stats.js';
import { startJobManager, startTaskManager, stopClusterProcesses, waitFor, type TaskManagerProcess } from '../cluster/cluster-harness.js';

const jobFile = (name: string): string => fileURLToPath(new URL(`../../../test/bench/jobs/${name}.ts`, import.meta.url));
const progress = (message: string): void => void process.stderr.write(`bench:checkpoint: ${message}\n`);

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'eddy-bench-checkpoint-'));
  const jobManager = await startJobManager({
    config: {
      'heartbeat.interval': '500 ms',
      'heartbeat.timeout': '5 s',
    },
  });
  const taskManagers: TaskManagerProcess[] = await Promise.all([startTaskManager(jobManager.address, { slots: 1 }), startTaskManager(jobManager.address, { slots: 1 })]);
  const client = await JobClient.connect(jobManager.address);
  try {
    // ---- WordCount with and without checkpoints ----
    const lines = 6_000_000;
    const withCheckpoints: number[] = [];
    const without: number[] = [];
    const durations: number[] = [];
    for (let run = 0; run < 3; run++) {
      for (const interval of [0, 1000]) {
        const { jobId } = await client.submitJobFile(jobFile('word-count-checkpointed'), { args: [String(lines), '2', String(interval), join(scratch, `wc-${run}`)] });
        let firstRunning = 0;
        const terminal = await client.followJob(jobId, (event) => {
          if (firstRunning === 0 && event.kind === 'task' && event.to === 'RUNNING') firstRunning = event.timestamp;
        });
        if (terminal.to !== 'FINISHED') throw new Error(`WordCount ended ${terminal.to}: ${terminal.cause?.message ?? ''}`);
        const rate = lines / ((terminal.timestamp - firstRunning) / 1000);
        (interval === 0 ? without : withCheckpoints).push(rate);
        if (interval > 0) {
          const details = await client.requestJob(jobId);
          for (const checkpoint of details.checkpoints?.history ?? []) if (checkpoint.status === 'COMPLETED') durations.push(checkpoint.endTimestamp - checkpoint.triggerTimestamp);
        }
        progress(`WordCount run ${run + 1} ${interval === 0 ? 'without' : 'with'} checkpoints: ${Math.round(rate)} lines/s`);
      }
    }

    // ---- A keyed count of 1 M keys: checkpoint size, duration, recovery ----
    const keys = 1_000_000;
    const { jobId } = await client.submitJobFile(jobFile('many-keys'), { args: [String(keys), '400000', '2000', join(scratch, 'keys')] });
    // Every key is counted once the generator went around; then one more checkpoint holds them all.
    let counted = 0;
    await waitFor(
      async () => {
        const details = await client.requestJob(jobId);
        counted = details.vertices[1]?.subtasks.reduce((sum, subtask) => sum + (subtask.attempts.at(-1)?.numRecordsIn ?? 0), 0) ?? 0;
        return counted >= keys;
      },
      'every key to be counted',
      300_000,
      500,
    );
    const afterKeys = (await client.requestJob(jobId)).checkpoints?.latestCompleted?.checkpointId ?? 0;
    let latest = (await client.requestJob(jobId)).checkpoints?.latestCompleted;
    await waitFor(
      async () => {
        latest = (await client.requestJob(jobId)).checkpoints?.latestCompleted;
        return (latest?.checkpointId ?? 0) >= afterKeys + 2;
      },
      'two checkpoints of the whole state',
      120_000,
      200,
    );
    const size = latest?.stateSize ?? 0;
    const duration = (latest?.endTimestamp ?? 0) - (latest?.triggerTimestamp ?? 0);
    progress(`1 M keys: checkpoint #${latest?.checkpointId} ${size} bytes in ${duration} ms`);
    const spare = await startTaskManager(jobManager.address, { slots: 1 });
    taskManagers.push(spare);
    await waitFor(async () => (await client.requestTaskManagers()).length === 3, 'the spare TaskManager to register', 30_000);
    const victim = taskManagers[0] as TaskManagerProcess;
    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    let detectedAt = 0;
    let recoveredAt = 0;
    await waitFor(
      async () => {
        const details = await client.requestJob(jobId);
        if (detectedAt === 0 && (details.restarts >= 1 || details.status !== 'RUNNING')) detectedAt = Date.now();
        if (details.restarts < 1) return false;
        const attempts = details.vertices.flatMap((vertex) => vertex.subtasks.map((subtask) => subtask.attempts.at(-1)));
        if (!attempts.every((attempt) => attempt?.state === 'RUNNING')) return false;
        recoveredAt = Math.max(...attempts.map((attempt) => attempt?.stateTimestamps['RUNNING'] ?? 0));
        return true;
      },
      'the job to run again after the kill',
      60_000,
      50,
    );
    await client.cancelJob(jobId).catch(() => undefined);
    console.log(
      JSON.stringify(
        {
          throughput_ratio_with_checkpoints: Math.round((median(withCheckpoints) / median(without)) * 100) / 100,
          lines_per_s_without: Math.round(median(without)),
          lines_per_s_with: Math.round(median(withCheckpoints)),
          checkpoint_duration_p50_ms: quantile(durations, 0.5),
          checkpoint_duration_p99_ms: quantile(durations, 0.99),
          checkpoints_measured: durations.length,
          keys,
          checkpoint_size_bytes: size,
          checkpoint_duration_ms: duration,
          recovery_ms: recoveredAt - killedAt,
          recovery_detect_ms: detectedAt - killedAt,
          runs: { without: without.map(Math.round), with: withCheckpoints.map(Math.round) },
        },
        null,
        2,
      ),
    );
  } finally {
    await client.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => stopClusterProcesses());
