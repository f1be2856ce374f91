export * from './jobgraph/invalid-job-graph-error.js';
export * from './jobgraph/job-graph-builder.js';
export * from './jobgraph/job-graph-defaults.js';
export * from './jobgraph/job-graph-validation.js';
export * from './executiongraph/execution-state.js';
export * from './executiongraph/job-status.js';
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
