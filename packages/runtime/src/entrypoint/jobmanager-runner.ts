/**
 * The JobManager process: one RpcService hosting the Dispatcher and the ResourceManager (and a
 * JobMaster per running job), the blob store and the job event streams.
 */
import type { Configuration, Logger } from '@eddy/common';
import { RpcService } from '@eddy/rpc';
import { authTokenOf, loadInternalTls } from '@eddy/cluster-common';
import { BlobServer } from '../blob/blob-server.js';
import { Dispatcher } from '../dispatcher/dispatcher.js';
import { serveJobEvents } from '../dispatcher/job-events-service.js';
import { ResourceManager } from '../resourcemanager/resource-manager.js';
import type { RestServer } from '../rest/rest-server.js';
import { JobManagerOptions } from './jobmanager-options.js';
import { warnIfExposed } from './exposure-warning.js';
import { RestOptions } from '../rest/rest-options.js';
import { ProcessMetrics } from '../metrics/process-metrics.js';
import { hostOfAddress } from '../metrics/metric-registry.js';

export class JobManagerRunner {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly rpcService: RpcService,
    readonly blobServer: BlobServer,
    readonly resourceManager: ResourceManager,
    readonly dispatcher: Dispatcher,
    /** The process's metric registry and, when configured, its Prometheus endpoint. */
    readonly metrics: ProcessMetrics,
    /** The REST API (rest.port). */
    readonly restServer: RestServer,
    private readonly logger: Logger,
  ) {}

  /** host:port clients and TaskManagers use. */
  get address(): string {
    return this.rpcService.address;
  }

  static async start(configuration: Configuration, logger: Logger): Promise<JobManagerRunner> {
    const advertised = configuration.get(JobManagerOptions.address);
    const tls = loadInternalTls(configuration);
    const rpcService = await RpcService.start({
      bindHost: configuration.get(JobManagerOptions.bindHost),
      port: configuration.get(JobManagerOptions.port),
      ...(advertised === '' ? {} : { advertisedHost: advertised }),
      configuration,
      authToken: authTokenOf(configuration),
      logger,
      ...(tls === undefined ? {} : { tls }),
    });
    let metrics: ProcessMetrics | undefined;
    try {
      const host = hostOfAddress(rpcService.address);
      metrics = await ProcessMetrics.start({ configuration, component: 'jobmanager', host, bindHost: configuration.get(JobManagerOptions.bindHost), logger });
      const blobServer = await BlobServer.start(rpcService, { configuration, logger });
      const resourceManager = new ResourceManager(rpcService, configuration);
      await resourceManager.start();
      const dispatcher = new Dispatcher(rpcService, { configuration, blobServer, metrics: { registry: metrics.registry, host } });
      await dispatcher.start();
      serveJobEvents(rpcService, dispatcher.events);
      // Loaded here, not at the top: only a JobManager needs fastify, not every process (CLI, TaskManager) that imports the runtime.
      const { startJobManagerRest } = await import('../rest/jobmanager-rest.js');
      const restServer = await startJobManagerRest(rpcService, configuration, logger);
      logger.info(
        { bindAddress: rpcService.bindAddress, advertisedAddress: rpcService.address, restAddress: restServer.url, blobStorage: blobServer.storagePath, metricsPort: metrics.prometheus?.port },
        'JobManager started',
      );
      const bindHost = configuration.get(JobManagerOptions.bindHost);
      warnIfExposed(
        'JobManager',
        [
          { what: 'RPC port (jobmanager.rpc.port)', bindHost },
          { what: 'REST port (rest.port)', bindHost: configuration.get(RestOptions.bindAddress) || bindHost },
        ],
        configuration,
        logger,
      );
      return new JobManagerRunner(rpcService, blobServer, resourceManager, dispatcher, metrics, restServer, logger);
    } catch (error) {
      await metrics?.close();
      await rpcService.stop();
      throw error;
    }
  }

  /** Cancels running jobs, then stops every endpoint and the server. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.logger.info({ address: this.address }, 'JobManager stopping');
      await this.restServer.close().catch((error: unknown) => this.logger.warn({ err: error }, 'REST endpoint did not stop cleanly'));
      await this.dispatcher.closeAsync().catch((error: unknown) => this.logger.warn({ err: error }, 'Dispatcher did not stop cleanly'));
      await this.rpcService.stop();
      await this.blobServer.close();
      await this.metrics.close();
      this.logger.info({}, 'JobManager stopped');
    })();
    return this.stopping;
  }
}
