/**
 * Options of the data plane. The TaskManagerNetwork reads the TaskManager-wide ones (data port,
 * request timeout). The per-task ones (segment size, buffer timeout, credits, queue length) are
 * resolved for each task when its thread starts, as Flink does: the job's configuration, over the
 * TaskManager's (`-D`, EDDY_PROPERTIES, config file), over the defaults. The task thread hands them
 * to the ResultPartitionWriters and InputGates it creates.
 */
import { durationOption, integerOption, memorySizeOption, type Configuration } from '@eddy/common/config';
import {
  BUFFER_TIMEOUT_KEY,
  DEFAULT_BUFFER_SIZE_BYTES,
  DEFAULT_BUFFER_TIMEOUT_MS,
  DEFAULT_CREDITS_PER_CHANNEL,
  DEFAULT_MAX_QUEUED_BUFFERS_PER_CHANNEL,
} from './network-buffer.js';

export const NetworkOptions = {
  segmentSize: memorySizeOption({
    key: 'taskmanager.memory.segment-size',
    defaultBytes: DEFAULT_BUFFER_SIZE_BYTES,
    minBytes: 256,
    description:
      'Target size of a network buffer: a producer cuts the batch of records it is filling for a channel once its records take about this much, serialized. ' +
      'A record larger than this travels in a buffer of its own.',
  }),
  bufferTimeout: durationOption({
    key: BUFFER_TIMEOUT_KEY,
    defaultMs: DEFAULT_BUFFER_TIMEOUT_MS,
    minMs: 0,
    description:
      'Longest a record waits in a partly filled network buffer before the buffer is sent. 0 sends every record on its own (lowest latency, lowest throughput).',
  }),
  buffersPerChannel: integerOption({
    key: 'taskmanager.network.memory.buffers-per-channel',
    defaultValue: DEFAULT_CREDITS_PER_CHANNEL,
    min: 1,
    max: 1024,
    description:
      'Credits of an input channel: how many buffers its producer may send before the consumer has processed one. More covers longer round trips between TaskManagers; each costs a buffer of memory per channel.',
  }),
  maxQueuedBuffersPerChannel: integerOption({
    key: 'taskmanager.network.memory.max-queued-buffers-per-channel',
    defaultValue: DEFAULT_MAX_QUEUED_BUFFERS_PER_CHANNEL,
    min: 1,
    max: 1024,
    description:
      'Full buffers a producer keeps for one channel that has no credit (or no consumer connected yet) before the producing task is backpressured.',
  }),
  dataPort: integerOption({
    key: 'taskmanager.data.port',
    defaultValue: 0,
    min: 0,
    max: 65535,
    description:
      'Port of the TaskManager\'s data server, which other TaskManagers connect to for the records its tasks produce (one TCP connection per pair of TaskManagers). 0 picks a free port; consumers learn it from the TaskManager\'s RPC address. It listens on taskmanager.bind-host.',
  }),
  handshakeTimeout: durationOption({
    key: 'taskmanager.network.handshake-timeout',
    defaultMs: 10_000,
    minMs: 1,
    description:
      "A connection to the data port that has not sent the data protocol's HELLO within this long is closed (with security.ssl.internal.enabled, the TLS handshake must complete within this long too, and the HELLO within this long after it), so idle connections cannot hold the port's resources.",
  }),
  requestTimeout: durationOption({
    key: 'taskmanager.network.request-timeout',
    defaultMs: 10_000,
    minMs: 1,
    description:
      'How long a consumer waits for the producer of a partition to be deployed on its TaskManager before its channel fails with PartitionNotFoundError. Producers and consumers are deployed at the same time, so a short wait is normal.',
  }),
} as const;

/**
 * What a task thread needs to build its ResultPartitionWriters and InputGates: plain numbers, to
 * travel in a worker's workerData (the worker side of the network reads no configuration).
 */
export interface NetworkTaskSettings {
  /** ResultPartitionWriterOptions.bufferSizeBytes */
  readonly bufferSizeBytes: number;
  /** ResultPartitionWriterOptions.bufferTimeoutMs */
  readonly bufferTimeoutMs: number;
  /** ResultPartitionWriterOptions.maxQueuedBuffersPerChannel */
  readonly maxQueuedBuffersPerChannel: number;
  /** InputGateOptions.initialCredit */
  readonly initialCredit: number;
}

/** The options networkTaskSettings reads: a job may set each of them for its own tasks. */
export const PER_TASK_NETWORK_OPTIONS = [
  NetworkOptions.segmentSize,
  NetworkOptions.bufferTimeout,
  NetworkOptions.maxQueuedBuffersPerChannel,
  NetworkOptions.buffersPerChannel,
] as const;

/**
 * The per-task network settings of a job's task on a TaskManager: what the job's configuration
 * sets, else what the TaskManager's sets, else the default. Throws a ConfigurationError naming the
 * key, value and its source ('job configuration' or where the TaskManager got it) for a bad value.
 */
export function resolveNetworkTaskSettings(taskManagerConfiguration: Configuration, jobConfiguration: Readonly<Record<string, string>>): NetworkTaskSettings {
  const fromJob: Record<string, string> = {};
  for (const option of PER_TASK_NETWORK_OPTIONS) {
    const value = jobConfiguration[option.key];
    if (value !== undefined) fromJob[option.key] = value;
  }
  return networkTaskSettings(taskManagerConfiguration.withOverrides(fromJob, 'job configuration'));
}

/** Reads the per-task network options of one configuration (see resolveNetworkTaskSettings for a task's). */
export function networkTaskSettings(configuration: Configuration): NetworkTaskSettings {
  return {
    bufferSizeBytes: configuration.get(NetworkOptions.segmentSize),
    bufferTimeoutMs: configuration.get(NetworkOptions.bufferTimeout),
    maxQueuedBuffersPerChannel: configuration.get(NetworkOptions.maxQueuedBuffersPerChannel),
    initialCredit: configuration.get(NetworkOptions.buffersPerChannel),
  };
}
