import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobDetails } from '@eddy/client';
import { formatDuration, jobProgressOf, LiveView, renderJobProgress, type JobProgress } from '../src/commands/job-progress-view.js';

function attempt(attempt: number, state: string, numRecordsIn: number, numRecordsOut: number): JobDetails['vertices'][number]['subtasks'][number]['attempts'][number] {
  return { attempt, state, stateTimestamps: {}, taskManagerId: 'tm-1', taskManagerAddress: '127.0.0.1:1/taskexecutor', failureCause: null, numRecordsIn, numRecordsOut, numBytesIn: 0, numBytesOut: 0, backPressuredTimeMsPerSecond: 0, idleTimeMsPerSecond: 0, busyTimeMsPerSecond: 0, numRecordsInPerSecond: 0, numRecordsOutPerSecond: 0, numBytesInPerSecond: 0, numBytesOutPerSecond: 0 };
}

function details(overrides: Partial<JobDetails> = {}): JobDetails {
  return {
    jobId: 'f'.repeat(32),
    name: 'word-count',
    status: 'RUNNING',
    statusTimestamps: {},
    vertices: [
      {
        id: 'v0',
        name: 'Source: Text File -> Flat Map',
        parallelism: 2,
        maxParallelism: 128,
        slotSharingGroup: 'default',
        subtasks: [
          { subtask: 0, attempts: [attempt(0, 'RUNNING', 0, 1_200)] },
          { subtask: 1, attempts: [attempt(0, 'FINISHED', 0, 800)] },
        ],
      },
      {
        id: 'v1',
        name: 'Keyed Aggregation -> Sink: Collect Sink',
        parallelism: 2,
        maxParallelism: 128,
        slotSharingGroup: 'default',
        subtasks: [
          // A failed attempt's counts are history: only the current attempt's count.
          { subtask: 0, attempts: [attempt(0, 'FAILED', 9_999, 0), attempt(1, 'RUNNING', 1_000, 0)] },
          { subtask: 1, attempts: [attempt(0, 'RUNNING', 500, 0)] },
        ],
      },
    ],
    failureCause: null,
    waitingFor: '',
    restarts: 1,
    startTime: 1_000,
    endTime: 0,
    edges: [],
    configuration: {},
    ...overrides,
  };
}

describe('the job progress table', () => {
  it('sums the current attempts of each vertex: tasks per state and records in and out', () => {
    const progress = jobProgressOf(details(), 13_345);
    assert.equal(progress.elapsedMs, 12_345);
    assert.deepEqual(
      progress.vertices.map((vertex) => [vertex.tasksPerState, vertex.numRecordsIn, vertex.numRecordsOut]),
      [
        [{ RUNNING: 1, FINISHED: 1 }, 0, 2_000],
        [{ RUNNING: 2 }, 1_500, 0],
      ],
    );
  });

  it('renders one aligned row per vertex under the job line, states in the order of the state diagram', () => {
    assert.deepEqual(renderJobProgress(jobProgressOf(details(), 13_345)), [
      `Job 'word-count' (${'f'.repeat(32)}) RUNNING for 12.3 s, 1 restart`,
      '  Source: Text File -> Flat Map            1 RUNNING, 1 FINISHED  in     0  out 2,000',
      '  Keyed Aggregation -> Sink: Collect Sink  2 RUNNING              in 1,500  out     0',
      '  tasks: 3 RUNNING, 1 FINISHED',
    ]);
  });

  it('says what the job waits for, slots being requested as no wait, and for an ended job how long it took', () => {
    const waiting = renderJobProgress(jobProgressOf(details({ waitingFor: 'needs 4 slots, 2 free on 1 TaskManager' }), 2_000));
    assert.equal(waiting[1], '  waiting for slots: needs 4 slots, 2 free on 1 TaskManager');
    const requesting = renderJobProgress(jobProgressOf(details({ waitingFor: 'requesting 2 slots' }), 2_000));
    assert.equal(requesting[1], '  requesting 2 slots', 'slots on their way are no wait');
    assert.ok(requesting.every((line) => !/waiting/i.test(line)), requesting.join('\n'));
    const ended = renderJobProgress(jobProgressOf(details({ status: 'FINISHED', endTime: 4_000, restarts: 0 }), 99_000));
    assert.equal(ended[0], `Job 'word-count' (${'f'.repeat(32)}) FINISHED after 3.0 s`);
  });

  it('fits a narrow terminal: names shortened, no line longer than the width', () => {
    const lines = renderJobProgress(jobProgressOf(details(), 2_000), 60);
    assert.ok(lines.every((line) => line.length <= 60), lines.join('\n'));
    assert.equal(lines[1], '  Source: Text …  1 RUNNING, 1 FINISHED  in     0  out 2,000');
  });

  it('shows durations as a person reads them', () => {
    assert.deepEqual([850, 12_345, 245_000].map(formatDuration), ['850 ms', '12.3 s', '4 min 05 s']);
  });
});

/** A terminal stand-in that keeps what is written. */
function fakeTerminal(columns = 80): NodeJS.WriteStream & { written: string } {
  const terminal = {
    columns,
    written: '',
    write(chunk: string, callback?: () => void): boolean {
      terminal.written += chunk;
      callback?.();
      return true;
    },
  };
  return terminal as unknown as NodeJS.WriteStream & { written: string };
}

describe('the live view', () => {
  const progress: JobProgress = { jobId: 'j', name: 'n', status: 'RUNNING', elapsedMs: 0, waitingFor: '', restarts: 0, vertices: [] };

  it('redraws in place: back up over the lines it drew, clear them, draw the new ones', () => {
    const terminal = fakeTerminal();
    const view = new LiveView(terminal);
    view.draw(['one', 'two']);
    assert.equal(terminal.written, 'one\ntwo\n');
    terminal.written = '';
    view.draw(renderJobProgress(progress));
    // Two lines up, to column 1, clear to the end of the screen.
    assert.equal(terminal.written, "\x1b[2A\x1b[1G\x1b[0JJob 'n' (j) RUNNING for 0 ms\n");
  });

  it('prints lines above itself and draws itself again under them', () => {
    const terminal = fakeTerminal();
    const view = new LiveView(terminal);
    view.draw(['table']);
    terminal.written = '';
    view.print(['12:00:00.000 Job started']);
    assert.equal(terminal.written, '\x1b[1A\x1b[1G\x1b[0J12:00:00.000 Job started\ntable\n');
    terminal.written = '';
    view.clear();
    assert.equal(terminal.written, '\x1b[1A\x1b[1G\x1b[0J');
  });

  it('cuts lines to the terminal width, so that none wraps and breaks the redraw', () => {
    const terminal = fakeTerminal(10);
    new LiveView(terminal).draw(['0123456789abc']);
    assert.equal(terminal.written, '012345678…\n');
  });
});
