/** What the read commands print for people and for scripts, from fixed JobManager answers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import { JobGraphBuilder } from '@eddy/runtime';
import { describeJobGraph, renderJobInfo } from '../../src/commands/info-command.js';
import { listedJobs, renderJobList } from '../../src/commands/list-command.js';
import { jobDetailsForJson, renderJobDetails } from '../../src/commands/status-command.js';
import { listedTaskManagers, renderTaskManagers } from '../../src/commands/taskmanagers-command.js';

const JOB_ID = '0123456789abcdef0123456789abcdef';

function attempt(attemptNumber: number, state: string, extra: Partial<dispatcher.AttemptDetails> = {}): dispatcher.AttemptDetails {
  return { attempt: attemptNumber, state, stateTimestamps: {}, taskManagerId: 'tm-1', taskManagerAddress: '127.0.0.1:4001/taskexecutor', failureCause: null, numRecordsIn: 0, numRecordsOut: 0, numBytesIn: 0, numBytesOut: 0, backPressuredTimeMsPerSecond: 0, idleTimeMsPerSecond: 0, busyTimeMsPerSecond: 0, numRecordsInPerSecond: 0, numRecordsOutPerSecond: 0, numBytesInPerSecond: 0, numBytesOutPerSecond: 0, ...extra };
}

function details(overrides: Partial<dispatcher.JobDetails> = {}): dispatcher.JobDetails {
  return {
    jobId: JOB_ID,
    name: 'numbers',
    status: 'RUNNING',
    statusTimestamps: {},
    vertices: [
      {
        id: 'v1',
        name: 'Source: Numbers -> Map',
        parallelism: 2,
        maxParallelism: 0,
        slotSharingGroup: 'default',
        subtasks: [
          { subtask: 0, attempts: [attempt(0, 'FAILED'), attempt(1, 'RUNNING', { numRecordsIn: 1200, numRecordsOut: 1100 })] },
          { subtask: 1, attempts: [attempt(0, 'DEPLOYING', { taskManagerId: '', taskManagerAddress: '' })] },
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

/** The cells of a table row or labelled field: what lies between runs of two or more spaces. */
function cells(line: string | undefined): string[] {
  return (line ?? '').trim().split(/\s{2,}/);
}

/** The line of `text` that starts (after indentation) with `start`. */
function lineStarting(text: string, start: string): string | undefined {
  return text.split('\n').find((line) => line.trimStart().startsWith(start));
}

const CAUSE = { name: 'Error', message: 'bad record 5', stack: 'Error: bad record 5\n    at map (/jobs/job.ts:4:67)\n    at run (/x.js:1:1)', location: 'Source: Numbers -> Map (1/2) (attempt 0)' };

describe('eddy status output', () => {
  it("shows the current attempt of each subtask, its TaskManager by host:port, and the job's duration so far", () => {
    const text = renderJobDetails(details(), { verbose: false, now: 13_345 });
    assert.equal(text.split('\n')[0], "Job 'numbers' (0123456789abcdef0123456789abcdef)");
    assert.deepEqual(cells(lineStarting(text, 'Status')), ['Status', 'RUNNING for 12.3 s']);
    assert.deepEqual(cells(lineStarting(text, 'Restarts')), ['Restarts', '1']);
    assert.deepEqual(cells(lineStarting(text, 'Source:')), ['Source: Numbers -> Map', "(parallelism 2, slot sharing group 'default')"]);
    assert.deepEqual(cells(lineStarting(text, 'SUBTASK')), ['SUBTASK', 'STATE', 'ATTEMPT', 'TASKMANAGER', 'ADDRESS', 'RECORDS IN', 'RECORDS OUT']);
    assert.deepEqual(cells(lineStarting(text, '1/2')), ['1/2', 'RUNNING', '1', 'tm-1', '127.0.0.1:4001', '1200', '1100']);
    assert.deepEqual(cells(lineStarting(text, '2/2')), ['2/2', 'DEPLOYING', '0', '-', '-', '0', '0']);
    assert.doesNotMatch(text, /Waiting for|Failure/);
  });

  it('shows the failure cause of a failed job with where it happened, and its stack only with --verbose', () => {
    const failed = details({ status: 'FAILED', endTime: 2_500, failureCause: CAUSE });
    const plain = renderJobDetails(failed, { verbose: false, now: 99_999 });
    assert.deepEqual(cells(lineStarting(plain, 'Status')), ['Status', 'FAILED after 1.5 s']);
    const failure = plain.split('\n').findIndex((line) => line.trimStart().startsWith('Failure'));
    const valueColumn = plain.split('\n')[failure]!.indexOf('Error: bad record 5');
    assert.deepEqual(
      plain.split('\n').slice(failure, failure + 3).map((line) => line.slice(valueColumn)),
      ['Error: bad record 5', 'in Source: Numbers -> Map (1/2) (attempt 0)', '(--verbose prints the stack)'],
    );
    assert.doesNotMatch(plain, /job\.ts:4:67/);

    const verbose = renderJobDetails(failed, { verbose: true, now: 99_999 }).split('\n');
    assert.deepEqual(
      verbose.slice(failure + 2, failure + 4).map((line) => line.slice(valueColumn)),
      ['    at map (/jobs/job.ts:4:67)', '    at run (/x.js:1:1)'],
    );
    assert.equal(verbose.filter((line) => line.includes('bad record 5')).length, 1, 'the headline once, not again from the stack');
  });

  it('calls the cause of a running job its last failure, and says what the job waits for', () => {
    const text = renderJobDetails(details({ status: 'RESTARTING', failureCause: CAUSE, waitingFor: 'needs 4 slots, 2 free on 1 TaskManager' }), { verbose: false, now: 2_000 });
    assert.deepEqual(cells(lineStarting(text, 'Waiting for slots')), ['Waiting for slots', 'needs 4 slots, 2 free on 1 TaskManager']);
    assert.deepEqual(cells(lineStarting(text, 'Last failure')), ['Last failure', 'Error: bad record 5']);
  });

  it('says slots being requested as that, not as a wait', () => {
    const text = renderJobDetails(details({ status: 'RUNNING', waitingFor: 'requesting 2 slots' }), { verbose: false, now: 2_000 });
    assert.deepEqual(cells(lineStarting(text, 'Slots')), ['Slots', 'requesting 2 slots']);
    assert.doesNotMatch(text, /[Ww]aiting/);
  });

  it('prints the JobDetails whole for --json, fields unknown to the CLI included, ids first', () => {
    const withCounters = { ...details(), numRecordsIn: 42 } as dispatcher.JobDetails;
    const json = JSON.parse(JSON.stringify(jobDetailsForJson(withCounters, 5_000))) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json).slice(0, 3), ['jobId', 'name', 'status']);
    assert.equal(json['numRecordsIn'], 42);
    // Besides what the CLI derives for a vertex (its backpressure while subtasks run).
    const vertices = (json['vertices'] as Record<string, unknown>[]).map(({ backPressure: _derived, ...vertex }) => vertex);
    assert.deepEqual(vertices, JSON.parse(JSON.stringify(withCounters.vertices)));
  });

  it("shows a vertex's backpressure as Flink's level and its most backpressured running subtask's ratio", () => {
    const withBackPressure = (a: number, b: number, stateB = 'RUNNING'): dispatcher.JobDetails => {
      const vertex = details().vertices[0]!;
      return details({ vertices: [{ ...vertex, subtasks: [{ subtask: 0, attempts: [attempt(0, 'RUNNING', { backPressuredTimeMsPerSecond: a })] }, { subtask: 1, attempts: [attempt(0, stateB, { backPressuredTimeMsPerSecond: b })] }] }] });
    };
    const line = (job: dispatcher.JobDetails): string[] => cells(lineStarting(renderJobDetails(job, { verbose: false, now: 0 }), 'Backpressure'));
    assert.deepEqual(line(withBackPressure(20, 780)), ['Backpressure', 'high (0.78)']);
    assert.deepEqual(line(withBackPressure(20, 300)), ['Backpressure', 'low (0.30)']);
    assert.deepEqual(line(withBackPressure(20, 100)), ['Backpressure', 'ok (0.10)']);
    // A subtask that no longer runs does not count.
    assert.deepEqual(line(withBackPressure(20, 900, 'FINISHED')), ['Backpressure', 'ok (0.02)']);
    const json = jobDetailsForJson(withBackPressure(600, 0), 0) as { vertices: { backPressure: unknown }[] };
    assert.deepEqual(json.vertices[0]!.backPressure, { level: 'high', ratio: 0.6 });
    assert.doesNotMatch(renderJobDetails(details({ status: 'FINISHED', vertices: [{ ...details().vertices[0]!, subtasks: [{ subtask: 0, attempts: [attempt(0, 'FINISHED')] }] }] }), { verbose: false, now: 0 }), /Backpressure/);
  });

  it("shows each task's lowest input watermark and how far it lags behind now, and nothing of it in a job without watermarks", () => {
    const withWatermarks = (a: number | undefined, b: number | undefined): dispatcher.JobDetails => {
      const vertex = details().vertices[0]!;
      const wm = (w: number | undefined): Partial<dispatcher.AttemptDetails> => (w === undefined ? {} : { currentInputWatermark: w });
      return details({ vertices: [{ ...vertex, subtasks: [{ subtask: 0, attempts: [attempt(0, 'RUNNING', wm(a))] }, { subtask: 1, attempts: [attempt(0, 'RUNNING', wm(b))] }] }] });
    };
    const now = Date.UTC(2026, 11, 3, 12, 0, 0);
    const lagging = withWatermarks(now - 90_000, now - 2_500);
    assert.deepEqual(cells(lineStarting(renderJobDetails(lagging, { verbose: false, now }), 'Watermark')), ['Watermark', `2026-12-03T11:58:30.000Z (${now - 90_000}), 1m 30s behind now`]);
    const json = jobDetailsForJson(lagging, now) as { vertices: { currentInputWatermark: unknown; watermarkLagMs: unknown }[] };
    assert.equal(json.vertices[0]!.currentInputWatermark, now - 90_000);
    assert.equal(json.vertices[0]!.watermarkLagMs, 90_000);

    const held = withWatermarks(Number.NEGATIVE_INFINITY, now);
    assert.deepEqual(cells(lineStarting(renderJobDetails(held, { verbose: false, now }), 'Watermark')), ['Watermark', 'none yet (an input has sent no watermark)']);
    const heldJson = JSON.parse(JSON.stringify(jobDetailsForJson(held, now))) as { vertices: { currentInputWatermark: unknown; watermarkLagMs?: unknown; subtasks: { attempts: { currentInputWatermark: unknown }[] }[] }[] };
    assert.equal(heldJson.vertices[0]!.currentInputWatermark, '-Infinity');
    assert.equal(heldJson.vertices[0]!.watermarkLagMs, undefined);
    assert.equal(heldJson.vertices[0]!.subtasks[0]!.attempts[0]!.currentInputWatermark, '-Infinity');

    const none = withWatermarks(undefined, undefined);
    assert.doesNotMatch(renderJobDetails(none, { verbose: false, now }), /Watermark/);
    assert.equal('currentInputWatermark' in (jobDetailsForJson(none, now) as { vertices: object[] }).vertices[0]!, false);
  });
});

describe('eddy list output', () => {
  const summary = (jobId: string, startTime: number, endTime: number, status: string): dispatcher.JobSummary => ({ jobId, name: `job ${jobId}`, status, startTime, endTime, tasksPerState: { RUNNING: 2 } });

  it("lists jobs oldest first with each one's duration, until now for a running one", () => {
    const jobs = listedJobs([summary('b', 5_000, 0, 'RUNNING'), summary('a', 1_000, 3_000, 'FINISHED')], 10_000);
    assert.deepEqual(
      jobs.map((job) => [job.jobId, job.endTime, job.durationMs]),
      [
        ['a', 3_000, 2_000],
        ['b', null, 5_000],
      ],
    );
    const table = renderJobList(jobs, true).split('\n');
    assert.deepEqual(cells(table[0]), ['JOB ID', 'NAME', 'STATUS', 'STARTED', 'DURATION']);
    assert.deepEqual(cells(table[2]).filter((_, index) => index !== 3), ['b', 'job b', 'RUNNING', '5.0 s']);
  });

  it('says there are no running jobs, and points at --all', () => {
    assert.equal(renderJobList([], false), 'No running jobs (`eddy list --all` shows ended ones too)');
    assert.equal(renderJobList([], true), 'No jobs');
  });
});

describe('eddy taskmanagers output', () => {
  const info = { taskManagerId: 'tm-1', address: '127.0.0.1:4001/taskexecutor', slotsTotal: 2, slotsFree: 1, lastHeartbeat: 9_000, eventLoopLagMs: 1.25, registeredAt: 1_000, slots: [] };

  it('gives each TaskManager its host:port, slots, heartbeat age and event-loop lag', () => {
    const listed = listedTaskManagers([info]);
    assert.deepEqual(listed, [{ id: 'tm-1', address: '127.0.0.1:4001', slotsTotal: 2, slotsFree: 1, lastHeartbeat: 9_000, eventLoopLagMs: 1.25, registeredAt: 1_000 }]);
    const [header, row] = renderTaskManagers(listed, 'localhost:6123', 10_500).split('\n');
    assert.deepEqual(cells(header), ['ID', 'ADDRESS', 'SLOTS FREE/TOTAL', 'LAST HEARTBEAT', 'EVENT-LOOP LAG', 'REGISTERED SINCE']);
    assert.deepEqual(cells(row).slice(0, 5), ['tm-1', '127.0.0.1:4001', '1/2', '1.5 s ago', '1.3 ms']);
  });

  it('says how to start a TaskManager when none is registered', () => {
    assert.equal(renderTaskManagers([], 'localhost:6123', 0), 'No TaskManagers registered at localhost:6123; start one with `eddy taskmanager -m localhost:6123`');
  });
});

describe('eddy info output', () => {
  it('needs as many slots per slot sharing group as its widest task, and the sum over groups', () => {
    const graph = new JobGraphBuilder('groups')
      .vertex({ id: 'a', name: 'Source', parallelism: 2 })
      .vertex({ id: 'b', name: 'Map', parallelism: 3 })
      .vertex({ id: 'c', name: 'Sink', parallelism: 4, slotSharingGroup: 'sinks' })
      .edge('a', 'b', 'rebalance')
      .edge('b', 'c', 'hash')
      .blobKey('0'.repeat(64))
      .build();
    const info = describeJobGraph(graph, '/jobs/groups.ts', [], (vertex) => [{ id: vertex.id, name: vertex.name, kind: 'map' }]);
    assert.deepEqual(info.slots, { total: 7, perSlotSharingGroup: { default: 3, sinks: 4 } });
    assert.deepEqual(
      info.vertices.map((vertex) => [vertex.name, vertex.slotSharingGroup, vertex.maxParallelism]),
      [
        ['Source', 'default', 128],
        ['Map', 'default', 128],
        ['Sink', 'sinks', 128],
      ],
    );
    const text = renderJobInfo(info);
    assert.deepEqual(cells(lineStarting(text, '2 Map')), ['2 Map', '3 Sink', 'hash', 'ALL_TO_ALL']);
    assert.deepEqual(text.split('\n').slice(-3).map(cells), [
      ['default', '3'],
      ['sinks', '4'],
      ['total', '7'],
    ]);
  });
});
