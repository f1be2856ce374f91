/**
 * Keyed state larger than the task's heap (issue 15): a TaskManager whose task threads get a small
 * heap (`taskmanager.memory.task.heap.size`), and a job that keeps a 1 KB value for each of more
 * keys than that heap holds. With `state.backend.type: lmdb` the job runs to its end and completes
 * checkpoints holding more state than the heap; with the heap backend the same job fails on the
 * heap limit, which shows the state really is larger than the heap.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { JobClient } from '@eddy/client';
import { startJobManager, startTaskManager, stopClusterProcesses, waitFor, type JobManagerProcess } from '../cluster/cluster-harness.js';
import { followToEnd, scratchDirectory } from './checkpoint-test-utils.js';

/** bench:state's keyed job: [records, keys, valueBytes, intervalMs, checkpointDir, parallelism]. */
const KEYED_STATE_JOB = fileURLToPath(new URL('../../../test/bench/jobs/keyed-state.ts', import.meta.url));
const TASK_HEAP_BYTES = 64 * 1024 * 1024;
/** 1 KB values: about 140 MB of strings on a heap, twice the task's heap. */
const KEYS = 140_000;
const VALUE_BYTES = 1024;

const scratch = scratchDirectory('eddy-larger-than-heap-');

describe('keyed state larger than the task heap', () => {
  let jobManager: JobManagerProcess;
  let client: JobClient;
  before(async () => {
    jobManager = await startJobManager();
    // One slot: the task thread gets the whole task heap.
    await startTaskManager(jobManager.address, { slots: 1, config: { 'taskmanager.memory.task.heap.size': `${TASK_HEAP_BYTES / (1024 * 1024)} mb` } });
    client = await JobClient.connect(jobManager.address);
  });
  after(async () => {
    await client?.close();
    await stopClusterProcesses();
  });

  const run = async (backend: string) => {
    const { jobId } = await client.submitJobFile(KEYED_STATE_JOB, {
      args: [String(KEYS), String(KEYS), String(VALUE_BYTES), '500', join(scratch, `${backend}-chk`), '1'],
      configuration: { 'state.backend.type': backend, 'restart-strategy.type': 'none' },
    });
    const terminal = await followToEnd(client, jobId);
    const checkpoints = jobManager.linesWith(/^Completed checkpoint \d+ for job/).filter((line) => line['jobId'] === jobId);
    const failures = jobManager.linesWith(/switched from \w+ to FAILED|Root cause/).filter((line) => line['jobId'] === jobId).map((line) => line.msg);
    return { terminal, sizes: checkpoints.map((line) => line['stateSize'] as number), failures: JSON.stringify(failures) };
  };

  it(`runs and checkpoints a job keeping ${KEYS} values of 1 KB with the lmdb backend under a ${TASK_HEAP_BYTES / (1024 * 1024)} MB task heap, where the heap backend fails`, async () => {
    const lmdb = await run('lmdb');
    assert.equal(lmdb.terminal.to, 'FINISHED', lmdb.terminal.cause?.message);
    const largest = Math.max(0, ...lmdb.sizes);
    assert.ok(largest > KEYS * VALUE_BYTES, `a completed checkpoint holds every value (largest of ${lmdb.sizes.length}: ${largest} bytes)`);
    assert.ok(largest > TASK_HEAP_BYTES, 'more state than the task heap');

    const heap = await run('hashmap');
    assert.equal(heap.terminal.to, 'FAILED', 'the heap backend cannot keep this state');
    // Its consumers' lost channels reach the JobMaster first; the heap limit is still the root cause.
    assert.match(heap.terminal.cause?.message ?? '', /task heap limit of \d+ MB exceeded; raise taskmanager\.memory\.task\.heap\.size/, `it fails on the heap limit (failures: ${heap.failures})`);
    await waitFor(async () => (await client.requestTaskManagers()).every((tm) => tm.slotsFree === tm.slotsTotal), 'the slot to be free again', 30_000);
  });
});
