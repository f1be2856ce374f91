import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregateState, exceptionsJson, jobDetailsJson, jobOverviewJson, vertexDetailsJson, watermarksJson } from '../../src/rest/job-json.js';
import { attempt, JOB_ID, jobDetails } from './rest-fixtures.js';

describe("JobDetails in Flink's JSON shapes", () => {
  it("aggregates a vertex's state as Flink does", () => {
    assert.equal(aggregateState(['RUNNING', 'RUNNING']), 'RUNNING');
    assert.equal(aggregateState(['FINISHED', 'RUNNING']), 'RUNNING');
    assert.equal(aggregateState(['FINISHED', 'FINISHED']), 'FINISHED');
    assert.equal(aggregateState(['RUNNING', 'FAILED', 'CANCELING']), 'FAILED');
    assert.equal(aggregateState(['DEPLOYING', 'CREATED']), 'DEPLOYING');
  });

  it('gives job details with vertices, task counts, records, and the plan with the edges as inputs', () => {
    const json = jobDetailsJson(jobDetails(), 2_000);
    assert.equal(json.jid, JOB_ID);
    assert.deepEqual([json['start-time'], json['end-time'], json.duration], [1_000, -1, 1_000]);
    const count = json.vertices[1]!;
    assert.equal(count.status, 'RUNNING');
    assert.equal(count.tasks['RUNNING'], 2);
    assert.equal(count.tasks['FAILED'], 0, 'only current attempts count');
    assert.deepEqual(count.metrics, {
      'read-bytes': 200,
      'read-bytes-complete': false,
      'write-bytes': 400,
      'write-bytes-complete': false,
      'read-records': 20,
      'read-records-complete': false,
      'write-records': 40,
      'write-records-complete': false,
    });
    assert.equal(count['start-time'], 1_100);
    assert.deepEqual(json['status-counts']['RUNNING'], 2);
    assert.deepEqual(json.plan.nodes[1]!.inputs, [{ num: 0, id: 'source', ship_strategy: 'HASH', exchange: 'pipelined_bounded' }]);
    assert.equal(json.plan.nodes[0]!.inputs, undefined, 'a source has no inputs');
  });

  it('ends a job and a vertex at their terminal timestamps', () => {
    const finished = jobDetails({
      status: 'FINISHED',
      endTime: 5_000,
      statusTimestamps: { CREATED: 1_000, FINISHED: 5_000 },
      vertices: [{ id: 'v', name: 'V', parallelism: 1, maxParallelism: 1, slotSharingGroup: '', subtasks: [{ subtask: 0, attempts: [attempt({ state: 'FINISHED', stateTimestamps: { DEPLOYING: 1_100, FINISHED: 4_900 } })] }] }],
      edges: [],
    });
    const json = jobDetailsJson(finished, 9_000);
    assert.deepEqual([json['end-time'], json.duration], [5_000, 4_000]);
    assert.deepEqual([json.vertices[0]!['end-time'], json.vertices[0]!.duration, json.vertices[0]!.metrics['read-records-complete']], [4_900, 3_800, true]);
  });

  it('lists subtasks with their attempt, TaskManager and host:port', () => {
    const json = vertexDetailsJson(jobDetails().vertices[1]!, 2_000);
    assert.deepEqual(
      json.subtasks.map((subtask) => [subtask.subtask, subtask.attempt, subtask.status, subtask['taskmanager-id'], subtask.endpoint]),
      [
        [0, 1, 'RUNNING', 'tm-1', '127.0.0.1:4001'],
        [1, 0, 'RUNNING', 'tm-1', '127.0.0.1:4001'],
      ],
    );
  });

  it("shows watermarks as Flink's metric strings, Long.MIN_VALUE before the first", () => {
    assert.deepEqual(watermarksJson(jobDetails().vertices[1]!), [
      { id: '0.currentInputWatermark', value: '5000' },
      { id: '1.currentInputWatermark', value: '-9223372036854775808' },
    ]);
    assert.deepEqual(watermarksJson(jobDetails().vertices[0]!), [], 'no entry for a subtask without a watermark');
  });

  it('lists failures newest first, with the root cause when the job has one', () => {
    const json = exceptionsJson(jobDetails({ status: 'FAILED', statusTimestamps: { FAILED: 1_400 }, failureCause: { name: 'Error', message: 'job failed', stack: '', location: '' } }));
    assert.equal(json['root-exception'], 'Error: job failed');
    assert.equal(json.timestamp, 1_400);
    assert.equal(json.exceptionHistory.entries.length, 1);
    assert.deepEqual(
      { ...json.exceptionHistory.entries[0]! },
      { exceptionName: 'Error', stacktrace: 'Error: boom\n    at x', timestamp: 1_300, taskName: 'Count -> Sink (1/2)', endpoint: '127.0.0.1:4001', taskManagerId: 'tm-1', failureLabels: {}, concurrentExceptions: [] },
    );
    assert.equal(exceptionsJson(jobDetails())['root-exception'], undefined);
  });

  it('counts tasks per state in lower case for the jobs overview', () => {
    const json = jobOverviewJson({ jobId: JOB_ID, name: 'n', status: 'RUNNING', startTime: 1_000, endTime: 0, tasksPerState: { RUNNING: 2, DEPLOYING: 1 } }, 3_000);
    assert.equal(json.tasks['total'], 3);
    assert.equal(json.tasks['running'], 2);
    assert.equal(json.tasks['failed'], 0);
    assert.deepEqual([json['end-time'], json.duration], [-1, 2_000]);
  });
});
