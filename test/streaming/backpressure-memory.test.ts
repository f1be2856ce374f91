/**
 * Credit-based backpressure between TaskManagers as child processes: a fast source held back
 * behind a slow sink keeps the TaskManagers' memory bounded. (On its own, out of
 * streaming-jobs.test.ts: at millions of records it takes most of a file's budget on a loaded machine.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JobClient } from '@eddy/client';
import { startJobManager, startTaskManager, stopClusterProcesses, type TaskManagerProcess } from '../cluster/cluster-harness.js';

after(stopClusterProcesses);

const jobFile = (name: string): string => fileURLToPath(new URL(`../../../test/streaming/jobs/${name}.ts`, import.meta.url));

/** Resident memory of a process, in MB. */
function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

describe('backpressure between two TaskManagers', () => {
  let taskManagers: TaskManagerProcess[];
  let client: JobClient;

  before(async () => {
    const jobManager = await startJobManager();
    taskManagers = await Promise.all([startTaskManager(jobManager.address, { slots: 2 }), startTaskManager(jobManager.address, { slots: 2 })]);
    client = await JobClient.connect(jobManager.address);
  });
  after(() => client?.close());

  it('holds a fast source back behind a slow sink, with bounded memory, over millions of records', async () => {
    // 3 M records of ~270 bytes: were the source not held back, the queue between the two
    // TaskManagers would grow by up to ~800 MB. With credit-based backpressure it holds a few
    // buffers per channel, and the TaskManagers grow only by what two busy worker threads need.
    const rss = (): number => taskManagers.reduce((sum, tm) => sum + rssOf(tm.child.pid as number), 0);
    const baseline = rss();
    const { jobId } = await client.submitJobFile(jobFile('slow-sink'), { args: ['3000000'] });
    const samples: number[] = [];
    const deadline = Date.now() + 50_000;
    let status = '';
    while (status !== 'FINISHED') {
      assert.ok(Date.now() < deadline, `the job did not finish within 50 s (${status}, ${samples.length} samples)`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      samples.push(rss());
      status = (await client.requestJob(jobId)).status;
      assert.ok(!['FAILED', 'CANCELED'].includes(status), `job ended ${status}`);
    }
    const growth = Math.max(...samples) - baseline;
    assert.ok(samples.length >= 10, `the job ran long enough to sample (${samples.length} samples)`);
    assert.ok(growth < 350, `resident memory grew by ${growth.toFixed(0)} MB over ${baseline.toFixed(0)} MB (samples ${samples.map((s) => s.toFixed(0)).join(' ')})`);
  });
});
