/**
 * Cancels running jobs of a keyed job with processing-time timers and checks that canceling was
 * clean: the job ends CANCELED and every subtask CANCELED, none FAILED on the way (a channel that
 * closes because its producer was canceled first is part of the cancel).
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { prepareJobFile, type JobClient, type JobEvent } from '@eddy/client';
import { newJobId } from '@eddy/runtime';
import { waitFor } from '../cluster/cluster-harness.js';

const JOB = fileURLToPath(new URL('../../../test/streaming/jobs/keyed-timers.ts', import.meta.url));
/** Slots one run of the job takes. */
export const SLOTS_PER_JOB = 2;

/**
 * In each of `rounds` rounds, submits `jobs` runs of the job at once, cancels them all (right when
 * every task runs in even rounds, once records went through the timers in odd ones), and checks how
 * each ended. The job is bundled once.
 */
export async function cancelRunningJobs(client: JobClient, jobs: number, rounds: number): Promise<void> {
  const prepared = await prepareJobFile(JOB);
  try {
    for (let round = 0; round < rounds; round++) {
      const jobIds = await Promise.all(Array.from({ length: jobs }, async () => (await client.submitPreparedJob({ ...prepared, graph: { ...prepared.graph, jobId: newJobId() } })).jobId));
      await Promise.all(jobIds.map((jobId) => cancelWhenRunning(client, jobId, round)));
    }
  } finally {
    await prepared.dispose();
  }
}

async function cancelWhenRunning(client: JobClient, jobId: string, round: number): Promise<void> {
  const attempts = async () => (await client.requestJob(jobId)).vertices.flatMap((v) => v.subtasks.map((s) => s.attempts.at(-1)));
  await waitFor(async () => (await attempts()).every((attempt) => attempt?.state === 'RUNNING'), `round ${round}: every task of job ${jobId} RUNNING`, 30_000);
  if (round % 2 === 1) {
    await waitFor(async () => (await attempts()).some((attempt) => Number(attempt?.numRecordsIn ?? 0) > 0), `round ${round}: records to flow in job ${jobId}`, 30_000);
  }
  const events: JobEvent[] = [];
  const following = client.followJob(jobId, (event) => events.push(event));
  await client.cancelJob(jobId);
  assert.equal((await following).to, 'CANCELED', `round ${round}: job ${jobId} ends CANCELED`);
  const details = await client.requestJob(jobId);
  const causes = details.vertices.flatMap((v) => v.subtasks.flatMap((s) => s.attempts.flatMap((a) => (a.failureCause ? [`${a.failureCause.name}: ${a.failureCause.message}`] : []))));
  const failed = events.filter((event) => event.kind === 'task' && event.to === 'FAILED');
  assert.deepEqual(failed.map((event) => `${event.message}`), [], `round ${round}: no subtask of job ${jobId} failed (causes: ${causes.join('; ')})`);
  const ends = details.vertices.flatMap((v) => v.subtasks.map((s) => `${v.name} (${s.subtask + 1}): ${s.attempts.at(-1)?.state}`));
  assert.deepEqual(
    ends.filter((end) => !end.endsWith(': CANCELED')),
    [],
    `round ${round}: every subtask of job ${jobId} CANCELED (${ends.join(', ')})`,
  );
}
