export type { Invokable, TaskContext, TaskOperator } from './taskexecutor/task-context.js';
export * from './taskexecutor/task-messages.js';
export { TaskOptions } from './taskexecutor/task-options.js';
export { TaskThread, type TaskThreadCallbacks, type TaskThreadOptions } from './taskexecutor/task-thread.js';
export { allRuntimeOptions } from './runtime-options.js';
export { RUNTIME_CONTRACT_VERSION } from './job-contract.js';
export { JobManagerOptions } from './entrypoint/jobmanager-options.js';
export { RestOptions } from './rest/rest-options.js';
export type { RestApp, RestPlugin, RestServices } from './rest/rest-app.js';
export type { RestServer } from './rest/rest-server.js';
export { TaskManagerOptions } from './taskexecutor/taskmanager-options.js';
export { JobMasterOptions } from './jobmaster/jobmaster-options.js';
export { JobManagerRunner } from './entrypoint/jobmanager-runner.js';
export { TaskManagerRunner } from './entrypoint/taskmanager-runner.js';
export { ResourceManager } from './resourcemanager/resource-manager.js';
export { TaskExecutor, TASK_EXECUTOR_ENDPOINT_ID, TaskNotFoundError } from './taskexecutor/task-executor.js';
export { Dispatcher } from './dispatcher/dispatcher.js';
export { JobMaster, jobMasterEndpointId, NoResourceAvailableError, TaskManagerLostError } from './jobmaster/job-master.js';
export { isRequestingSlots } from './jobmaster/slot-wait-message.js';
export { errorInfoOf, describeError } from './cluster/error-info.js';
export { taskNameWithSubtask, transitionMessage } from './executiongraph/transition-log.js';
export * from './heartbeat/heartbeat-options.js';
export * from './heartbeat/heartbeat-manager.js';
export * from './heartbeat/event-loop-lag.js';
export * from './jobmaster/failover/restart-strategy-options.js';
export * from './jobmaster/failover/restart-backoff-time-strategy.js';
// What the client shares with the cluster (the JobGraph contract, job statuses, the Dispatcher's ids
// and errors, the blob client) lives in @eddy/cluster-common; here too for code that uses the runtime.
export * from '@eddy/cluster-common';
export * from './executiongraph/execution-state.js';
export * from './executiongraph/illegal-state-transition-error.js';
export {
  ConsumedPartitionGroup,
  ConsumerVertexGroup,
  Execution,
  ExecutionGraph,
  ExecutionJobVertex,
  ExecutionVertex,
  IntermediateResult,
  IntermediateResultPartition,
  MAX_PRIOR_EXECUTIONS,
  statusCounts,
  type ExecutionGraphListener,
  type ExecutionGraphOptions,
  type ExecutionResource,
  type JobEdgeInput,
} from './executiongraph/execution-graph.js';
export { BlobServer } from './blob/blob-server.js';
export { BlobCache } from './blob/blob-cache.js';
export { MiniCluster, type MiniClusterOptions } from './entrypoint/mini-cluster.js';
export { TaskManagerNetwork, type TaskManagerNetworkOptions, type ConsumedSubpartition, type ConsumerConnection } from './network/task-manager-network.js';
export { NetworkOptions, networkTaskSettings, type NetworkTaskSettings } from './network/network-options.js';
export { ResultPartitionWriter, type ResultPartitionWriterOptions } from './network/result-partition-writer.js';
export { InputGate, type InputGateOptions } from './network/input-gate.js';
export {
  CodecRecordBatchSerializer,
  codecRecordBatchSerializer,
  defaultRecordBatchSerializer,
  MsgpackRecordBatchSerializer,
  msgpackRecordBatchSerializer,
  type RecordBatchSerializer,
  type RecordBatchSerializerFactory,
} from './network/record-batch-serializer.js';
export { BufferKind } from './network/network-buffer.js';
export * from './network/network-errors.js';
export { CollectSinkOptions } from './collect/collect-sink-options.js';
export { CollectedResults, CollectedResultsReleasedError, type CollectSource } from './collect/collected-results.js';
export { FileSystemCheckpointStorage, readCompletedCheckpoint } from './checkpoint/checkpoint-storage.js';
export { S3StateFileSystem } from './checkpoint/filesystem/s3-state-file-system.js';
export { S3Options, type S3Settings } from './checkpoint/filesystem/s3-options.js';
export { MetricOptions, PROMETHEUS_REPORTER_FACTORY } from './metrics/metric-options.js';
export { MetricRegistry, MetricGroup, type Metric, type HistogramStatistics } from './metrics/metric-registry.js';
export { ProcessMetrics, prometheusEnabled } from './metrics/process-metrics.js';
export { renderPrometheus, parsePortRange } from './metrics/prometheus-reporter.js';
export { TaskMetricsView, type TaskRates } from './metrics/task-metrics-view.js';
