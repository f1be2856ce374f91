/** Canceling is clean on an in-process MiniCluster, as `eddy run --local` runs jobs (see cancel-fixture.ts). */
import { after, before, describe, it } from 'node:test';
import { JobClient } from '@eddy/client';
import { Configuration, silentLogger } from '@eddy/common';
import { MiniCluster } from '@eddy/runtime';
import { cancelRunningJobs, SLOTS_PER_JOB } from './cancel-fixture.js';

const JOBS_AT_ONCE = 3;
const ROUNDS = 2;

describe('canceling a keyed job with timers on a MiniCluster', () => {
  let cluster: MiniCluster;
  let client: JobClient;
  before(async () => {
    // Heartbeats carry the tasks' record counts, which odd rounds wait for.
    const configuration = Configuration.fromRecord({ 'heartbeat.interval': '200 ms' });
    cluster = await MiniCluster.start({ taskManagers: 1, slotsPerTaskManager: JOBS_AT_ONCE * SLOTS_PER_JOB, logger: silentLogger(), configuration });
    client = await JobClient.connect(cluster.address);
  });
  after(async () => {
    await client?.close();
    await cluster?.stop();
  });

  it(`ends every subtask CANCELED, in ${JOBS_AT_ONCE * ROUNDS} runs canceled at different moments`, async () => {
    await cancelRunningJobs(client, JOBS_AT_ONCE, ROUNDS);
  });
});
