/**
 * A JobMaster with in-process stand-ins: a ResourceManager gateway that only answers, and
 * TaskExecutors on RpcServices of their own, so that stopping one makes calls to it fail as a dead
 * process's do (connection refused). The test plays the TaskManagers' side of the protocol itself.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Configuration, createRootLogger, silentLogger, type Logger } from '@eddy/common';
import { eddy_cluster_v1 as cluster, eddy_dispatcher_v1 as dispatcher, eddy_jobmaster_v1 as jm, eddy_resourcemanager_v1 as rm, eddy_taskexecutor_v1 as te } from '@eddy/proto';
import { RpcService } from '@eddy/rpc';
import { JobGraphBuilder } from '@eddy/cluster-common';
import { CollectedResults } from '../../src/collect/collected-results.js';
import { JobMaster, type JobMasterListener } from '../../src/jobmaster/job-master.js';
import { capturingLogger } from '../fixtures/capturing-logger.js';
import { AcceptingTaskExecutor } from '../fixtures/testing-task-executor.js';

/** Named like the real one, so the JobMaster takes a refused cancel for "not running here". */
class TaskNotFoundError extends Error {
  override readonly name = 'TaskNotFoundError';
}

/** A TaskExecutor that records what the JobMaster asks and answers heartbeats with what the test says it holds. */
class TestingTaskExecutor extends AcceptingTaskExecutor {
  readonly submitted: te.TaskDeploymentDescriptor[] = [];
  readonly cancels: string[] = [];
  /** The attempts its heartbeat answers name; by default the ones submitted here. */
  holds: (() => string[]) | undefined;
  /** Whether a cancel is taken (the attempt stays CANCELING until it reports its end) instead of refused as not running here. */
  acceptsCancel = false;
  heartbeats = 0;

  constructor(rpc: RpcService, readonly taskManagerId: string) {
    super(rpc, 'taskexecutor');
  }

  override submitTask(request: te.SubmitTaskRequest): Promise<cluster.Ack> {
    this.submitted.push(request.deployment!);
    return Promise.resolve({});
  }
  override cancelTask(request: te.CancelTaskRequest): Promise<cluster.Ack> {
    this.cancels.push(request.executionAttemptId);
    if (this.acceptsCancel) return Promise.resolve({});
    return Promise.reject(new TaskNotFoundError(`not running ${request.executionAttemptId}`));
  }
  override heartbeatFromJobManager(): Promise<te.TaskExecutorHeartbeatResponse> {
    this.heartbeats++;
    const ids = this.holds?.() ?? this.submitted.map((deployment) => deployment.executionAttemptId);
    return Promise.resolve({ known: true, payload: null, slotReport: null, executionAttemptIds: ids });
  }
}

class RecordingListener implements JobMasterListener {
  readonly events: dispatcher.JobEvent[] = [];
  terminated: string | undefined;
  notifyJobEvent(event: dispatcher.JobEvent): void {
    this.events.push(event);
  }
  notifyCollectedRecords(): void {}
  notifyJobTerminated(_jobId: string, status: string): void {
    this.terminated = status;
  }
  jobTransitions(): string[] {
    return this.events.filter((event) => event.kind === 'job').map((event) => `${event.from}->${event.to}`);
  }
}

const resourceManager: rm.ResourceManagerGateway = {
  registerTaskExecutor: () => Promise.reject(new Error('not used')),
  sendSlotReport: () => Promise.resolve({}),
  declareRequiredResources: () => Promise.resolve({ taskManagers: 3, slotsTotal: 3, slotsFree: 0, slotsAllocatedToJob: 2 }),
  heartbeat: () => Promise.reject(new Error('not used')),
  disconnectTaskManager: () => Promise.resolve({}),
  requestTaskManagers: () => Promise.resolve({ taskManagers: [] }),
  requestJobStdout: () => Promise.reject(new Error('not used')),
};

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const services: RpcService[] = [];
afterEach(async () => {
  await Promise.allSettled(services.splice(0).map((service) => service.stop()));
});

/**
 * A JobMaster of a job with one vertex of `parallelism` subtasks, and `count` TaskExecutors, each on
 * its own RpcService. `logger`: where the JobMaster logs (a test that watches its lines).
 */
async function setUp(parallelism: number, count: number, configuration: Record<string, string>, logger?: Logger) {
  const rpc = await RpcService.start();
  services.push(rpc);
  const graph = new JobGraphBuilder('test job').vertex({ id: 'v0', name: 'Worker', parallelism, invokable: 'runFor' }).build();
  const listener = new RecordingListener();
  const jobMaster = new JobMaster(rpc, graph, {
    configuration: Configuration.fromRecord({ 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.attempts': '1', 'restart-strategy.fixed-delay.delay': '10 ms', ...configuration }),
    resourceManager,
    listener,
    collectedResults: new CollectedResults(graph.jobId, 1 << 20, 60_000),
    logger: logger ?? (process.env['DEBUG_JM'] ? createRootLogger({ name: 'jm', level: 'debug' }) : silentLogger()),
  });
  await jobMaster.start();
  const gateway = await rpc.connect(jobMaster.address, jm.JobMasterGateway, jobMaster.jobMasterId);
  const executors: TestingTaskExecutor[] = [];
  for (let i = 0; i < count; i++) {
    const own = await RpcService.start();
    services.push(own);
    const executor = new TestingTaskExecutor(own, `tm-${i}`);
    await executor.start();
    await gateway.registerTaskManager({ taskManager: { taskManagerId: executor.taskManagerId, address: executor.address } });
    executors.push(executor);
  }
  const offer = (executor: TestingTaskExecutor, allocationId: string) => gateway.offerSlots({ taskManagerId: executor.taskManagerId, offers: [{ allocationId, slotIndex: 0 }] });
  const report = (deployment: te.TaskDeploymentDescriptor, state: string) =>
    gateway.updateTaskExecutionState({ executionAttemptId: deployment.executionAttemptId, state, error: null, taskManagerId: '', numRecordsIn: 0, numRecordsOut: 0, numBytesIn: 0, numBytesOut: 0 });
  return { rpc, jobMaster, gateway, listener, executors, offer, report };
}

describe('JobMaster', () => {
  it('deploys again on other slots, without a restart, when a TaskManager cannot be reached to deploy a task', async () => {
    // Heartbeats so rare that only the failed deployment can tell the JobMaster the TaskManager is gone.
    const log = capturingLogger('trace');
    const { jobMaster, listener, executors, offer, report } = await setUp(2, 3, { 'heartbeat.interval': '60 s', 'heartbeat.timeout': '120 s' }, log.logger);
    const [dead, alive, spare] = executors as [TestingTaskExecutor, TestingTaskExecutor, TestingTaskExecutor];
    // It answered its first heartbeat and the JobMaster has the answer; the next is a minute away. Then its process dies.
    await waitFor(() => log.lines.some((line) => line['target'] === 'tm-0' && line['msg'] === 'Received heartbeat answer'), 'the JobMaster to have the answer to its first heartbeat');
    assert.equal(dead.heartbeats, 1);
    await services[1]!.stop(); // the RpcService of tm-0 (services[0] is the JobMaster's)
    await offer(dead, 'slot-dead');
    await offer(alive, 'slot-alive');
    await waitFor(() => alive.cancels.length === 1, 'the deployment round to be withdrawn');
    assert.equal(jobMaster.graph.state, 'RUNNING');
    assert.equal(jobMaster.graph.restarts, 0, 'not a restart');
    const withdrawn = listener.events.find((event) => event.kind === 'info' && event.message.startsWith('Could not reach TaskManager tm-0'));
    assert.match(withdrawn?.message ?? '', /deploying every task again on other slots \(not counted as a restart\)$/);

    // The job waits for a slot elsewhere and gets one; the dead TaskManager's slot is not used again.
    await offer(spare, 'slot-spare');
    await waitFor(() => alive.submitted.length === 2 && spare.submitted.length === 1, 'the second round');
    for (const deployment of [alive.submitted[1]!, spare.submitted[0]!]) {
      assert.equal(deployment.attemptNumber, 1);
      await report(deployment, 'RUNNING');
      await report(deployment, 'FINISHED');
    }
    await waitFor(() => listener.terminated !== undefined, 'the job to end');
    assert.equal(listener.terminated, 'FINISHED');
    assert.equal(jobMaster.graph.restarts, 0);
    assert.deepEqual(listener.jobTransitions(), ['CREATED->RUNNING', 'RUNNING->FINISHED']);
    const failedAttempt = [...jobMaster.graph.allExecutionVertices()].flatMap((vertex) => vertex.priorExecutions).find((execution) => execution.state === 'FAILED');
    assert.equal(failedAttempt?.failureCause?.name, 'RpcUnreachableError');
  });

  it('fails an attempt whose TaskManager no longer has it, once the TaskManager acknowledged its deployment', async () => {
    const { jobMaster, listener, executors, offer, report } = await setUp(2, 2, { 'heartbeat.interval': '50 ms', 'heartbeat.timeout': '10 s', 'restart-strategy.type': 'none' });
    const [losing, keeping] = executors as [TestingTaskExecutor, TestingTaskExecutor];
    await offer(losing, 'slot-a');
    await offer(keeping, 'slot-b');
    await waitFor(() => losing.submitted.length === 1 && keeping.submitted.length === 1, 'both deployments');
    await report(losing.submitted[0]!, 'RUNNING');
    await report(keeping.submitted[0]!, 'RUNNING');
    // Its task ended, and the report of it was lost for good.
    losing.holds = () => [];
    await waitFor(() => listener.terminated !== undefined, 'the job to end');
    assert.equal(listener.terminated, 'FAILED');
    const cause = jobMaster.graph.failureCause;
    assert.equal(cause?.name, 'ExecutionLostError');
    assert.match(cause?.message ?? '', /^Worker \(\d\/2\) \(attempt 0\) is unexpectedly no longer running on TaskManager tm-0, and its end was never reported$/);
    assert.match(cause?.location ?? '', /^Worker \(\d\/2\) \(attempt 0\) on tm-0 /);
  });

  /** A job of `parallelism` subtasks RUNNING on as many TaskManagers that take cancels, and a way to report a subtask FAILED. */
  async function runningJobThatFails(parallelism: number) {
    const { jobMaster, gateway, listener, executors, offer, report } = await setUp(parallelism, parallelism, { 'heartbeat.interval': '50 ms', 'heartbeat.timeout': '10 s', 'restart-strategy.type': 'none' });
    for (const [i, executor] of executors.entries()) {
      executor.acceptsCancel = true;
      await offer(executor, `slot-${i}`);
    }
    await waitFor(() => executors.every((executor) => executor.submitted.length === 1), 'every deployment');
    for (const executor of executors) await report(executor.submitted[0]!, 'RUNNING');
    const fail = (executor: TestingTaskExecutor, name: string, message: string) =>
      gateway.updateTaskExecutionState({ executionAttemptId: executor.submitted[0]!.executionAttemptId, state: 'FAILED', error: { name, message, stack: '', location: '' }, taskManagerId: '', numRecordsIn: 0, numRecordsOut: 0, numBytesIn: 0, numBytesOut: 0 });
    return { jobMaster, listener, executors, fail };
  }

  it('takes as the root cause of a failover the real failure that arrives after a consequence of it (a lost channel) was reported first', async () => {
    const { jobMaster, listener, executors, fail } = await runningJobThatFails(3);
    const [consumer, producer, other] = executors as [TestingTaskExecutor, TestingTaskExecutor, TestingTaskExecutor];
    // The consumer's TaskManager noticed the lost channel first; the producer's own failure came second.
    await fail(consumer, 'ChannelClosedError', 'Input channel 1 was closed before its END_OF_PARTITION');
    await waitFor(() => jobMaster.graph.state === 'FAILING', 'the failover');
    await fail(producer, 'ERR_WORKER_OUT_OF_MEMORY', 'Worker terminated due to reaching memory limit: JS heap out of memory');
    // A further consequence does not take the place of the real failure.
    await fail(other, 'ConnectionLostError', 'Lost the connection to TaskManager tm-1');
    await waitFor(() => listener.terminated !== undefined, 'the job to end');
    assert.equal(listener.terminated, 'FAILED');
    assert.equal(jobMaster.graph.failureCause?.name, 'ERR_WORKER_OUT_OF_MEMORY');
    assert.match(jobMaster.graph.failureCause?.location ?? '', /on tm-1 /);
    const failed = listener.events.find((event) => event.kind === 'job' && event.to === 'FAILED');
    assert.equal(failed?.cause?.name, 'ERR_WORKER_OUT_OF_MEMORY', 'the FAILED transition carries the root cause');
  });

  it('keeps the first failure as the root cause when it is not a consequence of another', async () => {
    const { jobMaster, listener, executors, fail } = await runningJobThatFails(2);
    await fail(executors[0]!, 'TypeError', 'the user function threw');
    await waitFor(() => jobMaster.graph.state === 'FAILING', 'the failover');
    await fail(executors[1]!, 'RangeError', 'another task threw while canceling');
    await waitFor(() => listener.terminated !== undefined, 'the job to end');
    assert.equal(jobMaster.graph.failureCause?.name, 'TypeError');
  });

  it('cancels on the TaskManager an attempt that the JobMaster does not expect there', async () => {
    const { executors, offer } = await setUp(1, 1, { 'heartbeat.interval': '50 ms', 'heartbeat.timeout': '10 s' });
    const [executor] = executors as [TestingTaskExecutor];
    await offer(executor, 'slot-a');
    await waitFor(() => executor.submitted.length === 1, 'the deployment');
    executor.holds = () => [executor.submitted[0]!.executionAttemptId, 'v0-0-7-abcdef'];
    await waitFor(() => executor.cancels.includes('v0-0-7-abcdef'), 'the unknown attempt to be canceled');
    assert.equal(executor.cancels.includes(executor.submitted[0]!.executionAttemptId), false, 'the expected one runs on');
  });
});
