/**
 * JobClient against a JobManager running in this process (Dispatcher, blob store, job events,
 * reached over gRPC on 127.0.0.1). No TaskManager: a submitted job waits for slots, which is
 * enough to see it submitted, followed and canceled.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Configuration, silentLogger } from '@eddy/common';
import { InvalidJobGraphError, JobManagerRunner, newJobId, TaskManagerRunner } from '@eddy/runtime';
import type { eddy_dispatcher_v1 } from '@eddy/proto';
import { JobFileError, JobManagerUnreachableError, UnknownJobError } from '../src/client-errors.js';
import { bundleJob } from '../src/job-bundler.js';
import { JobClient } from '../src/job-client.js';
import { FAKE_API_DIR, JobDir, NUMBERS_JOB } from './fixtures/job-files.js';

/** A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The blob key bundleJob gives `jobFile` (bundles are deterministic), for checking the blob store. */
async function keyOf(jobFile: string): Promise<string> {
  const bundle = await bundleJob(jobFile, { apiPackageDir: FAKE_API_DIR });
  await bundle.dispose();
  return bundle.key;
}

describe('JobClient', () => {
  let jobManager: JobManagerRunner;
  let client: JobClient;
  let dir: JobDir;

  before(async () => {
    jobManager = await JobManagerRunner.start(Configuration.fromRecord({ 'jobmanager.rpc.port': '0', 'rest.port': '0' }), silentLogger());
    client = await JobClient.connect(jobManager.address, { apiPackageDir: FAKE_API_DIR });
    dir = await JobDir.create();
  });
  after(async () => {
    for (const job of await client.listJobs()) await client.cancelJob(job.jobId).catch(() => undefined);
    await client.close();
    await jobManager.stop();
    await dir.remove();
  });

  it('submits a job file, uploading its code once and skipping the upload when the same code comes again', async () => {
    const jobFile = await dir.write('numbers.js', NUMBERS_JOB);

    const first = await client.submitJobFile(jobFile, { args: ['--from', '7'], configuration: { 'restart-strategy.type': 'none' } });
    const second = await client.submitJobFile(jobFile, { args: ['--from', '8'], jobName: 'numbers again', parallelism: 2, detached: true });

    assert.equal(first.uploaded, true);
    assert.equal(second.uploaded, false);
    assert.notEqual(second.jobId, first.jobId);
    assert.equal(second.graph.blobKey, first.graph.blobKey);
    assert.equal(await jobManager.blobServer.isStored(first.graph.blobKey), true);
    assert.equal(first.graph.configuration['eddy.job.args'], '["--from","7"]');
    assert.equal(first.graph.configuration['restart-strategy.type'], 'none');
    assert.equal(second.graph.configuration['execution.attached'], 'false');

    const details = await client.requestJob(first.jobId);
    assert.equal(details.name, 'numbers');
    assert.deepEqual(
      details.vertices.map((v) => [v.id, v.parallelism]),
      [
        ['source-0', 2],
        ['map-1', 2],
        ['sink-2', 3],
      ],
    );
    assert.equal((await client.requestJob(second.jobId)).name, 'numbers again');
  });

  it("follows a job's events until its terminal one", async () => {
    const jobFile = await dir.write('followed.js', NUMBERS_JOB);
    const { jobId } = await client.submitJobFile(jobFile);
    const seen: eddy_dispatcher_v1.JobEvent[] = [];

    const terminal = client.followJob(jobId, (event) => {
      seen.push(event);
      if (event.kind === 'job' && event.to === 'RUNNING') void client.cancelJob(jobId);
    });

    const event = await terminal;
    assert.equal(event.kind, 'job');
    assert.equal(event.to, 'CANCELED');
    assert.equal(seen[seen.length - 1], event);
    assert.ok(seen.some((e) => e.kind === 'job' && e.to === 'RUNNING'));
  });

  it('sends nothing to the cluster when the job file is broken or its graph invalid', async () => {
    const jobsBefore = (await client.listJobs(true)).length;
    const forbidden = await dir.write('forbidden.js', "import 'pino';\nexport default function main() {}\n");
    const throws = await dir.write('throws.js', "export default function main() { throw new Error('no input'); }\n");
    const invalid = await dir.write('invalid.js', NUMBERS_JOB.replace("'Double', { parallelism: 2 }", "'Double', { parallelism: 5 }"));

    await assert.rejects(client.submitJobFile(forbidden), (e: unknown) => e instanceof JobFileError && e.kind === 'forbidden-import');
    await assert.rejects(client.submitJobFile(throws), (e: unknown) => e instanceof JobFileError && e.kind === 'build-failed' && /no input/.test(e.message));
    await assert.rejects(client.submitJobFile(invalid), (e: unknown) => e instanceof InvalidJobGraphError && /forward edge 'Numbers' -> 'Double'/.test(e.message));

    assert.equal(await jobManager.blobServer.isStored(await keyOf(throws)), false);
    assert.equal(await jobManager.blobServer.isStored(await keyOf(invalid)), false);
    assert.equal((await client.listJobs(true)).length, jobsBefore);
  });

  it('refuses to ask about or cancel a job id the JobManager does not know, naming the id and `eddy list --all`', async () => {
    const jobId = newJobId();
    for (const call of [client.requestJob(jobId), client.cancelJob(jobId)]) {
      await assert.rejects(call, (error: unknown) => {
        assert.ok(error instanceof UnknownJobError, String(error));
        assert.equal(error.jobId, jobId);
        assert.equal(error.message, `No job ${jobId} at the JobManager at ${jobManager.address}; \`eddy list --all\` shows the jobs it knows`);
        return true;
      });
    }
  });

  it('lists the TaskManagers registered at the ResourceManager, with their slots', async () => {
    assert.deepEqual(await client.requestTaskManagers(), []);
    const taskManager = await TaskManagerRunner.start(Configuration.fromRecord({ 'taskmanager.numberOfTaskSlots': '3' }), jobManager.address, silentLogger());
    try {
      let listed = await client.requestTaskManagers();
      for (const deadline = Date.now() + 10_000; listed.length === 0 && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        listed = await client.requestTaskManagers();
      }
      assert.equal(listed.length, 1);
      const [info] = listed;
      assert.equal(info?.address.startsWith('127.0.0.1:'), true, info?.address);
      assert.equal(info?.slotsTotal, 3);
      assert.ok(info !== undefined && info.registeredAt > 0 && info.lastHeartbeat >= info.registeredAt);
    } finally {
      await taskManager.stop();
    }
  });

  it('names the address, the cause and `eddy jobmanager` when no JobManager answers', async () => {
    const address = `127.0.0.1:${await unusedPort()}`;
    await assert.rejects(JobClient.connect(address), (error: unknown) => {
      assert.ok(error instanceof JobManagerUnreachableError, String(error));
      assert.equal(error.address, address);
      assert.match(error.message, new RegExp(`^Could not reach a JobManager at ${address}: connection refused`));
      assert.match(error.message, /start one with `eddy jobmanager`/);
      return true;
    });
  });
});
