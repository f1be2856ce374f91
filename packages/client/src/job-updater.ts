/**
 * Updating a running job's code without losing its state (`eddy update`), in the order that keeps
 * the old job safe:
 *
 *   1. the new code is bundled and planned (prepareJobFile) before anything is asked of the job;
 *   2. the plan is checked against the state the running job holds (its latest completed
 *      checkpoint's metadata, or, when it has none yet, a savepoint taken while it keeps running):
 *      uids, state names, kinds and types, max parallelism (checkJobAgainstState). Any
 *      incompatibility refuses the update with the list, and the job was not touched;
 *   3. the job stops with a savepoint (stop-with-savepoint: sources stop, a final savepoint, the
 *      tasks finish and exactly-once sinks commit);
 *   4. the new job is submitted from that savepoint and the update waits until every one of its
 *      subtasks runs: the gap in processing is from the stop request to that moment.
 *
 * A failure after step 3 leaves the savepoint where it is; UpdateFailedAfterStopError carries it,
 * so the caller can say how to resume either version.
 */
import { checkJobAgainstState, type CheckpointStateSummary, type JobStateCheckResult } from '@eddy/api/internal';
import type { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import { isGloballyTerminal, type JobStatus } from '@eddy/cluster-common';
import type { JobClient, PreparedJob } from './job-client.js';

export interface UpdateJobOptions {
  /** Flink's --allowNonRestoredState: state of operators the new code lacks is dropped instead of refused. */
  readonly allowNonRestoredState?: boolean;
  /** Where the savepoint goes; default the cluster's state.savepoints.dir. */
  readonly savepointDirectory?: string;
  /** How long the savepoints and the new job's start may take, each (ms). */
  readonly timeoutMs: number;
  /** Progress lines ("Checking the new code against checkpoint 12 ..."). */
  readonly onProgress?: (message: string) => void;
}

export interface JobUpdate {
  readonly oldJobId: string;
  readonly newJobId: string;
  readonly savepointPath: string;
  /** From the stop request to every subtask of the new job RUNNING. */
  readonly gapMs: number;
  readonly check: JobStateCheckResult;
}

/** The new code does not fit the running job's state; the job was not touched. */
export class IncompatibleUpdateError extends Error {
  override readonly name = 'IncompatibleUpdateError';
  constructor(
    readonly jobId: string,
    readonly check: JobStateCheckResult,
  ) {
    super(
      `Job ${jobId} was not touched: the new code does not fit its state:\n` +
        check.incompatibilities.map((problem) => `  - ${problem.message}`).join('\n') +
        '\nChange the new code (uids, state names and types, max parallelism) so it fits, then run the update again',
    );
  }
}

/** The old job stopped with its savepoint, but the new one did not come up; the savepoint is intact. */
export class UpdateFailedAfterStopError extends Error {
  override readonly name = 'UpdateFailedAfterStopError';
  constructor(
    readonly oldJobId: string,
    readonly savepointPath: string,
    readonly newJobId: string | undefined,
    cause: unknown,
  ) {
    super(
      `Job ${oldJobId} stopped with savepoint ${savepointPath}, but the new job ${newJobId === undefined ? 'could not be submitted' : `${newJobId} did not start running`}: ` +
        `${cause instanceof Error ? cause.message : String(cause)}. The savepoint is intact: start the new version with \`eddy run -s ${savepointPath} <new job file>\`, ` +
        `or the old one with \`eddy run -s ${savepointPath} <old job file>\``,
      { cause },
    );
  }
}

/** Runs the update described in the file comment. `prepared` is the new code, bundled and planned. */
export async function updateJob(client: JobClient, jobId: string, prepared: PreparedJob, options: UpdateJobOptions): Promise<JobUpdate> {
  const progress = options.onProgress ?? (() => undefined);
  const { status } = await client.requestJob(jobId);
  if (isGloballyTerminal(status as JobStatus)) throw new Error(`Job ${jobId} has already ended: it is ${status}; start the new code from a savepoint with \`eddy run -s\``);

  let state = await client.requestJobState(jobId);
  let checkSavepoint: string | undefined;
  if (!state.found) {
    progress(`Job ${jobId} has no completed checkpoint yet: taking a savepoint to check the new code against (the job keeps running)`);
    checkSavepoint = await client.triggerSavepoint(jobId, options.savepointDirectory, { timeoutMs: options.timeoutMs });
    state = await client.requestJobState(jobId, checkSavepoint);
  }
  progress(`Checking the new code against ${checkSavepoint === undefined ? `checkpoint ${state.checkpointId}` : `savepoint ${checkSavepoint}`} of job ${jobId}`);
  const check = checkJobAgainstState(prepared.plan, stateSummaryOf(state), { allowNonRestoredState: options.allowNonRestoredState === true });
  if (checkSavepoint !== undefined) await client.disposeSavepoint(checkSavepoint).catch(() => undefined);
  if (check.incompatibilities.length > 0) throw new IncompatibleUpdateError(jobId, check);

  progress(`Stopping job ${jobId} with a savepoint`);
  const stopRequestedAt = Date.now();
  const savepointPath = await client.stopWithSavepoint(jobId, { ...(options.savepointDirectory === undefined ? {} : { targetDirectory: options.savepointDirectory }), drain: false, timeoutMs: options.timeoutMs });
  let newJobId: string | undefined;
  try {
    const configuration = {
      ...prepared.graph.configuration,
      'execution.savepoint.path': savepointPath,
      'execution.savepoint.ignore-unclaimed-state': String(options.allowNonRestoredState === true),
    };
    progress(`Starting the new code from savepoint ${savepointPath}`);
    newJobId = (await client.submitPreparedJob({ ...prepared, graph: { ...prepared.graph, configuration } })).jobId;
    await waitUntilEverySubtaskRuns(client, newJobId, options.timeoutMs);
  } catch (error) {
    throw new UpdateFailedAfterStopError(jobId, savepointPath, newJobId, error);
  }
  return { oldJobId: jobId, newJobId, savepointPath, gapMs: Date.now() - stopRequestedAt, check };
}

/** The running job's state in the shape checkJobAgainstState reads. */
export function stateSummaryOf(state: dispatcher.JobStateResponse): CheckpointStateSummary {
  return {
    vertices: state.vertices.map((vertex) => ({
      vertexId: vertex.vertexId,
      maxParallelism: vertex.maxParallelism,
      subtasks: [
        {
          state: {
            operators: vertex.operators.map((operator) => ({
              operatorId: operator.operatorId,
              keyedState: operator.hasKeyedState ? [operator.operatorId] : [],
              operatorState: operator.hasOperatorState ? [operator.operatorId] : [],
              states: operator.states,
            })),
          },
        },
      ],
    })),
  };
}

const POLL_INTERVAL_MS = 25;

/** Resolves once every subtask's current attempt is RUNNING (or FINISHED); rejects when the job ends otherwise or the time is up. */
async function waitUntilEverySubtaskRuns(client: JobClient, jobId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const details = await client.requestJob(jobId);
    if (isGloballyTerminal(details.status as JobStatus) && details.status !== 'FINISHED') {
      throw new Error(`it ended ${details.status}${details.failureCause ? `: ${details.failureCause.message}` : ''}`);
    }
    const attempts = details.vertices.flatMap((vertex) => vertex.subtasks.map((subtask) => subtask.attempts.at(-1)?.state));
    if (attempts.length > 0 && attempts.every((state) => state === 'RUNNING' || state === 'FINISHED')) return;
    if (Date.now() > deadline) throw new Error(`not every subtask was RUNNING after ${timeoutMs} ms (see \`eddy status ${jobId}\`)`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
