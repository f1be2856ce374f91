/**
 * Two-input streams end to end on 1 JobManager + 2 TaskManagers (child processes, real TCP),
 * parallelism 2, out-of-order events within the watermark bound: connected keyed streams with a
 * KeyedCoProcessFunction and event-time timers, and the broadcast state pattern (a keyed stream
 * connected to a broadcast stream), give exactly the results computed in the test.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { useCluster } from '../cluster/cluster-harness.js';
import { expectedJoinResults, readResults } from './join-expectations.js';
import type { JoinMode } from './jobs/joins.js';

const JOB = fileURLToPath(new URL('../../../test/eventtime/jobs/joins.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'eddy-connected-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('connected streams on a cluster', () => {
  const cluster = useCluster({ taskManagers: 2, slots: 2 });
  const events = 1000;

  /** Runs `modes` in one job (on the same two sources) and checks each mode's results. */
  const runAndCheck = async (modes: readonly JoinMode[]): Promise<void> => {
    const out = join(scratch, modes.join('+'));
    const { jobId } = await cluster.client.submitJobFile(JOB, { args: [modes.join(','), out, String(events)] });
    const terminal = await cluster.client.followJob(jobId);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    for (const mode of modes) {
      const expected = expectedJoinResults(mode, events);
      assert.ok(expected.length > 40, `${mode}: the input gives ${expected.length} results`);
      assert.deepEqual(readResults(join(out, mode)), expected, mode);
    }
  };

  it('counts both inputs of connected keyed streams per key and window at event-time timers of a KeyedCoProcessFunction', async () => {
    await runAndCheck(['connect']);
  });

  it('applies versioned rules from broadcast state to keyed events at event-time timers of a KeyedBroadcastProcessFunction', async () => {
    await runAndCheck(['broadcast']);
  });
});
