/**
 * The one line every state transition of an attempt logs, on the JobManager and on the
 * TaskManager alike, so both sides read the same way.
 */
import type { Logger } from '@eddy/common';

export interface AttemptIdentity {
  readonly jobId: string;
  readonly vertexId: string;
  /** "Map -> Filter" */
  readonly vertexName: string;
  /** 0-based */
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly attemptNumber: number;
}

/** `Map -> Filter (1/2)` */
export function taskNameWithSubtask(identity: Pick<AttemptIdentity, 'vertexName' | 'subtaskIndex' | 'parallelism'>): string {
  return `${identity.vertexName} (${identity.subtaskIndex + 1}/${identity.parallelism})`;
}

/** `Map -> Filter (1/2) (attempt 0) switched from DEPLOYING to INITIALIZING` */
export function transitionMessage(identity: AttemptIdentity, from: string, to: string): string {
  return `${taskNameWithSubtask(identity)} (attempt ${identity.attemptNumber}) switched from ${from} to ${to}`;
}

/** `{ jobId }` for a log line, unless the logger has it bound already (a JobMaster's does, a TaskExecutor's not). */
export function jobIdField(logger: Logger, jobId: string): { jobId?: string } {
  return logger.bindings()['jobId'] === jobId ? {} : { jobId };
}

export function logAttemptTransition(logger: Logger, identity: AttemptIdentity, from: string, to: string, taskManager: string, cause?: string): void {
  const fields = {
    ...jobIdField(logger, identity.jobId),
    vertexId: identity.vertexId,
    subtask: identity.subtaskIndex,
    attempt: identity.attemptNumber,
    from,
    to,
    taskManager,
    ...(cause === undefined ? {} : { cause }),
  };
  if (to === 'FAILED') logger.warn(fields, transitionMessage(identity, from, to));
  else logger.info(fields, transitionMessage(identity, from, to));
}
