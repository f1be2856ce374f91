export { JobClientError, JobFileError, JobManagerUnreachableError, JobEventStreamEndedError, UnknownJobError, type JobFileErrorKind, type SourceProblem } from './client-errors.js';
export { bundleJob, FORBIDDEN_IMPORTS, isForbiddenImport, type BundleOptions, type JobBundle } from './job-bundler.js';
export { inputPathNotes, planJob, withResolvedInputPaths, type InputPathNote } from './job-planner.js';
export { toJobGraph, type ToJobGraphOptions } from './job-graph-translator.js';
export { IncompatibleUpdateError, stateSummaryOf, updateJob, UpdateFailedAfterStopError, type JobUpdate, type UpdateJobOptions } from './job-updater.js';
export { DEFAULT_SAVEPOINT_TIMEOUT_MS, JobClient, missingUidWarningFor, prepareJobFile, type CollectedBatch, type SavepointOptions, type StopWithSavepointOptions, type ErrorInfo, type JobClientOptions, type JobDetails, type JobEvent, type PreparedJob, type SubmitJobOptions, type SubmittedJob } from './job-client.js';
