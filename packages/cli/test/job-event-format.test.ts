import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobEvent } from '@eddy/client';
import { formatJobEvent, formatTime, ordinal, RestartHistory } from '../src/commands/job-event-format.js';

const at = new Date(2026, 0, 2, 9, 5, 7, 42).getTime();

function event(overrides: Partial<JobEvent>): JobEvent {
  return {
    jobId: 'a'.repeat(32),
    timestamp: at,
    kind: 'task',
    from: '',
    to: '',
    vertexId: 'v1',
    vertexName: 'word-count',
    subtask: 0,
    parallelism: 2,
    attempt: 0,
    taskManagerId: '',
    message: '',
    cause: null,
    ...overrides,
  };
}

const boom = { name: 'Error', message: 'bad record 7', stack: 'Error: bad record 7\n    at check (/jobs/fails.ts:5:22)', location: 'Map (1/1) (attempt 0)' };

describe('job event lines', () => {
  it("prints a task transition as Flink's log does, with where it runs", () => {
    assert.deepEqual(formatJobEvent(event({ from: 'DEPLOYING', to: 'RUNNING', taskManagerId: 'tm-xyz' })), ['09:05:07.042 word-count (1/2) [attempt 0] DEPLOYING -> RUNNING on tm-xyz']);
    assert.deepEqual(formatJobEvent(event({ from: 'CREATED', to: 'SCHEDULED', subtask: 1, attempt: 3 })), ['09:05:07.042 word-count (2/2) [attempt 3] CREATED -> SCHEDULED']);
  });

  it('prints a job status change under the job name, and messages as they are', () => {
    assert.deepEqual(formatJobEvent(event({ kind: 'job', from: 'CREATED', to: 'RUNNING' }), 'numbers'), ["09:05:07.042 Job 'numbers' CREATED -> RUNNING"]);
    assert.deepEqual(formatJobEvent(event({ kind: 'job', from: 'CREATED', to: 'RUNNING' })), [`09:05:07.042 Job '${'a'.repeat(32)}' CREATED -> RUNNING`]);
    assert.deepEqual(formatJobEvent(event({ kind: 'info', message: 'Waiting for slots: needs 2 slots, 0 free on 0 TaskManagers' })), [
      '09:05:07.042 Waiting for slots: needs 2 slots, 0 free on 0 TaskManagers',
    ]);
  });

  it('puts a failed task\'s cause under it, and a failed job\'s root cause with its whole stack', () => {
    assert.deepEqual(formatJobEvent(event({ from: 'RUNNING', to: 'FAILED', cause: boom })), ['09:05:07.042 word-count (1/2) [attempt 0] RUNNING -> FAILED', '    Error: bad record 7']);
    assert.deepEqual(formatJobEvent(event({ kind: 'job', from: 'FAILING', to: 'FAILED', cause: boom }), 'numbers'), [
      "09:05:07.042 Job 'numbers' FAILING -> FAILED",
      '    Root cause (in Map (1/1) (attempt 0)):',
      '    Error: bad record 7',
      '        at check (/jobs/fails.ts:5:22)',
    ]);
  });

  it('shows local time to the millisecond', () => {
    assert.equal(formatTime(new Date(2026, 5, 1, 23, 59, 0, 5).getTime()), '23:59:00.005');
  });
});

describe('restart lines', () => {
  const restarting = (cause: typeof boom | null): JobEvent => event({ kind: 'job', from: 'RUNNING', to: 'RESTARTING', cause });

  it('count the restarts and say when the root cause is the one before, or a new one', () => {
    const restarts = new RestartHistory();
    assert.deepEqual(formatJobEvent(restarting(boom), 'numbers', restarts), [
      "09:05:07.042 Job 'numbers' RUNNING -> RESTARTING",
      '    restarting (1st time): Error: bad record 7 (in Map (1/1) (attempt 0))',
    ]);
    assert.deepEqual(formatJobEvent(restarting({ ...boom, location: 'Map (1/1) (attempt 1)' }), 'numbers', restarts)[1], '    restarting (2nd time): same root cause as before: Error: bad record 7');
    const lost = { name: 'TaskManagerLostError', message: 'TaskManager tm-1 is gone', stack: '', location: 'Map (1/1) (attempt 2) on tm-1' };
    assert.deepEqual(formatJobEvent(restarting(lost), 'numbers', restarts)[1], '    restarting (3rd time): new root cause: TaskManagerLostError: TaskManager tm-1 is gone (in Map (1/1) (attempt 2) on tm-1)');
    assert.equal(restarts.count, 3);
  });

  it('without a history, a restart shows its cause as any job status change does', () => {
    assert.deepEqual(formatJobEvent(restarting(boom), 'numbers'), ["09:05:07.042 Job 'numbers' RUNNING -> RESTARTING", '    Error: bad record 7']);
  });

  it('spell ordinals in English', () => {
    assert.deepEqual([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(ordinal), ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st', '111th']);
  });
});
