/** Canceling is clean on a JobManager and two TaskManagers as processes (see cancel-fixture.ts). */
import { after, before, describe, it } from 'node:test';
import { JobClient } from '@eddy/client';
import { startJobManager, startTaskManager, stopClusterProcesses, waitFor } from '../cluster/cluster-harness.js';
import { cancelRunningJobs, SLOTS_PER_JOB } from './cancel-fixture.js';

after(stopClusterProcesses);

const JOBS_AT_ONCE = 2;
const ROUNDS = 2;

describe('canceling a keyed job with timers on a cluster of processes', () => {
  let client: JobClient;
  before(async () => {
    // Failure detection slower than the harness's: a TaskManager busy starting six task threads
    // on a loaded machine must not be declared lost, which would be a failure of its own.
    const config = { 'heartbeat.timeout': '20 s' };
    const jobManager = await startJobManager({ config });
    const slots = (JOBS_AT_ONCE * SLOTS_PER_JOB) / 2;
    await Promise.all([startTaskManager(jobManager.address, { slots, config }), startTaskManager(jobManager.address, { slots, config })]);
    client = await JobClient.connect(jobManager.address);
    await waitFor(async () => (await client.requestTaskManagers()).reduce((sum, tm) => sum + tm.slotsTotal, 0) === 2 * slots, 'every slot');
  });
  after(() => client?.close());

  it(`ends every subtask CANCELED, in ${JOBS_AT_ONCE * ROUNDS} runs canceled at different moments`, async () => {
    await cancelRunningJobs(client, JOBS_AT_ONCE, ROUNDS);
  });
});
