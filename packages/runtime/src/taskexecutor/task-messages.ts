/**
 * The protocol between a TaskThread (on the TaskExecutor's event loop) and its worker thread.
 *
 * One discriminated union per direction. Requests from the worker carry a `requestId` that the
 * answer repeats; each side drops answers it no longer waits for. Errors cross as plain data
 * (ErrorInfo), never as thrown objects: structured clone would lose their class and fields.
 *
 * Lifecycle as the worker reports it:
 *
 *     INITIALIZING ──► RUNNING ──► FINISHED | FAILED | CANCELED
 *          └───────────────────────► FAILED | CANCELED
 *
 * Exactly one terminal state is reported per task. If the thread ends without one, the parent
 * reports it (FAILED, or CANCELED when a cancel was requested).
 *
 * Only types are imported here, so the worker loads nothing but this file's small helpers.
 */
import type { MessagePort } from 'node:worker_threads';
import type { eddy_checkpoint_v1, eddy_cluster_v1, eddy_taskexecutor_v1 } from '@eddy/proto';
import type { NetworkTaskSettings } from '../network/network-options.js';
import type { S3Settings } from '../checkpoint/filesystem/s3-options.js';
import type { StateBackendTaskSettings } from './state/state-backend-options.js';
import type { CheckpointBarrier } from '../network/network-buffer.js';
import type { UserMetricAnnouncement } from '../metrics/user-metrics-region.js';

export type ErrorInfo = eddy_cluster_v1.ErrorInfo;

export type TaskThreadState = 'INITIALIZING' | 'RUNNING' | 'FINISHED' | 'CANCELED' | 'FAILED';
export type TerminalTaskThreadState = 'FINISHED' | 'CANCELED' | 'FAILED';

export function isTerminalTaskThreadState(state: TaskThreadState): state is TerminalTaskThreadState {
  return state === 'FINISHED' || state === 'CANCELED' || state === 'FAILED';
}

/** What the worker is started with (`new Worker(url, { workerData })`). */
export interface TaskWorkerData {
  readonly deployment: eddy_taskexecutor_v1.TaskDeploymentDescriptor;
  /** Absolute file path of the job's code bundle; undefined when the job has none. */
  readonly bundlePath: string | undefined;
  /** The attempt's TaskIOMetrics counters, shared with the parent (see metrics/task-io-metrics.ts). */
  readonly ioMetrics: SharedArrayBuffer;
  /** The attempt's user metrics, shared with the parent (see metrics/user-metrics-region.ts). */
  readonly userMetrics: SharedArrayBuffer;
  /** The task's network settings, resolved by the parent from the job's and the TaskManager's configuration. */
  readonly network: NetworkTaskSettings;
  /** The S3 options (s3.*) for `s3://` checkpoint directories: the job's over the TaskManager's. */
  readonly s3: S3Settings;
  /** collect-sink.max-in-flight-size: bytes of collected batches posted and not yet acknowledged before the task is backpressured. */
  readonly collectMaxInFlightBytes: number;
  /** state.backend.type of the task and its local state directory, resolved by the parent. */
  readonly stateBackend: StateBackendTaskSettings;
}

// ---------------------------------------------------------------------------
// Parent -> worker

/** Cancel the task: the worker aborts `ctx.signal`. */
export interface CancelMessage {
  readonly type: 'cancel';
}

/** Answer to a RequestInputSplitMessage; `split` is null when no splits are left, or none yet with `moreMayCome`. */
export interface InputSplitMessage {
  readonly type: 'inputSplit';
  readonly requestId: number;
  readonly split: string | null;
  readonly splitId: string;
  readonly moreMayCome?: boolean;
}

/** A source task takes its part of checkpoint N now (the JobMaster triggered it). */
export interface TriggerCheckpointMessage {
  readonly type: 'triggerCheckpoint';
  readonly barrier: CheckpointBarrier;
}

/** A source task stops reading for a stop-with-savepoint; with drain it ends event time first. */
export interface StopSourceMessage {
  readonly type: 'stopSource';
  readonly drain: boolean;
}

/** Checkpoint N completed or was aborted. */
export interface CheckpointNotificationMessage {
  readonly type: 'notifyCheckpointComplete' | 'notifyCheckpointAborted';
  readonly checkpointId: number;
}

/** Failed answer to a RequestInputSplitMessage. */
export interface InputSplitErrorMessage {
  readonly type: 'inputSplitError';
  readonly requestId: number;
  readonly error: ErrorInfo;
}

/**
 * A data-plane channel is connected (stream tasks only): the port carries record buffers and
 * credits. `subpartition` of produced partition `partition`, or `channel` of input gate `gate`.
 */
export interface ConnectSubpartitionMessage {
  readonly type: 'connectSubpartition';
  readonly partition: number;
  readonly subpartition: number;
  readonly port: MessagePort;
}

export interface ConnectChannelMessage {
  readonly type: 'connectChannel';
  readonly gate: number;
  readonly channel: number;
  readonly port: MessagePort;
}

/** The JobManager stored every collected batch up to `sequence` (see CollectMessage). */
export interface CollectAckMessage {
  readonly type: 'collectAck';
  readonly sequence: number;
}

/** A collected batch was refused for good (it can never be stored): the task fails with `error`. */
export interface CollectFailedMessage {
  readonly type: 'collectFailed';
  readonly error: ErrorInfo;
}

export type ParentToWorkerMessage =
  | CancelMessage
  | InputSplitMessage
  | InputSplitErrorMessage
  | ConnectSubpartitionMessage
  | ConnectChannelMessage
  | CollectAckMessage
  | CollectFailedMessage
  | TriggerCheckpointMessage
  | StopSourceMessage
  | CheckpointNotificationMessage;

// ---------------------------------------------------------------------------
// Worker -> parent

/** The task switched state; `error` comes with FAILED. */
export interface StateMessage {
  readonly type: 'state';
  readonly state: TaskThreadState;
  readonly error?: ErrorInfo;
}

/** Task code called `ctx.nextInputSplit()`, or `requestSplit(waitMs)` (a source with a SplitEnumerator). */
export interface RequestInputSplitMessage {
  readonly type: 'requestInputSplit';
  readonly requestId: number;
  /** How long the JobMaster may hold the request while no split is there yet; absent: 0. */
  readonly waitMs?: number;
}

export type TaskLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export const TASK_LOG_LEVELS: readonly TaskLogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

/** A log line from task code (`ctx.log`), written by the parent's logger: the worker has no pino. */
export interface LogMessage {
  readonly type: 'log';
  readonly level: TaskLogLevel;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

/**
 * A batch of records for the job's client (collect sink), msgpack-encoded; the buffer is
 * transferred. Batches are numbered 0, 1, 2, ... per attempt; the parent acknowledges them in
 * order (CollectAckMessage) once the JobManager stored them.
 */
export interface CollectMessage {
  readonly type: 'collect';
  readonly sequence: number;
  readonly batch: Uint8Array;
}

/** Text a print() sink wrote: whole lines, for the TaskManager's .out file (or its stdout). */
export interface StdoutMessage {
  readonly type: 'stdout';
  readonly text: string;
}

/** The task took its part of checkpoint N: where its state went. */
export interface AcknowledgeCheckpointMessage {
  readonly type: 'acknowledgeCheckpoint';
  readonly checkpointId: number;
  readonly state: eddy_checkpoint_v1.TaskStateSnapshot;
  readonly metrics: eddy_checkpoint_v1.SubtaskCheckpointMetrics;
}

/** The task could not take its part of checkpoint N. */
export interface DeclineCheckpointMessage {
  readonly type: 'declineCheckpoint';
  readonly checkpointId: number;
  readonly error: ErrorInfo;
  /** TASK_NOT_READY does not count as a failed checkpoint; TASK_FAILURE does. */
  readonly kind: 'TASK_NOT_READY' | 'TASK_FAILURE';
}

/** A source task reached the end of its input (it waits for its final checkpoint). */
export interface EndOfDataMessage {
  readonly type: 'endOfData';
}

/** User code registered a metric (once per metric; its updates go through shared memory). */
export interface UserMetricMessage {
  readonly type: 'userMetric';
  readonly metric: UserMetricAnnouncement;
}

export type WorkerToParentMessage =
  | UserMetricMessage
  | StateMessage
  | RequestInputSplitMessage
  | LogMessage
  | CollectMessage
  | StdoutMessage
  | AcknowledgeCheckpointMessage
  | DeclineCheckpointMessage
  | EndOfDataMessage;

// ---------------------------------------------------------------------------
// Helpers shared by both sides

/** Where a task runs, for people: "Map -> Filter (1/2) (attempt 0)", as Flink names a subtask. */
export function taskLocation(deployment: eddy_taskexecutor_v1.TaskDeploymentDescriptor): string {
  return `${deployment.vertexName} (${deployment.subtaskIndex + 1}/${deployment.parallelism}) (attempt ${deployment.attemptNumber})`;
}

const MAX_CAUSES = 5;

/**
 * Turns anything thrown into ErrorInfo. The stack is the thrower's own, followed by the stacks of
 * up to five causes (`Caused by: ...`, as Java prints them), since ErrorInfo has no cause field.
 */
export function toErrorInfo(thrown: unknown, location: string): ErrorInfo {
  if (!(thrown instanceof Error) && !isErrorLike(thrown)) {
    return { name: 'Error', message: `A non-Error value was thrown: ${describe(thrown)}`, stack: '', location };
  }
  let stack = stackOf(thrown);
  let cause: unknown = thrown.cause;
  for (let depth = 0; cause !== undefined && depth < MAX_CAUSES; depth++) {
    stack += `\nCaused by: ${isErrorLike(cause) ? stackOf(cause) : describe(cause)}`;
    cause = isErrorLike(cause) ? cause.cause : undefined;
  }
  return { name: String(thrown.name), message: String(thrown.message), stack, location };
}

/** Rebuilds an Error from ErrorInfo, keeping its name, message and the original stack. */
export function errorFromInfo(info: ErrorInfo): Error {
  const error = new Error(info.message);
  error.name = info.name;
  if (info.stack !== '') {
    error.stack = info.stack;
  }
  return error;
}

interface ErrorLike {
  name: unknown;
  message: unknown;
  stack?: unknown;
  cause?: unknown;
}

function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null && 'name' in value && 'message' in value;
}

function stackOf(error: ErrorLike): string {
  return typeof error.stack === 'string' && error.stack !== '' ? error.stack : `${String(error.name)}: ${String(error.message)}`;
}

function describe(value: unknown): string {
  try {
    return typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));
  } catch {
    return Object.prototype.toString.call(value);
  }
}
