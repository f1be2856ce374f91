import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { eddy_jobmaster_v1 as jm } from '@eddy/proto';
import { unpack } from 'msgpackr';
import { CollectChannel } from '../../src/collect/collect-channel.js';
import { CollectedResults } from '../../src/collect/collected-results.js';
import { CollectedResultsForwarder, type CollectTarget } from '../../src/collect/collected-results-forwarder.js';
import { capturingLogger, type LogLine } from '../fixtures/capturing-logger.js';

type Captured = ReturnType<typeof capturingLogger>;
const linesWith = (captured: Captured, msg: string | RegExp): LogLine[] => captured.lines.filter((line) => (typeof msg === 'string' ? line['msg'] === msg : msg.test(String(line['msg']))));

/**
 * The forwarder's timers, fired by the test: no real time passes, so a test knows exactly which
 * retries happened and that none is left to happen.
 */
class ManualTimers {
  private pending: { fn: () => void; cancelled: boolean }[] = [];
  /** Every delay the forwarder asked for, in order. */
  readonly delays: number[] = [];

  schedule(fn: () => void, delayMs: number): { cancel(): void } {
    const timer = { fn, cancelled: false };
    this.pending.push(timer);
    this.delays.push(delayMs);
    return { cancel: () => (timer.cancelled = true) };
  }

  /** Timers scheduled and neither fired nor cancelled. */
  get live(): number {
    return this.pending.filter((timer) => !timer.cancelled).length;
  }

  /** Fires the timers scheduled so far, then lets the reports they send be answered. */
  async fire(): Promise<void> {
    const due = this.pending;
    this.pending = [];
    for (const timer of due) if (!timer.cancelled) timer.fn();
    await settled();
  }
}

/** Lets every answer already given reach the forwarder (its mailbox runs on microtasks). */
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Harness {
  readonly forward: CollectedResultsForwarder;
  readonly timers: ManualTimers;
  readonly logger: Captured;
  /** Every report sent, in order. */
  readonly reports: jm.CollectedRecords[];
}

/**
 * A forwarder whose reports `answer` answers (it throws for a failed report; `call` counts from 1),
 * its "mailbox" on microtasks and its timers fired by the test.
 */
function forwarder(answer: (call: number, request: jm.CollectedRecords) => jm.ReportCollectedRecordsResponse, random: () => number = () => 0.5): Harness {
  const timers = new ManualTimers();
  const logger = capturingLogger();
  const reports: jm.CollectedRecords[] = [];
  const forward = new CollectedResultsForwarder({
    report: async (_jobId, request) => {
      reports.push(request);
      return answer(reports.length, request);
    },
    runInMainThread: (fn) => queueMicrotask(fn),
    scheduleInMainThread: (fn, delayMs) => timers.schedule(fn, delayMs),
    logger: logger.logger,
    random,
  });
  return { forward, timers, logger, reports };
}

interface TestTarget extends CollectTarget {
  readonly acknowledged: number[];
  readonly failures: Error[];
  running: boolean;
}

function target(): TestTarget {
  const t: TestTarget = {
    executionAttemptId: 'attempt-0',
    jobId: 'job',
    name: 'Sink: Collect (1/1) (attempt 0)',
    running: true,
    acknowledged: [],
    failures: [],
    isRunning: () => t.running,
    acknowledge: (sequence) => t.acknowledged.push(sequence),
    fail: (error) => t.failures.push(error),
  };
  return t;
}

describe('CollectedResultsForwarder', () => {
  it('sends a batch again when a report fails, even one whose answer was lost, and the JobManager stores it once', async () => {
    const results = new CollectedResults('job', 1024 * 1024, 1_000);
    const source = { executionAttemptId: 'attempt-0', vertexId: 'sink', subtask: 0, attempt: 0 };
    const { forward, timers, logger, reports } = forwarder((call, request) => {
      const answer = results.offer(source, request.sequence, request.batch);
      // Call 1 fails before it arrives, call 3 after it was stored (the answer is lost).
      if (call === 1) throw new Error('connection refused');
      if (call === 3) throw new Error('deadline exceeded');
      return { outcome: answer.outcome, message: answer.message ?? '' };
    });
    const t = target();
    for (let sequence = 0; sequence < 3; sequence++) forward.enqueue(t, sequence, new Uint8Array([sequence]));
    await settled();
    for (let round = 0; round < 10 && t.acknowledged.length < 3; round++) await timers.fire();
    assert.deepEqual(t.acknowledged, [0, 1, 2]);
    assert.deepEqual(
      results.since(0).entries.map((batch) => batch.batch[0]),
      [0, 1, 2],
      'each batch stored once, in order',
    );
    assert.equal(reports.length, 5, 'two failed reports were sent again');
    assert.equal(linesWith(logger, 'Could not send collected records to the JobMaster; sending them again').length, 2);
    assert.equal(forward.queuedBatches, 0);
    assert.equal(timers.live, 0, 'no retry left');
  });

  it('waits a growing, jittered delay of the shared Backoff between tries of a batch, saying what it waits for, and the first delay again after a success', async () => {
    // Calls 1-5 fail (batch 0), 6 succeeds, 7 fails (batch 1), 8 succeeds.
    const { forward, timers, logger, reports } = forwarder(
      (call) => {
        if (call <= 5 || call === 7) throw new Error('deadline exceeded');
        return { outcome: 'ACCEPTED', message: '' };
      },
      () => 1,
    );
    const t = target();
    forward.enqueue(t, 0, new Uint8Array(1));
    forward.enqueue(t, 1, new Uint8Array(1));
    await settled();
    for (let round = 0; round < 10 && t.acknowledged.length < 2; round++) await timers.fire();
    assert.deepEqual(t.acknowledged, [0, 1]);
    assert.equal(reports.length, 8);
    // Backoff's decorrelated jitter at its top: from 50 ms, each up to 3x the one before, at most 2 s.
    assert.deepEqual(timers.delays, [150, 450, 1350, 2000, 2000, 150]);
    const retries = linesWith(logger, 'Could not send collected records to the JobMaster; sending them again');
    assert.deepEqual(
      retries.map((line) => [line['batch'], line['attempt'], line['retryInMs']]),
      [
        [0, 1, 150],
        [0, 2, 450],
        [0, 3, 1350],
        [0, 4, 2000],
        [0, 5, 2000],
        [1, 1, 150],
      ],
    );
    assert.equal(retries[0]?.['waitingFor'], 'the JobMaster of job job to store batch 0 of Sink: Collect (1/1) (attempt 0)');
    assert.equal(timers.live, 0);
  });

  it('waits while the JobManager buffer is full, logging it once, and goes on when the client read', async () => {
    let full = true;
    const { forward, timers, logger, reports } = forwarder(() => ({ outcome: full ? 'BUFFER_FULL' : 'ACCEPTED', message: '' }));
    const t = target();
    forward.enqueue(t, 0, new Uint8Array(1));
    await settled();
    assert.equal(linesWith(logger, /holds as many collected records as it may/).length, 1, 'the wait logged');
    // Three more tries, each answered BUFFER_FULL: the wait is not logged again.
    for (let round = 0; round < 3; round++) await timers.fire();
    assert.equal(reports.length, 4, 'the batch was offered again each time');
    assert.equal(linesWith(logger, /holds as many collected records as it may/).length, 1, 'logged once per wait');
    assert.deepEqual(t.acknowledged, []);
    full = false;
    await timers.fire();
    assert.deepEqual(t.acknowledged, [0]);
    assert.equal(linesWith(logger, "The job's client read collected records; sending again").length, 1);
  });

  it("fails the task with the JobMaster's reason when a batch is refused, and drops an attempt the JobMaster does not know", async () => {
    const refused = target();
    forwarder(() => ({ outcome: 'REFUSED', message: 'raise collect-sink.max-buffered-size' })).forward.enqueue(refused, 0, new Uint8Array(1));
    await settled();
    assert.equal(refused.failures.length, 1);
    assert.equal(refused.failures[0]?.name, 'CollectedRecordsRefusedError');
    assert.match(refused.failures[0]?.message ?? '', /raise collect-sink\.max-buffered-size/);

    const unknown = target();
    const { forward, timers, reports } = forwarder(() => ({ outcome: 'UNKNOWN_ATTEMPT', message: '' }));
    forward.enqueue(unknown, 0, new Uint8Array(1));
    forward.enqueue(unknown, 1, new Uint8Array(1));
    await settled();
    assert.equal(reports.length, 1);
    assert.equal(forward.queuedBatches, 0, 'the queue dropped');
    assert.equal(timers.live, 0, 'nothing left to send');
    assert.deepEqual(unknown.acknowledged, []);
    assert.deepEqual(unknown.failures, []);
  });

  it('stops sending the batches of an attempt that ended', async () => {
    const { forward, timers, reports } = forwarder(() => {
      throw new Error('unreachable');
    });
    const t = target();
    forward.enqueue(t, 0, new Uint8Array(1));
    await settled();
    await timers.fire();
    assert.equal(reports.length, 2, 'sent again after a failure');
    assert.equal(timers.live, 1, 'a retry waits');
    t.running = false;
    await timers.fire();
    assert.equal(forward.queuedBatches, 0, 'the queue dropped');
    assert.equal(reports.length, 2, 'not sent for an attempt that ended');
    assert.equal(timers.live, 0, 'no retry left to send it later');
  });
});

describe('CollectChannel', () => {
  it('is backpressured while the unacknowledged batches reach its window, and finishes once all are acknowledged', async () => {
    const posted: { sequence: number; bytes: number }[] = [];
    const channel = new CollectChannel((sequence, batch) => posted.push({ sequence, bytes: batch.byteLength }), 100);
    channel.send(['a'.repeat(40)]);
    assert.equal(channel.isBackPressured(), false);
    channel.send(['b'.repeat(80)]);
    assert.equal(channel.isBackPressured(), true);
    let available = false;
    void channel.whenAvailable().then(() => (available = true));
    let finished = false;
    void channel.finish().then(() => (finished = true));
    channel.acknowledge(0);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(channel.isBackPressured(), false, `${channel.inFlightBytes} bytes in flight`);
    assert.equal(available, true);
    assert.equal(finished, false);
    channel.acknowledge(1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(finished, true);
    assert.deepEqual(
      posted.map((p) => p.sequence),
      [0, 1],
    );
  });

  it('cuts a batch into parts of at most half its window, in order', () => {
    const posted: { sequence: number; records: number[]; bytes: number }[] = [];
    const channel = new CollectChannel((sequence, batch) => posted.push({ sequence, records: unpack(batch) as number[], bytes: batch.byteLength }), 2000);
    const records = Array.from({ length: 1000 }, (_, i) => 100_000 + i);
    channel.send(records);
    assert.ok(posted.length > 1, `${posted.length} parts`);
    assert.ok(
      posted.every((part) => part.bytes <= 1000),
      `parts of ${posted.map((part) => part.bytes).join(', ')} bytes`,
    );
    assert.deepEqual(
      posted.flatMap((part) => part.records),
      records,
    );
    assert.deepEqual(
      posted.map((part) => part.sequence),
      posted.map((_, i) => i),
    );
    channel.send(['x'.repeat(5000)]);
    assert.equal(posted.at(-1)?.records.length, 1, 'a record larger than a part travels alone');
  });

  it('fails what waits and what comes once a batch is refused, and tells the task', async () => {
    const errors: Error[] = [];
    const channel = new CollectChannel(() => undefined, 1);
    channel.bind((error) => errors.push(error));
    channel.send([1]);
    const waiting = channel.whenAvailable();
    channel.fail(new Error('refused'));
    await assert.rejects(waiting, /refused/);
    await assert.rejects(channel.finish(), /refused/);
    assert.throws(() => channel.send([2]), /refused/);
    assert.equal(errors.length, 1);
  });
});
