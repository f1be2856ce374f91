/**
 * ResourceManager: knows every registered TaskManager and its slots, and matches the slot
 * requirements JobMasters declare to free slots.
 *
 * Responsibility
 *   - Registration: a TaskExecutor registers with its id, address and slot report. The answer is
 *     ACCEPTED, ALREADY_REGISTERED (same id, same address: a retried registration) or REFUSED.
 *   - Heartbeats both ways: the ResourceManager sends heartbeat requests to each TaskExecutor and
 *     TaskExecutors send theirs. A TaskManager that stops answering (heartbeat.timeout) or whose
 *     process is gone (heartbeat.rpc-failure-threshold connection errors) is removed with its slots.
 *   - Slot matching (Flink's declarative resource management): a JobMaster declares how many slots
 *     its job needs; whenever requirements, registrations or slot reports change, the
 *     ResourceManager asks TaskExecutors holding free slots to allocate them to the job
 *     (requestSlot), spreading a job over the TaskManagers with the most free slots. The
 *     TaskExecutor then offers the slot to the JobMaster itself.
 *   - A TaskManager that a call could not reach (connection refused or reset) is suspect: none of
 *     its slots is handed out, and its free slots do not count as free, until it answers a
 *     heartbeat, sends one, or registers again (or is removed at heartbeat.rpc-failure-threshold).
 *     A slot request a TaskManager refuses is tried elsewhere after a jittered backoff.
 *
 * Threading: everything runs in the endpoint's mailbox (see rpc-endpoint.ts); after an await a
 * handler re-checks that the TaskManager it works on is still the registered one.
 *
 * Lifecycle: started by the JobManager process; onStop stops the heartbeats. Its endpoint id is
 * fixed ("resourcemanager") so TaskManagers find it from the JobManager's host:port alone; each
 * incarnation has a fresh resourceManagerId that heartbeats carry, so TaskManagers registered with a
 * previous JobManager learn they must register again.
 */
import { randomUUID } from 'node:crypto';
import { Backoff, type Configuration } from '@eddy/common';
import { eddy_cluster_v1 as cluster, eddy_resourcemanager_v1 as rm, eddy_taskexecutor_v1 as te } from '@eddy/proto';
import { RpcEndpoint, type RpcService, type ScheduledTask } from '@eddy/rpc';
import { RESOURCE_MANAGER_ENDPOINT_ID } from '@eddy/cluster-common';
import { DefaultHeartbeatManager, isUnreachable, type HeartbeatManager } from '../heartbeat/heartbeat-manager.js';
import { heartbeatSettings } from '../heartbeat/heartbeat-options.js';
import { EventLoopLagProbe } from '../heartbeat/event-loop-lag.js';
import { requestJobStdout } from './job-stdout-request.js';

interface SlotRecord {
  allocationId: string;
  jobId: string;
  /** Allocated here, requestSlot not yet confirmed: slot reports don't overwrite it. */
  pending: boolean;
}

interface RegisteredTaskManager {
  readonly id: string;
  readonly address: string;
  readonly gateway: te.TaskExecutorGateway;
  readonly slots: SlotRecord[];
  readonly registeredAt: number;
  lastHeartbeat: number;
  eventLoopLagMs: number;
}

interface JobRequirement {
  jobMasterAddress: string;
  jobMasterId: string;
  requiredSlots: number;
}

export class ResourceManager extends RpcEndpoint implements rm.ResourceManagerGateway {
  readonly resourceManagerId = randomUUID();
  private readonly taskManagers = new Map<string, RegisteredTaskManager>();
  private readonly requirements = new Map<string, JobRequirement>();
  private readonly heartbeats: HeartbeatManager<te.TaskExecutorHeartbeatResponse>;
  private readonly lag = new EventLoopLagProbe();
  /** Delays of the retry after TaskManagers refused slot requests; reset when one is accepted. */
  private readonly refusedSlotBackoff = new Backoff({ initialMs: 200, maxMs: 5_000 });
  private refusedSlotRetry: ScheduledTask | undefined;
  /** Printed text in one requestJobStdout answer: rpc.max-message-size with room for the envelope, a character taking up to 3 bytes. */
  private readonly maxStdoutAnswerChars: number;

  constructor(rpcService: RpcService, configuration: Configuration) {
    super(rpcService, rm.ResourceManagerGateway, RESOURCE_MANAGER_ENDPOINT_ID);
    this.maxStdoutAnswerChars = Math.floor((rpcService.maxMessageSize - 64 * 1024) / 3);
    const settings = heartbeatSettings(configuration);
    this.heartbeats = new DefaultHeartbeatManager<te.TaskExecutorHeartbeatResponse>({
      name: 'TaskManager',
      ...settings,
      logger: this.log,
      runInMainThread: (fn) => this.runAsync(fn),
      scheduleInMainThread: (fn, delayMs) => this.scheduleRunAsync(fn, delayMs),
      sendHeartbeat: (id) => this.sendHeartbeat(id),
      notifyHeartbeat: (id, response) => this.notifyHeartbeatResponse(id, response),
      notifyTargetLost: (id, reason) => this.removeTaskManager(id, `TaskManager ${id} is lost: ${reason}`),
    });
  }

  protected override onStop(): void {
    this.refusedSlotRetry?.cancel();
    this.heartbeats.stop();
    this.lag.close();
  }

  async registerTaskExecutor(request: rm.RegisterTaskExecutorRequest): Promise<rm.RegistrationResponse> {
    const identity = request.taskManager;
    const refuse = (reason: string): rm.RegistrationResponse => {
      this.log.warn({ taskManagerId: identity?.taskManagerId, reason }, 'Refused the registration of a TaskManager');
      return { outcome: 'REFUSED', reason, resourceManagerId: this.resourceManagerId, resourceManagerAddress: this.address };
    };
    if (!identity || identity.taskManagerId === '' || identity.address === '') return refuse('the registration names no TaskManager id or address');
    if (request.numberOfSlots < 1) return refuse(`a TaskManager must offer at least 1 slot, not ${request.numberOfSlots}`);
    const existing = this.taskManagers.get(identity.taskManagerId);
    if (existing !== undefined) {
      if (existing.address === identity.address) {
        this.heartbeats.reportHeartbeatFrom(existing.id);
        return { outcome: 'ALREADY_REGISTERED', reason: '', resourceManagerId: this.resourceManagerId, resourceManagerAddress: this.address };
      }
      this.removeTaskManager(existing.id, `TaskManager ${existing.id} registered again from ${identity.address}`);
    }
    const gateway = await this.rpcService.connect(identity.address, te.TaskExecutorGateway);
    // Re-check after the await: another registration of the same id may have won meanwhile.
    const raced = this.taskManagers.get(identity.taskManagerId);
    if (raced !== undefined) {
      return { outcome: 'ALREADY_REGISTERED', reason: '', resourceManagerId: this.resourceManagerId, resourceManagerAddress: this.address };
    }
    const now = Date.now();
    const slots: SlotRecord[] = [];
    for (let index = 0; index < request.numberOfSlots; index++) slots.push({ allocationId: '', jobId: '', pending: false });
    const taskManager: RegisteredTaskManager = { id: identity.taskManagerId, address: identity.address, gateway, slots, registeredAt: now, lastHeartbeat: now, eventLoopLagMs: 0 };
    this.taskManagers.set(taskManager.id, taskManager);
    this.applySlotReport(taskManager, request.slotReport);
    this.heartbeats.monitorTarget(taskManager.id);
    this.log.info(
      { taskManagerId: taskManager.id, address: taskManager.address, slots: request.numberOfSlots, taskManagers: this.taskManagers.size },
      'Registered TaskManager',
    );
    this.checkResourceRequirements();
    return { outcome: 'ACCEPTED', reason: '', resourceManagerId: this.resourceManagerId, resourceManagerAddress: this.address };
  }

  sendSlotReport(request: rm.SlotReportRequest): Promise<cluster.Ack> {
    const taskManager = this.taskManagers.get(request.taskManagerId);
    if (taskManager === undefined) return Promise.reject(new Error(`TaskManager ${request.taskManagerId} is not registered at this ResourceManager; register first`));
    this.applySlotReport(taskManager, request.slotReport);
    this.checkResourceRequirements();
    return Promise.resolve({});
  }

  declareRequiredResources(request: rm.DeclareRequiredResourcesRequest): Promise<rm.ResourceOverview> {
    if (request.requiredSlots <= 0) {
      if (this.requirements.delete(request.jobId)) this.log.info({ jobId: request.jobId }, 'Job needs no more slots');
    } else {
      const previous = this.requirements.get(request.jobId);
      this.requirements.set(request.jobId, { jobMasterAddress: request.jobMasterAddress, jobMasterId: request.jobMasterId, requiredSlots: request.requiredSlots });
      if (previous?.requiredSlots !== request.requiredSlots || previous.jobMasterId !== request.jobMasterId) {
        this.log.info({ jobId: request.jobId, requiredSlots: request.requiredSlots }, 'Job declared its slot requirement');
      }
      this.checkResourceRequirements();
    }
    return Promise.resolve({ ...this.overview(), slotsAllocatedToJob: this.slotsAllocatedTo(request.jobId) });
  }

  heartbeat(request: rm.TaskManagerHeartbeat): Promise<rm.ResourceManagerHeartbeatResponse> {
    const taskManager = this.taskManagers.get(request.taskManagerId);
    const payload = this.payload();
    if (taskManager === undefined || request.resourceManagerId !== this.resourceManagerId) return Promise.resolve({ known: false, payload });
    this.heartbeats.reportHeartbeatFrom(taskManager.id);
    taskManager.lastHeartbeat = Date.now();
    taskManager.eventLoopLagMs = request.payload?.eventLoopLagMs ?? 0;
    if (this.applySlotReport(taskManager, request.slotReport)) this.checkResourceRequirements();
    return Promise.resolve({ known: true, payload });
  }

  disconnectTaskManager(request: rm.DisconnectTaskManagerRequest): Promise<cluster.Ack> {
    if (this.taskManagers.has(request.taskManagerId)) {
      this.removeTaskManager(request.taskManagerId, `TaskManager ${request.taskManagerId} disconnected: ${request.reason}`);
    }
    return Promise.resolve({});
  }

  requestTaskManagers(): Promise<rm.TaskManagersResponse> {
    const taskManagers = [...this.taskManagers.values()].map((tm) => ({
      taskManagerId: tm.id,
      address: tm.address,
      slotsTotal: tm.slots.length,
      slotsFree: tm.slots.filter((slot) => slot.allocationId === '').length,
      lastHeartbeat: tm.lastHeartbeat,
      eventLoopLagMs: tm.eventLoopLagMs,
      registeredAt: tm.registeredAt,
      slots: tm.slots.map((slot, slotIndex) => ({ slotIndex, allocationId: slot.allocationId, jobId: slot.jobId })),
    }));
    return Promise.resolve({ taskManagers });
  }

  requestJobStdout(request: te.JobStdoutRequest): Promise<rm.JobStdoutResponse> {
    // Half the ask timeout per TaskManager, so the answer reaches a caller that waits the whole ask timeout.
    return requestJobStdout([...this.taskManagers.values()], request, { maxAnswerChars: this.maxStdoutAnswerChars, timeoutMs: Math.floor(this.rpcService.askTimeoutMs / 2) });
  }

  /** What the cluster has now, for JobMasters that wait for slots. Suspect TaskManagers have no free slots. */
  overview(): rm.ResourceOverview {
    let slotsTotal = 0;
    let slotsFree = 0;
    for (const tm of this.taskManagers.values()) {
      slotsTotal += tm.slots.length;
      if (this.heartbeats.isReachable(tm.id)) for (const slot of tm.slots) if (slot.allocationId === '') slotsFree++;
    }
    return { taskManagers: this.taskManagers.size, slotsTotal, slotsFree, slotsAllocatedToJob: 0 };
  }

  private slotsAllocatedTo(jobId: string): number {
    let allocated = 0;
    for (const tm of this.taskManagers.values()) for (const slot of tm.slots) if (slot.jobId === jobId) allocated++;
    return allocated;
  }

  private payload(): cluster.HeartbeatPayload {
    return { eventLoopLagMs: this.lag.sampleMs(), timestamp: Date.now() };
  }

  private sendHeartbeat(taskManagerId: string): Promise<te.TaskExecutorHeartbeatResponse> {
    const taskManager = this.taskManagers.get(taskManagerId);
    if (taskManager === undefined) return Promise.reject(new Error(`TaskManager ${taskManagerId} is not registered`));
    return taskManager.gateway.heartbeatFromResourceManager({ resourceManagerId: this.resourceManagerId, payload: this.payload() });
  }

  private notifyHeartbeatResponse(taskManagerId: string, response: te.TaskExecutorHeartbeatResponse): void {
    const taskManager = this.taskManagers.get(taskManagerId);
    if (taskManager === undefined) return;
    // An unknown answer (the TaskManager has not processed our registration answer yet, or moved
    // to another ResourceManager) is still a sign of life; the TaskManager's own heartbeats tell it
    // to register again when this ResourceManager does not know it.
    if (!response.known) return;
    taskManager.lastHeartbeat = Date.now();
    taskManager.eventLoopLagMs = response.payload?.eventLoopLagMs ?? 0;
    if (this.applySlotReport(taskManager, response.slotReport)) this.checkResourceRequirements();
  }

  /** Takes the TaskManager's view of its slots, except slots with an allocation in flight. Returns whether anything changed. */
  private applySlotReport(taskManager: RegisteredTaskManager, report: cluster.SlotReport | null | undefined): boolean {
    let changed = false;
    for (const status of report?.slots ?? []) {
      const slot = taskManager.slots[status.slotIndex];
      if (slot === undefined || slot.pending) continue;
      if (slot.allocationId !== status.allocationId || slot.jobId !== status.jobId) {
        slot.allocationId = status.allocationId;
        slot.jobId = status.jobId;
        changed = true;
      }
    }
    return changed;
  }

  private removeTaskManager(taskManagerId: string, reason: string): void {
    const taskManager = this.taskManagers.get(taskManagerId);
    if (taskManager === undefined) return;
    this.taskManagers.delete(taskManagerId);
    this.heartbeats.unmonitorTarget(taskManagerId);
    this.log.warn({ taskManagerId, address: taskManager.address, reason, taskManagers: this.taskManagers.size }, 'Removed TaskManager');
    this.checkResourceRequirements();
  }

  /** Allocates free slots to every job that has fewer than it declared. */
  private checkResourceRequirements(): void {
    for (const [jobId, requirement] of this.requirements) {
      for (let missing = requirement.requiredSlots - this.slotsAllocatedTo(jobId); missing > 0; missing--) {
        const taskManager = this.taskManagerWithMostFreeSlots();
        if (taskManager === undefined) return;
        const slotIndex = taskManager.slots.findIndex((slot) => slot.allocationId === '');
        this.allocateSlot(taskManager, slotIndex, jobId, requirement);
      }
    }
  }

  private taskManagerWithMostFreeSlots(): RegisteredTaskManager | undefined {
    let best: RegisteredTaskManager | undefined;
    let bestFree = 0;
    for (const tm of this.taskManagers.values()) {
      if (!this.heartbeats.isReachable(tm.id)) continue;
      const free = tm.slots.filter((slot) => slot.allocationId === '').length;
      if (free > bestFree) {
        best = tm;
        bestFree = free;
      }
    }
    return best;
  }

  private allocateSlot(taskManager: RegisteredTaskManager, slotIndex: number, jobId: string, requirement: JobRequirement): void {
    const slot = taskManager.slots[slotIndex] as SlotRecord;
    const allocationId = randomUUID();
    slot.allocationId = allocationId;
    slot.jobId = jobId;
    slot.pending = true;
    this.log.debug({ jobId, taskManagerId: taskManager.id, slotIndex, allocationId }, 'Requesting slot');
    taskManager.gateway
      .requestSlot({
        slotIndex,
        allocationId,
        jobId,
        jobMasterAddress: requirement.jobMasterAddress,
        jobMasterId: requirement.jobMasterId,
        resourceManagerId: this.resourceManagerId,
      })
      .then(
        () =>
          this.runAsync(() => {
            slot.pending = false;
            this.refusedSlotBackoff.reset();
          }),
        (error: unknown) =>
          this.runAsync(() => {
            slot.pending = false;
            if (this.taskManagers.get(taskManager.id) !== taskManager || slot.allocationId !== allocationId) return;
            slot.allocationId = '';
            slot.jobId = '';
            // A TaskManager that cannot be reached gets no slot requests until it proves alive.
            this.heartbeats.reportUnreachable(taskManager.id, error);
            this.scheduleRefusedSlotRetry(jobId, taskManager.id, slotIndex, error);
          }),
      );
  }

  /** Tries a refused slot request elsewhere after a jittered pause rather than in a tight loop against the same refusal. */
  private scheduleRefusedSlotRetry(jobId: string, taskManagerId: string, slotIndex: number, error: unknown): void {
    const unreachable = isUnreachable(error);
    const pending = this.refusedSlotRetry !== undefined;
    const retryInMs = pending ? undefined : this.refusedSlotBackoff.nextDelayMs();
    this.log.warn(
      { jobId, taskManagerId, slotIndex, err: error, retryInMs, waitingFor: `a free slot for job ${jobId}`, unreachable },
      unreachable ? 'Could not reach a TaskManager to request a slot; trying elsewhere' : 'TaskManager refused a slot request; trying elsewhere',
    );
    if (retryInMs === undefined) return;
    this.refusedSlotRetry = this.scheduleRunAsync(() => {
      this.refusedSlotRetry = undefined;
      this.checkResourceRequirements();
    }, retryInMs);
  }
}
