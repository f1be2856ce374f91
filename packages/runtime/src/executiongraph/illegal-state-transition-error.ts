/**
 * A state machine was asked to take a move its diagram does not have (see execution-state.ts and
 * job-status.ts). Always a bug in the caller: it acted on a state it did not re-check.
 */
export class IllegalStateTransitionError extends Error {
  override readonly name = 'IllegalStateTransitionError';

  constructor(
    /** Who was asked to move, e.g. "Map (1/2) (attempt 0)" or "job WordCount (<id>)". */
    readonly subject: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(`Illegal state transition of ${subject} from ${from} to ${to}; the state diagram has no such arrow`);
  }
}
