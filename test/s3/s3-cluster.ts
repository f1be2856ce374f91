/** A cluster whose JobManager and TaskManagers point at a moto server (s3.* options), for the S3 checkpoint tests. */
import { after, afterEach, before } from 'node:test';
import { JobClient } from '@eddy/client';
import { startJobManager, startTaskManager, stopClusterProcesses, type JobManagerProcess, type TaskManagerProcess } from '../cluster/cluster-harness.js';
import { startMotoServer, type MotoServer } from './moto-server.js';

export interface S3Cluster {
  readonly moto: MotoServer;
  readonly jobManager: JobManagerProcess;
  /** A TaskManager a test killed is started again after it. */
  readonly taskManagers: TaskManagerProcess[];
  readonly client: JobClient;
  /** Starts one more TaskManager with the cluster's S3 options. */
  startTaskManager(): Promise<TaskManagerProcess>;
}

/**
 * Before the describe block's tests: moto with `bucket` created, a JobManager and `taskManagers`
 * TaskManagers with moto's s3.* options (a failed job restarts `restartAttempts` times, 200 ms
 * apart); everything stopped after them.
 */
export function useS3Cluster(options: { readonly taskManagers: number; readonly slots: number; readonly restartAttempts: number; readonly bucket: string }): S3Cluster {
  let moto: MotoServer | undefined;
  let jobManager: JobManagerProcess | undefined;
  let client: JobClient | undefined;
  const taskManagers: TaskManagerProcess[] = [];
  const startOne = (): Promise<TaskManagerProcess> => startTaskManager((jobManager as JobManagerProcess).address, { slots: options.slots, config: (moto as MotoServer).config });
  after(stopClusterProcesses);
  after(async () => moto?.stop());
  before(async () => {
    moto = await startMotoServer();
    await moto.createBucket(options.bucket);
    jobManager = await startJobManager({
      config: { ...moto.config, 'restart-strategy.fixed-delay.attempts': String(options.restartAttempts), 'restart-strategy.fixed-delay.delay': '200 ms' },
    });
    for (let i = 0; i < options.taskManagers; i++) taskManagers.push(await startOne());
    client = await JobClient.connect(jobManager.address);
  });
  after(async () => client?.close());
  afterEach(async () => {
    for (let i = 0; i < taskManagers.length; i++) if (taskManagers[i]!.hasExited) taskManagers[i] = await startOne();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the S3 cluster is started in a before() hook of its describe block');
    return value;
  };
  return {
    get moto() {
      return started(moto);
    },
    get jobManager() {
      return started(jobManager);
    },
    taskManagers,
    get client() {
      return started(client);
    },
    startTaskManager: startOne,
  };
}
