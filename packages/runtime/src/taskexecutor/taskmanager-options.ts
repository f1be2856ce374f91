/** Options of a TaskManager: its slots, its addresses, and how it registers. */
import { durationOption, integerOption, memorySizeOption, stringOption } from '@eddy/common';

export const TaskManagerOptions = {
  numberOfTaskSlots: integerOption({
    key: 'taskmanager.numberOfTaskSlots',
    defaultValue: 1,
    min: 1,
    max: 1024,
    description: 'Slots this TaskManager offers. Each slot runs one subtask of every vertex of a slot sharing group.',
  }),
  taskHeapSize: memorySizeOption({
    key: 'taskmanager.memory.task.heap.size',
    defaultBytes: 1024 * 1024 * 1024,
    minBytes: 32 * 1024 * 1024,
    description:
      "JavaScript heap for the tasks of this TaskManager, split evenly over its slots: each task's worker thread may use up to this divided by taskmanager.numberOfTaskSlots " +
      '(at least 32 mb; tasks that share a slot each get that share). A task that needs more fails alone, with an error that names this option, and the TaskManager and its other tasks keep running. ' +
      'The default suits a small machine (1 GiB in all: the whole of it for a TaskManager with one slot); raise it for jobs with large heap state.',
  }),
  bindHost: stringOption({
    key: 'taskmanager.bind-host',
    defaultValue: '127.0.0.1',
    description: 'Interface the TaskManager listens on. Use 0.0.0.0 in a container.',
  }),
  host: stringOption({
    key: 'taskmanager.host',
    defaultValue: '',
    description:
      'Host the JobManager and other TaskManagers use to reach this TaskManager (its advertised address). Empty means the bind host; with a wildcard bind host (0.0.0.0), the local address of a connection to the JobManager, as Flink detects it (a container advertises its address on the container network). It waits up to 60 s for the JobManager, then uses the first non-loopback interface.',
  }),
  port: integerOption({
    key: 'taskmanager.rpc.port',
    defaultValue: 0,
    min: 0,
    max: 65535,
    description: 'Port of the TaskManager. 0 picks a free port.',
  }),
  resourceId: stringOption({
    key: 'taskmanager.resource-id',
    defaultValue: '',
    description: 'Id of the TaskManager in logs and in the CLI. Empty means one is made from its address and a random suffix.',
  }),
  registrationInitialBackoff: durationOption({
    key: 'cluster.registration.initial-timeout',
    defaultMs: 100,
    minMs: 1,
    description:
      'Shortest delay between attempts to register at the ResourceManager. Each failure draws the next delay at random between this and three times the previous one (decorrelated jitter), up to cluster.registration.max-timeout, so TaskManagers that lost their JobManager together do not retry together.',
  }),
  registrationMaxBackoff: durationOption({
    key: 'cluster.registration.max-timeout',
    defaultMs: 2_000,
    minMs: 1,
    description:
      'Longest delay between attempts to register at the ResourceManager. A TaskManager retries forever; this bounds how long it takes to notice a JobManager that has come up (Flink uses 30 s).',
  }),
  refusedRegistrationDelay: durationOption({
    key: 'cluster.registration.refused-registration-delay',
    defaultMs: 10_000,
    description: 'Delay before registering again after the ResourceManager refused the registration (plus a random jitter of up to three times cluster.registration.initial-timeout, so refused TaskManagers do not return together).',
  }),
  shutdownTimeout: durationOption({
    key: 'taskmanager.shutdown.timeout',
    defaultMs: 5_000,
    description: 'How long a stopping TaskManager waits for its tasks to be canceled and the ResourceManager to be told before it exits anyway.',
  }),
} as const;
