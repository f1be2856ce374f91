/**
 * Checks a job makes before it starts from a savepoint (or retained checkpoint) beyond those of
 * JobCheckpointing.checkFits: key groups cannot be re-cut, so the max parallelism of every
 * operator with state must be the one the savepoint was taken with (as Flink).
 */
import type { CompletedCheckpoint } from './checkpoint-metadata.js';

/** The job's operators as the check needs them: by operator id (the uid when set). */
export interface RestoringOperator {
  readonly vertexName: string;
  readonly maxParallelism: number;
}

/** The savepoint does not fit the job; the message says which operator and what to change. */
export class SavepointRestoreError extends Error {
  override readonly name = 'SavepointRestoreError';
}

/** Throws SavepointRestoreError for the first operator with state whose max parallelism changed. */
export function checkMaxParallelism(checkpoint: CompletedCheckpoint, operators: ReadonlyMap<string, RestoringOperator>): void {
  for (const vertex of checkpoint.vertices) {
    for (const subtask of vertex.subtasks) {
      for (const operator of subtask.state.operators) {
        if (operator.keyedState.length === 0 && operator.operatorState.length === 0) continue;
        const now = operators.get(operator.operatorId);
        if (now === undefined || now.maxParallelism === vertex.maxParallelism) continue;
        throw new SavepointRestoreError(
          `Cannot start from ${checkpoint.metadataPath}: operator ${operator.operatorId} (in '${now.vertexName}') was saved with max parallelism ${vertex.maxParallelism}, ` +
            `the job gives it ${now.maxParallelism}. The max parallelism of a stateful operator cannot change (its keyed state is cut into that many key groups); ` +
            `set it back with setMaxParallelism(${vertex.maxParallelism}) on the operator or the environment`,
        );
      }
    }
  }
}
