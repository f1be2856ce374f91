import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Configuration } from '@eddy/common';
import { eddy_cluster_v1 as cluster, eddy_resourcemanager_v1 as rm, eddy_taskexecutor_v1 as te } from '@eddy/proto';
import { RpcEndpoint, RpcService } from '@eddy/rpc';
import { ResourceManager } from '../../src/resourcemanager/resource-manager.js';

/** A TaskExecutor that records slot requests and answers heartbeats. */
class TestingTaskExecutor extends RpcEndpoint implements te.TaskExecutorGateway {
  readonly slotRequests: te.RequestSlotRequest[] = [];

  constructor(rpc: RpcService, id: string) {
    super(rpc, te.TaskExecutorGateway, id);
  }

  requestSlot(request: te.RequestSlotRequest): Promise<cluster.Ack> {
    this.slotRequests.push(request);
    return Promise.resolve({});
  }
  submitTask(): Promise<cluster.Ack> {
    return Promise.resolve({});
  }
  cancelTask(): Promise<cluster.Ack> {
    return Promise.resolve({});
  }
  freeSlot(): Promise<cluster.Ack> {
    return Promise.resolve({});
  }
  triggerCheckpoint(): Promise<cluster.Ack> {
    return Promise.resolve({});
  }
  notifyCheckpointComplete(): Promise<cluster.Ack> {
    return Promise.resolve({});
  }
  notifyCheckpointAborted(): Promise<cluster.Ack> {
    return Promise.resolve({});
  }
  heartbeatFromJobManager(): Promise<te.TaskExecutorHeartbeatResponse> {
    return Promise.resolve({ known: true, payload: null, slotReport: null, executionAttemptIds: [] });
  }
  heartbeatFromResourceManager(): Promise<te.TaskExecutorHeartbeatResponse> {
    return Promise.resolve({ known: true, payload: null, slotReport: null, executionAttemptIds: [] });
  }
  disconnectJobManager(): Promise<cluster.Ack> {
    return Promise.resolve({});
  }
}

const freeSlots = (n: number): cluster.SlotReport => ({ slots: Array.from({ length: n }, (_, slotIndex) => ({ slotIndex, allocationId: '', jobId: '' })) });

describe('ResourceManager', () => {
  let rpc: RpcService;
  let resourceManager: ResourceManager;
  let gateway: rm.ResourceManagerGateway;
  const executors: TestingTaskExecutor[] = [];

  before(async () => {
    rpc = await RpcService.start();
    resourceManager = new ResourceManager(rpc, Configuration.fromRecord({ 'heartbeat.interval': '1 s', 'heartbeat.timeout': '30 s' }));
    await resourceManager.start();
    gateway = await rpc.connect(resourceManager.address, rm.ResourceManagerGateway);
    for (const id of ['te-a', 'te-b']) {
      const executor = new TestingTaskExecutor(rpc, id);
      await executor.start();
      executors.push(executor);
    }
  });

  after(() => rpc.stop());

  const register = (id: string, address: string, slots: number): Promise<rm.RegistrationResponse> =>
    gateway.registerTaskExecutor({ taskManager: { taskManagerId: id, address }, numberOfSlots: slots, slotReport: freeSlots(slots) });

  it('accepts a new TaskManager, answers a retried registration with ALREADY_REGISTERED, and refuses one without slots', async () => {
    const first = await register('tm-a', executors[0]!.address, 2);
    assert.equal(first.outcome, 'ACCEPTED');
    assert.equal(first.resourceManagerId, resourceManager.resourceManagerId);
    assert.equal((await register('tm-a', executors[0]!.address, 2)).outcome, 'ALREADY_REGISTERED');
    const refused = await register('tm-z', executors[1]!.address, 0);
    assert.equal(refused.outcome, 'REFUSED');
    assert.match(refused.reason, /at least 1 slot/);
    const { taskManagers } = await gateway.requestTaskManagers({});
    assert.deepEqual(
      taskManagers.map((tm) => [tm.taskManagerId, tm.slotsFree, tm.slotsTotal]),
      [['tm-a', 2, 2]],
    );
  });

  it('allocates a declared requirement to the TaskManagers with the most free slots, and tells what the cluster has', async () => {
    assert.equal((await register('tm-b', executors[1]!.address, 2)).outcome, 'ACCEPTED');
    const overview = await gateway.declareRequiredResources({ jobId: 'job-1', jobMasterAddress: 'somewhere:1/jm', jobMasterId: 'jm-token', requiredSlots: 2 });
    assert.deepEqual(overview, { taskManagers: 2, slotsTotal: 4, slotsFree: 2 });
    assert.equal(executors[0]!.slotRequests.length, 1, 'one slot from the first TaskManager');
    assert.equal(executors[1]!.slotRequests.length, 1, 'one slot from the second TaskManager');
    for (const request of [...executors[0]!.slotRequests, ...executors[1]!.slotRequests]) {
      assert.equal(request.jobId, 'job-1');
      assert.equal(request.jobMasterId, 'jm-token');
      assert.equal(request.resourceManagerId, resourceManager.resourceManagerId);
    }
    // Declaring the same requirement again asks for nothing more.
    await gateway.declareRequiredResources({ jobId: 'job-1', jobMasterAddress: 'somewhere:1/jm', jobMasterId: 'jm-token', requiredSlots: 2 });
    assert.equal(executors[0]!.slotRequests.length + executors[1]!.slotRequests.length, 2);
  });

  it('forgets a TaskManager that disconnects, with its slots', async () => {
    await gateway.disconnectTaskManager({ taskManagerId: 'tm-b', reason: 'shutting down' });
    const { taskManagers } = await gateway.requestTaskManagers({});
    assert.deepEqual(
      taskManagers.map((tm) => tm.taskManagerId),
      ['tm-a'],
    );
    const heartbeat = await gateway.heartbeat({ taskManagerId: 'tm-b', resourceManagerId: resourceManager.resourceManagerId, slotReport: null, payload: null });
    assert.equal(heartbeat.known, false, 'its heartbeats are answered "unknown", so it registers again');
  });
});
