/**
 * `eddy logs` as a user runs it, against a JobManager and a TaskManager in child processes: what
 * the JobManager recorded of a job, now or as it happens.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobClient, type JobEvent } from '@eddy/client';
import { startJobManager, startTaskManager, stopClusterProcesses, waitFor } from '../cluster/cluster-harness.js';
import { cliJob, killCliProcesses, runEddyLines, startEddy } from './eddy-cli.js';

after(killCliProcesses);
after(stopClusterProcesses);

describe('eddy logs', () => {
  let client: JobClient;
  let address: string;

  before(async () => {
    const jobManager = await startJobManager();
    address = jobManager.address;
    await startTaskManager(address, { slots: 2 });
    client = await JobClient.connect(address);
  });
  after(() => client?.close());

  async function submit(job: string, args: string[] = []): Promise<string> {
    return (await client.submitJobFile(cliJob(job), { args })).jobId;
  }

  it("prints an ended job's transitions and exits, with its failure and root cause", async () => {
    const jobId = await submit('fails');
    assert.equal((await client.followJob(jobId)).to, 'FAILED');
    const { code, stdout, process } = await runEddyLines(['logs', jobId, '-m', address]);
    assert.equal(code, 0, process.transcript());
    const task = 'Source: Sequence Source -> Map -> Sink: Unnamed (1/1) [attempt 0]';
    const transitions = stdout.filter((line) => /^\d\d:\d\d:\d\d\.\d{3} /.test(line)).map((line) => line.slice(13).replace(/ on \S+$/, ''));
    assert.deepEqual(transitions, [
      "Job 'Eddy Streaming Job' CREATED -> RUNNING",
      `${task} CREATED -> SCHEDULED`,
      ...transitions.filter((line) => line.startsWith('Waiting for slots')),
      `${task} SCHEDULED -> DEPLOYING`,
      `${task} DEPLOYING -> INITIALIZING`,
      `${task} INITIALIZING -> RUNNING`,
      `${task} RUNNING -> FAILED`,
      "Job 'Eddy Streaming Job' RUNNING -> FAILING",
      "Job 'Eddy Streaming Job' FAILING -> FAILED",
    ]);
    const failed = stdout.findIndex((line) => line.includes(`${task} RUNNING -> FAILED`));
    assert.equal(stdout[failed + 1], '    Error: bad record 7', 'the task failure names its cause');
    assert.match(stdout.slice(-12).join('\n'), /Root cause \(in .*\):\n {4}Error: bad record 7\n {8}at check \(.*fails\.ts:\d+:\d+\)/);
  });

  it('prints what a running job recorded so far and exits; with --follow it goes on until the job ends', async () => {
    const jobId = await submit('endless');
    await waitFor(async () => (await client.requestJob(jobId)).vertices[0]?.subtasks[0]?.attempts.at(-1)?.state === 'RUNNING', 'the job to run');
    const snapshot = await runEddyLines(['logs', jobId, '-m', address]);
    assert.equal(snapshot.code, 0, snapshot.process.transcript());
    assert.match(snapshot.stdout.at(-1) ?? '', /INITIALIZING -> RUNNING on \S+$/, 'it ends at what was recorded');
    assert.equal((await client.requestJob(jobId)).status, 'RUNNING', 'it returned while the job runs');

    const following = startEddy(['logs', jobId, '--follow', '-m', address]);
    await following.waitForLine(/INITIALIZING -> RUNNING/);
    assert.equal(following.hasExited, false, 'it waits for more');
    await client.cancelJob(jobId);
    assert.equal(await following.exitCode(), 0, following.transcript());
    assert.match(following.stdout.at(-1) ?? '', / Job 'Eddy Streaming Job' CANCELLING -> CANCELED$/);
    assert.deepEqual(following.stdout.slice(0, snapshot.stdout.length), snapshot.stdout, 'the same lines, then the ones that came after');
  });

  it('with --json prints each event as one JSON object per line', async () => {
    const jobId = await submit('numbers', ['10']);
    await client.followJob(jobId);
    const { code, stdout } = await runEddyLines(['logs', jobId, '--json', '-m', address]);
    assert.equal(code, 0);
    const events = stdout.map((line) => JSON.parse(line) as JobEvent);
    assert.ok(events.every((event) => event.jobId === jobId && ['job', 'task', 'info'].includes(event.kind)));
    assert.deepEqual(
      events.filter((event) => event.kind === 'job').map((event) => `${event.from}->${event.to}`),
      ['CREATED->RUNNING', 'RUNNING->FINISHED'],
    );
    assert.equal(events.filter((event) => event.kind === 'task' && event.to === 'FINISHED').length, 5);
  });

  it('names an unknown job id and says how to list the known ones', async () => {
    const unknown = '0123456789abcdef0123456789abcdef';
    const { code, stdout, stderr } = await runEddyLines(['logs', unknown, '-m', address]);
    assert.equal(code, 1);
    assert.deepEqual(stdout, []);
    assert.equal(stderr.join('\n'), `eddy: No job ${unknown} at the JobManager at ${address}; \`eddy list --all\` shows the jobs it knows`);
  });
});
