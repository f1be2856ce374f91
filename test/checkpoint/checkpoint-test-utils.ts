/** What the checkpoint tests share: their cluster, their scratch directory, and reading back what jobs wrote. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JobClient } from '@eddy/client';
import { startTaskManager, useCluster, waitFor, type SharedCluster } from '../cluster/cluster-harness.js';

/** A job of test/checkpoint/jobs by name. */
export const checkpointJob = (name: string): string => fileURLToPath(new URL(`../../../test/checkpoint/jobs/${name}.ts`, import.meta.url));

/** A scratch directory for the test file, removed after it. */
export function scratchDirectory(prefix: string): string {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

/**
 * The cluster of a checkpoint test file: a JobManager and `taskManagers` TaskManagers as child
 * processes, restarting a failed job `restartAttempts` times 200 ms apart, a killed TaskManager
 * replaced after each test.
 */
export function useCheckpointCluster(options: { readonly taskManagers: number; readonly slots: number; readonly restartAttempts: number }): SharedCluster {
  return useCluster({
    taskManagers: options.taskManagers,
    slots: options.slots,
    config: { 'restart-strategy.fixed-delay.attempts': String(options.restartAttempts), 'restart-strategy.fixed-delay.delay': '200 ms' },
    replaceDeadTaskManagers: true,
  });
}

/**
 * Kill number `kill` (0-based) of a failure test: SIGKILLs a TaskManager that runs a subtask of
 * `jobId` still RUNNING (so the kill fails the job over), starts a replacement, and waits for the
 * job's restart.
 */
export async function killBusyTaskManager(cluster: SharedCluster, jobId: string, kill: number): Promise<void> {
  const status = await cluster.client.requestJob(jobId);
  assert.equal(status.status, 'RUNNING', `the job still runs at kill ${kill + 1}`);
  const busy = new Set(status.vertices.flatMap((v) => v.subtasks.map((s) => s.attempts.at(-1)).filter((a) => a?.state === 'RUNNING').map((a) => a?.taskManagerId)));
  const victim = cluster.taskManagers.findIndex((tm) => !tm.hasExited && busy.has(tm.taskManagerId));
  assert.ok(victim >= 0, 'a TaskManager running the job');
  await cluster.taskManagers[victim]!.kill('SIGKILL');
  cluster.taskManagers[victim] = await startTaskManager(cluster.jobManager.address, { slots: 2 });
  await waitFor(async () => (await cluster.client.requestJob(jobId)).restarts >= kill + 1, `the restart after kill ${kill + 1}`, 30_000);
}

/**
 * Follows job `jobId` to its terminal event, within `timeoutMs`; past it, fails with what the job
 * looks like (status, restarts, checkpoints, each subtask's state), so a hang says where it is.
 */
export async function followToEnd(client: JobClient, jobId: string, timeoutMs = 40_000): Promise<Awaited<ReturnType<JobClient['followJob']>>> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void client.requestJob(jobId).then(
        (details) => {
          const subtasks = details.vertices.map((vertex) => `${vertex.name}: ${vertex.subtasks.map((subtask) => subtask.attempts.at(-1)?.state ?? '?').join(',')}`);
          const checkpoints = details.checkpoints;
          reject(
            new Error(
              `job ${jobId} did not end within ${timeoutMs} ms: ${details.status}, ${details.restarts} restart(s); ` +
                `checkpoints ${checkpoints?.completed ?? 0} completed, ${checkpoints?.failed ?? 0} failed, ${checkpoints?.inProgress ?? 0} in progress ` +
                `(latest failure: ${checkpoints?.latestFailed?.failureMessage ?? 'none'}); subtasks ${subtasks.join('; ')}`,
            ),
          );
        },
        (error: unknown) => reject(new Error(`job ${jobId} did not end within ${timeoutMs} ms, and its details could not be read: ${String(error)}`)),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([client.followJob(jobId, () => undefined), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** The committed part files of a writeAsText directory, one record per line; hidden files are not output. */
export function committedRecords(directory: string): unknown[] {
  if (!existsSync(directory)) return [];
  const records: unknown[] = [];
  for (const name of readdirSync(directory).sort()) {
    if (name.startsWith('.')) continue;
    for (const line of readFileSync(join(directory, name), 'utf8').split('\n')) if (line !== '') records.push(JSON.parse(line));
  }
  return records;
}

/** The (index, count, attempt) lines the unbounded counter's sinks appended. */
export function readCounts(directory: string): { index: number; count: number; attempt: number }[] {
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

/** Each key's running counts in the output of [key, count] records, sorted. */
export function countsPerKey(output: unknown[]): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  for (const [key, count] of output as [string, number][]) seen.set(key, [...(seen.get(key) ?? []), count]);
  for (const counts of seen.values()) counts.sort((a, b) => a - b);
  return seen;
}

/** Every key's running counts must be exactly 1..n, each once: no duplicate, no gap. */
export function assertExactCounts(output: unknown[], records: number, keys: number): void {
  const expected = new Map<string, number>();
  for (let i = 0; i < records; i++) expected.set(`k${i % keys}`, (expected.get(`k${i % keys}`) ?? 0) + 1);
  const seen = countsPerKey(output);
  assert.deepEqual([...seen.keys()].sort(), [...expected.keys()].sort(), 'every key and no other');
  for (const [key, n] of expected) assert.deepEqual(seen.get(key) ?? [], Array.from({ length: n }, (_, i) => i + 1), `the running counts of ${key}`);
}
