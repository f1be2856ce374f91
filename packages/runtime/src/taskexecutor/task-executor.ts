/**
 * TaskExecutor: the TaskManager's endpoint. It owns the TaskManager's slots and runs each
 * deployed task in its own worker thread (TaskThread).
 *
 * Responsibility
 *   - Registers at the ResourceManager and keeps trying, with exponential backoff, forever; logs
 *     where it tries and why it failed. Registers again when the ResourceManager is lost.
 *   - Allocates a slot when the ResourceManager asks (requestSlot), connects to that job's
 *     JobMaster, registers there and offers the slot. Slots the JobMaster declines become free.
 *   - Runs tasks: submitTask accepts a deployment at once (DEPLOYING) and fetches the job's code in
 *     the background, then starts the task's thread, or fails the attempt with the download's cause;
 *     a cancel while it downloads ends it at once. Reports every state change of every attempt to
 *     the JobMaster (TaskStateReporter: in order, each retried until acknowledged) and logs it in
 *     the same words the JobManager does; cancels them on request.
 *   - Heartbeats with the ResourceManager and with each JobMaster it works for; a heartbeat to a
 *     JobMaster carries its tasks' IO metrics (read from their threads' shared counters), a
 *     terminal state report their final values. Heartbeats name the job's attempts this TaskManager
 *     holds (running, or with a report not yet acknowledged), which the JobMaster reconciles with
 *     its own view. A lost JobMaster fails that job's tasks here and frees its slots.
 *
 * Threading: all state lives in the mailbox. Task threads report through callbacks that hand
 * their work back with runAsync; task code never holds a gateway.
 *
 * Lifecycle: onStop cancels every task (terminating threads that don't end within
 * taskmanager.shutdown.timeout), tells the JobMasters and the ResourceManager it is leaving, and
 * stops its heartbeats.
 */
import { Backoff, type Configuration } from '@eddy/common';
import { eddy_cluster_v1 as cluster, eddy_jobmaster_v1 as jm, eddy_resourcemanager_v1 as rm, eddy_taskexecutor_v1 as te } from '@eddy/proto';
import { RpcEndpoint, type RpcService, type ScheduledTask } from '@eddy/rpc';
import type { BlobCache } from '../blob/blob-cache.js';
import { errorInfoOf } from '../cluster/error-info.js';
import { CollectSinkOptions } from '../collect/collect-sink-options.js';
import { CollectedResultsForwarder, type CollectTarget } from '../collect/collected-results-forwarder.js';
import { isLegalExecutionTransition, isTerminalExecutionState, type ExecutionState } from '../executiongraph/execution-state.js';
import { logAttemptTransition, taskNameWithSubtask, type AttemptIdentity } from '../executiongraph/transition-log.js';
import { EventLoopLagProbe } from '../heartbeat/event-loop-lag.js';
import type { TaskWatermarkSnapshot } from '../metrics/task-io-metrics.js';
import { hostOfAddress, type MetricRegistry } from '../metrics/metric-registry.js';
import { TaskMetricsSampler } from '../metrics/task-metrics-sampler.js';
import { DefaultHeartbeatManager, type HeartbeatManager } from '../heartbeat/heartbeat-manager.js';
import { heartbeatSettings } from '../heartbeat/heartbeat-options.js';
import { RESOURCE_MANAGER_ENDPOINT_ID } from '@eddy/cluster-common';
import type { TaskManagerNetwork } from '../network/task-manager-network.js';
import { CheckpointResponder } from './checkpoint/checkpoint-responder.js';
import { TaskOptions } from './task-options.js';
import { TaskSlotTable } from './task-slot-table.js';
import { TaskStateReporter } from './task-state-reporter.js';
import { TaskThread, type SplitNotAssignedYet } from './task-thread.js';
import { isHeapLimitExceeded } from './task-worker-limits.js';
import { TaskManagerOptions } from './taskmanager-options.js';
import type { TaskManagerStdout } from './taskmanager-stdout.js';

export const TASK_EXECUTOR_ENDPOINT_ID = 'taskexecutor';
const RESOURCE_MANAGER_TARGET = 'resourcemanager';

interface RunningTask {
  readonly deployment: te.TaskDeploymentDescriptor;
  readonly identity: AttemptIdentity;
  state: ExecutionState;
  /** Undefined while the job's code downloads. */
  thread: TaskThread | undefined;
  /** Releases the task's data-plane registrations and connections. */
  releaseNetwork: () => void;
}

interface JobConnection {
  readonly jobId: string;
  readonly jobMasterAddress: string;
  readonly jobMasterId: string;
  gateway: jm.JobMasterGateway | undefined;
  registered: boolean;
}

interface ResourceManagerConnection {
  readonly gateway: rm.ResourceManagerGateway;
  readonly resourceManagerId: string;
  readonly address: string;
}

export interface TaskExecutorServices {
  readonly configuration: Configuration;
  readonly taskManagerId: string;
  /** host:port of the JobManager (its ResourceManager lives there). */
  readonly jobManagerAddress: string;
  readonly blobCache: BlobCache;
  readonly network: TaskManagerNetwork;
  /** Where print() sinks write: the .out file or stdout, and each job's recent lines. */
  readonly stdout: TaskManagerStdout;
  /** The process's metric registry: each task's metric group goes there while it runs. */
  readonly metricRegistry?: MetricRegistry;
}

export class TaskExecutor extends RpcEndpoint implements te.TaskExecutorGateway {
  readonly taskManagerId: string;
  private readonly slots: TaskSlotTable;
  private readonly tasks = new Map<string, RunningTask>();
  private readonly jobs = new Map<string, JobConnection>();
  private resourceManager: ResourceManagerConnection | undefined;
  private registrationTimer: ScheduledTask | undefined;
  private registering = false;
  private stopping = false;
  private readonly resourceManagerHeartbeats: HeartbeatManager<rm.ResourceManagerHeartbeatResponse>;
  private readonly jobMasterHeartbeats: HeartbeatManager<jm.JobMasterHeartbeatResponse>;
  private readonly lag = new EventLoopLagProbe();
  private readonly collectForwarder: CollectedResultsForwarder;
  /** Printed text in one requestJobStdout answer: rpc.max-message-size with room for the envelope, a character taking up to 3 bytes. */
  private readonly maxStdoutAnswerChars: number;
  private readonly resourceManagerAddress: string;
  private readonly registrationBackoff: Backoff;
  private readonly stateReporter: TaskStateReporter;
  private readonly refusedDelayMs: number;
  private readonly cancellationTimeoutMs: number;
  private readonly shutdownTimeoutMs: number;
  private readonly checkpointResponder: CheckpointResponder;
  private readonly taskMetrics: TaskMetricsSampler;

  constructor(
    rpcService: RpcService,
    private readonly services: TaskExecutorServices,
  ) {
    super(rpcService, te.TaskExecutorGateway, TASK_EXECUTOR_ENDPOINT_ID);
    const { configuration } = services;
    this.taskManagerId = services.taskManagerId;
    this.slots = new TaskSlotTable(configuration.get(TaskManagerOptions.numberOfTaskSlots));
    this.resourceManagerAddress = `${services.jobManagerAddress}/${RESOURCE_MANAGER_ENDPOINT_ID}`;
    const initialBackoffMs = configuration.get(TaskManagerOptions.registrationInitialBackoff);
    this.registrationBackoff = new Backoff({ initialMs: initialBackoffMs, maxMs: Math.max(initialBackoffMs, configuration.get(TaskManagerOptions.registrationMaxBackoff)) });
    this.refusedDelayMs = configuration.get(TaskManagerOptions.refusedRegistrationDelay);
    this.cancellationTimeoutMs = configuration.get(TaskOptions.cancellationTimeout);
    this.shutdownTimeoutMs = configuration.get(TaskManagerOptions.shutdownTimeout);
    const { metricRegistry } = services;
    this.taskMetrics = new TaskMetricsSampler(metricRegistry === undefined ? undefined : { registry: metricRegistry, scope: { host: hostOfAddress(rpcService.address), taskManagerId: this.taskManagerId } });
    this.checkpointResponder = new CheckpointResponder((jobId) => this.jobs.get(jobId)?.gateway, this.log);
    const settings = heartbeatSettings(configuration);
    const mainThread = {
      logger: this.log,
      runInMainThread: (fn: () => void) => this.runAsync(fn),
      scheduleInMainThread: (fn: () => void, delayMs: number) => this.scheduleRunAsync(fn, delayMs),
    };
    this.maxStdoutAnswerChars = Math.floor((rpcService.maxMessageSize - 4096) / 3);
    this.collectForwarder = new CollectedResultsForwarder({
      ...mainThread,
      report: (jobId, request) => {
        const gateway = this.jobs.get(jobId)?.gateway;
        return gateway === undefined ? Promise.reject(new Error(`no connection to the JobMaster of job ${jobId}`)) : gateway.reportCollectedRecords(request);
      },
    });
    this.resourceManagerHeartbeats = new DefaultHeartbeatManager<rm.ResourceManagerHeartbeatResponse>({
      name: 'ResourceManager',
      ...settings,
      ...mainThread,
      sendHeartbeat: () => this.sendResourceManagerHeartbeat(),
      notifyHeartbeat: (_id, response) => {
        if (!response.known) this.loseResourceManager('the ResourceManager does not know this TaskManager (the JobManager restarted?)');
      },
      notifyTargetLost: (_id, reason) => this.loseResourceManager(reason),
    });
    this.stateReporter = new TaskStateReporter({
      ...mainThread,
      taskManagerId: this.taskManagerId,
      gatewayOf: (jobId) => this.jobs.get(jobId)?.gateway,
      notifyUnknownAttempt: (attemptId) => {
        const task = this.tasks.get(attemptId);
        if (task !== undefined) this.cancelRunningTask(task);
      },
      callTimeoutMs: rpcService.askTimeoutMs,
    });
    this.jobMasterHeartbeats = new DefaultHeartbeatManager<jm.JobMasterHeartbeatResponse>({
      name: 'JobMaster',
      ...settings,
      ...mainThread,
      sendHeartbeat: (jobId) => this.sendJobMasterHeartbeat(jobId),
      notifyHeartbeat: (jobId, response) => {
        if (!response.known) this.loseJob(jobId, `the JobMaster of job ${jobId} does not know this TaskManager`);
      },
      notifyTargetLost: (jobId, reason) => this.loseJob(jobId, reason),
    });
  }

  protected override onStart(): void {
    this.log.info({ taskManagerId: this.taskManagerId, address: this.address, slots: this.slots.size }, 'TaskExecutor started');
    this.startRegistration();
  }

  protected override async onStop(): Promise<void> {
    this.stopping = true;
    this.registrationTimer?.cancel();
    const threads: Promise<void>[] = [];
    for (const task of this.tasks.values()) {
      this.cancelRunningTask(task);
      if (task.thread !== undefined) threads.push(task.thread.terminated);
    }
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, this.shutdownTimeoutMs).unref());
    await Promise.race([Promise.allSettled(threads), deadline]);
    await Promise.allSettled([...this.tasks.values()].map((task) => task.thread?.terminate('the TaskManager is shutting down')));
    const goodbyes: Promise<unknown>[] = [];
    const reason = 'the TaskManager is shutting down';
    for (const connection of this.jobs.values()) {
      if (connection.gateway !== undefined) goodbyes.push(connection.gateway.disconnectTaskManager({ taskManagerId: this.taskManagerId, reason }, { timeoutMs: 2_000 }));
    }
    if (this.resourceManager !== undefined) {
      goodbyes.push(this.resourceManager.gateway.disconnectTaskManager({ taskManagerId: this.taskManagerId, reason }, { timeoutMs: 2_000 }));
    }
    const results = await Promise.allSettled(goodbyes);
    for (const result of results) if (result.status === 'rejected') this.log.warn({ err: result.reason }, 'Could not say goodbye to the JobManager');
    this.resourceManagerHeartbeats.stop();
    this.jobMasterHeartbeats.stop();
    this.stateReporter.stop();
    this.collectForwarder.close();
    this.taskMetrics.close();
    this.lag.close();
  }

  // ---- Registration at the ResourceManager ----

  private startRegistration(): void {
    if (this.registering || this.stopping) return;
    this.registering = true;
    this.log.info({ address: this.resourceManagerAddress }, 'Registering at the ResourceManager');
    this.registrationBackoff.reset();
    this.tryRegistration(1);
  }

  private tryRegistration(attempt: number): void {
    if (this.stopping) return;
    const address = this.resourceManagerAddress;
    const register = async (): Promise<{ gateway: rm.ResourceManagerGateway; response: rm.RegistrationResponse }> => {
      const gateway = await this.rpcService.connect(address, rm.ResourceManagerGateway);
      const response = await gateway.registerTaskExecutor({
        taskManager: { taskManagerId: this.taskManagerId, address: this.address },
        numberOfSlots: this.slots.size,
        slotReport: this.slots.report(),
      });
      return { gateway, response };
    };
    register().then(
      ({ gateway, response }) =>
        this.runAsync(() => {
          if (this.stopping) return;
          if (response.outcome === 'REFUSED') {
            // Jittered too, so that TaskManagers refused together do not come back together.
            this.registrationBackoff.reset();
            const retryInMs = this.refusedDelayMs + this.registrationBackoff.nextDelayMs();
            this.log.error({ address, reason: response.reason, retryInMs }, 'The ResourceManager refused the registration; retrying later');
            this.registrationTimer = this.scheduleRunAsync(() => this.tryRegistration(attempt + 1), retryInMs);
            return;
          }
          this.registering = false;
          this.resourceManager = { gateway, resourceManagerId: response.resourceManagerId, address };
          this.resourceManagerHeartbeats.monitorTarget(RESOURCE_MANAGER_TARGET);
          this.log.info({ address, resourceManagerId: response.resourceManagerId, outcome: response.outcome, attempts: attempt }, 'Registered at the ResourceManager');
        }),
      (error: unknown) =>
        this.runAsync(() => {
          if (this.stopping) return;
          const retryInMs = this.registrationBackoff.nextDelayMs();
          this.log.warn({ address, attempt, retryInMs, reason: error instanceof Error ? error.message : String(error) }, 'Could not register at the ResourceManager; retrying');
          this.registrationTimer = this.scheduleRunAsync(() => this.tryRegistration(attempt + 1), retryInMs);
        }),
    );
  }

  private sendResourceManagerHeartbeat(): Promise<rm.ResourceManagerHeartbeatResponse> {
    const connection = this.resourceManager;
    if (connection === undefined) return Promise.reject(new Error('not registered at a ResourceManager'));
    return connection.gateway.heartbeat({
      taskManagerId: this.taskManagerId,
      resourceManagerId: connection.resourceManagerId,
      slotReport: this.slots.report(),
      payload: { eventLoopLagMs: this.lag.sampleMs(), timestamp: Date.now() },
    });
  }

  private loseResourceManager(reason: string): void {
    if (this.resourceManager === undefined) return;
    this.log.warn({ address: this.resourceManager.address, reason }, 'Lost the ResourceManager; registering again');
    this.resourceManager = undefined;
    this.resourceManagerHeartbeats.unmonitorTarget(RESOURCE_MANAGER_TARGET);
    this.startRegistration();
  }

  private reportSlots(): void {
    const connection = this.resourceManager;
    if (connection === undefined) return;
    connection.gateway.sendSlotReport({ taskManagerId: this.taskManagerId, slotReport: this.slots.report() }).catch((error: unknown) => {
      this.log.debug({ err: error }, 'Could not send a slot report; the next heartbeat carries it');
    });
  }

  // ---- Gateway ----

  requestSlot(request: te.RequestSlotRequest): Promise<cluster.Ack> {
    if (this.stopping) return Promise.reject(new Error(`TaskManager ${this.taskManagerId} is shutting down`));
    if (this.resourceManager === undefined || request.resourceManagerId !== this.resourceManager.resourceManagerId) {
      return Promise.reject(new Error(`TaskManager ${this.taskManagerId} is not registered with ResourceManager ${request.resourceManagerId}`));
    }
    this.slots.allocate(request.slotIndex, request.allocationId, request.jobId);
    this.log.info({ jobId: request.jobId, slotIndex: request.slotIndex, allocationId: request.allocationId }, 'Allocated slot');
    let connection = this.jobs.get(request.jobId);
    if (connection !== undefined && connection.jobMasterId !== request.jobMasterId) {
      this.loseJob(request.jobId, 'a new JobMaster took over the job');
      this.slots.allocate(request.slotIndex, request.allocationId, request.jobId);
      connection = undefined;
    }
    if (connection === undefined) {
      connection = { jobId: request.jobId, jobMasterAddress: request.jobMasterAddress, jobMasterId: request.jobMasterId, gateway: undefined, registered: false };
      this.jobs.set(request.jobId, connection);
      this.connectToJobMaster(connection);
    } else if (connection.registered) {
      this.offerSlots(connection, [request.allocationId]);
    }
    return Promise.resolve({});
  }

  submitTask(request: te.SubmitTaskRequest): Promise<cluster.Ack> {
    const deployment = request.deployment;
    if (!deployment) return Promise.reject(new Error('submitTask carries no deployment descriptor'));
    const connection = this.jobs.get(deployment.jobId);
    if (connection === undefined || connection.jobMasterId !== request.jobMasterId || !connection.registered) {
      return Promise.reject(new Error(`TaskManager ${this.taskManagerId} has no connection to the JobMaster of job ${deployment.jobId}`));
    }
    const slot = this.slots.find(deployment.allocationId);
    if (slot === undefined || slot.jobId !== deployment.jobId) {
      return Promise.reject(new Error(`TaskManager ${this.taskManagerId} has no slot allocated to job ${deployment.jobId} under allocation ${deployment.allocationId}`));
    }
    if (this.tasks.has(deployment.executionAttemptId)) return Promise.reject(new Error(`Attempt ${deployment.executionAttemptId} is already running here`));
    // The job's setting over the TaskManager's (rejects with a ConfigurationError naming a bad value).
    let collectMaxInFlightBytes: number;
    try {
      collectMaxInFlightBytes = this.services.configuration.withOverrides(deployment.jobConfiguration, `job ${deployment.jobId}`).get(CollectSinkOptions.maxInFlightSize);
    } catch (error) {
      return Promise.reject(error);
    }
    const task: RunningTask = {
      deployment,
      identity: {
        jobId: deployment.jobId,
        vertexId: deployment.vertexId,
        vertexName: deployment.vertexName,
        subtaskIndex: deployment.subtaskIndex,
        parallelism: deployment.parallelism,
        attemptNumber: deployment.attemptNumber,
      },
      state: 'DEPLOYING',
      thread: undefined,
      releaseNetwork: () => undefined,
    };
    this.tasks.set(deployment.executionAttemptId, task);
    this.log.info(
      { jobId: deployment.jobId, vertexId: deployment.vertexId, subtask: deployment.subtaskIndex, attempt: deployment.attemptNumber, taskManager: this.taskManagerId },
      `Received task ${taskNameWithSubtask(task.identity)} (attempt ${deployment.attemptNumber})`,
    );
    // The deployment is accepted now; the code arrives in the background (it may take longer than
    // the JobMaster's ask timeout), then the thread starts or the attempt fails with the cause.
    if (deployment.blobKey === '') {
      this.startTaskThread(task, undefined, collectMaxInFlightBytes);
    } else {
      this.services.blobCache.getFile(deployment.blobKey, deployment.jobId).then(
        (bundlePath) => this.runAsync(() => this.startTaskThread(task, bundlePath, collectMaxInFlightBytes)),
        (error: unknown) => this.runAsync(() => this.failDownload(task, error)),
      );
    }
    return Promise.resolve({});
  }

  /** The job's code is here: the task's thread starts, unless the attempt ended meanwhile (canceled, its job lost). */
  private startTaskThread(task: RunningTask, bundlePath: string | undefined, collectMaxInFlightBytes: number): void {
    const { deployment } = task;
    const attemptId = deployment.executionAttemptId;
    if (this.tasks.get(attemptId) !== task || this.stopping) return;
    const collectTarget: CollectTarget = {
      executionAttemptId: attemptId,
      jobId: deployment.jobId,
      name: `${taskNameWithSubtask(task.identity)} (attempt ${deployment.attemptNumber})`,
      isRunning: () => this.tasks.get(attemptId) === task && !isTerminalExecutionState(task.state),
      acknowledge: (sequence) => task.thread?.acknowledgeCollected(sequence),
      fail: (error) => task.thread?.failCollected(errorInfoOf(error)),
    };
    task.thread = TaskThread.start({
      deployment,
      bundlePath,
      logger: this.log,
      cancellationTimeoutMs: this.cancellationTimeoutMs,
      taskManagerConfiguration: this.services.configuration,
      collectMaxInFlightBytes,
      callbacks: {
        notifyStateChange: (state, error) => this.runAsync(() => this.transitionTask(task, state, error)),
        requestInputSplit: (waitMs) => this.callAsync(() => this.requestInputSplit(task, waitMs), this.rpcService.askTimeoutMs + waitMs),
        collect: (sequence, batch) => this.runAsync(() => this.collectForwarder.enqueue(collectTarget, sequence, batch)),
        stdout: (text) => this.services.stdout.print(deployment.jobId, text),
        acknowledgeCheckpoint: (checkpointId, state, metrics) => this.checkpointResponder.acknowledge(deployment.jobId, attemptId, checkpointId, state, metrics),
        declineCheckpoint: (checkpointId, error, kind) => this.checkpointResponder.decline(deployment.jobId, attemptId, checkpointId, error, kind),
        notifyEndOfData: () => this.checkpointResponder.notifyEndOfData(deployment.jobId, attemptId),
      },
    });
    task.releaseNetwork = this.connectNetwork(task, task.thread);
    this.taskMetrics.register(deployment, task.thread);
    task.thread.terminated.then(
      () => this.runAsync(() => this.notifyThreadEnded(attemptId, task)),
      () => this.runAsync(() => this.notifyThreadEnded(attemptId, task)),
    );
  }

  private failDownload(task: RunningTask, error: unknown): void {
    const { deployment } = task;
    if (this.tasks.get(deployment.executionAttemptId) !== task) return;
    const reason = error instanceof Error ? error.message : String(error);
    const failure = new Error(`TaskManager ${this.taskManagerId} could not fetch the job's code (blob ${deployment.blobKey}): ${reason}`, { cause: error });
    this.transitionTask(task, 'FAILED', errorInfoOf(failure, `${taskNameWithSubtask(task.identity)} (attempt ${deployment.attemptNumber}) on ${this.taskManagerId}`));
    this.tasks.delete(deployment.executionAttemptId);
  }

  /** Registers the task's produced partitions and connects its input channels; returns the release. */
  private connectNetwork(task: RunningTask, thread: TaskThread): () => void {
    const { network } = this.services;
    const releases: (() => void)[] = [];
    task.deployment.producedPartitions.forEach((partition, index) => {
      network.registerProducer(partition.partitionId, partition.numberOfSubpartitions, (subpartition, port) => thread.connectSubpartition(index, subpartition, port));
      releases.push(() => network.unregisterProducer(partition.partitionId));
    });
    task.deployment.inputGates.forEach((gate, gateIndex) => {
      gate.channels.forEach((channel, channelIndex) => {
        const connection = network.connectConsumer(
          { producerAddress: channel.producerAddress, partitionId: channel.partitionId, subpartition: channel.subpartition },
          (port) => thread.connectChannel(gateIndex, channelIndex, port),
          (error) => this.runAsync(() => this.failTaskOnNetworkError(task, error)),
        );
        releases.push(() => connection.cancel());
      });
    });
    return () => {
      for (const release of releases.splice(0)) release();
    };
  }

  /** A channel of the task broke: the task fails with that cause (its JobMaster decides what next). */
  private failTaskOnNetworkError(task: RunningTask, error: Error): void {
    if (this.tasks.get(task.deployment.executionAttemptId) !== task || isTerminalExecutionState(task.state)) return;
    const location = `${taskNameWithSubtask(task.identity)} (attempt ${task.deployment.attemptNumber}) on ${this.taskManagerId}`;
    void task.thread?.terminate(`a data channel failed: ${error.message}`);
    this.transitionTask(task, 'FAILED', errorInfoOf(error, location));
    task.releaseNetwork();
    this.tasks.delete(task.deployment.executionAttemptId);
  }

  cancelTask(request: te.CancelTaskRequest): Promise<cluster.Ack> {
    const task = this.tasks.get(request.executionAttemptId);
    if (task === undefined) {
      return Promise.reject(new TaskNotFoundError(`Attempt ${request.executionAttemptId} is not running on TaskManager ${this.taskManagerId}`));
    }
    this.cancelRunningTask(task);
    return Promise.resolve({});
  }

  triggerCheckpoint(request: te.TriggerCheckpointRequest): Promise<cluster.Ack> {
    const thread = this.tasks.get(request.executionAttemptId)?.thread;
    if (thread === undefined) {
      return Promise.reject(new TaskNotFoundError(`Attempt ${request.executionAttemptId} is not running on TaskManager ${this.taskManagerId}; it cannot take checkpoint ${request.checkpointId}`));
    }
    thread.triggerCheckpoint({ checkpointId: request.checkpointId, timestamp: request.timestamp, exactlyOnce: request.options?.mode !== 'AT_LEAST_ONCE', savepoint: request.options?.isSavepoint === true });
    return Promise.resolve({});
  }

  notifyCheckpointComplete(request: te.CheckpointNotification): Promise<cluster.Ack> {
    this.tasks.get(request.executionAttemptId)?.thread?.notifyCheckpointComplete(request.checkpointId);
    return Promise.resolve({});
  }

  stopSourceTask(request: te.StopSourceTaskRequest): Promise<cluster.Ack> {
    const thread = this.tasks.get(request.executionAttemptId)?.thread;
    if (thread === undefined) return Promise.reject(new TaskNotFoundError(`Attempt ${request.executionAttemptId} is not running on TaskManager ${this.taskManagerId}; it cannot stop`));
    thread.stopSource(request.drain);
    return Promise.resolve({});
  }

  notifyCheckpointAborted(request: te.CheckpointNotification): Promise<cluster.Ack> {
    this.tasks.get(request.executionAttemptId)?.thread?.notifyCheckpointAborted(request.checkpointId);
    return Promise.resolve({});
  }

  freeSlot(request: te.FreeSlotRequest): Promise<cluster.Ack> {
    const slot = this.slots.find(request.allocationId);
    if (slot === undefined) return Promise.resolve({});
    const jobId = slot.jobId;
    for (const task of this.tasks.values()) {
      if (task.deployment.allocationId === request.allocationId) this.failTaskLocally(task, `its slot was freed: ${request.reason}`);
    }
    this.slots.free(request.allocationId);
    this.log.info({ jobId, slotIndex: slot.index, allocationId: request.allocationId, reason: request.reason }, 'Freed slot');
    if (this.slots.allocatedTo(jobId).length === 0) this.closeJobConnection(jobId);
    this.reportSlots();
    return Promise.resolve({});
  }

  heartbeatFromJobManager(request: te.HeartbeatFromJobManagerRequest): Promise<te.TaskExecutorHeartbeatResponse> {
    // A connection still registering counts as known: the JobMaster's first heartbeat can arrive
    // before the answer to our registration does.
    const connection = this.jobs.get(request.jobId);
    const known = connection !== undefined;
    if (connection?.registered === true) this.jobMasterHeartbeats.reportHeartbeatFrom(request.jobId);
    return Promise.resolve({
      known,
      payload: { eventLoopLagMs: this.lag.sampleMs(), timestamp: Date.now() },
      slotReport: this.slots.report(),
      executionAttemptIds: this.attemptsOf(request.jobId),
    });
  }

  heartbeatFromResourceManager(request: te.HeartbeatFromResourceManagerRequest): Promise<te.TaskExecutorHeartbeatResponse> {
    const known = this.resourceManager === undefined ? this.registering : this.resourceManager.resourceManagerId === request.resourceManagerId;
    if (this.resourceManager !== undefined && known) this.resourceManagerHeartbeats.reportHeartbeatFrom(RESOURCE_MANAGER_TARGET);
    return Promise.resolve({ known, payload: { eventLoopLagMs: this.lag.sampleMs(), timestamp: Date.now() }, slotReport: this.slots.report(), executionAttemptIds: [] });
  }

  disconnectJobManager(request: te.DisconnectJobManagerRequest): Promise<cluster.Ack> {
    this.loseJob(request.jobId, `the JobMaster disconnected: ${request.reason}`);
    return Promise.resolve({});
  }

  requestJobStdout(request: te.JobStdoutRequest): Promise<te.JobStdout> {
    // The answer must fit in one RPC response, with room for the envelope.
    const maxChars = Math.max(0, Math.min(request.maxBytes, this.maxStdoutAnswerChars));
    return Promise.resolve({ ...this.services.stdout.tail(request.jobId, maxChars), location: this.services.stdout.location });
  }

  // ---- Jobs ----

  private connectToJobMaster(connection: JobConnection): void {
    const connect = async (): Promise<jm.JobMasterGateway> => {
      const gateway = await this.rpcService.connect(connection.jobMasterAddress, jm.JobMasterGateway, connection.jobMasterId);
      await gateway.registerTaskManager({ taskManager: { taskManagerId: this.taskManagerId, address: this.address } });
      return gateway;
    };
    connect().then(
      (gateway) =>
        this.runAsync(() => {
          if (this.jobs.get(connection.jobId) !== connection) return;
          connection.gateway = gateway;
          connection.registered = true;
          this.jobMasterHeartbeats.monitorTarget(connection.jobId);
          this.log.info({ jobId: connection.jobId, address: connection.jobMasterAddress }, 'Registered at the JobMaster');
          this.offerSlots(connection, this.slots.allocatedTo(connection.jobId).map((slot) => slot.allocationId));
        }),
      (error: unknown) =>
        this.runAsync(() => {
          if (this.jobs.get(connection.jobId) !== connection) return;
          this.loseJob(connection.jobId, `could not register at the JobMaster at ${connection.jobMasterAddress}: ${error instanceof Error ? error.message : String(error)}`);
        }),
    );
  }

  private offerSlots(connection: JobConnection, allocationIds: string[]): void {
    const gateway = connection.gateway;
    if (gateway === undefined || allocationIds.length === 0) return;
    const offers = allocationIds.flatMap((allocationId) => {
      const slot = this.slots.find(allocationId);
      return slot === undefined ? [] : [{ allocationId, slotIndex: slot.index }];
    });
    gateway.offerSlots({ taskManagerId: this.taskManagerId, offers }).then(
      (response) =>
        this.runAsync(() => {
          const accepted = new Set(response.acceptedAllocationIds);
          let freed = false;
          for (const offer of offers) {
            if (accepted.has(offer.allocationId)) continue;
            if (this.slots.find(offer.allocationId)?.jobId !== connection.jobId) continue;
            this.slots.free(offer.allocationId);
            freed = true;
            this.log.info({ jobId: connection.jobId, slotIndex: offer.slotIndex }, 'The JobMaster declined a slot; it is free again');
          }
          if (freed) {
            if (this.slots.allocatedTo(connection.jobId).length === 0) this.closeJobConnection(connection.jobId);
            this.reportSlots();
          }
        }),
      (error: unknown) =>
        this.runAsync(() => {
          if (this.jobs.get(connection.jobId) !== connection) return;
          this.loseJob(connection.jobId, `could not offer slots to the JobMaster: ${error instanceof Error ? error.message : String(error)}`);
        }),
    );
  }

  private sendJobMasterHeartbeat(jobId: string): Promise<jm.JobMasterHeartbeatResponse> {
    const gateway = this.jobs.get(jobId)?.gateway;
    if (gateway === undefined) return Promise.reject(new Error(`no JobMaster connection for job ${jobId}`));
    return gateway.heartbeat({
      taskManagerId: this.taskManagerId,
      payload: { eventLoopLagMs: this.lag.sampleMs(), timestamp: Date.now() },
      executionAttemptIds: this.attemptsOf(jobId),
      taskIoMetrics: this.ioMetricsOf(jobId),
    });
  }

  /** The JobMaster of `jobId` is gone: fail its tasks here, free its slots, forget the connection. */
  private loseJob(jobId: string, reason: string): void {
    const connection = this.jobs.get(jobId);
    if (connection === undefined) return;
    this.log.warn({ jobId, address: connection.jobMasterAddress, reason }, 'Lost the JobMaster; failing its tasks and freeing its slots');
    this.stateReporter.forgetJob(jobId);
    for (const task of this.tasks.values()) if (task.deployment.jobId === jobId) this.failTaskLocally(task, `lost the JobMaster: ${reason}`);
    for (const slot of this.slots.allocatedTo(jobId)) this.slots.free(slot.allocationId);
    this.closeJobConnection(jobId);
    this.reportSlots();
  }

  private closeJobConnection(jobId: string): void {
    if (!this.jobs.delete(jobId)) return;
    this.jobMasterHeartbeats.unmonitorTarget(jobId);
    this.stateReporter.forgetJob(jobId);
    // No slot of the job is left here, so no task of it: its code may go (Flink's releaseJob).
    this.services.blobCache.releaseJob(jobId);
    this.log.info({ jobId }, 'Closed the connection to the JobMaster');
  }

  /** The job's attempts here: running ones, and ended ones whose last report is not yet acknowledged. */
  private attemptsOf(jobId: string): string[] {
    const ids: string[] = [];
    for (const [id, task] of this.tasks) if (task.deployment.jobId === jobId) ids.push(id);
    for (const id of this.stateReporter.pendingAttempts(jobId)) if (!this.tasks.has(id)) ids.push(id);
    return ids;
  }

  /** numRecordsIn/Out and the input watermark of the job's running attempts, read from their threads' shared memory. */
  private ioMetricsOf(jobId: string): jm.TaskIOMetrics[] {
    const metrics: jm.TaskIOMetrics[] = [];
    for (const [executionAttemptId, task] of this.tasks) {
      if (task.deployment.jobId !== jobId || task.thread === undefined) continue;
      const { ioMetrics } = task.thread;
      const watermark = ioMetrics.currentInputWatermark.snapshot();
      const outputWatermark = ioMetrics.currentOutputWatermark.value();
      const { numRecordsIn, numRecordsOut, numBytesIn, numBytesOut } = ioMetrics.snapshot();
      metrics.push({
        executionAttemptId,
        numRecordsIn,
        numRecordsOut,
        numBytesIn,
        numBytesOut,
        ...this.taskMetrics.rates(executionAttemptId),
        watermark: watermark === undefined ? null : taskWatermarkOf(task.deployment, watermark),
        ...(outputWatermark === undefined ? {} : { currentOutputWatermark: outputWatermark }),
      });
    }
    return metrics;
  }

  // ---- Tasks ----

  private cancelRunningTask(task: RunningTask): void {
    if (isTerminalExecutionState(task.state) || task.state === 'CANCELING') return;
    this.transitionTask(task, 'CANCELING');
    if (task.thread !== undefined) {
      task.thread.cancel();
      return;
    }
    // Still fetching its code: nothing runs yet, so it is canceled now; the download finds it gone.
    this.transitionTask(task, 'CANCELED');
    this.tasks.delete(task.deployment.executionAttemptId);
  }

  /** Ends a task without its JobMaster (lost, or slot freed): the thread is terminated, the state logged here. */
  private failTaskLocally(task: RunningTask, reason: string): void {
    if (isTerminalExecutionState(task.state)) return;
    const from = task.state;
    task.state = 'FAILED';
    logAttemptTransition(this.log, task.identity, from, 'FAILED', this.taskManagerId, reason);
    this.tasks.delete(task.deployment.executionAttemptId);
    task.releaseNetwork();
    void task.thread?.terminate(reason);
  }

  private transitionTask(task: RunningTask, to: ExecutionState, error?: cluster.ErrorInfo): void {
    if (this.tasks.get(task.deployment.executionAttemptId) !== task) return;
    let target = to;
    // A task that ends normally, or fails, while being canceled counts as canceled, as in Flink;
    // except when it outgrew its heap (isHeapLimitExceeded).
    if (task.state === 'CANCELING' && (to === 'FINISHED' || (to === 'FAILED' && !isHeapLimitExceeded(error)))) target = 'CANCELED';
    if (task.state === target || isTerminalExecutionState(task.state) || !isLegalExecutionTransition(task.state, target)) return;
    const from = task.state;
    task.state = target;
    logAttemptTransition(this.log, task.identity, from, target, this.taskManagerId, error === undefined ? undefined : `${error.name}: ${error.message}`);
    if (target === 'CANCELING' || this.jobs.get(task.deployment.jobId)?.gateway === undefined) return;
    // A terminal state is reported after the worker's last count, so these are the final values.
    const { numRecordsIn, numRecordsOut, numBytesIn, numBytesOut } = task.thread?.ioMetrics.snapshot() ?? { numRecordsIn: 0, numRecordsOut: 0, numBytesIn: 0, numBytesOut: 0 };
    this.stateReporter.report({
      jobId: task.deployment.jobId,
      task: `${taskNameWithSubtask(task.identity)} (attempt ${task.deployment.attemptNumber})`,
      update: { executionAttemptId: task.deployment.executionAttemptId, state: target, error: error ?? null, taskManagerId: this.taskManagerId, numRecordsIn, numRecordsOut, numBytesIn, numBytesOut },
    });
  }

  private notifyThreadEnded(attemptId: string, task: RunningTask): void {
    this.taskMetrics.unregister(attemptId);
    if (this.tasks.get(attemptId) !== task) return;
    if (!isTerminalExecutionState(task.state)) {
      // TaskThread reports a terminal state before it ends; this is a safety net.
      this.transitionTask(task, 'FAILED', errorInfoOf(new Error('the task thread ended without reporting a final state')));
    }
    task.releaseNetwork();
    this.tasks.delete(attemptId);
  }

  /** Asks the JobMaster; `waitMs` > 0 lets it hold the call while a SplitEnumerator may still assign a split (the deadline covers the wait). */
  private async requestInputSplit(task: RunningTask, waitMs: number): Promise<{ id: string; split: string } | SplitNotAssignedYet | undefined> {
    const gateway = this.jobs.get(task.deployment.jobId)?.gateway;
    if (gateway === undefined) throw new Error(`no connection to the JobMaster of job ${task.deployment.jobId}`);
    const response = await gateway.requestNextInputSplit(
      { vertexId: task.deployment.vertexId, executionAttemptId: task.deployment.executionAttemptId, waitMs },
      { timeoutMs: this.rpcService.askTimeoutMs + waitMs },
    );
    if (response.hasSplit) return { id: response.splitId, split: response.split };
    return response.moreMayCome ? { moreMayCome: true } : undefined;
  }
}

/** The watermark gauge with its lagging channel named by the producer's vertex and partition. */
function taskWatermarkOf(deployment: te.TaskDeploymentDescriptor, watermark: TaskWatermarkSnapshot): jm.TaskWatermark {
  const gate = deployment.inputGates[watermark.laggingGate];
  const channel = gate?.channels[watermark.laggingChannel];
  if (gate === undefined || channel === undefined) return { currentInputWatermark: watermark.currentInputWatermark, laggingVertexId: '', laggingPartitionId: '' };
  return { currentInputWatermark: watermark.currentInputWatermark, laggingVertexId: gate.sourceVertexId, laggingPartitionId: channel.partitionId };
}

/** cancelTask for an attempt this TaskManager does not run (any more). */
export class TaskNotFoundError extends Error {
  override readonly name = 'TaskNotFoundError';
}
