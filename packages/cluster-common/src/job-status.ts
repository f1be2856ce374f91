/**
 * The life of a job on its JobMaster, as in Flink:
 *
 *   INITIALIZING --> CREATED --> RUNNING -----------------------------> FINISHED
 *                       |          |  |
 *                       |          |  +--> FAILING ----------------------> FAILED
 *                       |          |  |       |
 *                       |          |  +-------+--> RESTARTING --> RUNNING
 *                       |          |          |        |
 *                       +----------+----------+--------+--> CANCELLING --> CANCELED
 *
 *   Also: INITIALIZING, CREATED and RESTARTING may go straight to CANCELED; every non-terminal
 *   status may go to FAILED (an error outside the tasks, e.g. while scheduling) and to SUSPENDED
 *   (this JobManager lost leadership; another one takes the job over).
 *   FINISHED, CANCELED and FAILED are globally terminal: the job is over on every JobManager.
 *   SUSPENDED is terminal only here (locally terminal): nothing leaves it on this JobMaster.
 */
export type JobStatus =
  | 'INITIALIZING'
  | 'CREATED'
  | 'RUNNING'
  | 'FAILING'
  | 'RESTARTING'
  | 'CANCELLING'
  | 'CANCELED'
  | 'FINISHED'
  | 'FAILED'
  | 'SUSPENDED';

/** Every status, in declaration order. */
export const JOB_STATUSES: readonly JobStatus[] = [
  'INITIALIZING',
  'CREATED',
  'RUNNING',
  'FAILING',
  'RESTARTING',
  'CANCELLING',
  'CANCELED',
  'FINISHED',
  'FAILED',
  'SUSPENDED',
];

const LEGAL: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  INITIALIZING: ['CREATED', 'FAILED', 'CANCELED', 'SUSPENDED'],
  CREATED: ['RUNNING', 'CANCELLING', 'FAILED', 'CANCELED', 'SUSPENDED'],
  RUNNING: ['FINISHED', 'FAILING', 'RESTARTING', 'CANCELLING', 'FAILED', 'SUSPENDED'],
  FAILING: ['FAILED', 'RESTARTING', 'CANCELLING', 'SUSPENDED'],
  RESTARTING: ['RUNNING', 'CANCELLING', 'CANCELED', 'FAILED', 'SUSPENDED'],
  CANCELLING: ['CANCELED', 'FAILED', 'SUSPENDED'],
  CANCELED: [],
  FINISHED: [],
  FAILED: [],
  SUSPENDED: [],
};

/** FINISHED, CANCELED, FAILED: the job is over for the whole cluster; its result can be archived. */
export function isGloballyTerminal(status: JobStatus): boolean {
  return status === 'FINISHED' || status === 'CANCELED' || status === 'FAILED';
}

/** Globally terminal or SUSPENDED: this JobMaster is done with the job. */
export function isLocallyTerminal(status: JobStatus): boolean {
  return isGloballyTerminal(status) || status === 'SUSPENDED';
}

/** Whether the diagram above has an arrow from `from` to `to`. */
export function isLegalJobTransition(from: JobStatus, to: JobStatus): boolean {
  return LEGAL[from].includes(to);
}
