/**
 * collect() across a restart, on a JobManager and a TaskManager as child processes: the first
 * attempt's batches that reached the JobManager stay with the client, and the restarted attempt
 * sends every record again from the start (at least once, as docs/streaming.md says). Read once
 * through JobClient.collectResults, and once through `eddy run`, which says that the records come again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JobClient, type CollectedBatch } from '@eddy/client';
import { killCliProcesses, startEddy } from '../cli/eddy-cli.js';
import { startJobManager, startTaskManager, stopClusterProcesses, type JobManagerProcess } from '../cluster/cluster-harness.js';

after(killCliProcesses);
after(stopClusterProcesses);

const jobFile = fileURLToPath(new URL('../../../test/streaming/jobs/collect-fail-once.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'eddy-collect-restart-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const RECORDS = 400;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('collect() when the job restarts', () => {
  let jobManager: JobManagerProcess;
  let client: JobClient;

  before(async () => {
    jobManager = await startJobManager();
    await startTaskManager(jobManager.address, { slots: 1 });
    client = await JobClient.connect(jobManager.address);
  });
  after(() => client?.close());

  it("keeps what the failed attempt delivered, and sends every record again from the new attempt: each at least once", async () => {
    const trigger = join(scratch, 'fail-now-client');
    const { jobId } = await client.submitJobFile(jobFile, { args: [String(RECORDS), trigger] });
    const batches: CollectedBatch[] = [];
    for await (const batch of client.collectResults(jobId)) {
      batches.push(batch);
      // Some of the first attempt's records have reached the client: now it fails.
      if (batch.attempt === 0) writeFileSync(trigger, '');
    }
    const details = await client.requestJob(jobId);
    assert.equal(details.status, 'FINISHED');
    assert.equal(details.restarts, 1);

    const first = batches.filter((batch) => batch.attempt === 0);
    const second = batches.filter((batch) => batch.attempt === 1);
    assert.equal(first.length + second.length, batches.length, `only attempts 0 and 1: ${batches.map((batch) => batch.attempt).join(',')}`);
    assert.ok(first.length > 0, 'the first attempt delivered batches before it failed');
    // In the order they were sent: the first attempt's batches, then the second's.
    assert.deepEqual(
      batches.map((batch) => batch.sequence),
      range(batches.length),
    );
    assert.ok(Math.max(...first.map((batch) => batch.sequence)) < Math.min(...second.map((batch) => batch.sequence)), 'the first attempt came first');
    const delivered = first.flatMap((batch) => batch.records as number[]);
    assert.ok(delivered.length <= RECORDS / 2, `the first attempt emitted ${RECORDS / 2} records, the client got ${delivered.length} of them`);
    assert.deepEqual(delivered, range(delivered.length), 'what the first attempt delivered: its records in order, none lost in between');
    // The new attempt: every record once, from the start.
    assert.deepEqual(
      second.flatMap((batch) => batch.records as number[]),
      range(RECORDS),
    );
    // So the client saw every record at least once, and the first attempt's twice.
    const seen = new Map<number, number>();
    for (const record of batches.flatMap((batch) => batch.records as number[])) seen.set(record, (seen.get(record) ?? 0) + 1);
    assert.deepEqual([...seen.keys()].sort((a, b) => a - b), range(RECORDS));
    for (const [record, times] of seen) assert.equal(times, record < delivered.length ? 2 : 1, `record ${record}`);
  });

  it('eddy run prints every record at least once, and says when the restarted attempt sends them again', async () => {
    const trigger = join(scratch, 'fail-now-cli');
    const run = startEddy(['run', jobFile, '-m', jobManager.address, '--', String(RECORDS), trigger]);
    await run.waitForLine(/^0$/);
    writeFileSync(trigger, '');
    assert.equal(await run.exitCode(40_000), 0, run.transcript());
    const notice = '(collect sink 1 restarted as attempt 1: its records come again from the start)';
    const at = run.stdout.indexOf(notice);
    assert.ok(at > 0, `the notice in:\n${run.transcript()}`);
    assert.equal(run.stdout.lastIndexOf(notice), at, 'the notice once');
    const numbers = (lines: readonly string[]): number[] => lines.filter((line) => /^\d+$/.test(line)).map(Number);
    const before = numbers(run.stdout.slice(0, at));
    assert.ok(before.length > 0 && before.length <= RECORDS / 2, `the first attempt's records before the notice: ${before.length}`);
    assert.deepEqual(before, range(before.length));
    assert.deepEqual(numbers(run.stdout.slice(at + 1)), range(RECORDS), 'after the notice, every record again');
  });
});
