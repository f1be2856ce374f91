/**
 * Joins end to end on 1 JobManager + 2 TaskManagers (child processes, real TCP), parallelism 2,
 * out-of-order events within the watermark bound: window join, coGroup and interval join give
 * exactly the results computed in the test, with the timestamps they carry.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { useCluster } from '../cluster/cluster-harness.js';
import { runAndCheckJoins } from './join-expectations.js';

const scratch = mkdtempSync(join(tmpdir(), 'eddy-joins-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('joins on a cluster', () => {
  const cluster = useCluster({ taskManagers: 2, slots: 2 });

  it('window-joins every pair of equal keys in each tumbling window (results at the window maxTimestamp), and coGroups both sides of every key and window, one side possibly empty', async () => {
    await runAndCheckJoins(cluster, scratch, ['window-join', 'cogroup'], 1000);
  });

  it('interval-joins every pair within [t - 50, t + 30], the results carrying the larger timestamp', async () => {
    await runAndCheckJoins(cluster, scratch, ['interval-join'], 1000);
  });
});
