/**
 * Savepoints on disk: writing one, checking one before a job starts from it, disposing of one.
 *
 *   <target directory>/savepoint-<first 6 characters of the job id>-<12 hex>/
 *     <state files>      every file the savepoint's state handles name, and no other
 *     _metadata          written last: temp file, fsync, rename, fsync of the directory
 *
 * Tasks write a savepoint's state into the job's checkpoint directory (`chk-<n>`) as for any
 * checkpoint; writeSavepoint then moves those files into the savepoint directory, copies in what a
 * finished task carried by reference from an earlier checkpoint, and writes `_metadata` naming
 * every file relative to the directory (checkpoint-metadata.ts), so the directory is
 * self-contained and can be moved. Small state stays inline in `_metadata`. docs/savepoints.md
 * describes the format.
 *
 * Threading: plain async functions; callers re-enter their mailbox before touching their state.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, normalize } from 'node:path';
import type { eddy_checkpoint_v1 as cp } from '@eddy/proto';
import { CheckpointMetadataError, encodeMetadata, METADATA_FILE_NAME, type CompletedCheckpoint } from './checkpoint-metadata.js';
import { readCompletedCheckpoint } from './checkpoint-storage.js';
import { LocalStateFileSystem, syncDirectory } from './filesystem/local-state-file-system.js';
import { isS3Path, type StateFileSystem } from './filesystem/state-file-system.js';

/** A savepoint that cannot be written, read or disposed of; the message says what and where. */
export class SavepointError extends Error {
  override readonly name = 'SavepointError';
}

export function savepointDirectoryName(jobId: string): string {
  return `savepoint-${jobId.slice(0, 6)}-${randomBytes(6).toString('hex')}`;
}

/**
 * Writes `savepoint` into a new directory under `targetDirectory`: the state files of
 * `checkpointDirectory` (this savepoint's `chk-<n>`) are moved in, every other state file is
 * copied in, then `_metadata` is written. Resolves to the savepoint as written (handles in its
 * directory); on failure removes the directory and rejects with the path and the OS error.
 */
export async function writeSavepoint(
  savepoint: Omit<CompletedCheckpoint, 'metadataPath'>,
  targetDirectory: string,
  checkpointDirectory: string,
  checkpointFileSystem: StateFileSystem = new LocalStateFileSystem(),
): Promise<CompletedCheckpoint> {
  // State in an object store (s3://) is copied down; a local checkpoint directory's files are moved.
  const local = !isS3Path(checkpointDirectory);
  const directory = join(targetDirectory, savepointDirectoryName(savepoint.jobId));
  try {
    await mkdir(directory, { recursive: true });
  } catch (error) {
    throw new SavepointError(`Could not create the savepoint directory ${directory}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const moved = new Map<string, string>();
    const used = new Set<string>([METADATA_FILE_NAME]);
    const own = checkpointDirectory === '' ? '' : normalize(checkpointDirectory);
    for (const vertex of savepoint.vertices) {
      for (const subtask of vertex.subtasks) {
        for (const operator of subtask.state.operators) {
          for (const handle of [...operator.keyedState.map((k) => k.handle), ...operator.operatorState.map((l) => l.handle)]) {
            if (!handle || handle.path === '' || moved.has(handle.path)) continue;
            let name = basename(handle.path);
            while (used.has(name)) name = `${basename(handle.path)}-${randomBytes(2).toString('hex')}`;
            used.add(name);
            const target = join(directory, name);
            await placeFile(handle.path, target, local && dirname(handle.path) === own, checkpointFileSystem);
            moved.set(handle.path, target);
          }
        }
      }
    }
    const written: Omit<CompletedCheckpoint, 'metadataPath'> = { ...savepoint, savepoint: true, vertices: relocate(savepoint.vertices, moved) };
    const metadataPath = join(directory, METADATA_FILE_NAME);
    const temporary = join(directory, `.${METADATA_FILE_NAME}.inprogress`);
    await writeFile(temporary, encodeMetadata(written, directory), { flush: true });
    await rename(temporary, metadataPath);
    syncDirectory(directory);
    // Its files were moved out: what is left of chk-<n> goes (chk-<n> is this savepoint's alone).
    if (own !== '') await (local ? rm(own, { recursive: true, force: true }) : checkpointFileSystem.deleteDirectory(checkpointDirectory)).catch(() => undefined);
    return { ...written, metadataPath };
  } catch (error) {
    await rm(directory, { recursive: true, force: true }).catch(() => undefined);
    throw new SavepointError(`Could not write the savepoint to ${directory}: ${(error as Error).message}`, { cause: error });
  }
}

/** Moves (a file this savepoint wrote) or copies (one an earlier checkpoint still uses) `from` to `to`. */
async function placeFile(from: string, to: string, move: boolean, fileSystem: StateFileSystem): Promise<void> {
  if (move) {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw new Error(`could not move the state file ${from} into it: ${(error as Error).message}`, { cause: error });
    }
  }
  try {
    if (!isS3Path(from)) await copyFile(from, to);
    else await writeFile(to, await fileSystem.readFile(from), { flush: true });
  } catch (error) {
    throw new Error(`could not copy the state file ${from} into it: ${(error as Error).message}`, { cause: error });
  }
}

function relocate(vertices: CompletedCheckpoint['vertices'], moved: ReadonlyMap<string, string>): CompletedCheckpoint['vertices'] {
  const handle = (h: cp.StreamStateHandle | null | undefined): cp.StreamStateHandle | null => (!h || h.path === '' ? (h ?? null) : { ...h, path: moved.get(h.path) ?? h.path });
  return vertices.map((vertex) => ({
    ...vertex,
    subtasks: vertex.subtasks.map((subtask) => ({
      subtask: subtask.subtask,
      state: {
        ...subtask.state,
        // A stop-with-savepoint ends the job's tasks after it, but the job resumed from it goes on.
        endOfInput: false,
        operators: subtask.state.operators.map((operator) => ({
          ...operator,
          keyedState: operator.keyedState.map((keyed) => ({ ...keyed, handle: handle(keyed.handle) })),
          operatorState: operator.operatorState.map((list) => ({ ...list, handle: handle(list.handle) })),
        })),
      },
    })),
  }));
}

/**
 * Before a job starts from `checkpoint`: every state file it names is there, at least as long as
 * its handle says. Throws CheckpointMetadataError naming the missing or short file.
 */
export async function checkStateFiles(checkpoint: CompletedCheckpoint): Promise<void> {
  for (const vertex of checkpoint.vertices) {
    for (const subtask of vertex.subtasks) {
      for (const operator of subtask.state.operators) {
        for (const handle of [...operator.keyedState.map((k) => k.handle), ...operator.operatorState.map((l) => l.handle)]) {
          // Files in an object store (s3://) are checked when the task reads them.
          if (!handle || handle.path === '' || isS3Path(handle.path)) continue;
          const owner = `operator ${operator.operatorId} of '${vertex.name}' (${subtask.subtask + 1}/${vertex.parallelism})`;
          let size: number;
          try {
            size = (await stat(handle.path)).size;
          } catch (error) {
            const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
            throw new CheckpointMetadataError(
              `Cannot restore from ${checkpoint.metadataPath}: the state file ${handle.path} of ${owner} ${missing ? 'is missing' : `cannot be read (${(error as Error).message})`}; ` +
                'restore from a complete copy of the savepoint or checkpoint directory',
            );
          }
          if (size < handle.size) {
            throw new CheckpointMetadataError(
              `Cannot restore from ${checkpoint.metadataPath}: the state file ${handle.path} of ${owner} holds ${size} bytes, the metadata says ${handle.size} (it is truncated); ` +
                'restore from a complete copy of the savepoint or checkpoint directory',
            );
          }
        }
      }
    }
  }
}

/**
 * Deletes the savepoint at `path` (its directory or its `_metadata`) after checking that it is one:
 * a readable `_metadata` of a savepoint, and no file the metadata does not name. Resolves to the
 * directory removed; rejects with what was found instead.
 */
export async function disposeSavepoint(path: string): Promise<string> {
  let directory = path;
  try {
    if (!(await stat(path)).isDirectory()) {
      if (basename(path) !== METADATA_FILE_NAME) throw new SavepointError(`Cannot dispose of ${path}: it is a file, not a savepoint directory or its ${METADATA_FILE_NAME}`);
      directory = dirname(path);
    }
  } catch (error) {
    if (error instanceof SavepointError) throw error;
    throw new SavepointError(`Cannot dispose of ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message}`);
  }
  let savepoint: CompletedCheckpoint;
  try {
    savepoint = await readCompletedCheckpoint(directory, new LocalStateFileSystem());
  } catch (error) {
    throw new SavepointError(`Cannot dispose of ${directory}: it is not a readable savepoint (${(error as Error).message}); nothing was deleted`, { cause: error });
  }
  if (savepoint.savepoint !== true) {
    throw new SavepointError(
      `Cannot dispose of ${directory}: it is checkpoint ${savepoint.checkpointId} of job ${savepoint.jobId}, not a savepoint; a job deletes its own checkpoints ` +
        '(state.checkpoints.num-retained, execution.checkpointing.externalized-checkpoint-retention). Nothing was deleted',
    );
  }
  const named = new Set([METADATA_FILE_NAME]);
  for (const vertex of savepoint.vertices) {
    for (const subtask of vertex.subtasks) {
      for (const operator of subtask.state.operators) {
        for (const handle of [...operator.keyedState.map((k) => k.handle), ...operator.operatorState.map((l) => l.handle)]) {
          if (handle && handle.path !== '' && dirname(handle.path) === normalize(directory)) named.add(basename(handle.path));
        }
      }
    }
  }
  const strangers = (await readdir(directory)).filter((name) => !named.has(name) && !name.startsWith('.'));
  if (strangers.length > 0) {
    throw new SavepointError(
      `Cannot dispose of ${directory}: besides the savepoint it holds ${strangers.length} file(s) the savepoint does not name (${strangers.slice(0, 3).join(', ')}${strangers.length > 3 ? ', ...' : ''}); ` +
        'nothing was deleted. Remove them yourself if they are not needed',
    );
  }
  await rm(directory, { recursive: true, force: true });
  return directory;
}
