/** Options of the JobManager process: where it listens and how long it remembers jobs. */
import { durationOption, integerOption, stringOption } from '@eddy/common';

export const JobManagerOptions = {
  bindHost: stringOption({
    key: 'jobmanager.bind-host',
    defaultValue: '127.0.0.1',
    description: 'Interface the JobManager listens on. Use 0.0.0.0 in a container so other hosts can reach it.',
  }),
  address: stringOption({
    key: 'jobmanager.rpc.address',
    defaultValue: '',
    description:
      'Host of the JobManager. On the JobManager: the host other processes use to reach it (its advertised address); empty means the bind host (127.0.0.1 for a wildcard bind). On a TaskManager: the JobManager to register at; empty means localhost. In a container, set it to the JobManager service name.',
  }),
  port: integerOption({
    key: 'jobmanager.rpc.port',
    defaultValue: 6123,
    min: 0,
    max: 65535,
    description: 'Port of the JobManager, for TaskManagers and clients alike (a TaskManager registers at it). 0 picks a free port.',
  }),
  jobStoreMaxCapacity: integerOption({
    key: 'jobstore.max-capacity',
    defaultValue: 1000,
    min: 1,
    description: 'How many finished, failed or canceled jobs the Dispatcher keeps queryable; the oldest are forgotten first.',
  }),
  shutdownTimeout: durationOption({
    key: 'jobmanager.shutdown.timeout',
    defaultMs: 10_000,
    description: 'How long a stopping JobManager waits for its running jobs to be canceled before it exits anyway.',
  }),
} as const;
