/**
 * eddy status's checkpoint line and eddy checkpoints (table, --details, --json) as a user runs them:
 * child processes of the eddy command against a JobManager and a TaskManager that are child
 * processes too, with a job that takes a checkpoint every 200 ms.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { useCluster, stopClusterProcesses, waitFor } from '../cluster/cluster-harness.js';
import { parseJson, runEddy, type CliResult } from './eddy-cli.js';

after(stopClusterProcesses);

const jobFile = (path: string): string => fileURLToPath(new URL(`../../../test/${path}`, import.meta.url));
/** The cells of a table row: what lies between runs of two or more spaces. */
const cells = (line: string | undefined): string[] => (line ?? '').trim().split(/\s{2,}/);
const rowStarting = (text: string, start: string): string | undefined => text.split('\n').find((line) => line.trimStart().startsWith(start));

function assertSucceeded(result: CliResult): void {
  assert.equal(result.code, 0, `exit code; stderr: ${result.stderr}`);
  assert.equal(result.stderr, '');
}

describe('eddy status and eddy checkpoints on a job that takes checkpoints', () => {
  const cluster = useCluster({ taskManagers: 1, slots: 2 });
  const eddy = (...args: string[]): Promise<CliResult> => runEddy([...args, '-m', cluster.jobManager.address]);

  it('shows the latest checkpoint in eddy status and lists checkpoints, per subtask with --details and as JSON', async () => {
    const { jobId } = await cluster.client.submitJobFile(jobFile('streaming/jobs/unbounded.ts'), { configuration: { 'execution.checkpointing.interval': '200ms' } });
    try {
      await waitFor(async () => ((await cluster.client.requestJob(jobId)).checkpoints?.completed ?? 0) >= 2, 'two completed checkpoints', 30_000);

      const status = await eddy('status', jobId);
      assertSucceeded(status);
      const [, checkpointLine] = cells(rowStarting(status.stdout, 'Checkpoints'));
      assert.match(checkpointLine ?? '', /^#\d+ at .+, took .+, [\d.]+ (B|KB|MB|GB) \(\d+ completed, 0 failed(, 1 in progress)?\)$/);

      const table = await eddy('checkpoints', jobId);
      assertSucceeded(table);
      assert.equal(table.stdout.split('\n')[0], `Checkpoints of job 'Eddy Streaming Job' (${jobId})`);
      assert.deepEqual(cells(rowStarting(table.stdout, 'Interval')), ['Interval', '200 ms, EXACTLY_ONCE']);
      assert.deepEqual(cells(rowStarting(table.stdout, 'ID')), ['ID', 'STATUS', 'TRIGGERED', 'DURATION', 'SIZE', 'ACKED', 'MAX ALIGNMENT']);
      const completedRows = table.stdout.split('\n').filter((line) => /^\s+#\d+\s+COMPLETED\s/.test(line));
      assert.ok(completedRows.length >= 2, `two COMPLETED rows in:\n${table.stdout}`);
      assert.equal(cells(completedRows[0])[5], '4/4', 'every subtask acknowledged');

      const details = await eddy('checkpoints', jobId, '--details');
      assertSucceeded(details);
      const subtaskRows = details.stdout.split('\n').filter((line) => /^\s+(Source: Generator|Keyed Aggregation -> Sink: Unnamed)\s+[12]\s/.test(line));
      assert.ok(subtaskRows.length >= 4, `subtask rows of a checkpoint in:\n${details.stdout}`);

      const json = parseJson(await eddy('checkpoints', jobId, '--json')) as { jobId: string; enabled: boolean; intervalMs: number; mode: string; completed: number; history: { status: string; stateSize: number; totalSubtasks: number }[] };
      assert.equal(json.jobId, jobId);
      assert.deepEqual([json.enabled, json.intervalMs, json.mode], [true, 200, 'EXACTLY_ONCE']);
      assert.ok(json.completed >= 2);
      const completed = json.history.filter((checkpoint) => checkpoint.status === 'COMPLETED');
      assert.ok(completed.length >= 2 && completed.every((checkpoint) => checkpoint.totalSubtasks === 4 && checkpoint.stateSize > 0), 'completed checkpoints with keyed state');
    } finally {
      await cluster.client.cancelJob(jobId);
    }
  });

  it('says checkpointing is off, and how to turn it on, for a job without it; eddy status has no checkpoint row then', async () => {
    const { jobId } = await cluster.client.submitJobFile(jobFile('cli/jobs/endless.ts'));
    try {
      const off = await eddy('checkpoints', jobId);
      assertSucceeded(off);
      assert.match(off.stdout, /Checkpointing is off for this job: set execution\.checkpointing\.interval \(env\.enableCheckpointing\(ms\) or -D execution\.checkpointing\.interval=10s\)/);
      const status = await eddy('status', jobId);
      assertSucceeded(status);
      assert.equal(rowStarting(status.stdout, 'Checkpoints'), undefined, 'no Checkpoints row without checkpointing');
    } finally {
      await cluster.client.cancelJob(jobId);
    }
  });
});
