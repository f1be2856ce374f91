/**
 * Where a task keeps its keyed state (Flink's StateBackendOptions and the local directories of
 * its TaskManager). A job may choose its backend (`-Dstate.backend.type=lmdb`, or
 * `env.configure(...)`); the TaskManager's configuration gives the default and the directories.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Configuration, enumOption, memorySizeOption, stringOption } from '@eddy/common/config';

export const STATE_BACKEND_TYPES = ['hashmap', 'lmdb'] as const;
export type StateBackendType = (typeof STATE_BACKEND_TYPES)[number];

export const StateBackendOptions = {
  type: enumOption({
    key: 'state.backend.type',
    values: STATE_BACKEND_TYPES,
    defaultValue: 'hashmap',
    description:
      "Where keyed state lives. 'hashmap' (Flink's HashMapStateBackend, the default): JavaScript Maps on the task's heap, the fastest while state fits in " +
      "taskmanager.memory.task.heap.size. 'lmdb': an LMDB environment per keyed operator in a TaskManager-local directory (taskmanager.state.local.root-dirs), " +
      'for state larger than the heap (Flink uses RocksDB here); deleted when the task ends, as durability comes from checkpoints. Both write the same ' +
      'checkpoint format, so a job can restore with the other backend. A job may set it for itself.',
  }),
  cacheSize: memorySizeOption({
    key: 'state.backend.lmdb.cache.size',
    defaultBytes: 128 * 1024 * 1024,
    description:
      'With state.backend.type lmdb: how much of its heap a task keeps of decoded keyed state between input batches (estimated; all its keyed operators together), ' +
      "at most a quarter of the task's heap (taskmanager.memory.task.heap.size over the slots). Entries used since the last round stay; a changed one is written to " +
      'LMDB when it leaves (a checkpoint takes it from the cache by copy-on-write and writes nothing), so a hot key is neither read nor written per batch. A full cache that finds under a tenth of its reads (state far larger than it, without locality) shrinks to 4 mb for a while. 0: an entry is kept only until its batch is written out ' +
      '(at most 16,384 entries at a time). A job may set it for itself.',
  }),
  localRootDirs: stringOption({
    key: 'taskmanager.state.local.root-dirs',
    defaultValue: '',
    description:
      "Directories (separated by ',' or the path delimiter) where tasks keep local state: the LMDB environments of state.backend.type lmdb, one directory per task " +
      'attempt, removed when it ends. Tasks are spread over the directories by subtask index. Empty (the default): io.tmp.dirs.',
  }),
  ioTmpDirs: stringOption({
    key: 'io.tmp.dirs',
    defaultValue: '',
    description: "Directories (separated by ',' or the path delimiter) for a TaskManager's temporary files. Empty (the default): the system's temporary directory.",
  }),
} as const;

/** What a task's thread needs to know about its keyed state backend (plain data, for workerData). */
export interface StateBackendTaskSettings {
  readonly type: StateBackendType;
  /** The directory the task's stores go into (created by the task, removed when it ends). */
  readonly localDir: string;
  /** state.backend.lmdb.cache.size in bytes. */
  readonly cacheBytes: number;
}

function directories(text: string): string[] {
  return text
    .split(/[,:;]/)
    .map((dir) => dir.trim())
    .filter((dir) => dir.length > 0);
}

/**
 * The backend of a job's task: the job's state.backend.type over the TaskManager's; a local
 * directory under the TaskManager's root directories, unique for the attempt.
 */
export function resolveStateBackendSettings(
  taskManagerConfiguration: Configuration,
  jobConfiguration: Readonly<Record<string, string>>,
  attempt: { readonly jobId: string; readonly subtaskIndex: number; readonly executionAttemptId: string },
): StateBackendTaskSettings {
  const fromJob: Record<string, string> = {};
  for (const option of [StateBackendOptions.type, StateBackendOptions.cacheSize]) {
    const value = jobConfiguration[option.key];
    if (value !== undefined) fromJob[option.key] = value;
  }
  const configuration = taskManagerConfiguration.withOverrides(fromJob, 'job configuration');
  const type = configuration.get(StateBackendOptions.type);
  const roots = directories(configuration.get(StateBackendOptions.localRootDirs));
  if (roots.length === 0) roots.push(...directories(configuration.get(StateBackendOptions.ioTmpDirs)));
  if (roots.length === 0) roots.push(tmpdir());
  const root = roots[attempt.subtaskIndex % roots.length] as string;
  const name = `eddy-state-${attempt.jobId}-${attempt.executionAttemptId}`.replace(/[^A-Za-z0-9_.-]/g, '_');
  return { type, localDir: join(root, name), cacheBytes: configuration.get(StateBackendOptions.cacheSize) };
}
