/**
 * Loads the bytes of a task's restored state (inline, or from the files of the checkpoint
 * directory, local or S3) into what the chain restores from. A missing or unreadable file fails
 * the task with the file, the checkpoint and the operator named.
 */
import { StateFileNotFoundError } from '../../checkpoint/filesystem/state-file-system.js';
import type { StateFileSystems } from '../../checkpoint/filesystem/state-file-systems.js';
import type { RestoredKeyedStateHandle, RestoredOperatorStateHandle, RestoredTaskState } from '@eddy/api/internal';
import type { eddy_checkpoint_v1 as cp } from '@eddy/proto';

export class StateRestoreError extends Error {
  override readonly name = 'StateRestoreError';
}

async function bytesOf(
  fileSystems: StateFileSystems,
  handle: cp.StreamStateHandle | null | undefined,
  what: string,
  checkpointId: number,
): Promise<{ bytes: Uint8Array; where: string }> {
  if (!handle) throw new StateRestoreError(`checkpoint ${checkpointId} has no state handle for ${what}`);
  if (handle.path === '') return { bytes: handle.inlineBytes, where: `the inline ${what} of checkpoint ${checkpointId}` };
  let bytes: Uint8Array;
  try {
    bytes = await fileSystems.of(handle.path).readFile(handle.path);
  } catch (error) {
    const reason = error instanceof StateFileNotFoundError ? 'the file does not exist (was the checkpoint directory moved or cleaned up?)' : (error as Error).message;
    throw new StateRestoreError(`cannot read ${what} of checkpoint ${checkpointId} from ${handle.path}: ${reason}`, { cause: error });
  }
  if (bytes.byteLength !== handle.size) {
    throw new StateRestoreError(`${what} of checkpoint ${checkpointId} in ${handle.path} has ${bytes.byteLength} bytes, the checkpoint says ${handle.size}: the file is truncated or was changed`);
  }
  return { bytes, where: handle.path };
}

/** The lists of an operator state handle with their recorded types parsed (the chain checks them against its descriptors). */
function withTypes(states: readonly cp.OperatorStateEntry[], where: string): RestoredOperatorStateHandle['states'] {
  return states.map((entry) => {
    if (entry.type === '') return { name: entry.name, mode: entry.mode, offsets: entry.offsets, ends: entry.ends };
    try {
      return { name: entry.name, mode: entry.mode, offsets: entry.offsets, ends: entry.ends, type: JSON.parse(entry.type) as unknown };
    } catch (error) {
      throw new StateRestoreError(`the type of operator state '${entry.name}' in ${where} is not JSON (${(error as Error).message}): the checkpoint metadata is corrupt`);
    }
  });
}

export async function loadRestoredState(restore: cp.TaskRestore, fileSystems: StateFileSystems): Promise<RestoredTaskState> {
  const checkpointId = restore.checkpointId;
  const operators = new Map<string, { keyed: RestoredKeyedStateHandle[]; operatorState: RestoredOperatorStateHandle[] }>();
  for (const operator of restore.state?.operators ?? []) {
    const keyed: RestoredKeyedStateHandle[] = [];
    for (const handle of operator.keyedState) {
      const { bytes, where } = await bytesOf(fileSystems, handle.handle, `the keyed state of operator ${operator.operatorId}`, checkpointId);
      keyed.push({ keyGroupStart: handle.keyGroupStart, keyGroupEnd: handle.keyGroupEnd, offsets: handle.keyGroupOffsets, bytes, where });
    }
    const operatorState: RestoredOperatorStateHandle[] = [];
    for (const handle of operator.operatorState) {
      const { bytes, where } = await bytesOf(fileSystems, handle.handle, `the operator state of operator ${operator.operatorId}`, checkpointId);
      operatorState.push({ bytes, states: withTypes(handle.states, where), where });
    }
    for (const handle of operator.unionOperatorState) {
      const { bytes, where } = await bytesOf(fileSystems, handle.handle, `the union operator state of operator ${operator.operatorId} of another subtask`, checkpointId);
      operatorState.push({ bytes, states: withTypes(handle.states, where), where, unionOnly: true });
    }
    operators.set(operator.operatorId, { keyed, operatorState });
  }
  return { checkpointId, operators };
}
