import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '@eddy/common';
import { ExecutionGraph, statusCounts } from '../../src/executiongraph/execution-graph.js';
import { IllegalStateTransitionError } from '../../src/executiongraph/illegal-state-transition-error.js';
import { InvalidJobGraphError, JobGraphBuilder } from '@eddy/cluster-common';
import { capturingLogger } from '../fixtures/capturing-logger.js';
import { JOB_ID, ManualClock, RecordingListener, errorInfo, wordCountGraph } from './testing-graphs.js';

describe('ExecutionGraph', () => {
  it('builds one job vertex per JobVertex in topological order, with effective max parallelism and slot sharing group', () => {
    const graph = ExecutionGraph.build(wordCountGraph(), { logger: silentLogger() });
    assert.equal(graph.jobId, JOB_ID);
    assert.equal(graph.jobName, 'WordCount');
    assert.deepEqual(graph.verticesTopologically.map((v) => v.id), ['source', 'map', 'sink']);
    const map = graph.getJobVertex('map')!;
    assert.equal(map.name, 'Map');
    assert.equal(map.parallelism, 2);
    assert.equal(map.maxParallelism, 128);
    assert.equal(map.slotSharingGroup, 'default');
    assert.equal(map.jobVertex, graph.jobGraph.vertices[1]);
    const sink = graph.getJobVertex('sink')!;
    assert.equal(sink.maxParallelism, 16);
    assert.equal(sink.slotSharingGroup, 'sinks');
    assert.equal(graph.getJobVertex('nope'), undefined);
  });

  it('creates one subtask per parallel instance, each with attempt 0 in CREATED', () => {
    const clock = new ManualClock(5_000);
    const graph = ExecutionGraph.build(wordCountGraph(), { logger: silentLogger(), now: clock.now });
    const subtasks = [...graph.allExecutionVertices()];
    assert.deepEqual(subtasks.map((v) => v.taskNameWithSubtask), ['Source (1/2)', 'Source (2/2)', 'Map (1/2)', 'Map (2/2)', 'Sink (1/1)']);
    for (const vertex of subtasks) {
      const execution = vertex.currentExecution;
      assert.equal(execution.state, 'CREATED');
      assert.equal(execution.attemptNumber, 0);
      assert.equal(execution.vertex, vertex);
      assert.deepEqual([...execution.stateTimestamps], [['CREATED', 5_000]]);
      assert.equal(execution.taskManagerId, '');
      assert.equal(graph.findExecution(execution.attemptId), execution);
    }
    assert.equal(new Set(subtasks.map((v) => v.currentExecution.attemptId)).size, 5);
    assert.match(subtasks[1]!.currentExecution.attemptId, /^source-1-0-[0-9a-f]{6}$/);
  });

  it('refuses an invalid JobGraph with InvalidJobGraphError before building anything', () => {
    const invalid = new JobGraphBuilder('Bad').jobId(JOB_ID).vertex({ id: 'a', parallelism: 0 }).build();
    assert.throws(() => ExecutionGraph.build(invalid, { logger: silentLogger() }), InvalidJobGraphError);
  });

  it('connects each JobEdge as one IntermediateResult from its producer to its consumer', () => {
    const graph = ExecutionGraph.build(wordCountGraph(), { logger: silentLogger() });
    const [source, map, sink] = graph.verticesTopologically;
    assert.deepEqual(source!.producedResults.map((r) => r.id), ['source->map']);
    assert.deepEqual(map!.inputs.map((i) => [i.result.id, i.partitioner, i.distributionPattern]), [['source->map', 'forward', 'POINTWISE']]);
    assert.deepEqual(map!.producedResults.map((r) => r.id), ['map->sink']);
    assert.deepEqual(sink!.inputs.map((i) => i.result.id), ['map->sink']);
    assert.equal(source!.inputs.length, 0);
    const result = map!.producedResults[0]!;
    assert.equal(result.producer, map);
    assert.equal(result.consumerVertex, sink);
    assert.deepEqual(result.partitions.map((p) => [p.partitionIndex, p.producer.taskNameWithSubtask]), [[0, 'Map (1/2)'], [1, 'Map (2/2)']]);
    assert.deepEqual(map!.taskVertices[1]!.producedPartitions, [result.partitions[1]]);
  });

  it('lists the results a vertex produces in JobGraph edge order (the order of its task outputs), not in the order its consumers were built', () => {
    const jobGraph = new JobGraphBuilder('Fan-out')
      .jobId(JOB_ID)
      .vertex({ id: 'source', parallelism: 1 })
      .vertex({ id: 'first', parallelism: 1 })
      .vertex({ id: 'second', parallelism: 1 })
      .edge('source', 'second', 'hash')
      .edge('source', 'first', 'hash')
      .build();
    const graph = ExecutionGraph.build(jobGraph, { logger: silentLogger() });
    assert.deepEqual(graph.verticesTopologically.map((v) => v.id), ['source', 'first', 'second'], 'the consumer of the second edge is built first');
    assert.deepEqual(graph.getJobVertex('source')!.producedResults.map((r) => r.id), ['source->second', 'source->first']);
  });

  it('gives a subtask with two inputs one consumed group per input, in edge order', () => {
    const jobGraph = new JobGraphBuilder('Join')
      .jobId(JOB_ID)
      .vertex({ id: 'left', parallelism: 2 })
      .vertex({ id: 'right', parallelism: 3 })
      .vertex({ id: 'join', parallelism: 2 })
      .edge('right', 'join', 'hash')
      .edge('left', 'join', 'forward')
      .edge('right', 'join', 'broadcast')
      .build();
    const graph = ExecutionGraph.build(jobGraph, { logger: silentLogger() });
    const groups = graph.getJobVertex('join')!.taskVertices[1]!.consumedPartitionGroups();
    assert.deepEqual(groups.map((g) => [g.result.id, g.start, g.end]), [['right->join', 0, 3], ['left->join', 1, 2], ['right->join#2', 0, 3]]);
  });

  it('starts CREATED and moves through the job transitions, one log line and one notification each', () => {
    const clock = new ManualClock(100);
    const { logger, lines } = capturingLogger();
    const listener = new RecordingListener();
    const graph = ExecutionGraph.build(wordCountGraph(), { logger, now: clock.now, listener });
    assert.equal(graph.state, 'CREATED');
    assert.deepEqual([...graph.statusTimestamps], [['CREATED', 100]]);

    clock.advance(5);
    assert.equal(graph.transitionState('CREATED', 'RUNNING'), true);
    assert.equal(graph.state, 'RUNNING');
    assert.equal(graph.statusTimestamps.get('RUNNING'), 105);
    assert.deepEqual(lines, [
      { level: 30, jobId: JOB_ID, from: 'CREATED', to: 'RUNNING', msg: `Job WordCount (${JOB_ID}) switched from state CREATED to RUNNING.` },
    ]);
    assert.deepEqual(listener.calls, [{ kind: 'job', from: 'CREATED', to: 'RUNNING', timestamp: 105, cause: undefined }]);

    const cause = errorInfo('boom');
    clock.advance(5);
    assert.equal(graph.transitionState(['RUNNING', 'RESTARTING'], 'FAILING', cause), true);
    assert.equal(lines.length, 2);
    assert.equal(lines[1]!['msg'], `Job WordCount (${JOB_ID}) switched from state RUNNING to FAILING.`);
    assert.equal(listener.calls[1]!.cause, cause);
    assert.equal(graph.failureCause, undefined, 'the scheduler owns failureCause');
    assert.equal(graph.restarts, 0);
  });

  it('returns false without logging when the job is not in an expected status', () => {
    const { logger, lines } = capturingLogger();
    const listener = new RecordingListener();
    const graph = ExecutionGraph.build(wordCountGraph(), { logger, listener });
    assert.equal(graph.transitionState('RUNNING', 'FINISHED'), false);
    assert.equal(graph.transitionState(['RESTARTING', 'FAILING'], 'RUNNING'), false);
    assert.equal(graph.state, 'CREATED');
    assert.deepEqual(lines, []);
    assert.deepEqual(listener.calls, []);
  });

  it('throws on an illegal job transition, naming both statuses, and stays where it was', () => {
    const { logger, lines } = capturingLogger();
    const graph = ExecutionGraph.build(wordCountGraph(), { logger });
    assert.throws(
      () => graph.transitionState('CREATED', 'FINISHED'),
      (error: unknown) => {
        assert.ok(error instanceof IllegalStateTransitionError);
        assert.equal(error.message, `Illegal state transition of job WordCount (${JOB_ID}) from CREATED to FINISHED; the state diagram has no such arrow`);
        return true;
      },
    );
    assert.equal(graph.state, 'CREATED');
    assert.deepEqual(lines, []);
  });

  it('counts current attempts per execution state', () => {
    const graph = ExecutionGraph.build(wordCountGraph(), { logger: silentLogger() });
    const [a, b, c] = [...graph.allExecutionVertices()];
    a!.currentExecution.transitionState('SCHEDULED');
    b!.currentExecution.transitionState('SCHEDULED');
    c!.currentExecution.transitionState('FAILED');
    c!.resetForNewExecution();
    assert.deepEqual(statusCounts(graph), {
      CREATED: 3, SCHEDULED: 2, DEPLOYING: 0, INITIALIZING: 0, RUNNING: 0, FINISHED: 0, CANCELING: 0, CANCELED: 0, FAILED: 0,
    });
  });
});
