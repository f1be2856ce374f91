/** What the client and the TaskManagers' worker threads use of a job bundle's API copy. */
export type * from './internal/contract.js';
export { CONTRACT_VERSION } from './internal/contract.js';
export { HISTOGRAM_QUANTILES, USER_METRIC_WIDTH, type UserMetricDefinition, type UserMetricKind, type UserMetricsBacking } from './internal/user-metrics.js';
export {
  buildPlan,
  checkPlan,
  createTaskChain,
  describePlanDifferences,
  type CreateTaskChainOptions,
  type JobMainFunction,
  type PlanOptions,
} from './internal/bundle-entry-points.js';
export { planFingerprint } from './internal/job-plan.js';
export { defaultMaxParallelism, keyGroupFor, keyGroupRangeForOperatorIndex, operatorIndexForKeyGroup } from './key-groups.js';
export { EddyApiError, JobDefinitionError, JobGraphMismatchError } from './errors.js';
export type { KeyedStateBackend } from './internal/state/keyed-state-backend.js';
/** For the tests of the JobMaster's state assignment: restores what it assigns, as a task does. */
export { DefaultOperatorStateStore } from './internal/state/operator-state-store.js';
export {
  decodeRecords,
  decodeValue,
  encodeRecords,
  encodeValue,
  FORMAT_VERSION as RECORD_CODEC_FORMAT_VERSION,
  RecordDecodeError,
  RecordDecoder,
  RecordEncodeError,
  RecordEncoder,
} from './internal/codec/record-codec.js';
export {
  checkJobAgainstState,
  type CheckpointStateSummary,
  type JobStateCheckOptions,
  type JobStateCheckResult,
  type OperatorStateSummary,
  type StateIncompatibility,
} from './internal/state/job-state-check.js';
export { checkStateCompatibility, compareStateTypes, StateMigrationError, type StateCompatibility, type StateMetaInfo } from './internal/state/state-compatibility.js';
export { describeStateType, parseStateTypeJson } from './types.js';
