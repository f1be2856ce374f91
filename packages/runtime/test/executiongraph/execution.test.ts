import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '@eddy/common';
import { EXECUTION_STATES } from '../../src/executiongraph/execution-state.js';
import { ExecutionGraph, MAX_PRIOR_EXECUTIONS } from '../../src/executiongraph/execution-graph.js';
import { IllegalStateTransitionError } from '../../src/executiongraph/illegal-state-transition-error.js';
import { capturingLogger } from '../fixtures/capturing-logger.js';
import { JOB_ID, ManualClock, RecordingListener, errorInfo, wordCountGraph } from './testing-graphs.js';

/** The second Map subtask of a fresh WordCount graph, with its log lines and notifications. */
function mapSubtask() {
  const clock = new ManualClock(1_000);
  const { logger, lines } = capturingLogger();
  const listener = new RecordingListener();
  const graph = ExecutionGraph.build(wordCountGraph(), { logger, now: clock.now, listener });
  const vertex = graph.getJobVertex('map')!.taskVertices[1]!;
  return { graph, vertex, execution: vertex.currentExecution, clock, lines, listener };
}

const RESOURCE = { taskManagerId: 'taskmanager-1', taskManagerAddress: '127.0.0.1:40123', allocationId: 'alloc-7' };

describe('Execution', () => {
  it('logs exactly one line per transition, with the exact message and fields', () => {
    const { execution, clock, lines } = mapSubtask();
    assert.equal(execution.transitionState('SCHEDULED'), true);
    execution.assignResource(RESOURCE);
    clock.advance(10);
    assert.equal(execution.transitionState('DEPLOYING'), true);
    assert.deepEqual(lines, [
      { level: 30, jobId: JOB_ID, vertexId: 'map', subtask: 1, attempt: 0, from: 'CREATED', to: 'SCHEDULED', taskManager: '', msg: 'Map (2/2) (attempt 0) switched from CREATED to SCHEDULED' },
      { level: 30, jobId: JOB_ID, vertexId: 'map', subtask: 1, attempt: 0, from: 'SCHEDULED', to: 'DEPLOYING', taskManager: 'taskmanager-1', msg: 'Map (2/2) (attempt 0) switched from SCHEDULED to DEPLOYING' },
    ]);
  });

  it('stamps the time of each state and tells the listener', () => {
    const { execution, clock, listener } = mapSubtask();
    for (const to of ['SCHEDULED', 'DEPLOYING', 'INITIALIZING', 'RUNNING', 'FINISHED'] as const) {
      clock.advance(1);
      assert.equal(execution.transitionState(to), true);
    }
    assert.equal(execution.state, 'FINISHED');
    assert.deepEqual([...execution.stateTimestamps], [['CREATED', 1_000], ['SCHEDULED', 1_001], ['DEPLOYING', 1_002], ['INITIALIZING', 1_003], ['RUNNING', 1_004], ['FINISHED', 1_005]]);
    assert.deepEqual(
      listener.calls.map((c) => (c.kind === 'execution' ? [c.execution === execution, c.from, c.to, c.timestamp] : c.kind)),
      [[true, 'CREATED', 'SCHEDULED', 1_001], [true, 'SCHEDULED', 'DEPLOYING', 1_002], [true, 'DEPLOYING', 'INITIALIZING', 1_003], [true, 'INITIALIZING', 'RUNNING', 1_004], [true, 'RUNNING', 'FINISHED', 1_005]],
    );
  });

  it('records the cause of a failure and logs its message under cause', () => {
    const { execution, lines, listener } = mapSubtask();
    const cause = errorInfo('division by zero');
    execution.transitionState('SCHEDULED');
    assert.equal(execution.transitionState('FAILED', cause), true);
    assert.equal(execution.failureCause, cause);
    assert.equal(lines.length, 2);
    assert.equal(lines[1]!['cause'], 'division by zero');
    assert.equal(lines[1]!['msg'], 'Map (2/2) (attempt 0) switched from SCHEDULED to FAILED');
    assert.equal(listener.calls[1]!.cause, cause);
    assert.equal(lines[0]!['cause'], undefined);
  });

  it('throws on an illegal transition, naming both states, without changing or logging anything', () => {
    const { execution, lines, listener } = mapSubtask();
    assert.throws(
      () => execution.transitionState('RUNNING'),
      (error: unknown) => {
        assert.ok(error instanceof IllegalStateTransitionError);
        assert.equal(error.message, 'Illegal state transition of Map (2/2) (attempt 0) from CREATED to RUNNING; the state diagram has no such arrow');
        assert.equal(error.from, 'CREATED');
        assert.equal(error.to, 'RUNNING');
        return true;
      },
    );
    assert.equal(execution.state, 'CREATED');
    assert.equal(execution.stateTimestamps.has('RUNNING'), false);
    assert.deepEqual(lines, []);
    assert.deepEqual(listener.calls, []);
  });

  it('refuses CANCELING -> FINISHED', () => {
    const { execution } = mapSubtask();
    for (const to of ['SCHEDULED', 'DEPLOYING', 'RUNNING', 'CANCELING'] as const) execution.transitionState(to);
    assert.throws(() => execution.transitionState('FINISHED'), /from CANCELING to FINISHED/);
    assert.equal(execution.transitionState('CANCELED'), true);
  });

  it('ignores every move out of a terminal state, quietly', () => {
    for (const terminal of ['FINISHED', 'CANCELED', 'FAILED'] as const) {
      const { execution, lines, listener } = mapSubtask();
      for (const to of ['SCHEDULED', 'DEPLOYING', 'RUNNING'] as const) execution.transitionState(to);
      execution.transitionState(terminal);
      const logged = lines.length;
      for (const to of EXECUTION_STATES) assert.equal(execution.transitionState(to, errorInfo('late')), false, `${terminal} -> ${to}`);
      assert.equal(execution.state, terminal);
      assert.equal(lines.length, logged);
      assert.equal(listener.calls.length, logged);
      assert.equal(execution.failureCause, undefined);
    }
  });

  it('ignores a move to the state it is already in, quietly', () => {
    const { execution, lines } = mapSubtask();
    execution.transitionState('SCHEDULED');
    assert.equal(execution.transitionState('SCHEDULED'), false);
    assert.equal(lines.length, 1);
  });

  it('takes a slot while CREATED or SCHEDULED, and refuses one once deploying', () => {
    const { execution } = mapSubtask();
    execution.assignResource(RESOURCE);
    assert.deepEqual([execution.taskManagerId, execution.taskManagerAddress, execution.allocationId], ['taskmanager-1', '127.0.0.1:40123', 'alloc-7']);
    execution.transitionState('SCHEDULED');
    execution.transitionState('DEPLOYING');
    assert.throws(() => execution.assignResource(RESOURCE), /Cannot assign a slot to Map \(2\/2\) \(attempt 0\) in state DEPLOYING/);
  });
});

describe('ExecutionVertex.resetForNewExecution', () => {
  it('refuses to reset while the current attempt is not terminal', () => {
    const { vertex, execution } = mapSubtask();
    execution.transitionState('SCHEDULED');
    assert.throws(() => vertex.resetForNewExecution(), /Cannot reset Map \(2\/2\) for a new execution: attempt 0 is SCHEDULED, not terminal/);
    assert.equal(vertex.currentExecution, execution);
  });

  it('numbers attempts 1, 2, ... and stamps each new attempt CREATED', () => {
    const { graph, vertex, clock } = mapSubtask();
    const first = vertex.currentExecution;
    first.transitionState('FAILED');
    clock.advance(50);
    const second = vertex.resetForNewExecution();
    assert.equal(second.attemptNumber, 1);
    assert.equal(second.state, 'CREATED');
    assert.deepEqual([...second.stateTimestamps], [['CREATED', 1_050]]);
    assert.equal(vertex.currentExecution, second);
    assert.deepEqual(vertex.priorExecutions, [first]);
    assert.notEqual(second.attemptId, first.attemptId);
    second.transitionState('CANCELED');
    assert.equal(vertex.resetForNewExecution().attemptNumber, 2);
    assert.equal(graph.findExecution(vertex.currentExecution.attemptId), vertex.currentExecution);
  });

  it('no longer finds a superseded attempt by its id', () => {
    const { graph, vertex, execution } = mapSubtask();
    execution.transitionState('FAILED');
    vertex.resetForNewExecution();
    assert.equal(graph.findExecution(execution.attemptId), undefined);
  });

  it(`keeps only the last ${MAX_PRIOR_EXECUTIONS} prior attempts`, () => {
    const { vertex } = mapSubtask();
    for (let i = 0; i < 20; i++) {
      vertex.currentExecution.transitionState('FAILED');
      vertex.resetForNewExecution();
    }
    assert.equal(vertex.currentExecution.attemptNumber, 20);
    assert.equal(vertex.priorExecutions.length, MAX_PRIOR_EXECUTIONS);
    assert.deepEqual(vertex.priorExecutions.map((e) => e.attemptNumber), Array.from({ length: 16 }, (_, i) => i + 4));
  });

  it('logs the new attempt number in its transitions', () => {
    const { vertex, lines } = mapSubtask();
    vertex.currentExecution.transitionState('FAILED');
    vertex.resetForNewExecution().transitionState('SCHEDULED');
    assert.equal(lines.at(-1)!['msg'], 'Map (2/2) (attempt 1) switched from CREATED to SCHEDULED');
    assert.equal(lines.at(-1)!['attempt'], 1);
  });
});

describe('Execution without a listener', () => {
  it('still moves and logs', () => {
    const graph = ExecutionGraph.build(wordCountGraph(), { logger: silentLogger() });
    const execution = graph.getJobVertex('sink')!.taskVertices[0]!.currentExecution;
    assert.equal(execution.transitionState('SCHEDULED'), true);
    assert.equal(graph.transitionState('CREATED', 'RUNNING'), true);
  });
});
