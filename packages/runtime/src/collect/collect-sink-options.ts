/**
 * Options of the collect() path: how much a job's collect sinks may have in flight, how much the
 * JobManager holds for the job's client, and how long it keeps what nobody read after the job ended.
 *
 * Flink's collect sink keeps its results in the sink and the client pulls them
 * (`collect-sink.batch-size.max`); Eddy's sinks push through the TaskExecutor and the JobMaster to
 * a buffer on the JobManager that the client reads and acknowledges. Both bound memory the same
 * way: a full buffer backpressures the sink's task until the client has read.
 */
import { durationOption, memorySizeOption } from '@eddy/common';

export const CollectSinkOptions = {
  maxBufferedSize: memorySizeOption({
    key: 'collect-sink.max-buffered-size',
    defaultBytes: 32 * 1024 * 1024,
    minBytes: 1024,
    description:
      "Most bytes of collected records the JobManager holds per job for the client that submitted it. Once that much is unread, the job's collect sinks are backpressured (and with them the pipeline) until the client reads. " +
      'A single batch larger than this fails the job with an error naming this option. Read by the JobManager; a job can set it for itself.',
  }),
  maxInFlightSize: memorySizeOption({
    key: 'collect-sink.max-in-flight-size',
    defaultBytes: 2 * 1024 * 1024,
    minBytes: 1,
    description:
      "Most bytes of batches one collect sink subtask has sent that the JobManager has not yet stored; beyond it the sink's task is backpressured. A batch is cut into parts of at most half this size (a single larger record travels alone). Read by the TaskManager; a job can set it for itself.",
  }),
  retention: durationOption({
    key: 'collect-sink.retention',
    defaultMs: 5 * 60_000,
    minMs: 0,
    description:
      "How long the JobManager keeps a job's collected records that its client has not read after the job ended. Then they are released, and a client that asks for them is told so.",
  }),
} as const;
