/**
 * The JobGraph contract without the blob client: safe to load in a task's worker thread (no rpc,
 * grpc or pino behind it). `@eddy/cluster-common/jobgraph`.
 */
export * from './invalid-job-graph-error.js';
export * from './job-graph-builder.js';
export * from './job-graph-defaults.js';
export * from './job-graph-validation.js';
export * from './stream-job-keys.js';
export * from './missing-uids.js';
