/** Every option the runtime declares, for validation at start-up and the generated reference. */
import { StateBackendOptions } from './taskexecutor/state/state-backend-options.js';
import { PipelineOptions } from './taskexecutor/pipeline-options.js';
import { LogOptions, type ConfigOption } from '@eddy/common';
import { RpcOptions } from '@eddy/rpc';
import { AuthOptions, BlobOptions, SslOptions } from '@eddy/cluster-common';
import { CheckpointingOptions } from './checkpoint/checkpointing-options.js';
import { S3Options } from './checkpoint/filesystem/s3-options.js';
import { CollectSinkOptions } from './collect/collect-sink-options.js';
import { JobManagerOptions } from './entrypoint/jobmanager-options.js';
import { HeartbeatOptions } from './heartbeat/heartbeat-options.js';
import { RestartStrategyOptions } from './jobmaster/failover/restart-strategy-options.js';
import { JobMasterOptions } from './jobmaster/jobmaster-options.js';
import { WatermarkStallOptions } from './jobmaster/watermark-stall-warning.js';
import { TaskOptions } from './taskexecutor/task-options.js';
import { TaskManagerOptions } from './taskexecutor/taskmanager-options.js';
import { TaskManagerStdoutOptions } from './taskexecutor/taskmanager-stdout.js';
import { NetworkOptions } from './network/network-options.js';
import { MetricOptions } from './metrics/metric-options.js';
import { RestOptions } from './rest/rest-options.js';

export function allRuntimeOptions(): ConfigOption<unknown>[] {
  const groups: Record<string, ConfigOption<unknown>>[] = [
    RpcOptions,
    JobManagerOptions,
    RestOptions,
    TaskManagerOptions,
    HeartbeatOptions,
    JobMasterOptions,
    RestartStrategyOptions,
    CheckpointingOptions,
    S3Options,
    TaskOptions,
    PipelineOptions,
    WatermarkStallOptions,
    BlobOptions,
    SslOptions,
    NetworkOptions,
    CollectSinkOptions,
    LogOptions,
    TaskManagerStdoutOptions,
    StateBackendOptions,
    MetricOptions,
    AuthOptions,
  ] as unknown as Record<string, ConfigOption<unknown>>[];
  return groups.flatMap((group) => Object.values(group));
}
