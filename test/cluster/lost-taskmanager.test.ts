/**
 * One TaskManager of three killed with -9 under fixedDelayRestart(1, 200): the restart must not be
 * deployed to the dead TaskManager (it would cost the one restart allowed), and a deployment that
 * fails as unreachable must not count as a failure. Deterministic under load: run it with a CPU hog
 * on both cores.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import type { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import { ClusterClient, startJobManager, startTaskManager, stopClusterProcesses, testJob, waitFor } from './cluster-harness.js';

after(stopClusterProcesses);

it('restarts a job once, not twice, when one of three TaskManagers is killed with -9', async () => {
  // Heartbeats slower than the restart delay: the restart comes before the heartbeats notice the loss.
  const heartbeats = { 'heartbeat.interval': '2 s', 'heartbeat.timeout': '20 s' };
  const config = { ...heartbeats, 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.attempts': '1', 'restart-strategy.fixed-delay.delay': '200 ms' };
  const jobManager = await startJobManager({ config });
  const taskManagers = await Promise.all([0, 1, 2].map(() => startTaskManager(jobManager.address, { slots: 2, config: heartbeats })));
  const client = await ClusterClient.connect(jobManager.address);
  await client.waitForSlots(6);
  // Three sources feed three sinks through a rebalance edge, one pair per TaskManager: the kill
  // breaks the channels of the other two at once, before the JobMaster has noticed the loss.
  const graph = testJob('three ways', await client.uploadTestTasks(), [
    ['Source', 3, 'runFor'],
    ['Sink', 3, 'runFor'],
  ]);
  // Test tasks send no end of partition: a consumer must end before its producers do, with room
  // for the deployments of one round to be seconds apart under load.
  graph.vertices[0]!.operators = [{ id: 'source', name: 'Source', configJson: JSON.stringify({ ms: 8_000 }) }];
  graph.vertices[1]!.operators = [{ id: 'sink', name: 'Sink', configJson: JSON.stringify({ ms: 5_000 }) }];
  const jobId = await client.submit(graph);
  const events: dispatcher.JobEvent[] = [];
  const followed = client.followJob(jobId, (event) => events.push(event));
  followed.catch(() => undefined);
  const everyTaskStarted = async (): Promise<boolean> =>
    (await client.dispatcher.requestJob({ jobId })).vertices.every((v) => v.subtasks.every((s) => s.attempts[0]?.stateTimestamps['RUNNING'] !== undefined));
  await waitFor(everyTaskStarted, 'every task to run', 20_000);
  const running = await client.dispatcher.requestJob({ jobId });
  const used = new Set(running.vertices.flatMap((v) => v.subtasks.map((s) => s.attempts[0]?.taskManagerId)));
  assert.equal(used.size, 3, 'the job runs on all three TaskManagers');
  const victim = taskManagers[0]!;
  await victim.kill('SIGKILL');

  await followed;
  const details = await client.dispatcher.requestJob({ jobId });
  assert.equal(details.status, 'FINISHED', `the job ended ${details.status}: ${details.failureCause?.message ?? ''}`);
  assert.equal(details.restarts, 1, 'one restart for one lost TaskManager');
  assert.deepEqual(
    events.filter((event) => event.kind === 'job').map((event) => `${event.from}->${event.to}`),
    ['CREATED->RUNNING', 'RUNNING->RESTARTING', 'RESTARTING->RUNNING', 'RUNNING->FINISHED'],
  );
  for (const vertex of details.vertices) {
    for (const subtask of vertex.subtasks) {
      const last = subtask.attempts.at(-1)!;
      assert.equal(last.state, 'FINISHED');
      assert.notEqual(last.taskManagerId, victim.taskManagerId, 'nothing finished on the killed TaskManager');
    }
  }
  assert.equal(jobManager.lines.filter((line) => line['jobId'] === jobId && line.msg === 'Job failed; restarting').length, 1);
});
