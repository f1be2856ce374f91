/**
 * Two-input streams end to end on 1 JobManager + 2 TaskManagers (child processes, real TCP),
 * parallelism 2, out-of-order events within the watermark bound: connected keyed streams with a
 * KeyedCoProcessFunction and event-time timers, and the broadcast state pattern (a keyed stream
 * connected to a broadcast stream), give exactly the results computed in the test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { useCluster } from '../cluster/cluster-harness.js';
import { runAndCheckJoins } from './join-expectations.js';

const scratch = mkdtempSync(join(tmpdir(), 'eddy-connected-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('connected streams on a cluster', () => {
  const cluster = useCluster({ taskManagers: 2, slots: 2 });

  it('counts both inputs of connected keyed streams per key and window at event-time timers of a KeyedCoProcessFunction', async () => {
    await runAndCheckJoins(cluster, scratch, ['connect'], 1000);
  });

  it('applies versioned rules from broadcast state to keyed events at event-time timers of a KeyedBroadcastProcessFunction', async () => {
    await runAndCheckJoins(cluster, scratch, ['broadcast'], 1000);
  });
});
