import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CollectedResults, CollectedResultsReleasedError, type CollectSource } from '../../src/collect/collected-results.js';
import { reportCollectedRecords } from '../../src/collect/collected-records-report.js';

const source = (attempt = 0): CollectSource => ({ executionAttemptId: `attempt-${attempt}`, vertexId: 'sink', subtask: 0, attempt });
const bytes = (n: number): Uint8Array => new Uint8Array(n);

describe('CollectedResults', () => {
  it('stores a batch once however often it is offered', () => {
    const results = new CollectedResults('job', 1024 * 1024, 1_000);
    assert.equal(results.offer(source(), 0, bytes(10)).outcome, 'ACCEPTED');
    assert.equal(results.offer(source(), 0, bytes(10)).outcome, 'DUPLICATE');
    assert.equal(results.offer(source(), 1, bytes(10)).outcome, 'ACCEPTED');
    assert.equal(results.offer(source(), 0, bytes(10)).outcome, 'DUPLICATE');
    assert.deepEqual(
      results.since(0).entries.map((batch) => batch.sequence),
      [0, 1],
    );
    // A new attempt numbers its batches from 0 again.
    assert.equal(results.offer(source(1), 0, bytes(10)).outcome, 'ACCEPTED');
    assert.equal(results.end, 3);
  });

  it('refuses a batch after a gap, and one larger than the buffer naming the option to raise', () => {
    const results = new CollectedResults('job', 2048, 1_000);
    const gap = results.offer(source(), 1, bytes(10));
    assert.equal(gap.outcome, 'REFUSED');
    assert.match(gap.message ?? '', /batch 0 is missing/);
    const large = results.offer(source(), 0, bytes(4096));
    assert.equal(large.outcome, 'REFUSED');
    assert.match(large.message ?? '', /larger than collect-sink\.max-buffered-size \(2 kb\) of job job; raise collect-sink\.max-buffered-size/);
  });

  it('holds at most max-buffered-size, answers BUFFER_FULL beyond, and takes more once the client acknowledged', () => {
    const results = new CollectedResults('job', 4096, 1_000);
    let sequence = 0;
    while (results.offer(source(), sequence, bytes(1000)).outcome === 'ACCEPTED') sequence++;
    assert.equal(sequence, 3, 'three batches of ~1 KiB fit in 4 KiB');
    assert.equal(results.offer(source(), sequence, bytes(1000)).outcome, 'BUFFER_FULL');
    assert.ok(results.peakBufferedBytes <= 4096, `peak ${results.peakBufferedBytes}`);
    results.acknowledge(2);
    assert.equal(results.releasedUpTo, 2);
    assert.equal(results.offer(source(), sequence, bytes(1000)).outcome, 'ACCEPTED');
    assert.deepEqual(
      results.since(2).entries.map((batch) => batch.sequence),
      [2, 3],
    );
  });

  it('tells a reader that asks for released batches why they are gone', () => {
    const results = new CollectedResults('job', 4096, 1_000);
    results.offer(source(), 0, bytes(10));
    results.offer(source(), 1, bytes(10));
    results.acknowledge(1);
    assert.throws(() => results.since(0), (error: unknown) => error instanceof CollectedResultsReleasedError && /0 to 0 of job job were released once the client that submitted the job had read them/.test(error.message));
    assert.equal(results.since(1).entries.length, 1);
  });

  it('releases everything when the retention after the job ended passes, and says so naming collect-sink.retention', () => {
    const results = new CollectedResults('job', 4096, 300_000);
    results.offer(source(), 0, bytes(100));
    results.close();
    assert.equal(results.since(0).entries.length, 1, 'kept after the job ended');
    results.expire();
    assert.equal(results.bufferedBytes, 0);
    assert.throws(() => results.since(0), /the job ended more than collect-sink\.retention \(300000 ms\) ago and nobody read them; raise collect-sink\.retention/);
  });
});

describe('ReportCollectedRecords on the JobMaster', () => {
  const request = (sequence: number, size = 1000): { executionAttemptId: string; sequence: number; batch: Uint8Array } => ({ executionAttemptId: 'attempt-0', sequence, batch: bytes(size) });

  it('holds a report while the buffer is full and stores it once the client made room', async () => {
    const results = new CollectedResults('job', 2500, 1_000);
    assert.equal((await reportCollectedRecords(results, request(0), () => source(), 5_000)).outcome, 'ACCEPTED');
    assert.equal((await reportCollectedRecords(results, request(1), () => source(), 5_000)).outcome, 'ACCEPTED');
    let answered = false;
    const held = reportCollectedRecords(results, request(2), () => source(), 60_000).finally(() => (answered = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(answered, false, 'held while full');
    results.acknowledge(1);
    assert.equal((await held).outcome, 'ACCEPTED');
  });

  it('answers BUFFER_FULL when the hold time runs out, and UNKNOWN_ATTEMPT once the attempt is not current', async () => {
    const results = new CollectedResults('job', 2500, 1_000);
    await reportCollectedRecords(results, request(0), () => source(), 0);
    await reportCollectedRecords(results, request(1), () => source(), 0);
    assert.equal((await reportCollectedRecords(results, request(2), () => source(), 20)).outcome, 'BUFFER_FULL');
    let current: CollectSource | undefined = source();
    const held = reportCollectedRecords(results, request(2), () => current, 60_000);
    current = undefined;
    results.acknowledge(1);
    const answer = await held;
    assert.equal(answer.outcome, 'UNKNOWN_ATTEMPT');
    assert.match(answer.message, /not a current attempt of job job/);
  });
});
