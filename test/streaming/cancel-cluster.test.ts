/** Canceling is clean on a JobManager and two TaskManagers as processes (see cancel-fixture.ts). */
import { after, before, describe, it } from 'node:test';
import { JobClient } from '@eddy/client';
import { startJobManager, startTaskManager, stopClusterProcesses, waitFor } from '../cluster/cluster-harness.js';
import { cancelRunningJobs, SLOTS_PER_JOB } from './cancel-fixture.js';

after(stopClusterProcesses);

const JOBS_AT_ONCE = 3;
const ROUNDS = 2;

describe('canceling a keyed job with timers on a cluster of processes', () => {
  let client: JobClient;
  before(async () => {
    const jobManager = await startJobManager();
    const slots = (JOBS_AT_ONCE * SLOTS_PER_JOB) / 2;
    await Promise.all([startTaskManager(jobManager.address, { slots }), startTaskManager(jobManager.address, { slots })]);
    client = await JobClient.connect(jobManager.address);
    await waitFor(async () => (await client.requestTaskManagers()).reduce((sum, tm) => sum + tm.slotsTotal, 0) === 2 * slots, 'every slot');
  });
  after(() => client?.close());

  it(`ends every subtask CANCELED, in ${JOBS_AT_ONCE * ROUNDS} runs canceled at different moments`, async () => {
    for (let round = 0; round < ROUNDS; round++) await cancelRunningJobs(client, JOBS_AT_ONCE, round);
  });
});
