/**
 * What collect() promises, on an in-process MiniCluster (the same JobManager, TaskManager, task
 * threads and gRPC as a cluster; in one process so the test can see the JobManager's buffer and
 * make one report fail): every record reaches the client as often as it was produced, the
 * JobManager holds at most collect-sink.max-buffered-size for a client that reads slowly while
 * the producer waits, a batch that can never fit fails the job naming the option, and results are
 * released once read or after collect-sink.retention.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JobClient, type CollectedBatch } from '@eddy/client';
import { Configuration, silentLogger } from '@eddy/common';
import { JobMaster, MiniCluster, type CollectedResults } from '@eddy/runtime';
import { waitFor } from '../cluster/cluster-harness.js';

const jobFile = (name: string): string => fileURLToPath(new URL(`../../../test/streaming/jobs/${name}.ts`, import.meta.url));

const BUFFER = 64 * 1024;
const RECORDS = 40_000;

describe('collect() on a cluster', () => {
  let cluster: MiniCluster;
  let client: JobClient;

  before(async () => {
    cluster = await MiniCluster.start({
      taskManagers: 1,
      slotsPerTaskManager: 2,
      logger: silentLogger(),
      configuration: Configuration.fromRecord({ 'heartbeat.interval': '100', 'restart-strategy.type': 'none' }, 'test'),
    });
    client = await JobClient.connect(cluster.address);
  });
  after(async () => {
    await client?.close();
    await cluster?.stop();
  });

  const resultsOf = (jobId: string): CollectedResults => {
    const results = cluster.jobManager.dispatcher.events.get(jobId)?.results;
    assert.ok(results !== undefined, `the JobManager holds results of job ${jobId}`);
    return results;
  };
  const ids = (batches: readonly CollectedBatch[]): number[] => batches.flatMap((batch) => (batch.records as { id: number }[]).map((record) => record.id)).sort((a, b) => a - b);
  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

  it('sends a batch again when its report fails, and the client sees every record exactly once', async () => {
    // The test hook: the first report is lost on its way (nothing stored), the second is stored
    // and then its answer is lost (as when the reply times out).
    const original = JobMaster.prototype.reportCollectedRecords;
    let reports = 0;
    JobMaster.prototype.reportCollectedRecords = async function (this: JobMaster, request) {
      reports++;
      if (reports === 1) throw new Error('test hook: this report was lost on its way');
      const answer = await original.call(this, request);
      if (reports === 2) throw new Error('test hook: the answer to this report was lost');
      return answer;
    };
    try {
      const { jobId } = await client.submitJobFile(jobFile('collect-many'), { args: ['20000', '10'] });
      const batches: CollectedBatch[] = [];
      for await (const batch of client.collectResults(jobId)) batches.push(batch);
      assert.ok(reports > 2, 'the hook made two reports fail');
      assert.equal((await client.requestJob(jobId)).status, 'FINISHED');
      assert.deepEqual(ids(batches), range(20_000));
      // Read and acknowledged, the last batch too, before the stream ended: the JobManager keeps nothing.
      const results = resultsOf(jobId);
      assert.equal(results.releasedUpTo, results.end);
      assert.equal(results.bufferedBytes, 0);
    } finally {
      JobMaster.prototype.reportCollectedRecords = original;
    }
  });

  it('holds at most collect-sink.max-buffered-size for a slow client while the source waits, and loses nothing', async () => {
    const { jobId } = await client.submitJobFile(jobFile('collect-many'), {
      args: [String(RECORDS), '100'],
      // Small network buffers and a short buffer timeout: what may sit between the source and the
      // JobManager stays far below the records the job produces, and the test runs quickly.
      configuration: {
        'collect-sink.max-buffered-size': String(BUFFER),
        'collect-sink.max-in-flight-size': '32kb',
        'taskmanager.memory.segment-size': '4kb',
        'taskmanager.network.memory.max-queued-buffers-per-channel': '2',
        'execution.buffer-timeout': '10 ms',
      },
    });
    const batches: CollectedBatch[] = [];
    const reader = client.collectResults(jobId);
    const first = await reader.next();
    assert.equal(first.done, false);
    batches.push(first.value as CollectedBatch);
    // The client reads no further. Once the source's count stops moving, it is held back.
    const sourceOut = async (): Promise<number> => (await client.requestJob(jobId)).vertices[0]?.subtasks[0]?.attempts.at(-1)?.numRecordsOut ?? 0;
    const samples: number[] = [];
    await waitFor(
      async () => {
        samples.push(await sourceOut());
        await new Promise((resolve) => setTimeout(resolve, 250));
        return samples.length >= 4 && samples.at(-1)! > 0 && samples.at(-1) === samples.at(-4);
      },
      'the source held back',
      30_000,
    );
    const results = resultsOf(jobId);
    assert.equal((await client.requestJob(jobId)).status, 'RUNNING');
    assert.ok(results.peakBufferedBytes <= BUFFER, `the JobManager held ${results.peakBufferedBytes} bytes, at most ${BUFFER}`);
    // Held: the JobManager's 64 KiB, 32 KiB in flight, a sink batch in the TaskManager's queue and
    // one in the sink, a few network buffers: about 3,500 records of ~115 bytes.
    assert.ok(samples.at(-1)! < RECORDS / 5, `the source produced ${samples.at(-1)} of ${RECORDS} records while the client read one batch`);
    for await (const batch of reader) batches.push(batch);
    const details = await client.requestJob(jobId);
    assert.equal(details.status, 'FINISHED', JSON.stringify(details.vertices.map((v) => v.subtasks.map((st) => st.attempts.map((a) => [a.state, a.failureCause?.message, a.numRecordsOut, a.numRecordsIn])))));
    assert.deepEqual(ids(batches), range(RECORDS));
    assert.ok(results.peakBufferedBytes <= BUFFER, `the JobManager held ${results.peakBufferedBytes} bytes, at most ${BUFFER}`);
  });

  it('fails the job naming collect-sink.max-buffered-size when one batch can never fit', async () => {
    const { jobId } = await client.submitJobFile(jobFile('collect-many'), { args: ['10', '4000'], configuration: { 'collect-sink.max-buffered-size': '1kb' } });
    const terminal = await client.followJob(jobId);
    assert.equal(terminal.to, 'FAILED');
    const details = await client.requestJob(jobId);
    assert.equal(details.failureCause?.name, 'CollectedRecordsRefusedError');
    assert.match(details.failureCause?.message ?? '', /is larger than collect-sink\.max-buffered-size \(1 kb\) of job .*; raise collect-sink\.max-buffered-size/);
  });

  it('releases what nobody read once collect-sink.retention has passed after the job ended, and tells a late reader', async () => {
    const { jobId } = await client.submitJobFile(jobFile('collect-many'), { args: ['1000', '10'], configuration: { 'collect-sink.retention': '300 ms' } });
    assert.equal((await client.followJob(jobId)).to, 'FINISHED');
    const results = resultsOf(jobId);
    assert.ok(results.end > 0, 'the job collected records');
    await waitFor(() => results.bufferedBytes === 0 && results.releasedUpTo === results.end, 'the unread results released');
    await assert.rejects(
      async () => {
        for await (const batch of client.collectResults(jobId)) assert.fail(`got batch ${batch.sequence} after the retention`);
      },
      /were released: the job ended more than collect-sink\.retention \(300 ms\) ago and nobody read them; raise collect-sink\.retention/,
    );
  });
});
