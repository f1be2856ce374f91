/**
 * A JobManager and two TaskManagers as child processes: jobs from submission to their end, their
 * transitions as logged and as streamed, cancel, failures and restarts, slot shortage, and the
 * JobGraphs the Dispatcher refuses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { eddy_jobgraph_v1 as jg } from '@eddy/proto';
import { newJobId, RUNTIME_CONTRACT_VERSION } from '@eddy/runtime';
import { ClusterClient, stopClusterProcesses, startJobManager, startTaskManager, testJob, waitFor, type JobManagerProcess, type LogLine, type TaskManagerProcess } from './cluster-harness.js';

after(stopClusterProcesses);

const SUCCESS_PATH = ['CREATED', 'SCHEDULED', 'DEPLOYING', 'INITIALIZING', 'RUNNING', 'FINISHED'];

describe('a cluster of one JobManager and two TaskManagers', () => {
  let jobManager: JobManagerProcess;
  let taskManagers: TaskManagerProcess[];
  let client: ClusterClient;
  let blobKey: string;

  before(async () => {
    jobManager = await startJobManager();
    taskManagers = await Promise.all([startTaskManager(jobManager.address, { slots: 2 }), startTaskManager(jobManager.address, { slots: 2 })]);
    client = await ClusterClient.connect(jobManager.address);
    await client.waitForSlots(4);
    blobKey = await client.uploadTestTasks();
  });

  /** JobManager transition lines of one job, as [vertexId, subtask, attempt, from, to, taskManager]. */
  function transitionsOf(jobId: string): LogLine[] {
    return jobManager.lines.filter((line) => line['jobId'] === jobId && typeof line['vertexId'] === 'string' && / switched from /.test(line.msg));
  }

  /**
   * Each attempt's lines chain from CREATED to a terminal state, one line per transition, in order.
   * The lines come through the JobManager's stdout pipe, which may lag behind the RPC that said the
   * job ended: it first waits, with a deadline, until every attempt's last line is terminal.
   */
  async function assertEveryAttemptChains(jobId: string): Promise<number> {
    const terminal = ['FINISHED', 'CANCELED', 'FAILED'];
    const lastStates = (): Map<string, string> => {
      const last = new Map<string, string>();
      for (const line of transitionsOf(jobId)) last.set(`${String(line['vertexId'])}/${String(line['subtask'])}/${String(line['attempt'])}`, String(line['to']));
      return last;
    };
    await waitFor(() => [...lastStates().values()].every((state) => terminal.includes(state)), () => `every attempt's terminal line in the JobManager's log: ${JSON.stringify([...lastStates()])}`, 10_000);
    const byAttempt = new Map<string, LogLine[]>();
    for (const line of transitionsOf(jobId)) {
      const key = `${String(line['vertexId'])}/${String(line['subtask'])}/${String(line['attempt'])}`;
      byAttempt.set(key, [...(byAttempt.get(key) ?? []), line]);
    }
    for (const [attempt, lines] of byAttempt) {
      assert.equal(lines[0]?.['from'], 'CREATED', `${attempt} starts at CREATED`);
      for (let i = 1; i < lines.length; i++) assert.equal(lines[i]?.['from'], lines[i - 1]?.['to'], `${attempt}: ${lines.map((l) => l['to']).join(' -> ')}`);
      assert.ok(terminal.includes(String(lines.at(-1)?.['to'])), `${attempt} ends terminal`);
    }
    return byAttempt.size;
  }

  it('runs a job spread over both TaskManagers to FINISHED, each transition of each attempt logged once and in order', async () => {
    const graph = testJob('spread', blobKey, [
      ['Source', 2, 'runFor'],
      ['Map -> Filter', 2, 'finishImmediately'],
      // The test invokables serve no data: a consumer that connects only after its producer ended
      // (deploying slowly on a loaded machine) sees the producer gone and fails. The sources run
      // long enough for the consumers, which finish at once, to be done before them.
    ], { 'test.run-for': '2000' });
    const jobId = await client.submit(graph);
    const followed = client.followJob(jobId);
    const details = await client.waitForStatus(jobId, 'FINISHED');

    const taskManagersUsed = new Set(details.vertices.flatMap((vertex) => vertex.subtasks.map((subtask) => subtask.attempts.at(-1)?.taskManagerId)));
    assert.deepEqual([...taskManagersUsed].sort(), taskManagers.map((tm) => tm.taskManagerId).sort());

    const lines = transitionsOf(jobId);
    for (const vertex of graph.vertices) {
      for (let subtask = 0; subtask < vertex.parallelism; subtask++) {
        const mine = lines.filter((line) => line['vertexId'] === vertex.id && line['subtask'] === subtask && line['attempt'] === 0);
        const path = [mine[0]?.['from'], ...mine.map((line) => line['to'])];
        assert.deepEqual(path, SUCCESS_PATH, `transitions of ${vertex.name} (${subtask + 1}/${vertex.parallelism})`);
        assert.equal(mine[0]?.msg, `${vertex.name} (${subtask + 1}/${vertex.parallelism}) (attempt 0) switched from CREATED to SCHEDULED`);
        const running = mine.find((line) => line['to'] === 'RUNNING');
        assert.ok(taskManagersUsed.has(running?.['taskManager'] as string), 'the RUNNING line names the TaskManager');
      }
    }
    // The TaskManagers log their side of the same transitions.
    const taskManagerLines = taskManagers.flatMap((tm) => tm.lines.filter((line) => line['jobId'] === jobId && line.msg.includes('switched from INITIALIZING to RUNNING')));
    assert.equal(taskManagerLines.length, 4);

    const events = await followed;
    assert.deepEqual(events.filter((event) => event.kind === 'info' && event.message.startsWith('Waiting for slots')), [], 'no "Waiting for slots" while the slots are merely offered');
    const taskEvents = events.filter((event) => event.kind === 'task');
    assert.equal(taskEvents.length, lines.length, 'the followed stream carries every logged transition');
    assert.deepEqual(
      events.filter((event) => event.kind === 'job').map((event) => event.to),
      ['RUNNING', 'FINISHED'],
    );
  });

  it('cancels a running job: every task goes CANCELING then CANCELED and the slots become free', async () => {
    const jobId = await client.submit(testJob('forever', blobKey, [['Forever', 4, 'runForever']]));
    await waitFor(async () => (await client.dispatcher.requestJob({ jobId })).vertices[0]!.subtasks.every((s) => s.attempts.at(-1)?.state === 'RUNNING'), 'all tasks RUNNING');
    await client.dispatcher.cancelJob({ jobId });
    const details = await client.waitForStatus(jobId, 'CANCELED');
    for (const subtask of details.vertices[0]!.subtasks) {
      const attempt = subtask.attempts.at(-1)!;
      assert.equal(attempt.state, 'CANCELED');
      assert.ok(attempt.stateTimestamps['CANCELING'] !== undefined, 'went through CANCELING');
    }
    await waitFor(async () => (await client.resourceManager.requestTaskManagers({})).taskManagers.every((tm) => tm.slotsFree === tm.slotsTotal), 'all slots free again');
  });

  it('restarts a failing task with new attempt numbers, then fails the job with the root cause once the strategy gives up', async () => {
    const graph = testJob('failing', blobKey, [['Thrower', 2, 'throwError']], {
      'test.error-message': 'boom from the test task',
      'restart-strategy.type': 'fixed-delay',
      'restart-strategy.fixed-delay.attempts': '2',
      'restart-strategy.fixed-delay.delay': '50 ms',
    });
    const jobId = await client.submit(graph);
    const details = await client.waitForStatus(jobId, 'FAILED');
    assert.equal(details.restarts, 2);
    assert.deepEqual(details.vertices[0]!.subtasks[0]!.attempts.map((attempt) => attempt.attempt), [0, 1, 2]);
    assert.equal(details.failureCause?.message, 'boom from the test task');
    assert.match(details.failureCause?.stack ?? '', /throwError/);
    assert.equal(await assertEveryAttemptChains(jobId), 6, 'two subtasks, three attempts each, every one logged as one chain');
    const restarts = jobManager.lines.filter((line) => line['jobId'] === jobId && line.msg === 'Job failed; restarting');
    const giveUps = jobManager.lines.filter((line) => line['jobId'] === jobId && line.msg === 'Job failed; the restart strategy gives up');
    assert.equal(restarts.length, 2);
    assert.equal(giveUps.length, 1, 'the final failure is logged once');
    assert.match(String(giveUps[0]?.['rootCause']), /boom from the test task/);
    assert.match(String(giveUps[0]?.['decision']), /no restart/);
  });

  it('recovers a job whose first attempt fails and finishes it', async () => {
    const jobId = await client.submit(testJob('flaky', blobKey, [['Flaky', 2, 'failOnFirstAttempts']], { 'test.fail-attempts': '1', 'test.run-for': '50' }));
    const details = await client.waitForStatus(jobId, 'FINISHED');
    assert.equal(details.restarts, 1);
    assert.equal(await assertEveryAttemptChains(jobId), 4);
  });

  it('hands out input splits lazily, each exactly once', async () => {
    const graph = testJob('splits', blobKey, [['Reader', 2, 'readSplits']]);
    graph.vertices[0]!.inputSplits = Array.from({ length: 10 }, (_, i) => `split-${i}`);
    const jobId = await client.submit(graph);
    await client.waitForStatus(jobId, 'FINISHED');
  });

  it('says at once that a job needs more slots than the cluster has, waits slot.request.timeout for TaskManagers, then fails it with the slot arithmetic', async () => {
    const jobId = await client.submit(testJob('too big', blobKey, [['Wide', 6, 'finishImmediately']], { 'slot.request.timeout': '2 s' }));
    const events = await client.followJob(jobId);
    const text = 'needs 6 slots but the cluster has 4 in total; add TaskManagers or lower the parallelism';
    const waiting = events.filter((event) => event.kind === 'info' && event.message.startsWith('Waiting for slots'));
    assert.deepEqual(
      waiting.map((event) => event.message),
      [`Waiting for slots: ${text} (waiting up to 2 s for TaskManagers to join: slot.request.timeout)`],
      'said once, and nothing else about slots',
    );
    const started = events.find((event) => event.kind === 'job' && event.to === 'RUNNING')!;
    const failing = events.find((event) => event.kind === 'job' && event.to === 'FAILING')!;
    assert.ok(waiting[0]!.timestamp - started.timestamp < 1_000, `said ${waiting[0]!.timestamp - started.timestamp} ms after the job started`);
    assert.ok(failing.timestamp - started.timestamp >= 2_000, 'it still waited slot.request.timeout');
    const details = await client.waitForStatus(jobId, 'FAILED');
    assert.equal(details.failureCause?.name, 'NoResourceAvailableError');
    assert.match(details.failureCause?.message ?? '', /needs 6 slots/);
    assert.match(details.failureCause?.message ?? '', /got 4, and the cluster has 0 free of 4 on 2 TaskManagers/);
    assert.match(details.failureCause?.message ?? '', /slot\.request\.timeout/);
  });

  it('keeps ended jobs queryable and lists them', async () => {
    const { jobs } = await client.dispatcher.listJobs({ includeFinished: true });
    const names = jobs.map((job) => `${job.name}:${job.status}`);
    assert.ok(names.includes('spread:FINISHED'));
    assert.ok(names.includes('forever:CANCELED'));
    assert.ok(names.includes('failing:FAILED'));
  });

  describe('refuses at submission', () => {
    const refusals: [string, (graph: jg.JobGraph) => void, RegExp][] = [
      ['a cycle', (g) => g.edges.push({ sourceVertexId: 'v1', targetVertexId: 'v0', partitioner: 'rebalance', distributionPattern: 'ALL_TO_ALL' }), /cycle/i],
      ['a dangling edge', (g) => g.edges.push({ sourceVertexId: 'v1', targetVertexId: 'nowhere', partitioner: 'rebalance', distributionPattern: 'ALL_TO_ALL' }), /nowhere/],
      ['parallelism below 1', (g) => (g.vertices[0]!.parallelism = 0), /parallelism/],
      ['parallelism above max parallelism', (g) => (g.vertices[0]!.maxParallelism = 1), /max/i],
      ['an unknown partitioner', (g) => (g.edges[0]!.partitioner = 'zigzag'), /zigzag/],
      [
        'a pointwise edge between incompatible parallelisms',
        (g) => {
          g.vertices[0]!.parallelism = 3;
          g.vertices[1]!.parallelism = 2;
          g.edges[0]!.partitioner = 'rescale';
          g.edges[0]!.distributionPattern = 'POINTWISE';
        },
        /3.*2|2.*3/,
      ],
    ];
    for (const [what, breakIt, reason] of refusals) {
      it(`a JobGraph with ${what}, naming the reason`, async () => {
        const graph = testJob('invalid', blobKey, [
          ['A', 2, 'finishImmediately'],
          ['B', 2, 'finishImmediately'],
        ]);
        breakIt(graph);
        await assert.rejects(client.submit(graph), (error: Error) => {
          assert.match(error.message, /InvalidJobGraphError/);
          assert.match(error.message, reason);
          return true;
        });
        await assert.rejects(client.status(graph.jobId), /No job/);
      });
    }

    it('a job id it already knows', async () => {
      const graph = testJob('twice', blobKey, [['Once', 1, 'finishImmediately']]);
      await client.submit(graph);
      await assert.rejects(client.submit(graph), /already submitted/);
      await client.waitForStatus(graph.jobId, 'FINISHED');
      await assert.rejects(client.submit(graph), /already submitted/);
    });

    it('a job whose bundle speaks another version of the bundle/runtime contract, naming both versions', async () => {
      for (const [version, which] of [
        [1, 'an older'],
        [RUNTIME_CONTRACT_VERSION + 1, 'a newer'],
      ] as const) {
        const graph = testJob(`contract ${version}`, blobKey, [['A', 1, 'finishImmediately']]);
        graph.contractVersion = version;
        await assert.rejects(client.submit(graph), new RegExp(`built by ${which} Eddy client: it speaks version ${version} of the contract between job bundles and the runtime, this cluster speaks version ${RUNTIME_CONTRACT_VERSION}`));
        await assert.rejects(client.status(graph.jobId), /No job/);
      }
    });

    it('a job whose code is not in the blob store', async () => {
      const graph = testJob('no code', 'a'.repeat(64), [['A', 1, 'finishImmediately']]);
      graph.jobId = newJobId();
      await assert.rejects(client.submit(graph), /not in the blob store/);
    });
  });
});
