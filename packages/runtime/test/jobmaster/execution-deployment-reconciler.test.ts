import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExecutionDeploymentReconciler, type ExpectedDeployment } from '../../src/jobmaster/execution-deployment-reconciler.js';

function reconciler() {
  const missing: [string, string][] = [];
  const unknown: [string, string][] = [];
  const subject = new ExecutionDeploymentReconciler({
    onMissingDeployment: (attemptId, taskManagerId) => missing.push([attemptId, taskManagerId]),
    onUnknownDeployment: (attemptId, taskManagerId) => unknown.push([attemptId, taskManagerId]),
  });
  return { subject, missing, unknown };
}

const on = (...pairs: [string, string][]): ExpectedDeployment[] => pairs.map(([attemptId, state]) => ({ attemptId, state }));

describe('ExecutionDeploymentReconciler', () => {
  it('reports an acknowledged attempt the TaskManager no longer names as missing, in each state the JobMaster thinks runs', () => {
    const { subject, missing, unknown } = reconciler();
    for (const id of ['a', 'b', 'c', 'd']) subject.deploymentAcknowledged(id);
    subject.heartbeatRequested('tm-1');
    subject.reconcile('tm-1', ['b'], on(['a', 'RUNNING'], ['b', 'RUNNING'], ['c', 'INITIALIZING'], ['d', 'CANCELING']));
    assert.deepEqual(missing, [['a', 'tm-1'], ['c', 'tm-1'], ['d', 'tm-1']]);
    assert.deepEqual(unknown, []);
  });

  it('leaves attempts alone that ended or were never deployed in the JobMaster\'s view', () => {
    const { subject, missing } = reconciler();
    for (const id of ['a', 'b', 'c']) subject.deploymentAcknowledged(id);
    subject.heartbeatRequested('tm-1');
    subject.reconcile('tm-1', [], on(['a', 'FINISHED'], ['b', 'FAILED'], ['c', 'CANCELED'], ['s', 'SCHEDULED']));
    assert.deepEqual(missing, []);
  });

  it('does not take a deployment for missing when the TaskManager acknowledged it after the heartbeat was requested', () => {
    const { subject, missing } = reconciler();
    subject.heartbeatRequested('tm-1');
    // The deployment raced the heartbeat: the TaskManager answered the heartbeat first.
    subject.deploymentAcknowledged('late');
    subject.reconcile('tm-1', [], on(['late', 'DEPLOYING']));
    assert.deepEqual(missing, []);
    // Not yet acknowledged at all: not missing either.
    subject.heartbeatRequested('tm-1');
    subject.reconcile('tm-1', [], on(['unacknowledged', 'DEPLOYING']));
    assert.deepEqual(missing, []);
    // The next heartbeat, requested after the acknowledgement, counts.
    subject.heartbeatRequested('tm-1');
    subject.reconcile('tm-1', [], on(['late', 'RUNNING']));
    assert.deepEqual(missing, [['late', 'tm-1']]);
  });

  it('reports attempts the TaskManager names in two answers in a row that the JobMaster does not expect there as unknown', () => {
    const { subject, missing, unknown } = reconciler();
    subject.deploymentAcknowledged('current');
    subject.heartbeatRequested('tm-1');
    // 'superseded' belongs to an earlier attempt; 'done' ended in the JobMaster's view but still runs there;
    // 'ending' just finished, and its thread and final report are on their way out.
    subject.reconcile('tm-1', ['current', 'superseded', 'done', 'ending'], on(['current', 'RUNNING'], ['done', 'FAILED'], ['ending', 'FINISHED']));
    assert.deepEqual(unknown, [], 'one answer is not enough');
    subject.heartbeatRequested('tm-1');
    subject.reconcile('tm-1', ['current', 'superseded', 'done'], on(['current', 'RUNNING'], ['done', 'FAILED'], ['ending', 'FINISHED']));
    assert.deepEqual(unknown, [['superseded', 'tm-1'], ['done', 'tm-1']]);
    assert.deepEqual(missing, []);
    // The grace starts again for an attempt that was gone in between.
    subject.heartbeatRequested('tm-1');
    subject.reconcile('tm-1', ['current'], on(['current', 'RUNNING']));
    subject.heartbeatRequested('tm-1');
    subject.reconcile('tm-1', ['current', 'superseded'], on(['current', 'RUNNING']));
    assert.equal(unknown.length, 2);
  });

  it('reconciles nothing for a TaskManager it never requested a heartbeat from, or forgot', () => {
    const { subject, missing, unknown } = reconciler();
    subject.deploymentAcknowledged('a');
    subject.reconcile('tm-1', ['x'], on(['a', 'RUNNING']));
    subject.heartbeatRequested('tm-2');
    subject.forgetTaskManager('tm-2');
    subject.reconcile('tm-2', ['x'], on(['a', 'RUNNING']));
    assert.deepEqual([missing, unknown], [[], []]);
  });

  it('forgets attempts it was told ended', () => {
    const { subject, missing } = reconciler();
    subject.deploymentAcknowledged('a');
    subject.forgetAttempt('a');
    subject.heartbeatRequested('tm-1');
    subject.reconcile('tm-1', [], on(['a', 'RUNNING']));
    assert.deepEqual(missing, [], 'an attempt whose acknowledgement is forgotten counts as not yet acknowledged');
  });
});
