/** Options of the REST endpoint on the JobManager (Flink's `rest.*` keys where Flink has them). */
import { durationOption, integerOption, memorySizeOption, stringOption } from '@eddy/common';

export const RestOptions = {
  port: integerOption({
    key: 'rest.port',
    defaultValue: 8081,
    min: 0,
    max: 65535,
    description: "Port of the JobManager's REST API (Flink's paths and JSON). 0 picks a free port; the JobManager logs the URL it serves at ('REST endpoint started').",
  }),
  address: stringOption({
    key: 'rest.address',
    defaultValue: '',
    description: 'Host the REST URL is advertised with in the logs; empty means jobmanager.rpc.address, or the bind address (127.0.0.1 for a wildcard bind).',
  }),
  bindAddress: stringOption({
    key: 'rest.bind-address',
    defaultValue: '',
    description:
      'Interface the REST API listens on; empty means jobmanager.bind-host (127.0.0.1 by default, 0.0.0.0 in the container setup). Whoever reaches it can read jobs, cancel them and take savepoints unless security.auth.token is set (docs/security.md).',
  }),
  maxContentLength: memorySizeOption({
    key: 'rest.server.max-content-length',
    defaultBytes: 1024 * 1024,
    minBytes: 1024,
    description: 'Largest request body the REST API reads; a larger one gets 413. Flink defaults to 100 MiB because it takes job jars over REST; Eddy takes jobs over gRPC.',
  }),
  maxConnections: integerOption({
    key: 'rest.server.max-connections',
    defaultValue: 512,
    min: 1,
    description: 'Open connections the REST API accepts at once; further ones are closed at once, so a flood of clients cannot starve the JobManager.',
  }),
  refreshInterval: durationOption({
    key: 'web.refresh-interval',
    defaultMs: 1000,
    minMs: 0,
    description:
      "How often the web dashboard refreshes; the REST API also keeps what it read of jobs and TaskManagers this long (as Flink's does), so a flood of requests costs the JobManager's endpoints a few calls per second. 0 reads afresh for every request.",
  }),
} as const;
