/** The TaskManager process: one RpcService hosting the TaskExecutor, and the blob cache. */
import { randomBytes } from 'node:crypto';
import { LogOptions, outFileOf, type Configuration, type Logger } from '@eddy/common';
import { RpcService } from '@eddy/rpc';
import { detectAdvertisedHost, isWildcardHost } from './advertised-host.js';
import { BlobCache } from '../blob/blob-cache.js';
import { authTokenOf, BlobOptions, loadInternalTls } from '@eddy/cluster-common';
import { TaskManagerNetwork } from '../network/task-manager-network.js';
import { TaskExecutor } from '../taskexecutor/task-executor.js';
import { TaskManagerOptions } from '../taskexecutor/taskmanager-options.js';
import { TaskManagerStdout, TaskManagerStdoutOptions } from '../taskexecutor/taskmanager-stdout.js';
import { ProcessMetrics } from '../metrics/process-metrics.js';
import { hostOfAddress } from '../metrics/metric-registry.js';
import { warnIfExposed } from './exposure-warning.js';

/** How long a TaskManager bound to a wildcard waits for its JobManager to find its own address. */
const ADVERTISED_HOST_DETECTION_MS = 60_000;

export class TaskManagerRunner {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly rpcService: RpcService,
    readonly taskExecutor: TaskExecutor,
    private readonly blobCache: BlobCache,
    private readonly network: TaskManagerNetwork,
    private readonly stdout: TaskManagerStdout,
    /** The process's metric registry and, when configured, its Prometheus endpoint. */
    readonly metrics: ProcessMetrics,
    private readonly logger: Logger,
  ) {}

  /** Where print() sinks of this TaskManager's tasks write: its .out file's path, or 'stdout'. */
  get stdoutLocation(): string {
    return this.stdout.location;
  }

  get taskManagerId(): string {
    return this.taskExecutor.taskManagerId;
  }

  /** `jobManagerAddress` is the JobManager's host:port. */
  static async start(configuration: Configuration, jobManagerAddress: string, logger: Logger): Promise<TaskManagerRunner> {
    const bindHost = configuration.get(TaskManagerOptions.bindHost);
    let advertised = configuration.get(TaskManagerOptions.host);
    if (advertised === '' && isWildcardHost(bindHost)) {
      advertised = await detectAdvertisedHost({ jobManagerAddress, logger, maxWaitMs: ADVERTISED_HOST_DETECTION_MS });
    }
    const tls = loadInternalTls(configuration);
    const rpcService = await RpcService.start({
      bindHost,
      port: configuration.get(TaskManagerOptions.port),
      ...(advertised === '' ? {} : { advertisedHost: advertised }),
      configuration,
      authToken: authTokenOf(configuration),
      logger,
      ...(tls === undefined ? {} : { tls }),
    });
    const configuredId = configuration.get(TaskManagerOptions.resourceId);
    const taskManagerId = configuredId !== '' ? configuredId : `taskmanager-${rpcService.address}-${randomBytes(2).toString('hex')}`;
    const blobCache = new BlobCache({
      rpcService,
      jobManagerHostPort: jobManagerAddress,
      logger,
      timeoutMs: configuration.get(BlobOptions.transferTimeout),
      cleanupIntervalMs: configuration.get(BlobOptions.cleanupInterval),
      maxSizeBytes: configuration.get(BlobOptions.cacheMaxSize),
    });
    const network = new TaskManagerNetwork({ rpcService, configuration, logger, ...(tls === undefined ? {} : { tls }) });
    const logFile = configuration.get(LogOptions.file);
    const stdout = new TaskManagerStdout({
      ...(logFile === ''
        ? {}
        : { outFile: { path: outFileOf(logFile), maxFileSizeBytes: configuration.get(LogOptions.maxFileSize), maxBackupIndex: configuration.get(LogOptions.maxBackupIndex) } }),
      retainedChars: configuration.get(TaskManagerStdoutOptions.retainedSize),
      logger,
    });
    let metrics: ProcessMetrics | undefined;
    try {
      metrics = await ProcessMetrics.start({ configuration, component: 'taskmanager', host: hostOfAddress(rpcService.address), taskManagerId, bindHost, logger });
      const taskExecutor = new TaskExecutor(rpcService, { configuration, taskManagerId, jobManagerAddress, blobCache, network, stdout, metricRegistry: metrics.registry });
      await network.start();
      await taskExecutor.start();
      logger.info(
        { taskManagerId, bindAddress: rpcService.bindAddress, advertisedAddress: rpcService.address, jobManager: jobManagerAddress, slots: configuration.get(TaskManagerOptions.numberOfTaskSlots), blobCache: blobCache.directory, stdout: stdout.location, metricsPort: metrics.prometheus?.port },
        'TaskManager started',
      );
      warnIfExposed('TaskManager', [{ what: 'RPC and data ports (taskmanager.rpc.port, taskmanager.data.port)', bindHost }], configuration, logger);
      return new TaskManagerRunner(rpcService, taskExecutor, blobCache, network, stdout, metrics, logger);
    } catch (error) {
      await metrics?.close();
      await rpcService.stop();
      network.close();
      await blobCache.close();
      stdout.close();
      throw error;
    }
  }

  /** Cancels the tasks, tells the JobManager it is leaving, stops. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.logger.info({ taskManagerId: this.taskManagerId }, 'TaskManager stopping');
      await this.taskExecutor.closeAsync().catch((error: unknown) => this.logger.warn({ err: error }, 'TaskExecutor did not stop cleanly'));
      this.network.close();
      await this.rpcService.stop();
      await this.blobCache.close();
      this.stdout.close();
      await this.metrics.close();
      this.logger.info({ taskManagerId: this.taskManagerId }, 'TaskManager stopped');
    })();
    return this.stopping;
  }
}
