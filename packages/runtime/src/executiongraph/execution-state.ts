/**
 * The life of one execution attempt of one subtask, as in Flink:
 *
 *   CREATED --> SCHEDULED --> DEPLOYING --> INITIALIZING --> RUNNING --> FINISHED
 *      |            |             |               |              |
 *      |            |             +---------------+--------------+
 *      |            |                             |
 *      |            |                             v
 *      |            |                         CANCELING --------> CANCELED
 *      |            |                                                ^
 *      +------------+------------------------------------------------+
 *
 *   Skips along the top row: DEPLOYING -> RUNNING (a task with nothing to initialize), and
 *   DEPLOYING -> FINISHED, INITIALIZING -> FINISHED (a task that ends at once).
 *   DEPLOYING, INITIALIZING and RUNNING may also go straight to CANCELED (the task reports that it
 *   stopped before the cancel call reached it).
 *   Every non-terminal state may go to FAILED.
 *   FINISHED, CANCELED and FAILED are terminal: nothing leaves them. CANCELING -> FINISHED is
 *   refused: a task that finishes while being canceled is recorded as CANCELED.
 */
export type ExecutionState =
  | 'CREATED'
  | 'SCHEDULED'
  | 'DEPLOYING'
  | 'INITIALIZING'
  | 'RUNNING'
  | 'FINISHED'
  | 'CANCELING'
  | 'CANCELED'
  | 'FAILED';

/** Every state, in the order of the diagram. */
export const EXECUTION_STATES: readonly ExecutionState[] = [
  'CREATED',
  'SCHEDULED',
  'DEPLOYING',
  'INITIALIZING',
  'RUNNING',
  'FINISHED',
  'CANCELING',
  'CANCELED',
  'FAILED',
];

const LEGAL: Readonly<Record<ExecutionState, readonly ExecutionState[]>> = {
  CREATED: ['SCHEDULED', 'CANCELED', 'FAILED'],
  SCHEDULED: ['DEPLOYING', 'CANCELED', 'FAILED'],
  DEPLOYING: ['INITIALIZING', 'RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED'],
  INITIALIZING: ['RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED'],
  RUNNING: ['FINISHED', 'CANCELING', 'CANCELED', 'FAILED'],
  CANCELING: ['CANCELED', 'FAILED'],
  FINISHED: [],
  CANCELED: [],
  FAILED: [],
};

/** FINISHED, CANCELED and FAILED: the attempt is over and will not change again. */
export function isTerminalExecutionState(state: ExecutionState): boolean {
  return state === 'FINISHED' || state === 'CANCELED' || state === 'FAILED';
}

/** Whether the diagram above has an arrow from `from` to `to`. */
export function isLegalExecutionTransition(from: ExecutionState, to: ExecutionState): boolean {
  return LEGAL[from].includes(to);
}
