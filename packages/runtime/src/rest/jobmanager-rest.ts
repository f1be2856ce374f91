/**
 * Starts the JobManager's REST server from its configuration: where it listens (rest.bind-address,
 * else jobmanager.bind-host, so it is on loopback unless the JobManager listens more widely, as in
 * a container), the URL it advertises, and gateways to the Dispatcher and the ResourceManager of
 * this process (in-process calls, with the ask timeout as deadline).
 */
import type { Configuration, Logger } from '@eddy/common';
import { AuthOptions, authTokenOf, DISPATCHER_ENDPOINT_ID, loadRestTls, RESOURCE_MANAGER_ENDPOINT_ID } from '@eddy/cluster-common';
import { eddy_dispatcher_v1 as dispatcher, eddy_resourcemanager_v1 as rm } from '@eddy/proto';
import type { RpcService } from '@eddy/rpc';
import { CheckpointingOptions } from '../checkpoint/checkpointing-options.js';
import { JobManagerOptions } from '../entrypoint/jobmanager-options.js';
import { isWildcardHost } from '../entrypoint/advertised-host.js';
import { CachedReads } from './cached-reads.js';
import { RestOptions } from './rest-options.js';
import { jobManagerRestPlugins } from './rest-plugins.js';
import { RestServer } from './rest-server.js';

export async function startJobManagerRest(rpcService: RpcService, configuration: Configuration, logger: Logger): Promise<RestServer> {
  const log = logger.child({ component: 'rest' });
  const configuredBind = configuration.get(RestOptions.bindAddress);
  const bindAddress = configuredBind !== '' ? configuredBind : configuration.get(JobManagerOptions.bindHost);
  const advertised = configuration.get(RestOptions.address) || configuration.get(JobManagerOptions.address) || (isWildcardHost(bindAddress) ? '127.0.0.1' : bindAddress);
  const [dispatcherGateway, resourceManagerGateway] = await Promise.all([
    rpcService.connect(`${rpcService.address}/${DISPATCHER_ENDPOINT_ID}`, dispatcher.DispatcherGateway),
    rpcService.connect(`${rpcService.address}/${RESOURCE_MANAGER_ENDPOINT_ID}`, rm.ResourceManagerGateway),
  ]);
  const https = loadRestTls(configuration);
  return RestServer.start({
    services: {
      dispatcher: dispatcherGateway,
      resourceManager: resourceManagerGateway,
      callTimeoutMs: rpcService.askTimeoutMs,
      savepointTimeoutMs: configuration.get(CheckpointingOptions.timeout) + 2 * rpcService.askTimeoutMs,
      logger: log,
      cache: new CachedReads(configuration.get(RestOptions.refreshInterval)),
      refreshIntervalMs: configuration.get(RestOptions.refreshInterval),
    },
    bindAddress,
    port: configuration.get(RestOptions.port),
    advertisedHost: advertised,
    maxContentLength: configuration.get(RestOptions.maxContentLength),
    maxConnections: configuration.get(RestOptions.maxConnections),
    plugins: jobManagerRestPlugins(configuration),
    auth: { token: authTokenOf(configuration), readOnlyAnonymous: configuration.get(AuthOptions.restReadOnlyAnonymous) },
    ...(https === undefined ? {} : { https }),
  });
}
