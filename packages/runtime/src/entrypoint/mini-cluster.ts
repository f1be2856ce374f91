/**
 * MiniCluster: a JobManager and TaskManagers in one process, for local mode and tests. Same
 * components and code paths as a real cluster (gRPC on 127.0.0.1, worker threads per task); only
 * the processes are shared.
 */
import { Configuration, type Logger } from '@eddy/common';
import { JobManagerRunner } from './jobmanager-runner.js';
import { TaskManagerRunner } from './taskmanager-runner.js';

export interface MiniClusterOptions {
  readonly taskManagers?: number;
  readonly slotsPerTaskManager?: number;
  /** Cluster configuration; ports are forced to 0 (ephemeral), the REST port too unless it sets rest.port. */
  readonly configuration?: Configuration;
  readonly logger: Logger;
}

export class MiniCluster {
  private constructor(
    readonly jobManager: JobManagerRunner,
    readonly taskManagers: readonly TaskManagerRunner[],
  ) {}

  /** host:port of the JobManager. */
  get address(): string {
    return this.jobManager.address;
  }

  static async start(options: MiniClusterOptions): Promise<MiniCluster> {
    const configuration = options.configuration ?? Configuration.empty();
    const base = configuration.withOverrides(
      {
        'jobmanager.rpc.port': '0',
        'taskmanager.rpc.port': '0',
        'taskmanager.numberOfTaskSlots': String(options.slotsPerTaskManager ?? 1),
        ...(configuration.has('rest.port') ? {} : { 'rest.port': '0' }),
      },
      'MiniCluster',
    );
    const jobManager = await JobManagerRunner.start(base, options.logger.child({ process: 'jobmanager' }));
    const taskManagers: TaskManagerRunner[] = [];
    try {
      for (let i = 0; i < (options.taskManagers ?? 1); i++) {
        taskManagers.push(await TaskManagerRunner.start(base, jobManager.address, options.logger.child({ process: `taskmanager-${i}` })));
      }
    } catch (error) {
      await Promise.allSettled(taskManagers.map((tm) => tm.stop()));
      await jobManager.stop();
      throw error;
    }
    const cluster = new MiniCluster(jobManager, taskManagers);
    await cluster.waitForSlots((options.taskManagers ?? 1) * (options.slotsPerTaskManager ?? 1));
    return cluster;
  }

  private async waitForSlots(total: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { taskManagers } = await this.jobManager.resourceManager.requestTaskManagers();
      if (taskManagers.reduce((sum, tm) => sum + tm.slotsTotal, 0) >= total) return;
      if (Date.now() > deadline) throw new Error(`The MiniCluster's TaskManagers did not register ${total} slots within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.taskManagers.map((tm) => tm.stop()));
    await this.jobManager.stop();
  }
}
