import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { eddy_jobmaster_v1 as jm } from '@eddy/proto';
import { FencingTokenMismatchError, RemoteHandlerError, RpcTimeoutError, RpcUnreachableError } from '@eddy/rpc';
import { TaskStateReporter } from '../../src/taskexecutor/task-state-reporter.js';
import { capturingLogger } from '../fixtures/capturing-logger.js';

type Outcome = 'accept' | 'unknown' | 'unreachable' | 'timeout' | 'refused' | 'fenced' | 'hang';

/** A JobMaster gateway whose answers the test scripts, one outcome per call, and a clock the test moves. */
function harness(options: { dropStates?: string[] } = {}) {
  let now = 0;
  const timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  const queue: (() => void)[] = [];
  const outcomes: Outcome[] = [];
  const calls: { at: number; update: jm.TaskExecutionStateUpdate; timeoutMs: number | undefined }[] = [];
  const unknownAttempts: string[] = [];
  let gatewayPresent = true;
  const gateway = {
    updateTaskExecutionState(update: jm.TaskExecutionStateUpdate, callOptions?: { timeoutMs?: number }): Promise<jm.UpdateTaskExecutionStateResponse> {
      calls.push({ at: now, update, timeoutMs: callOptions?.timeoutMs });
      const address = 'jm:1/jobmaster-j';
      const method = 'JobMasterGateway.updateTaskExecutionState';
      switch (outcomes.shift() ?? 'accept') {
        case 'accept':
          return Promise.resolve({ accepted: true });
        case 'unknown':
          return Promise.resolve({ accepted: false });
        case 'unreachable':
          return Promise.reject(new RpcUnreachableError({ method, address, cause: 'connection refused', detail: 'ECONNREFUSED' }));
        case 'timeout':
          return Promise.reject(new RpcTimeoutError({ method, address, timeoutMs: 10_000 }));
        case 'refused':
          return Promise.reject(new RemoteHandlerError({ method, address, remoteName: 'Error', remoteMessage: 'A TaskManager cannot report state X', remoteStack: '' }));
        case 'fenced':
          return Promise.reject(new FencingTokenMismatchError({ address, endpointId: 'jobmaster-j', method, received: 'old', expected: 'new' }));
        case 'hang':
          return new Promise(() => {});
      }
    },
  } as unknown as jm.JobMasterGateway;
  const logger = capturingLogger('debug');
  const reporter = new TaskStateReporter({
    logger: logger.logger,
    taskManagerId: 'tm-1',
    gatewayOf: () => (gatewayPresent ? gateway : undefined),
    notifyUnknownAttempt: (id) => unknownAttempts.push(id),
    runInMainThread: (fn) => queue.push(fn),
    scheduleInMainThread: (fn, delayMs) => {
      const timer = { at: now + delayMs, fn, cancelled: false };
      timers.push(timer);
      return { cancel: () => (timer.cancelled = true) };
    },
    callTimeoutMs: 1_234,
    retryInitialMs: 100,
    retryMaxMs: 1_000,
    random: () => 0.999999,
    dropStates: options.dropStates ?? [],
  });
  /** Lets answers settle and runs queued work, then fires timers due within `ms`, repeatedly. */
  const advance = async (ms = 0): Promise<void> => {
    const end = now + ms;
    for (;;) {
      for (let i = 0; i < 3; i++) await nextTurn();
      const task = queue.shift();
      if (task !== undefined) {
        task();
        continue;
      }
      const due = timers.filter((t) => !t.cancelled && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      now = Math.max(now, due.at);
      due.cancelled = true;
      due.fn();
    }
    now = end;
  };
  const report = (attemptId: string, state: string, jobId = 'job-1'): void =>
    reporter.report({ jobId, task: `Map (1/1) (attempt 0)`, update: { executionAttemptId: attemptId, state, error: null, taskManagerId: 'tm-1', numRecordsIn: 0, numRecordsOut: 0, numBytesIn: 0, numBytesOut: 0 } });
  return {
    reporter,
    outcomes,
    calls,
    unknownAttempts,
    logger,
    advance,
    report,
    loseGateway: () => (gatewayPresent = false),
    pendingTimers: () => timers.filter((t) => !t.cancelled).length,
  };
}

describe('TaskStateReporter', () => {
  it('sends each report with a deadline and stops listing the attempt once the JobMaster acknowledged it', async () => {
    const { report, reporter, calls, advance } = harness();
    report('a', 'RUNNING');
    assert.deepEqual(reporter.pendingAttempts('job-1'), ['a']);
    await advance();
    assert.deepEqual(calls.map((c) => [c.update.state, c.timeoutMs]), [['RUNNING', 1_234]]);
    assert.deepEqual(reporter.pendingAttempts('job-1'), []);
  });

  it('retries a report that failed until it is acknowledged, with a growing jittered delay and a log line saying what it waits for', async () => {
    const { report, reporter, outcomes, calls, advance, logger } = harness();
    outcomes.push('unreachable', 'timeout', 'unreachable');
    report('a', 'FINISHED');
    await advance(10_000);
    assert.deepEqual(calls.map((c) => c.at), [0, 300, 1_200, 2_200], 'delays 300, 900, then capped at 1000 (decorrelated jitter at its top)');
    assert.equal(calls.every((c) => c.update.state === 'FINISHED'), true);
    assert.deepEqual(reporter.pendingAttempts('job-1'), [], 'acknowledged at last');
    const retries = logger.lines.filter((line) => line['msg'] === 'Could not report a task state change to the JobMaster; retrying');
    assert.equal(retries.length, 3);
    assert.equal(retries[0]?.['waitingFor'], 'the JobMaster of job job-1 to acknowledge Map (1/1) (attempt 0) FINISHED');
    assert.equal(retries[0]?.['retryInMs'], 300);
    assert.ok(logger.lines.some((line) => line['msg'] === 'The JobMaster acknowledged a task state report after retries'));
  });

  it('keeps the attempt listed while its report waits for a retry, and delivers an attempt\'s reports in order, one at a time', async () => {
    const { report, reporter, outcomes, calls, advance } = harness();
    outcomes.push('unreachable');
    report('a', 'INITIALIZING');
    report('a', 'RUNNING');
    report('a', 'FINISHED');
    report('b', 'RUNNING');
    await advance(0);
    assert.deepEqual(calls.map((c) => `${c.update.executionAttemptId}:${c.update.state}`), ['a:INITIALIZING', 'b:RUNNING'], 'nothing of a goes out before its first report is acknowledged');
    assert.deepEqual(reporter.pendingAttempts('job-1'), ['a']);
    assert.equal(reporter.hasPending('a'), true);
    await advance(1_000);
    assert.deepEqual(calls.map((c) => `${c.update.executionAttemptId}:${c.update.state}`), ['a:INITIALIZING', 'b:RUNNING', 'a:INITIALIZING', 'a:RUNNING', 'a:FINISHED']);
    assert.deepEqual(reporter.pendingAttempts('job-1'), []);
  });

  it('stops retrying when the JobMaster is lost, and drops the job\'s reports', async () => {
    const lost = harness();
    lost.outcomes.push('unreachable', 'unreachable');
    lost.report('a', 'FINISHED');
    await lost.advance(0);
    lost.reporter.forgetJob('job-1');
    assert.deepEqual(lost.reporter.pendingAttempts('job-1'), []);
    await lost.advance(10_000);
    assert.equal(lost.calls.length, 1);
    assert.equal(lost.pendingTimers(), 0, 'the retry timer was cancelled');

    const gone = harness();
    gone.outcomes.push('unreachable');
    gone.report('a', 'FINISHED');
    await gone.advance(0);
    gone.loseGateway();
    await gone.advance(10_000);
    assert.equal(gone.calls.length, 1, 'no gateway for the job any more: nothing is sent');
    assert.deepEqual(gone.reporter.pendingAttempts('job-1'), []);
  });

  it('stops when the report became irrelevant: an attempt the JobMaster does not know is canceled, a replaced JobMaster is not asked again', async () => {
    const { report, reporter, outcomes, calls, unknownAttempts, advance } = harness();
    outcomes.push('unknown');
    report('a', 'RUNNING');
    report('a', 'FINISHED');
    await advance(10_000);
    assert.deepEqual(unknownAttempts, ['a']);
    assert.equal(calls.length, 1, 'its later reports are dropped too');

    outcomes.push('fenced');
    report('b', 'FINISHED');
    await advance(10_000);
    assert.equal(calls.length, 2);
    assert.deepEqual(reporter.pendingAttempts('job-1'), []);
  });

  it('does not send again a report the JobMaster refused, but goes on with the next one', async () => {
    const { report, outcomes, calls, advance, logger } = harness();
    outcomes.push('refused');
    report('a', 'RUNNING');
    report('a', 'FINISHED');
    await advance(10_000);
    assert.deepEqual(calls.map((c) => c.update.state), ['RUNNING', 'FINISHED']);
    assert.ok(logger.lines.some((line) => line['msg'] === 'The JobMaster refused a task state report; it is not sent again'));
  });

  it('sends nothing after stop()', async () => {
    const { report, reporter, outcomes, calls, advance, pendingTimers } = harness();
    outcomes.push('hang');
    report('a', 'FINISHED');
    report('b', 'FINISHED');
    await advance(0);
    reporter.stop();
    report('c', 'FINISHED');
    await advance(10_000);
    assert.equal(calls.length, 2);
    assert.equal(pendingTimers(), 0);
    assert.deepEqual(reporter.pendingAttempts('job-1'), []);
  });

  it('test hook: loses the first report of a named state as a reset connection would, then delivers it on the retry', async () => {
    const { report, calls, advance, logger } = harness({ dropStates: ['FINISHED'] });
    report('a', 'RUNNING');
    report('a', 'FINISHED');
    report('b', 'FINISHED');
    await advance(10_000);
    // b's FINISHED went out first (a's waits behind a's RUNNING) and was lost; it came again after its backoff.
    assert.deepEqual(calls.map((c) => `${c.update.executionAttemptId}:${c.update.state}:${c.at}`), ['a:RUNNING:0', 'a:FINISHED:0', 'b:FINISHED:300']);
    assert.equal(logger.lines.filter((line) => /lost a task state report/.test(String(line['msg']))).length, 1);
  });
});
