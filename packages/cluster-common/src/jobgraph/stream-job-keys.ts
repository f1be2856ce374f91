/**
 * How a JobGraph asks for the built-in stream task, and the keys of the job configuration through
 * which the client tells that task how to rebuild the job's plan. Written by the client
 * (job-graph-translator), read by the stream task in each worker.
 */

/** The invokable of every vertex of a DataStream job: the runtime's stream task. */
export const STREAM_INVOKABLE = '@eddy/stream';
/** The fingerprint of the plan the client built; the task's rebuild must match it. */
export const PLAN_FINGERPRINT_KEY = 'eddy.plan.fingerprint';
/** The arguments of the job's main function, as a JSON array of strings. */
export const JOB_ARGS_KEY = 'eddy.job.args';
