import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EXECUTION_STATES,
  type ExecutionState,
  isLegalExecutionTransition,
  isTerminalExecutionState,
} from '../../src/executiongraph/execution-state.js';
import { JOB_STATUSES, type JobStatus, isGloballyTerminal, isLegalJobTransition, isLocallyTerminal } from '@eddy/cluster-common';

/** Flink's arrows, written out independently of the implementation's table. */
const EXECUTION_ARROWS = new Set([
  'CREATED>SCHEDULED', 'CREATED>CANCELED', 'CREATED>FAILED',
  'SCHEDULED>DEPLOYING', 'SCHEDULED>CANCELED', 'SCHEDULED>FAILED',
  'DEPLOYING>INITIALIZING', 'DEPLOYING>RUNNING', 'DEPLOYING>FINISHED', 'DEPLOYING>CANCELING', 'DEPLOYING>CANCELED', 'DEPLOYING>FAILED',
  'INITIALIZING>RUNNING', 'INITIALIZING>FINISHED', 'INITIALIZING>CANCELING', 'INITIALIZING>CANCELED', 'INITIALIZING>FAILED',
  'RUNNING>FINISHED', 'RUNNING>CANCELING', 'RUNNING>CANCELED', 'RUNNING>FAILED',
  'CANCELING>CANCELED', 'CANCELING>FAILED',
]);

const JOB_ARROWS = new Set([
  'INITIALIZING>CREATED', 'INITIALIZING>FAILED', 'INITIALIZING>CANCELED', 'INITIALIZING>SUSPENDED',
  'CREATED>RUNNING', 'CREATED>CANCELLING', 'CREATED>FAILED', 'CREATED>CANCELED', 'CREATED>SUSPENDED',
  'RUNNING>FINISHED', 'RUNNING>FAILING', 'RUNNING>RESTARTING', 'RUNNING>CANCELLING', 'RUNNING>FAILED', 'RUNNING>SUSPENDED',
  'FAILING>FAILED', 'FAILING>RESTARTING', 'FAILING>CANCELLING', 'FAILING>SUSPENDED',
  'RESTARTING>RUNNING', 'RESTARTING>CANCELLING', 'RESTARTING>CANCELED', 'RESTARTING>FAILED', 'RESTARTING>SUSPENDED',
  'CANCELLING>CANCELED', 'CANCELLING>FAILED', 'CANCELLING>SUSPENDED',
]);

describe('ExecutionState', () => {
  it("allows exactly Flink's transitions between the nine states", () => {
    assert.equal(EXECUTION_STATES.length, 9);
    for (const from of EXECUTION_STATES) {
      for (const to of EXECUTION_STATES) {
        assert.equal(isLegalExecutionTransition(from, to), EXECUTION_ARROWS.has(`${from}>${to}`), `${from} -> ${to}`);
      }
    }
  });

  it('refuses CANCELING -> FINISHED: a task that finishes while canceling counts as canceled', () => {
    assert.equal(isLegalExecutionTransition('CANCELING', 'FINISHED'), false);
  });

  it('treats FINISHED, CANCELED and FAILED as terminal, with no way out', () => {
    const terminal: ExecutionState[] = EXECUTION_STATES.filter(isTerminalExecutionState);
    assert.deepEqual(terminal, ['FINISHED', 'CANCELED', 'FAILED']);
    for (const from of terminal) for (const to of EXECUTION_STATES) assert.equal(isLegalExecutionTransition(from, to), false);
  });
});

describe('JobStatus', () => {
  it("allows exactly Flink's transitions between the ten statuses", () => {
    assert.equal(JOB_STATUSES.length, 10);
    for (const from of JOB_STATUSES) {
      for (const to of JOB_STATUSES) {
        assert.equal(isLegalJobTransition(from, to), JOB_ARROWS.has(`${from}>${to}`), `${from} -> ${to}`);
      }
    }
  });

  it('treats FINISHED, CANCELED and FAILED as globally terminal and SUSPENDED as terminal only locally', () => {
    const globally: JobStatus[] = JOB_STATUSES.filter(isGloballyTerminal);
    const locally: JobStatus[] = JOB_STATUSES.filter(isLocallyTerminal);
    assert.deepEqual(globally, ['CANCELED', 'FINISHED', 'FAILED']);
    assert.deepEqual(locally, ['CANCELED', 'FINISHED', 'FAILED', 'SUSPENDED']);
    for (const from of locally) for (const to of JOB_STATUSES) assert.equal(isLegalJobTransition(from, to), false);
  });
});
