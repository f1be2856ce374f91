/**
 * Options of checkpointing, with Flink's keys and defaults. A job sets them through its
 * environment (`env.enableCheckpointing(1000)` is execution.checkpointing.interval) or with -D; the
 * cluster's configuration gives the defaults under the job's (the JobMaster's configuration is the
 * cluster's with the job's over it).
 */
import { booleanOption, type Configuration, durationOption, enumOption, integerOption, memorySizeOption, stringOption } from '@eddy/common/config';
import { parseS3Path } from './filesystem/s3-state-file-system.js';
import { isS3Path, normalizeS3Path } from './filesystem/state-file-system.js';

export const EXTERNALIZED_CHECKPOINT_RETENTIONS = ['NO_EXTERNALIZED_CHECKPOINTS', 'DELETE_ON_CANCELLATION', 'RETAIN_ON_CANCELLATION'] as const;
export type ExternalizedCheckpointRetention = (typeof EXTERNALIZED_CHECKPOINT_RETENTIONS)[number];

export const CHECKPOINTING_MODES = ['EXACTLY_ONCE', 'AT_LEAST_ONCE'] as const;
export type CheckpointingMode = (typeof CHECKPOINTING_MODES)[number];

/** Flink's Integer.MAX_VALUE for "no limit". */
const UNLIMITED = 2_147_483_647;

export const CheckpointingOptions = {
  interval: durationOption({
    key: 'execution.checkpointing.interval',
    defaultMs: 0,
    description:
      'How often a checkpoint is triggered; 0 (the default) turns checkpointing off. With checkpointing on, a failure restores every task from the latest ' +
      'completed checkpoint: state, source positions and the commits of exactly-once sinks. `env.enableCheckpointing(ms)` sets it for one job.',
  }),
  mode: enumOption({
    key: 'execution.checkpointing.mode',
    values: CHECKPOINTING_MODES,
    defaultValue: 'EXACTLY_ONCE',
    description:
      'EXACTLY_ONCE aligns the barriers of a task with several input channels (a channel that delivered barrier N waits for the others), so state reflects ' +
      'every record exactly once. AT_LEAST_ONCE skips the alignment: checkpoints take less time under backpressure, and after a restore some records may ' +
      'affect state twice.',
  }),
  timeout: durationOption({
    key: 'execution.checkpointing.timeout',
    defaultMs: 600_000,
    minMs: 10,
    description: 'A checkpoint that has not completed this long after it was triggered is aborted (it counts as a failed checkpoint).',
  }),
  minPause: durationOption({
    key: 'execution.checkpointing.min-pause',
    defaultMs: 0,
    description: 'Least time between the end of one checkpoint and the start of the next, so a job under load still gets to process records between checkpoints.',
  }),
  maxConcurrentCheckpoints: integerOption({
    key: 'execution.checkpointing.max-concurrent-checkpoints',
    defaultValue: 1,
    min: 1,
    description: 'How many checkpoints may be in progress at once. A checkpoint that is due while this many are in progress waits.',
  }),
  tolerableFailedCheckpoints: integerOption({
    key: 'execution.checkpointing.tolerable-failed-checkpoints',
    defaultValue: 0,
    min: 0,
    max: UNLIMITED,
    description:
      'How many checkpoints in a row may fail (storage errors, timeouts, tasks failing to write their state) before the job fails with the cause of the last one. ' +
      'A checkpoint aborted because a task failed or was not running yet does not count.',
  }),
  unalignedEnabled: booleanOption({
    key: 'execution.checkpointing.unaligned.enabled',
    defaultValue: false,
    description: 'Unaligned checkpoints (barriers overtaking buffered records). Not supported yet: with true the JobManager logs a warning when the job is submitted and takes aligned checkpoints.',
  }),
  incremental: booleanOption({
    key: 'execution.checkpointing.incremental',
    defaultValue: false,
    description:
      'Incremental checkpoints: a keyed operator on state.backend.type lmdb writes only the key groups that changed since its last completed checkpoint, ' +
      'and refers to the files of earlier checkpoints for the others (the JobManager deletes a file only once no retained checkpoint refers to it). ' +
      'The first checkpoint of every task attempt is full; the hashmap backend always writes full checkpoints.',
  }),
  checkpointsDirectory: stringOption({
    key: 'state.checkpoints.dir',
    defaultValue: '',
    description:
      'Directory the checkpoints of every job go to, as `<dir>/<job id>/chk-<n>/` with a `_metadata` file written last: a local path or `file://` URI, which must ' +
      'be the same shared directory for the JobManager and every TaskManager, or an S3 location `s3://bucket/path` (the s3.* options say where and how). Empty (the default): state travels to the JobManager and is kept in its memory ' +
      "only (Flink's JobManagerCheckpointStorage), limited to state.checkpoints.max-inline-state-size per subtask and lost with the JobManager.",
  }),
  numRetained: integerOption({
    key: 'state.checkpoints.num-retained',
    defaultValue: 1,
    min: 1,
    description: 'How many completed checkpoints are kept; older ones are deleted once a newer one completes.',
  }),
  externalizedCheckpointRetention: enumOption({
    key: 'execution.checkpointing.externalized-checkpoint-retention',
    values: EXTERNALIZED_CHECKPOINT_RETENTIONS,
    defaultValue: 'NO_EXTERNALIZED_CHECKPOINTS',
    description:
      "What happens to a job's retained checkpoints when it ends (Flink's values): NO_EXTERNALIZED_CHECKPOINTS deletes them however it ends; " +
      'DELETE_ON_CANCELLATION keeps them when the job FAILED (to start it again from the latest with execution.savepoint.path) and deletes them ' +
      'when it was canceled or finished; RETAIN_ON_CANCELLATION keeps them when it failed or was canceled.',
  }),
  memoryThreshold: memorySizeOption({
    key: 'state.storage.fs.memory-threshold',
    defaultBytes: 20 * 1024,
    description:
      "A piece of state smaller than this is not written to a file of its own: it travels inline in the task's acknowledgement and in the `_metadata` file.",
  }),
  maxInlineStateSize: memorySizeOption({
    key: 'state.checkpoints.max-inline-state-size',
    defaultBytes: 5 * 1024 * 1024,
    description:
      'Without state.checkpoints.dir, the most state one subtask may send to the JobManager in a checkpoint; a larger state fails the checkpoint with a message ' +
      'to set state.checkpoints.dir.',
  }),
  savepointPath: stringOption({
    key: 'execution.savepoint.path',
    defaultValue: '',
    description:
      'A completed checkpoint (its `chk-<n>` directory or its `_metadata` file) to start the job from instead of empty state: the first deployment restores ' +
      'every operator from it. A savepoint directory or its `_metadata` works the same (`eddy run -s <path>` sets this).',
  }),
  ignoreUnclaimedState: booleanOption({
    key: 'execution.savepoint.ignore-unclaimed-state',
    defaultValue: false,
    description:
      'With execution.savepoint.path: start even when the savepoint has state for an operator (uid) the job no longer has; that state is dropped. ' +
      'Without it such a restore fails, naming the operator. `eddy run --allowNonRestoredState` sets it.',
  }),
  savepointsDirectory: stringOption({
    key: 'state.savepoints.dir',
    defaultValue: '',
    description:
      'Default directory for savepoints (`eddy savepoint <jobId>`, `eddy stop <jobId>` without a directory): each savepoint is a new `savepoint-<job>-<random>/` ' +
      'directory in it. A local path or `file://` URI the JobManager can write; empty: the command must name a directory.',
  }),
} as const;

/** The checkpointing settings of one job, resolved. */
export interface CheckpointingSettings {
  readonly enabled: boolean;
  readonly intervalMs: number;
  readonly mode: CheckpointingMode;
  readonly timeoutMs: number;
  readonly minPauseMs: number;
  readonly maxConcurrent: number;
  readonly tolerableFailures: number;
  /** '' when state goes inline to the JobManager. */
  readonly directory: string;
  readonly numRetained: number;
  readonly retention: ExternalizedCheckpointRetention;
  readonly inlineThresholdBytes: number;
  readonly maxInlineStateBytes: number;
  readonly incremental: boolean;
  /** '' for a fresh start. */
  readonly restorePath: string;
}

/** `file:///a/b` and `/a/b` name the same directory; `s3://` (and `s3a://`, `s3n://`) is S3; other schemes are refused with the supported ones named. */
export function checkpointDirectoryOf(value: string): string {
  const trimmed = value.trim();
  if (trimmed === '') return '';
  if (trimmed.startsWith('file://')) return decodeURIComponent(trimmed.slice('file://'.length)) || '/';
  if (isS3Path(trimmed)) {
    parseS3Path(trimmed);
    return normalizeS3Path(trimmed).replace(/\/+$/, '');
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed);
  if (scheme !== null) {
    throw new Error(
      `state.checkpoints.dir '${trimmed}' uses the scheme ${scheme[1]}://, which Eddy cannot write to; use s3://bucket/path, a local path or a file:// URI of a directory every TaskManager shares`,
    );
  }
  return trimmed;
}

export function checkpointingSettings(configuration: Configuration): CheckpointingSettings {
  const intervalMs = configuration.get(CheckpointingOptions.interval);
  return {
    enabled: intervalMs > 0,
    intervalMs,
    mode: configuration.get(CheckpointingOptions.mode),
    timeoutMs: configuration.get(CheckpointingOptions.timeout),
    minPauseMs: configuration.get(CheckpointingOptions.minPause),
    maxConcurrent: configuration.get(CheckpointingOptions.maxConcurrentCheckpoints),
    tolerableFailures: configuration.get(CheckpointingOptions.tolerableFailedCheckpoints),
    directory: checkpointDirectoryOf(configuration.get(CheckpointingOptions.checkpointsDirectory)),
    numRetained: configuration.get(CheckpointingOptions.numRetained),
    retention: configuration.get(CheckpointingOptions.externalizedCheckpointRetention),
    inlineThresholdBytes: configuration.get(CheckpointingOptions.memoryThreshold),
    maxInlineStateBytes: configuration.get(CheckpointingOptions.maxInlineStateSize),
    incremental: configuration.get(CheckpointingOptions.incremental),
    restorePath: configuration.get(CheckpointingOptions.savepointPath).trim(),
  };
}

/** Whether a job that ended in `status` deletes its retained checkpoints (Flink's CheckpointProperties). */
export function discardsCheckpointsWhenEnded(retention: ExternalizedCheckpointRetention, status: string): boolean {
  switch (retention) {
    case 'NO_EXTERNALIZED_CHECKPOINTS':
      return true;
    case 'DELETE_ON_CANCELLATION':
      return status !== 'FAILED';
    case 'RETAIN_ON_CANCELLATION':
      return status === 'FINISHED';
  }
}
