/** JobDetails to feed the REST API's unit tests, and gateways that answer from them. */
import { silentLogger } from '@eddy/common';
import type { eddy_dispatcher_v1 as dispatcher, eddy_resourcemanager_v1 as rm } from '@eddy/proto';
import { RemoteHandlerError } from '@eddy/rpc';
import type { RestServices } from '../../src/rest/rest-app.js';
import { CachedReads } from '../../src/rest/cached-reads.js';

export const JOB_ID = '0123456789abcdef0123456789abcdef';

export function attempt(overrides: Partial<dispatcher.AttemptDetails> = {}): dispatcher.AttemptDetails {
  return {
    attempt: 0,
    state: 'RUNNING',
    stateTimestamps: { CREATED: 1_000, DEPLOYING: 1_100, INITIALIZING: 1_150, RUNNING: 1_200 },
    taskManagerId: 'tm-1',
    taskManagerAddress: '127.0.0.1:4001/taskexecutor',
    failureCause: null,
    numRecordsIn: 10,
    numRecordsOut: 20,
    numBytesIn: 100,
    numBytesOut: 200,
    backPressuredTimeMsPerSecond: 0,
    idleTimeMsPerSecond: 0,
    busyTimeMsPerSecond: 1000,
    numRecordsInPerSecond: 0,
    numRecordsOutPerSecond: 0,
    numBytesInPerSecond: 0,
    numBytesOutPerSecond: 0,
    ...overrides,
  };
}

export function jobDetails(overrides: Partial<dispatcher.JobDetails> = {}): dispatcher.JobDetails {
  return {
    jobId: JOB_ID,
    name: 'counter',
    status: 'RUNNING',
    statusTimestamps: { CREATED: 1_000, RUNNING: 1_050 },
    vertices: [
      { id: 'source', name: 'Source: Numbers', parallelism: 1, maxParallelism: 128, slotSharingGroup: 'default', subtasks: [{ subtask: 0, attempts: [attempt({ numRecordsIn: 0 })] }] },
      {
        id: 'count',
        name: 'Count -> Sink',
        parallelism: 2,
        maxParallelism: 128,
        slotSharingGroup: 'default',
        subtasks: [
          { subtask: 0, attempts: [attempt({ state: 'FAILED', failureCause: { name: 'Error', message: 'boom', stack: 'Error: boom\n    at x', location: '' }, stateTimestamps: { FAILED: 1_300 } }), attempt({ attempt: 1, currentInputWatermark: 5_000 })] },
          { subtask: 1, attempts: [attempt({ currentInputWatermark: -Infinity })] },
        ],
      },
    ],
    failureCause: null,
    waitingFor: '',
    restarts: 1,
    startTime: 1_000,
    endTime: 0,
    checkpoints: null,
    edges: [{ sourceVertexId: 'source', targetVertexId: 'count', partitioner: 'hash', distributionPattern: 'ALL_TO_ALL' }],
    configuration: { 'execution.checkpointing.interval': '100 ms' },
    ...overrides,
  };
}

function notFound(jobId: string): RemoteHandlerError {
  return new RemoteHandlerError({ method: 'requestJob', address: 'local', remoteName: 'JobNotFoundError', remoteMessage: `No job ${jobId}`, remoteStack: '' });
}

/** Services whose Dispatcher knows `jobs` and whose ResourceManager knows one TaskManager. */
export function testingServices(jobs: dispatcher.JobDetails[], calls: string[] = []): RestServices {
  const find = (jobId: string): dispatcher.JobDetails => {
    const job = jobs.find((candidate) => candidate.jobId === jobId);
    if (job === undefined) throw notFound(jobId);
    return job;
  };
  const dispatcherGateway = {
    requestJob: async ({ jobId }: dispatcher.JobIdRequest) => find(jobId),
    requestJobStatus: async ({ jobId }: dispatcher.JobIdRequest) => ({ jobId, status: find(jobId).status }),
    listJobs: async () => ({ jobs: jobs.map((job) => ({ jobId: job.jobId, name: job.name, status: job.status, startTime: job.startTime, endTime: job.endTime, tasksPerState: { RUNNING: 3 } })) }),
    cancelJob: async ({ jobId }: dispatcher.JobIdRequest) => {
      const job = find(jobId);
      if (job.status !== 'RUNNING') throw new RemoteHandlerError({ method: 'cancelJob', address: 'local', remoteName: 'DispatcherError', remoteMessage: `Job ${jobId} already ended ${job.status}`, remoteStack: '' });
      calls.push(`cancel ${jobId}`);
      return {};
    },
    triggerSavepoint: async (request: dispatcher.TriggerSavepointRequest) => {
      calls.push(`savepoint ${request.jobId} stop=${request.stop} drain=${request.drain} dir=${request.targetDirectory}`);
      return { savepointPath: `${request.targetDirectory || '/sp'}/savepoint-1` };
    },
  } as unknown as dispatcher.DispatcherGateway;
  const taskManager: rm.TaskManagerInfo = {
    taskManagerId: 'tm-1',
    address: '127.0.0.1:4001/taskexecutor',
    slotsTotal: 2,
    slotsFree: 1,
    lastHeartbeat: 9_000,
    eventLoopLagMs: 1.5,
    registeredAt: 1_000,
    slots: [
      { slotIndex: 0, allocationId: 'a1', jobId: JOB_ID },
      { slotIndex: 1, allocationId: '', jobId: '' },
    ],
  };
  const resourceManager = { requestTaskManagers: async () => ({ taskManagers: [taskManager] }) } as unknown as rm.ResourceManagerGateway;
  return { dispatcher: dispatcherGateway, resourceManager, callTimeoutMs: 1_000, savepointTimeoutMs: 5_000, logger: silentLogger(), cache: new CachedReads(0), refreshIntervalMs: 1_000 };
}
