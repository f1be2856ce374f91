/**
 * ExecutionDeploymentReconciler: compares what the JobMaster believes runs on a TaskManager with
 * what the TaskManager says it holds, in each heartbeat answer, and settles the differences (Flink's
 * ExecutionDeploymentTracker + DefaultExecutionDeploymentReconciler).
 *
 *   - missing: an attempt the JobMaster thinks is DEPLOYING, INITIALIZING, RUNNING or CANCELING
 *     there, but the TaskManager no longer names. Its end was never heard of (a report lost for
 *     good, a task dropped by a TaskManager that lost and regained its JobMaster): the JobMaster
 *     fails it (cancels it if it was CANCELING), so the job moves on instead of waiting forever.
 *   - unknown: an attempt the TaskManager names, in two heartbeat answers in a row, that the
 *     JobMaster does not expect there (it was superseded, or given up on while the TaskManager was
 *     cut off): it is canceled on the TaskManager, so it does not run on beside its successor. One
 *     answer is not enough: an attempt that just ended is still named until its thread is gone and
 *     its final report acknowledged, which the JobMaster may already have processed.
 *
 * The race: a deployment just sent may reach the TaskManager after it answered a heartbeat. So an
 * attempt counts as missing only when the TaskManager acknowledged its deployment (submitTask
 * answered) before the heartbeat that lacks it was requested; every acknowledgement and every
 * heartbeat request takes a number from one counter to tell "before" from "after". An attempt that
 * ended on the TaskManager stays named there until the JobMaster acknowledged its final report, so
 * a report on its way is not taken for a vanished attempt.
 *
 * Threading: called from the JobMaster's mailbox only; the handler is called back synchronously.
 */

/** The JobMaster's view of one attempt on a TaskManager. */
export interface ExpectedDeployment {
  readonly attemptId: string;
  /** An ExecutionState; only DEPLOYING, INITIALIZING, RUNNING and CANCELING are reconciled. */
  readonly state: string;
}

export interface ExecutionDeploymentReconciliationHandler {
  /** The TaskManager no longer has an attempt it acknowledged: fail it (or count it canceled). */
  onMissingDeployment(attemptId: string, taskManagerId: string): void;
  /** The TaskManager runs an attempt the JobMaster does not expect there: cancel it on the TaskManager. */
  onUnknownDeployment(attemptId: string, taskManagerId: string): void;
}

const RECONCILED_STATES = new Set(['DEPLOYING', 'INITIALIZING', 'RUNNING', 'CANCELING']);

export class ExecutionDeploymentReconciler {
  /** attempt id -> the counter value when its deployment was acknowledged. */
  readonly #acknowledged = new Map<string, number>();
  /** TaskManager id -> the counter value when its pending heartbeat was requested. */
  readonly #requested = new Map<string, number>();
  /** TaskManager id -> the unexpected attempts its last answer named. */
  readonly #unexpected = new Map<string, Set<string>>();
  #counter = 0;

  constructor(private readonly handler: ExecutionDeploymentReconciliationHandler) {}

  /** The TaskManager answered the submitTask of `attemptId`: it holds the attempt from now on. */
  deploymentAcknowledged(attemptId: string): void {
    this.#acknowledged.set(attemptId, ++this.#counter);
  }

  /** Forgets an attempt that ended or was superseded. */
  forgetAttempt(attemptId: string): void {
    this.#acknowledged.delete(attemptId);
  }

  /** A heartbeat request goes to `taskManagerId` now; its answer is reconciled against this moment. */
  heartbeatRequested(taskManagerId: string): void {
    this.#requested.set(taskManagerId, ++this.#counter);
  }

  forgetTaskManager(taskManagerId: string): void {
    this.#requested.delete(taskManagerId);
    this.#unexpected.delete(taskManagerId);
  }

  /**
   * Settles the answer to the last heartbeat requested from `taskManagerId`: `reported` are the
   * attempts it names, `expected` the JobMaster's current attempts placed on it.
   */
  reconcile(taskManagerId: string, reported: readonly string[], expected: Iterable<ExpectedDeployment>): void {
    const requestedAt = this.#requested.get(taskManagerId);
    if (requestedAt === undefined) return;
    const named = new Set(reported);
    const expectedHere = new Set<string>();
    const missing: string[] = [];
    for (const deployment of expected) {
      if (!RECONCILED_STATES.has(deployment.state)) continue;
      expectedHere.add(deployment.attemptId);
      const acknowledgedAt = this.#acknowledged.get(deployment.attemptId);
      if (!named.has(deployment.attemptId) && acknowledgedAt !== undefined && acknowledgedAt < requestedAt) missing.push(deployment.attemptId);
    }
    const unexpected = new Set([...named].filter((attemptId) => !expectedHere.has(attemptId)));
    const before = this.#unexpected.get(taskManagerId);
    this.#unexpected.set(taskManagerId, unexpected);
    for (const attemptId of missing) this.handler.onMissingDeployment(attemptId, taskManagerId);
    for (const attemptId of unexpected) if (before?.has(attemptId) === true) this.handler.onUnknownDeployment(attemptId, taskManagerId);
  }
}

/** An attempt vanished from its TaskManager without its end being reported. */
export class ExecutionLostError extends Error {
  override readonly name = 'ExecutionLostError';
}
