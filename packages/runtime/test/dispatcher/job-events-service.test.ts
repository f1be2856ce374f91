import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StreamWriter } from '@eddy/rpc';
import type { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import { CollectedResults } from '../../src/collect/collected-results.js';
import { BoundedLog } from '../../src/dispatcher/job-event-log.js';
import { follow, followResults } from '../../src/dispatcher/job-events-service.js';

/** A stream writer whose every write yields, calling `during` on the first one. */
function slowWriter(written: number[], during: () => void): StreamWriter<number> {
  let first = true;
  return {
    cancelled: false,
    onCancel: () => undefined,
    write: async (value: number) => {
      written.push(value);
      await new Promise((resolve) => setImmediate(resolve));
      if (first) {
        first = false;
        during();
      }
    },
  };
}

describe('following a job log', () => {
  it('sends entries appended while it was writing, even when the log closes meanwhile', async () => {
    const log = new BoundedLog<number>();
    log.append(1);
    const written: number[] = [];
    await follow(log, slowWriter(written, () => {
      log.append(2);
      log.append(3);
      log.close();
    }));
    assert.deepEqual(written, [1, 2, 3]);
  });

  it('does not wait for the next append when entries arrived during a write', async () => {
    const log = new BoundedLog<number>();
    log.append(1);
    const written: number[] = [];
    const following = follow(log, slowWriter(written, () => log.append(2)));
    const deadline = Date.now() + 2_000;
    while (written.length < 2 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(written, [1, 2], 'the entry appended during the first write went out without another append');
    log.close();
    await following;
  });

  it('with replayOnly, ends after the entries the log holds though the log stays open', async () => {
    const log = new BoundedLog<number>();
    log.append(1);
    log.append(2);
    const written: number[] = [];
    await follow(log, slowWriter(written, () => log.append(3)), true);
    assert.deepEqual(written, [1, 2, 3], 'what came while it wrote went out too');
    assert.equal(log.closed, false);
  });
});

/** Requests a test sends one by one, as a client of a bidirectional stream does. */
function requestStream(): { requests: AsyncIterable<dispatcher.CollectResultsRequest>; send(request: Partial<dispatcher.CollectResultsRequest>): void; end(): void } {
  const queue: (dispatcher.CollectResultsRequest | undefined)[] = [];
  let wake: (() => void) | undefined;
  const push = (value: dispatcher.CollectResultsRequest | undefined): void => {
    queue.push(value);
    wake?.();
  };
  return {
    requests: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
          const next = queue.shift();
          if (next === undefined) return;
          yield next;
        }
      },
    },
    send: (request) => push({ jobId: '', fromSequence: 0, acknowledge: false, acknowledgedUpTo: 0, ...request }),
    end: () => push(undefined),
  };
}

describe('following collected results', () => {
  const source = { executionAttemptId: 'a', vertexId: 'sink', subtask: 0, attempt: 0 };
  const writer = (written: number[]): StreamWriter<dispatcher.CollectedBatch> => ({
    cancelled: false,
    onCancel: () => undefined,
    write: async (batch) => void written.push(batch.sequence),
  });

  it('releases what the acknowledging reader read, and ends once the job ended and it acknowledged everything', async () => {
    const results = new CollectedResults('job', 1 << 20, 1_000);
    for (let sequence = 0; sequence < 3; sequence++) results.offer(source, sequence, new Uint8Array(10));
    const client = requestStream();
    client.send({ jobId: 'job', acknowledge: true });
    const written: number[] = [];
    const following = followResults(client.requests, () => results, writer(written));
    client.send({ acknowledgedUpTo: 2 });
    const deadline = Date.now() + 2_000;
    while (results.releasedUpTo < 2 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(results.releasedUpTo, 2);
    results.offer(source, 3, new Uint8Array(10));
    results.close();
    while (written.length < 4 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(written, [0, 1, 2, 3]);
    let ended = false;
    void following.then(() => (ended = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(ended, false, 'it waits until the reader acknowledged the last batch');
    client.send({ acknowledgedUpTo: 4 });
    await following;
    assert.equal(results.releasedUpTo, 4);
    assert.equal(results.bufferedBytes, 0);
  });

  it('starts where the reader asks, releases nothing for a reader that does not acknowledge, and refuses released batches', async () => {
    const results = new CollectedResults('job', 1 << 20, 1_000);
    for (let sequence = 0; sequence < 4; sequence++) results.offer(source, sequence, new Uint8Array(10));
    results.close();
    const reader = requestStream();
    reader.send({ jobId: 'job', fromSequence: 2 });
    reader.send({ acknowledgedUpTo: 4 });
    const written: number[] = [];
    await followResults(reader.requests, () => results, writer(written));
    assert.deepEqual(written, [2, 3]);
    assert.equal(results.releasedUpTo, 0);
    results.acknowledge(3);
    const late = requestStream();
    late.send({ jobId: 'job', fromSequence: 1 });
    await assert.rejects(followResults(late.requests, () => results, writer([])), (error: unknown) => (error as { code?: number }).code === 11 && /released/.test(String(error)));
  });
});
