/**
 * JobMaster: runs one job. It turns the JobGraph into an ExecutionGraph, gets slots, deploys the
 * tasks, follows their states, and restarts or fails the job when tasks fail.
 *
 * Responsibility
 *   - Slots (Flink's declarative slot protocol): declares to the ResourceManager how many slots the
 *     job needs (slot sharing: the largest parallelism per sharing group, summed over groups);
 *     TaskManagers the ResourceManager picked register here and offer the slots. Until it has them
 *     the job says what it waits for (slot-wait-message.ts: "requesting 2 slots", "needs 4 slots,
 *     2 free on 1 TaskManager", or at once "needs 8 slots but the cluster has 4 in total; ...")
 *     and after slot.request.timeout it fails with that arithmetic.
 *   - Deployment: once every slot is there, subtask i of each vertex goes to slot i of its sharing
 *     group; every attempt goes SCHEDULED -> DEPLOYING and on, each transition logged once by the
 *     ExecutionGraph.
 *   - Failover: a failed task (or a lost TaskManager) triggers a full restart when the restart
 *     strategy allows it: every other task is canceled, then after the backoff all subtasks get new
 *     attempts. When the strategy gives up the job ends FAILED. Either way the root cause and the
 *     decision are logged once.
 *   - Heartbeats with every TaskManager that registered here; a TaskManager that dies is noticed
 *     from connection errors (of heartbeats and of any other call), a silent one from
 *     heartbeat.timeout. A TaskManager that a call could not reach is suspect: its slots are not
 *     deployed to until it answers again. A deployment that fails because its TaskManager is
 *     unreachable withdraws the whole deployment round and deploys again on other slots, without
 *     counting as a failure of the job.
 *   - Reconciliation (ExecutionDeploymentReconciler): each heartbeat answer names the attempts the
 *     TaskManager holds; one the JobMaster thinks runs there but the TaskManager lost is failed,
 *     one the TaskManager runs that the JobMaster does not expect there is canceled.
 *
 * Threading: everything runs in the endpoint's mailbox. Gateway answers come back through
 * runAsync, and every continuation re-checks that the attempt it is about is still current.
 *
 * Lifecycle: created and started by the Dispatcher, which also calls cancel() and
 * requestJobDetails() through callAsync. When the job reaches a globally terminal status the
 * JobMaster frees its slots, withdraws its slot requirement and notifies the Dispatcher, which
 * archives it and stops this endpoint. Fenced by a JobMasterId that TaskManagers learn from the
 * slot request.
 */
import { randomUUID } from 'node:crypto';
import type { Configuration, Logger } from '@eddy/common';
import { eddy_cluster_v1 as cluster, eddy_dispatcher_v1 as dispatcher, eddy_jobgraph_v1 as jg, eddy_jobmaster_v1 as jm, eddy_resourcemanager_v1 as rm, eddy_taskexecutor_v1 as te } from '@eddy/proto';
import { Backoff } from '@eddy/common';
import { FencedRpcEndpoint, RemoteHandlerError, type RpcService, type ScheduledTask } from '@eddy/rpc';
import { describeError, errorInfoOf } from '../cluster/error-info.js';
import type { CollectedResults } from '../collect/collected-results.js';
import { reportCollectedRecords } from '../collect/collected-records-report.js';
import { ExecutionGraph, type ExecutionGraphListener } from '../executiongraph/execution-graph.js';
import type { Execution } from '../executiongraph/execution-graph.js';
import { isTerminalExecutionState, type ExecutionState } from '../executiongraph/execution-state.js';
import { isGloballyTerminal, type JobStatus, requiredSlotsPerGroup } from '@eddy/cluster-common';
import { taskNameWithSubtask, transitionMessage } from '../executiongraph/transition-log.js';
import { EventLoopLagProbe } from '../heartbeat/event-loop-lag.js';
import { DefaultHeartbeatManager, isUnreachable, type HeartbeatManager } from '../heartbeat/heartbeat-manager.js';
import { heartbeatSettings } from '../heartbeat/heartbeat-options.js';
import { createRestartBackoffTimeStrategy, type RestartBackoffTimeStrategy } from './failover/restart-backoff-time-strategy.js';
import { isConsequentialFailure } from './failover/consequential-failure.js';
import { unrecoverableReason } from './failover/unrecoverable-failure.js';
import { JobMasterOptions } from './jobmaster-options.js';
import { inputGatesOf, producedPartitionsOf } from './deployment-descriptors.js';
import { ExecutionDeploymentReconciler, ExecutionLostError, type ExpectedDeployment } from './execution-deployment-reconciler.js';
import { buildJobDetails } from './job-details.js';
import { countOf, describeSlotWait } from './slot-wait-message.js';
import { JobCheckpointing } from './job-checkpointing.js';
import { WatermarkStallOptions, WatermarkStallWarning } from './watermark-stall-warning.js';
import type { MetricGroup, MetricRegistry } from '../metrics/metric-registry.js';
import { registerJobMetrics } from '../metrics/job-metric-group.js';

export const jobMasterEndpointId = (jobId: string): string => `jobmaster-${jobId}`;

/** What the Dispatcher hears from a JobMaster. Called from the JobMaster's mailbox. */
export interface JobMasterListener {
  notifyJobEvent(event: dispatcher.JobEvent): void;
  notifyJobTerminated(jobId: string, status: JobStatus, details: dispatcher.JobDetails): void;
}

export interface JobMasterServices {
  /** Cluster configuration with the job's own configuration over it. */
  readonly configuration: Configuration;
  readonly resourceManager: rm.ResourceManagerGateway;
  readonly listener: JobMasterListener;
  /** Where the job's collect sinks' batches go for its client (the Dispatcher keeps it past the job's end). */
  readonly collectedResults: CollectedResults;
  readonly logger: Logger;
  /** The JobManager's metric registry and host: the job's metric group goes there while it runs. */
  readonly metrics?: { readonly registry: MetricRegistry; readonly host: string };
}

interface RegisteredTaskManager {
  readonly id: string;
  readonly address: string;
  readonly gateway: te.TaskExecutorGateway;
}

interface PooledSlot {
  readonly allocationId: string;
  readonly taskManagerId: string;
  readonly slotIndex: number;
}

/** The job could not get the slots it needs in time. */
export class NoResourceAvailableError extends Error {
  override readonly name = 'NoResourceAvailableError';
}

/** A TaskManager running some of the job's tasks is gone. */
export class TaskManagerLostError extends Error {
  override readonly name = 'TaskManagerLostError';
}

export class JobMaster extends FencedRpcEndpoint<string> implements jm.JobMasterGateway {
  readonly jobId: string;
  readonly graph: ExecutionGraph;
  private readonly jobLog: Logger;
  private readonly restartStrategy: RestartBackoffTimeStrategy;
  private readonly requiredSlots: number;
  private readonly slotGroups: Map<string, number>;
  private readonly taskManagers = new Map<string, RegisteredTaskManager>();
  private readonly slotPool = new Map<string, PooledSlot>();
  private readonly checkpointing: JobCheckpointing;
  private readonly watermarkStall: WatermarkStallWarning;
  private readonly heartbeats: HeartbeatManager<te.TaskExecutorHeartbeatResponse>;
  private readonly lag = new EventLoopLagProbe();
  private metricGroup: MetricGroup | undefined;
  private readonly slotRequestTimeoutMs: number;
  private readonly redeclareIntervalMs: number;
  private readonly reconciler: ExecutionDeploymentReconciler;
  private waitingFor = '';
  private lastOverview: rm.ResourceOverview = { taskManagers: 0, slotsTotal: 0, slotsFree: 0, slotsAllocatedToJob: 0 };
  private slotTimer: ScheduledTask | undefined;
  private redeclareTimer: ScheduledTask | undefined;
  /** Delays between declarations that failed; reset by one that got through. */
  private readonly declareBackoff: Backoff;
  /** Only the answer to the latest declaration schedules the next one. */
  private declarations = 0;
  private restartTimer: ScheduledTask | undefined;
  private restartBackoffMs = 0;
  private failedAt = 0;
  /** A deployment round is being withdrawn (its TaskManager was unreachable); not a failure of the job. */
  private redeploying = false;

  constructor(
    rpcService: RpcService,
    jobGraph: jg.JobGraph,
    private readonly services: JobMasterServices,
  ) {
    super(rpcService, jm.JobMasterGateway, jobMasterEndpointId(jobGraph.jobId), randomUUID());
    this.jobId = jobGraph.jobId;
    this.jobLog = services.logger.child({ component: 'JobMaster', jobId: this.jobId });
    const listener: ExecutionGraphListener = {
      notifyJobStatusChange: (from, to, timestamp, cause) => this.publishJobStatusChange(from, to, timestamp, cause),
      notifyExecutionStateChange: (execution, from, to, timestamp, cause) => this.publishExecutionStateChange(execution, from, to, timestamp, cause),
    };
    this.graph = ExecutionGraph.build(jobGraph, { logger: this.jobLog, listener });
    this.restartStrategy = createRestartBackoffTimeStrategy(services.configuration);
    this.checkpointing = new JobCheckpointing({
      configuration: services.configuration,
      graph: this.graph,
      logger: this.jobLog,
      runInMainThread: (fn) => this.runAsync(fn),
      scheduleInMainThread: (fn, delayMs) => this.scheduleRunAsync(fn, delayMs),
      gatewayOf: (execution) => this.taskManagers.get(execution.taskManagerId)?.gateway,
      failJob: (cause) => this.failGlobally(cause),
      askTimeoutMs: this.rpcService.askTimeoutMs,
    });
    this.watermarkStall = new WatermarkStallWarning(this.graph, services.configuration.get(WatermarkStallOptions.stallWarning), this.jobLog);
    this.slotGroups = requiredSlotsPerGroup(jobGraph);
    this.requiredSlots = [...this.slotGroups.values()].reduce((sum, n) => sum + n, 0);
    this.slotRequestTimeoutMs = services.configuration.get(JobMasterOptions.slotRequestTimeout);
    const settings = heartbeatSettings(services.configuration);
    this.redeclareIntervalMs = Math.max(settings.intervalMs, 200);
    this.declareBackoff = new Backoff({ initialMs: 200, maxMs: Math.max(200, settings.timeoutMs) });
    this.reconciler = new ExecutionDeploymentReconciler({
      onMissingDeployment: (attemptId, taskManagerId) => this.onMissingDeployment(attemptId, taskManagerId),
      onUnknownDeployment: (attemptId, taskManagerId) => this.cancelUnknownDeployment(attemptId, taskManagerId),
    });
    this.heartbeats = new DefaultHeartbeatManager<te.TaskExecutorHeartbeatResponse>({
      name: 'TaskManager',
      ...settings,
      logger: this.jobLog,
      runInMainThread: (fn) => this.runAsync(fn),
      scheduleInMainThread: (fn, delayMs) => this.scheduleRunAsync(fn, delayMs),
      sendHeartbeat: (id) => this.sendHeartbeat(id),
      notifyHeartbeat: (id, response) => {
        if (!response.known) {
          this.removeTaskManager(id, 'the TaskManager no longer knows this job');
          return;
        }
        this.reconciler.reconcile(id, response.executionAttemptIds, this.expectedDeploymentsOn(id));
        // A suspect TaskManager that answers is usable again: its slots may be all the job waited for.
        if (this.slotTimer !== undefined) this.tryDeploy();
      },
      notifyTargetLost: (id, reason) => this.removeTaskManager(id, reason),
    });
  }

  get jobMasterId(): string {
    return this.getFencingToken() ?? '';
  }

  protected override onStart(): void {
    this.jobLog.info({ jobName: this.graph.jobName, requiredSlots: this.requiredSlots, restartStrategy: this.restartStrategy.describe() }, 'JobMaster started');
    this.graph.transitionState('CREATED', 'RUNNING');
    const { metrics } = this.services;
    if (metrics !== undefined) this.metricGroup = registerJobMetrics(metrics.registry, metrics.host, this.graph, () => this.checkpointing.view.stats);
    this.checkpointing.prepare().then(
      () => this.runAsync(() => this.graph.state === 'RUNNING' && this.startScheduling()),
      (error: unknown) => this.runAsync(() => this.failWithoutRestart(error, 'no restart: the checkpoint storage or the checkpoint to start from cannot be used')),
    );
  }

  protected override onStop(): void {
    this.metricGroup?.close();
    this.heartbeats.stop();
    this.lag.close();
    this.clearWaiting();
    this.restartTimer?.cancel();
    this.checkpointing.closeSplitEnumerators();
  }

  // ---- Called by the Dispatcher (through callAsync) ----

  /** Starts canceling the job; no-op when it already ended. */
  cancel(): void {
    const status = this.graph.state;
    if (isGloballyTerminal(status) || status === 'CANCELLING') return;
    this.checkpointing.onFailover('the job is being canceled');
    this.restartTimer?.cancel();
    this.restartTimer = undefined;
    this.redeploying = false;
    this.clearWaiting();
    this.graph.transitionState(status, 'CANCELLING');
    this.cancelAllExecutions();
    this.checkTerminationProgress();
  }

  requestJobDetails(): dispatcher.JobDetails {
    return buildJobDetails(this.graph, this.waitingFor, this.checkpointing.view);
  }

  // ---- Gateway ----

  async registerTaskManager(request: jm.RegisterTaskManagerRequest): Promise<jm.RegisterTaskManagerResponse> {
    const identity = request.taskManager;
    if (!identity) throw new Error('registerTaskManager names no TaskManager');
    const known = this.taskManagers.get(identity.taskManagerId);
    if (known !== undefined && known.address === identity.address) return { outcome: 'ALREADY_REGISTERED' };
    const gateway = await this.rpcService.connect(identity.address, te.TaskExecutorGateway);
    if (this.taskManagers.has(identity.taskManagerId)) return { outcome: 'ALREADY_REGISTERED' };
    this.taskManagers.set(identity.taskManagerId, { id: identity.taskManagerId, address: identity.address, gateway });
    this.heartbeats.monitorTarget(identity.taskManagerId);
    this.jobLog.info({ taskManagerId: identity.taskManagerId, address: identity.address }, 'TaskManager registered at the JobMaster');
    return { outcome: 'ACCEPTED' };
  }

  offerSlots(request: jm.OfferSlotsRequest): Promise<jm.OfferSlotsResponse> {
    if (!this.taskManagers.has(request.taskManagerId)) {
      return Promise.reject(new Error(`TaskManager ${request.taskManagerId} is not registered at the JobMaster of job ${this.jobId}; register first`));
    }
    const accepted: string[] = [];
    for (const offer of request.offers) {
      if (this.slotPool.has(offer.allocationId)) {
        accepted.push(offer.allocationId);
      } else if (!isGloballyTerminal(this.graph.state) && this.usableSlots().length < this.requiredSlots) {
        this.slotPool.set(offer.allocationId, { allocationId: offer.allocationId, taskManagerId: request.taskManagerId, slotIndex: offer.slotIndex });
        accepted.push(offer.allocationId);
      }
    }
    this.jobLog.debug({ taskManagerId: request.taskManagerId, offered: request.offers.length, accepted: accepted.length, pool: this.slotPool.size }, 'Slots offered');
    if (accepted.length > 0) this.runAsync(() => this.tryDeploy());
    return Promise.resolve({ acceptedAllocationIds: accepted });
  }

  updateTaskExecutionState(request: jm.TaskExecutionStateUpdate): Promise<jm.UpdateTaskExecutionStateResponse> {
    const execution = this.graph.findExecution(request.executionAttemptId);
    if (execution === undefined) return Promise.resolve({ accepted: false });
    // Before the transition: a terminal one may end the job, whose details then hold the final counts.
    execution.reportIOMetrics(request.numRecordsIn, request.numRecordsOut, request.numBytesIn, request.numBytesOut);
    const state = request.state as ExecutionState;
    switch (state) {
      case 'INITIALIZING':
      case 'RUNNING':
        execution.transitionState(state);
        if (state === 'RUNNING') this.checkpointing.onTaskRunning();
        break;
      case 'FINISHED':
        execution.transitionState(execution.state === 'CANCELING' ? 'CANCELED' : 'FINISHED');
        if (execution.state === 'FINISHED') this.checkpointing.onTaskFinished(execution.attemptId);
        this.checkTerminationProgress();
        break;
      case 'CANCELED':
        execution.transitionState('CANCELED');
        this.checkTerminationProgress();
        break;
      case 'FAILED':
        // A task that fails while it is being canceled counts as canceled, as in Flink (a channel
        // whose producer was canceled first breaks before its own cancel arrives); unless the
        // failover was started by a consequence of another failure and this one is not such a
        // consequence: then it is kept, as the failover's root cause (refineRootCause).
        if (execution.state === 'CANCELING' && !this.isRootCauseOf(request.error)) {
          execution.transitionState('CANCELED');
          this.checkTerminationProgress();
          break;
        }
        this.failExecution(execution, request.error ?? errorInfoOf(new Error('the task failed without a cause')));
        break;
      default:
        return Promise.reject(new Error(`A TaskManager cannot report state ${request.state}`));
    }
    return Promise.resolve({ accepted: true });
  }

  requestNextInputSplit(request: jm.NextInputSplitRequest): Promise<jm.NextInputSplitResponse> {
    const execution = this.graph.findExecution(request.executionAttemptId);
    if (execution === undefined || execution.vertex.jobVertex.id !== request.vertexId) {
      return Promise.reject(new Error(`Attempt ${request.executionAttemptId} of vertex ${request.vertexId} is not a current attempt of job ${this.jobId}`));
    }
    const subtask = execution.vertex.subtaskIndex;
    return this.checkpointing.nextSplit(request.vertexId, subtask, request.waitMs).then((next) => {
      // A held request is answered later: only a split counts then (none yet is no news).
      if (next.hasSplit || !next.moreMayCome) this.watermarkStall.notifySplitAssigned(request.vertexId, subtask, next.hasSplit ? { id: next.splitId, split: next.split } : undefined);
      return next;
    });
  }

  acknowledgeCheckpoint(request: jm.AcknowledgeCheckpointRequest): Promise<cluster.Ack> {
    this.checkpointing.acknowledge(request);
    return Promise.resolve({});
  }

  declineCheckpoint(request: jm.DeclineCheckpointRequest): Promise<cluster.Ack> {
    this.checkpointing.decline(request);
    return Promise.resolve({});
  }

  notifyEndOfData(request: jm.EndOfDataNotification): Promise<cluster.Ack> {
    this.checkpointing.endOfData(request);
    return Promise.resolve({});
  }

  /** Takes a savepoint (JobCheckpointing.triggerSavepoint); rejects when the job is not RUNNING or the savepoint failed. */
  async triggerSavepoint(request: jm.TriggerJobSavepointRequest): Promise<jm.TriggerJobSavepointResponse> {
    this.jobLog.info({ targetDirectory: request.targetDirectory || undefined, stop: request.stop, drain: request.drain }, request.stop ? 'Stop with savepoint requested' : 'Savepoint requested');
    const savepointPath = request.stop ? await this.checkpointing.stopWithSavepoint(request.targetDirectory, request.drain) : await this.checkpointing.triggerSavepoint(request.targetDirectory);
    return { savepointPath };
  }

  /** The state the job's latest completed checkpoint (or the savepoint at `savepointPath`) holds, for `eddy update`. */
  requestJobState(savepointPath: string): Promise<dispatcher.JobStateResponse> {
    return this.checkpointing.stateSummary(savepointPath);
  }

  heartbeat(request: jm.JobMasterHeartbeatFromTaskManager): Promise<jm.JobMasterHeartbeatResponse> {
    const known = this.taskManagers.has(request.taskManagerId);
    if (known) this.heartbeats.reportHeartbeatFrom(request.taskManagerId);
    for (const metrics of request.taskIoMetrics) {
      const execution = this.graph.findExecution(metrics.executionAttemptId);
      if (execution === undefined) continue;
      execution.reportIOMetrics(metrics.numRecordsIn, metrics.numRecordsOut, metrics.numBytesIn, metrics.numBytesOut);
      execution.rates = metrics;
      if (metrics.watermark !== null) execution.watermark = metrics.watermark;
    }
    this.watermarkStall.check();
    return Promise.resolve({ known, payload: { eventLoopLagMs: this.lag.sampleMs(), timestamp: Date.now() } });
  }

  reportCollectedRecords(request: jm.CollectedRecords): Promise<jm.ReportCollectedRecordsResponse> {
    const currentSource = (): { executionAttemptId: string; vertexId: string; subtask: number; attempt: number } | undefined => {
      const execution = this.graph.findExecution(request.executionAttemptId);
      if (execution === undefined) return undefined;
      return { executionAttemptId: request.executionAttemptId, vertexId: execution.vertex.jobVertex.id, subtask: execution.vertex.subtaskIndex, attempt: execution.attemptNumber };
    };
    return reportCollectedRecords(this.services.collectedResults, request, currentSource, this.rpcService.askTimeoutMs / 2);
  }

  disconnectTaskManager(request: jm.JobMasterDisconnectTaskManagerRequest): Promise<cluster.Ack> {
    this.removeTaskManager(request.taskManagerId, `the TaskManager disconnected: ${request.reason}`);
    return Promise.resolve({});
  }

  // ---- Scheduling ----

  private currentExecutions(): Execution[] {
    const executions: Execution[] = [];
    for (const vertex of this.graph.allExecutionVertices()) executions.push(vertex.currentExecution);
    return executions;
  }

  private startScheduling(): void {
    for (const execution of this.currentExecutions()) execution.transitionState('SCHEDULED');
    this.checkpointing.onScheduling();
    if (!this.tryDeploy()) {
      this.declareRequirement();
      this.slotTimer = this.scheduleRunAsync(() => this.failForMissingSlots(), this.slotRequestTimeoutMs);
    }
  }

  /** Pooled slots on TaskManagers that are registered and not suspect, in the order they came. */
  private usableSlots(): PooledSlot[] {
    return [...this.slotPool.values()].filter((slot) => this.taskManagers.has(slot.taskManagerId) && this.heartbeats.isReachable(slot.taskManagerId));
  }

  private declareRequirement(required = this.requiredSlots): void {
    this.redeclareTimer?.cancel();
    this.redeclareTimer = undefined;
    const declaration = ++this.declarations;
    // While the job waits, the requirement is declared again now and then: it refreshes what the
    // job says it waits for, and retries (with a jittered backoff) a declaration that failed.
    const scheduleNext = (delayMs: number): void => {
      if (declaration !== this.declarations || required === 0 || this.slotTimer === undefined) return;
      this.redeclareTimer = this.scheduleRunAsync(() => this.slotTimer !== undefined && this.declareRequirement(), delayMs);
    };
    this.services.resourceManager.declareRequiredResources({ jobId: this.jobId, jobMasterAddress: this.address, jobMasterId: this.jobMasterId, requiredSlots: required }).then(
      (overview) =>
        this.runAsync(() => {
          this.declareBackoff.reset();
          this.updateWaiting(overview);
          scheduleNext(this.redeclareIntervalMs);
        }),
      (error: unknown) =>
        this.runAsync(() => {
          const retryInMs = this.declareBackoff.nextDelayMs();
          const retrying = declaration === this.declarations && required > 0 && this.slotTimer !== undefined;
          this.jobLog.warn(
            { err: error, requiredSlots: required, retryInMs: retrying ? retryInMs : undefined, waitingFor: `the ResourceManager to take the requirement of ${countOf(required, 'slot')}` },
            retrying ? 'Could not declare the slot requirement to the ResourceManager; retrying' : 'Could not declare the slot requirement to the ResourceManager',
          );
          scheduleNext(retryInMs);
        }),
    );
  }

  private updateWaiting(overview: rm.ResourceOverview): void {
    this.lastOverview = overview;
    if (this.slotTimer === undefined) return;
    const slotsHeld = this.usableSlots().length;
    const wait = describeSlotWait({ requiredSlots: this.requiredSlots, slotsHeld, slotsAllocated: overview.slotsAllocatedToJob, slotsFree: overview.slotsFree, slotsTotal: overview.slotsTotal, taskManagers: overview.taskManagers });
    if (wait.text === this.waitingFor) return;
    const fields = { waitingFor: wait.text, requiredSlots: this.requiredSlots, slotsHeld, slotsAllocated: overview.slotsAllocatedToJob, slotsFree: overview.slotsFree, slotsTotal: overview.slotsTotal, taskManagers: overview.taskManagers };
    this.waitingFor = wait.text;
    if (wait.kind === 'requesting') {
      // Normal and short: slots are being allocated and offered. Not an event worth showing.
      this.jobLog.debug(fields, 'Requesting slots');
      return;
    }
    const patience = wait.kind === 'never-fits' ? ` (waiting up to ${JobMasterOptions.slotRequestTimeout.format(this.slotRequestTimeoutMs)} for TaskManagers to join: ${JobMasterOptions.slotRequestTimeout.key})` : '';
    this.jobLog.info(fields, wait.kind === 'never-fits' ? 'Job needs more slots than the cluster has' : 'Job waits for slots');
    this.services.listener.notifyJobEvent({ ...this.blankEvent(), kind: 'info', message: `Waiting for slots: ${wait.text}${patience}` });
  }

  private clearWaiting(): void {
    this.slotTimer?.cancel();
    this.slotTimer = undefined;
    this.redeclareTimer?.cancel();
    this.redeclareTimer = undefined;
    this.waitingFor = '';
  }

  /** A failure of the whole job (too many failed checkpoints): the restart strategy decides, as for a task failure. */
  private failGlobally(error: Error): void {
    if (this.graph.state !== 'RUNNING') return;
    this.startFailover(errorInfoOf(error, `job ${this.jobId}`));
  }

  /** The job cannot run at all (its starting checkpoint does not fit): FAILED without a restart. */
  private failWithoutRestart(error: unknown, decision: string): void {
    if (this.graph.state !== 'RUNNING') return;
    const cause = errorInfoOf(error, `job ${this.jobId}`);
    this.clearWaiting();
    this.graph.failureCause = cause;
    this.jobLog.error({ rootCause: describeError(cause), decision }, 'Job failed');
    this.graph.transitionState('RUNNING', 'FAILING', cause);
    this.cancelAllExecutions();
    this.checkTerminationProgress();
  }

  private failForMissingSlots(): void {
    this.slotTimer = undefined;
    if (this.graph.state !== 'RUNNING' || this.usableSlots().length >= this.requiredSlots) return;
    const groups = [...this.slotGroups].map(([group, n]) => `${n} for group '${group}'`).join(', ');
    const overview = this.lastOverview;
    const error = new NoResourceAvailableError(
      `Job '${this.graph.jobName}' (${this.jobId}) could not get the slots it needs within ${this.slotRequestTimeoutMs} ms (slot.request.timeout): ` +
        `it needs ${countOf(this.requiredSlots, 'slot')} (${groups}), got ${this.usableSlots().length}, and the cluster has ${overview.slotsFree} free of ${overview.slotsTotal} ` +
        `on ${overview.taskManagers} TaskManager${overview.taskManagers === 1 ? '' : 's'}. Start more TaskManagers, give them more slots ` +
        `(taskmanager.numberOfTaskSlots), or lower the job's parallelism.`,
    );
    const cause = errorInfoOf(error, `job ${this.jobId}`);
    this.clearWaiting();
    this.graph.failureCause = cause;
    this.jobLog.error({ rootCause: describeError(cause), decision: 'no restart: the job cannot get its slots' }, 'Job failed');
    this.graph.transitionState('RUNNING', 'FAILING', cause);
    this.cancelAllExecutions();
    this.checkTerminationProgress();
  }

  /** Deploys every task when all are SCHEDULED and the pool holds every slot the job needs. */
  private tryDeploy(): boolean {
    if (this.graph.state !== 'RUNNING' || this.redeploying) return false;
    const slots = this.usableSlots();
    if (slots.length < this.requiredSlots) return false;
    const executions = this.currentExecutions();
    if (!executions.every((execution) => execution.state === 'SCHEDULED')) return false;
    this.clearWaiting();
    this.releaseSurplusSlots(slots.slice(this.requiredSlots));
    let offset = 0;
    const groupOffsets = new Map<string, number>();
    for (const [group, n] of this.slotGroups) {
      groupOffsets.set(group, offset);
      offset += n;
    }
    // Every attempt gets its slot first, so each deployment can name where its producers run.
    const placed: [Execution, RegisteredTaskManager, PooledSlot][] = [];
    for (const jobVertex of this.graph.verticesTopologically) {
      const base = groupOffsets.get(jobVertex.slotSharingGroup) ?? 0;
      for (const vertex of jobVertex.taskVertices) {
        const slot = slots[base + vertex.subtaskIndex] as PooledSlot;
        const taskManager = this.taskManagers.get(slot.taskManagerId) as RegisteredTaskManager;
        vertex.currentExecution.assignResource({ taskManagerId: taskManager.id, taskManagerAddress: taskManager.address, allocationId: slot.allocationId });
        placed.push([vertex.currentExecution, taskManager, slot]);
      }
    }
    for (const [execution, taskManager, slot] of placed) this.deploy(execution, taskManager, slot);
    this.checkpointing.onDeployed();
    return true;
  }

  private deploy(execution: Execution, taskManager: RegisteredTaskManager, slot: PooledSlot): void {
    execution.transitionState('DEPLOYING');
    const jobVertex = execution.vertex.jobVertex;
    const graph = this.graph.jobGraph;
    const deployment: te.TaskDeploymentDescriptor = {
      jobId: this.jobId,
      jobName: graph.name,
      executionAttemptId: execution.attemptId,
      vertexId: jobVertex.id,
      vertexName: jobVertex.name,
      subtaskIndex: execution.vertex.subtaskIndex,
      parallelism: jobVertex.parallelism,
      maxParallelism: jobVertex.maxParallelism,
      attemptNumber: execution.attemptNumber,
      allocationId: slot.allocationId,
      blobKey: graph.blobKey,
      invokable: jobVertex.jobVertex.invokable,
      operators: jobVertex.jobVertex.operators,
      jobConfiguration: graph.configuration,
      producedPartitions: producedPartitionsOf(execution),
      inputGates: inputGatesOf(execution),
      ...this.checkpointing.deploymentExtras(execution),
    };
    taskManager.gateway.submitTask({ deployment, jobMasterId: this.jobMasterId }).then(
      () => this.runAsync(() => this.reconciler.deploymentAcknowledged(execution.attemptId)),
      (error: unknown) =>
        this.runAsync(() => {
          if (this.graph.findExecution(execution.attemptId) !== execution || execution.state !== 'DEPLOYING') return;
          if (isUnreachable(error) && this.graph.state === 'RUNNING') this.withdrawDeployment(execution, taskManager, error);
          else this.failExecution(execution, errorInfoOf(error, this.locationOf(execution)));
        }),
    );
  }

  /**
   * The TaskManager of `execution` could not be reached to deploy it: it becomes suspect, and the
   * whole round is withdrawn (the other attempts were told where this one would run) and deployed
   * again on slots of live TaskManagers, waiting for slots as usual. It is not a failure of the
   * job: the restart strategy is not asked, and no restart is counted.
   */
  private withdrawDeployment(execution: Execution, taskManager: RegisteredTaskManager, error: unknown): void {
    this.heartbeats.reportUnreachable(taskManager.id, error);
    const cause = errorInfoOf(error, this.locationOf(execution));
    this.jobLog.warn(
      { taskManagerId: taskManager.id, address: taskManager.address, rootCause: describeError(cause), decision: 'deploying every task again on other slots; not counted as a failure of the job' },
      'Could not reach a TaskManager to deploy a task',
    );
    this.services.listener.notifyJobEvent({
      ...this.blankEvent(),
      kind: 'info',
      message: `Could not reach TaskManager ${taskManager.id} to deploy ${this.locationOf(execution)}; deploying every task again on other slots (not counted as a restart)`,
    });
    this.redeploying = true;
    execution.transitionState('FAILED', cause);
    this.cancelAllExecutions();
    this.checkTerminationProgress();
  }

  /** Slots beyond what the job needs (a suspect TaskManager came back after others replaced it) go back. */
  private releaseSurplusSlots(surplus: readonly PooledSlot[]): void {
    for (const slot of surplus) {
      this.slotPool.delete(slot.allocationId);
      const taskManager = this.taskManagers.get(slot.taskManagerId);
      this.jobLog.info({ taskManagerId: slot.taskManagerId, allocationId: slot.allocationId }, 'Releasing a slot the job does not need');
      taskManager?.gateway.freeSlot({ allocationId: slot.allocationId, reason: `job ${this.jobId} has enough slots` }).catch((error: unknown) => {
        this.runAsync(() => this.heartbeats.reportUnreachable(slot.taskManagerId, error));
        this.jobLog.debug({ err: error, taskManagerId: slot.taskManagerId }, 'Could not free a surplus slot; the TaskManager frees it when it loses this JobMaster');
      });
    }
  }

  private locationOf(execution: Execution): string {
    const where = execution.taskManagerId === '' ? '' : ` on ${execution.taskManagerId} (${execution.taskManagerAddress})`;
    return `${taskNameWithSubtask(this.identityOf(execution))} (attempt ${execution.attemptNumber})${where}`;
  }

  // ---- Failures, restarts, termination ----

  private failExecution(execution: Execution, cause: cluster.ErrorInfo): void {
    const located = cause.location === '' ? { ...cause, location: this.locationOf(execution) } : cause;
    if (!execution.transitionState('FAILED', located)) return;
    if (this.graph.state === 'RUNNING' && !this.redeploying) this.startFailover(located);
    else {
      this.refineRootCause(located);
      this.checkTerminationProgress();
    }
  }

  /** Whether `error`, reported while the job fails over, would take the place of its root cause. */
  private isRootCauseOf(error: cluster.ErrorInfo | null | undefined): error is cluster.ErrorInfo {
    const current = this.graph.failureCause;
    if (error === null || error === undefined || current === undefined) return false;
    if (this.graph.state !== 'RESTARTING' && this.graph.state !== 'FAILING') return false;
    return isConsequentialFailure(current) && !isConsequentialFailure(error);
  }

  /**
   * A failure that arrives while the job fails over: when the failover began with a consequence of
   * another failure (consequential-failure.ts) and this one is not, this one is the root cause.
   */
  private refineRootCause(cause: cluster.ErrorInfo): void {
    const current = this.graph.failureCause;
    if (current === undefined || !this.isRootCauseOf(cause)) return;
    this.graph.failureCause = cause;
    this.jobLog.warn({ rootCause: describeError(cause), stack: cause.stack, consequence: describeError(current) }, 'Root cause of the failover found: the failure reported first was its consequence');
  }

  private startFailover(cause: cluster.ErrorInfo): void {
    this.clearWaiting();
    this.redeploying = false;
    this.checkpointing.onFailover(`the job fails over: ${describeError(cause)}`);
    this.restartStrategy.notifyFailure(cause);
    this.graph.failureCause = cause;
    this.failedAt = Date.now();
    const rootCause = describeError(cause);
    const unrecoverable = unrecoverableReason(cause);
    if (unrecoverable === undefined && this.restartStrategy.canRestart()) {
      this.restartBackoffMs = this.restartStrategy.getBackoffTimeMs();
      const decision = `restarting all tasks in ${this.restartBackoffMs} ms (${this.restartStrategy.describe()})`;
      this.jobLog.warn({ rootCause, stack: cause.stack, decision }, 'Job failed; restarting');
      this.graph.transitionState('RUNNING', 'RESTARTING', cause);
    } else {
      const decision = unrecoverable === undefined ? `no restart (${this.restartStrategy.describe()})` : `no restart: ${unrecoverable}`;
      this.jobLog.error({ rootCause, stack: cause.stack, decision }, 'Job failed; the restart strategy gives up');
      this.graph.transitionState('RUNNING', 'FAILING', cause);
    }
    this.cancelAllExecutions();
    this.checkTerminationProgress();
  }

  private cancelAllExecutions(): void {
    for (const execution of this.currentExecutions()) {
      switch (execution.state) {
        case 'CREATED':
        case 'SCHEDULED':
          execution.transitionState('CANCELED');
          break;
        case 'DEPLOYING':
        case 'INITIALIZING':
        case 'RUNNING': {
          const taskManager = this.taskManagers.get(execution.taskManagerId);
          execution.transitionState('CANCELING');
          if (taskManager === undefined) {
            execution.transitionState('CANCELED');
            break;
          }
          taskManager.gateway.cancelTask({ executionAttemptId: execution.attemptId }).catch((error: unknown) =>
            this.runAsync(() => {
              // A TaskManager that cannot be reached gets no new work until it proves alive.
              this.heartbeats.reportUnreachable(taskManager.id, error);
              // The TaskManager no longer runs it (it ended, or never started): it is canceled.
              if (execution.state !== 'CANCELING') return;
              if (!(error instanceof RemoteHandlerError && error.remoteName === 'TaskNotFoundError')) {
                this.jobLog.warn({ err: error, taskManagerId: taskManager.id }, 'Could not cancel a task; counting it as canceled');
              }
              execution.transitionState('CANCELED');
              this.checkTerminationProgress();
            }),
          );
          break;
        }
        default:
          break;
      }
    }
  }

  /** Moves the job on once every current attempt has ended. */
  private checkTerminationProgress(): void {
    const executions = this.currentExecutions();
    if (!executions.every((execution) => isTerminalExecutionState(execution.state))) return;
    switch (this.graph.state) {
      case 'RUNNING':
        if (this.redeploying) this.redeploy();
        else if (executions.every((execution) => execution.state === 'FINISHED') && this.graph.transitionState('RUNNING', 'FINISHED')) this.onJobTerminated();
        break;
      case 'RESTARTING':
        if (this.restartTimer === undefined) {
          const delay = Math.max(0, this.failedAt + this.restartBackoffMs - Date.now());
          this.restartTimer = this.scheduleRunAsync(() => this.restart(), delay);
        }
        break;
      case 'FAILING':
        if (this.graph.transitionState('FAILING', 'FAILED', this.graph.failureCause)) this.onJobTerminated();
        break;
      case 'CANCELLING':
        if (this.graph.transitionState('CANCELLING', 'CANCELED')) this.onJobTerminated();
        break;
      default:
        break;
    }
  }

  private restart(): void {
    this.restartTimer = undefined;
    if (this.graph.state !== 'RESTARTING') return;
    this.graph.restarts++;
    this.resetForNewExecutions();
    this.graph.transitionState('RESTARTING', 'RUNNING');
    this.startScheduling();
  }

  /** Every attempt of a withdrawn deployment round ended: the round starts again with new attempts. */
  private redeploy(): void {
    this.redeploying = false;
    this.resetForNewExecutions();
    this.startScheduling();
  }

  private resetForNewExecutions(): void {
    for (const vertex of this.graph.allExecutionVertices()) {
      this.reconciler.forgetAttempt(vertex.currentExecution.attemptId);
      vertex.resetForNewExecution();
    }
  }

  private onJobTerminated(): void {
    this.clearWaiting();
    this.restartTimer?.cancel();
    const status = this.graph.state;
    this.checkpointing.onJobTerminated(status);
    for (const slot of this.slotPool.values()) {
      const taskManager = this.taskManagers.get(slot.taskManagerId);
      taskManager?.gateway.freeSlot({ allocationId: slot.allocationId, reason: `job ${this.jobId} ${status}` }).catch((error: unknown) => {
        this.jobLog.debug({ err: error, taskManagerId: slot.taskManagerId }, 'Could not free a slot; the TaskManager frees it when it loses this JobMaster');
      });
    }
    this.slotPool.clear();
    this.declareRequirement(0);
    this.heartbeats.stop();
    this.services.listener.notifyJobTerminated(this.jobId, status, this.requestJobDetails());
  }

  // ---- TaskManagers ----

  private sendHeartbeat(taskManagerId: string): Promise<te.TaskExecutorHeartbeatResponse> {
    const taskManager = this.taskManagers.get(taskManagerId);
    if (taskManager === undefined) return Promise.reject(new Error(`TaskManager ${taskManagerId} is not registered`));
    this.reconciler.heartbeatRequested(taskManagerId);
    return taskManager.gateway.heartbeatFromJobManager({ jobId: this.jobId, payload: { eventLoopLagMs: this.lag.sampleMs(), timestamp: Date.now() } });
  }

  private removeTaskManager(taskManagerId: string, reason: string): void {
    const taskManager = this.taskManagers.get(taskManagerId);
    if (taskManager === undefined) return;
    this.taskManagers.delete(taskManagerId);
    this.heartbeats.unmonitorTarget(taskManagerId);
    this.reconciler.forgetTaskManager(taskManagerId);
    for (const [allocationId, slot] of this.slotPool) if (slot.taskManagerId === taskManagerId) this.slotPool.delete(allocationId);
    this.jobLog.warn({ taskManagerId, address: taskManager.address, reason }, 'TaskManager lost');
    const cause = errorInfoOf(new TaskManagerLostError(`TaskManager ${taskManagerId} (${taskManager.address}) is lost: ${reason}`));
    for (const execution of this.currentExecutions()) {
      if (execution.taskManagerId !== taskManagerId || isTerminalExecutionState(execution.state)) continue;
      if (execution.state === 'CANCELING') {
        execution.transitionState('CANCELED');
        this.checkTerminationProgress();
      } else {
        this.failExecution(execution, { ...cause, location: this.locationOf(execution) });
      }
    }
    if (this.slotTimer !== undefined) this.declareRequirement();
  }

  // ---- Reconciliation with what TaskManagers report ----

  private expectedDeploymentsOn(taskManagerId: string): ExpectedDeployment[] {
    const expected: ExpectedDeployment[] = [];
    for (const execution of this.currentExecutions()) {
      if (execution.taskManagerId === taskManagerId) expected.push({ attemptId: execution.attemptId, state: execution.state });
    }
    return expected;
  }

  /** The TaskManager no longer has an attempt it acknowledged, and its end was never reported. */
  private onMissingDeployment(attemptId: string, taskManagerId: string): void {
    const execution = this.graph.findExecution(attemptId);
    if (execution === undefined || isTerminalExecutionState(execution.state)) return;
    this.jobLog.warn({ taskManagerId, executionAttemptId: attemptId, state: execution.state }, 'A TaskManager no longer has a task the JobMaster thinks runs there');
    if (execution.state === 'CANCELING') {
      execution.transitionState('CANCELED');
      this.checkTerminationProgress();
      return;
    }
    const task = `${taskNameWithSubtask(this.identityOf(execution))} (attempt ${execution.attemptNumber})`;
    const error = new ExecutionLostError(`${task} is unexpectedly no longer running on TaskManager ${taskManagerId}, and its end was never reported`);
    this.failExecution(execution, errorInfoOf(error, this.locationOf(execution)));
  }

  /** The TaskManager runs an attempt this JobMaster does not expect there (superseded, or given up on): it is canceled there. */
  private cancelUnknownDeployment(attemptId: string, taskManagerId: string): void {
    const taskManager = this.taskManagers.get(taskManagerId);
    if (taskManager === undefined) return;
    this.jobLog.info({ taskManagerId, executionAttemptId: attemptId }, 'Canceling a task the JobMaster does not expect on that TaskManager');
    taskManager.gateway.cancelTask({ executionAttemptId: attemptId }).catch((error: unknown) => {
      if (error instanceof RemoteHandlerError && error.remoteName === 'TaskNotFoundError') return;
      this.runAsync(() => this.heartbeats.reportUnreachable(taskManagerId, error));
      this.jobLog.debug({ err: error, taskManagerId, executionAttemptId: attemptId }, 'Could not cancel an unexpected task; the next heartbeat tries again');
    });
  }

  // ---- Events for the Dispatcher ----

  private identityOf(execution: Execution) {
    const jobVertex = execution.vertex.jobVertex;
    return { jobId: this.jobId, vertexId: jobVertex.id, vertexName: jobVertex.name, subtaskIndex: execution.vertex.subtaskIndex, parallelism: jobVertex.parallelism, attemptNumber: execution.attemptNumber };
  }

  private blankEvent(): dispatcher.JobEvent {
    return {
      jobId: this.jobId,
      timestamp: Date.now(),
      kind: '',
      from: '',
      to: '',
      vertexId: '',
      vertexName: '',
      subtask: 0,
      parallelism: 0,
      attempt: 0,
      taskManagerId: '',
      message: '',
      cause: null,
    };
  }

  private publishJobStatusChange(from: JobStatus, to: JobStatus, timestamp: number, cause?: cluster.ErrorInfo): void {
    this.services.listener.notifyJobEvent({
      ...this.blankEvent(),
      timestamp,
      kind: 'job',
      from,
      to,
      message: `Job ${this.graph.jobName} (${this.jobId}) switched from state ${from} to ${to}.`,
      cause: cause ?? null,
    });
  }

  private publishExecutionStateChange(execution: Execution, from: ExecutionState, to: ExecutionState, timestamp: number, cause?: cluster.ErrorInfo): void {
    const identity = this.identityOf(execution);
    this.services.listener.notifyJobEvent({
      jobId: this.jobId,
      timestamp,
      kind: 'task',
      from,
      to,
      vertexId: identity.vertexId,
      vertexName: identity.vertexName,
      subtask: identity.subtaskIndex,
      parallelism: identity.parallelism,
      attempt: identity.attemptNumber,
      taskManagerId: execution.taskManagerId,
      message: transitionMessage(identity, from, to),
      cause: cause ?? null,
    });
  }
}
