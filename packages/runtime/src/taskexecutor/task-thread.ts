/**
 * TaskThread: one deployed task running in its own worker thread, seen from the TaskExecutor.
 *
 * Responsibility: start the worker (task-worker.ts) with the task's heap limit and network settings
 * (resolved from the job's and the TaskManager's configuration), relay its state changes and input
 * split requests to the TaskExecutor's callbacks, cancel it (and terminate it when it ignores the
 * cancel: Flink's cancellation watchdog), and report the task's end when the thread dies on its own
 * (FAILED naming taskmanager.memory.task.heap.size when it outgrew its heap).
 *
 * Guarantees, whatever the order of events (worker messages, 'error', 'exit', cancel, terminate):
 * - exactly one terminal state (FINISHED, CANCELED or FAILED) is reported, and nothing after it;
 *   terminate() reports nothing at all from then on;
 * - a thread that exits without having sent a terminal state is reported FAILED with the exit code
 *   or the thread's error (CANCELED instead when a cancel had been requested, unless it outgrew its
 *   heap: see isHeapLimitExceeded);
 * - once a cancel was requested, a task that fails is reported CANCELED (as Flink's Task does): what
 *   breaks while a job is canceled, such as a channel whose producer was canceled first, is part of
 *   the canceling;
 * - answers to requests of a thread that has ended are dropped;
 * - every timer is cleared when the thread exits, and `terminated` settles once it has exited.
 *
 * Threading: all methods and callbacks run on the TaskExecutor's event loop. Callbacks are invoked
 * synchronously from worker events; an exception thrown by a callback is logged, never propagated.
 */
import { rm } from 'node:fs/promises';
import { resolveTaskS3Settings } from '../checkpoint/filesystem/s3-options.js';
import type { MessagePort } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import type { Configuration, Logger } from '@eddy/common';
import type { eddy_checkpoint_v1, eddy_taskexecutor_v1 } from '@eddy/proto';
import {
  TASK_LOG_LEVELS,
  isTerminalTaskThreadState,
  taskLocation,
  toErrorInfo,
  type ErrorInfo,
  type LogMessage,
  type ParentToWorkerMessage,
  type TaskThreadState,
  type TaskWorkerData,
  type WorkerToParentMessage,
} from './task-messages.js';
import { MAX_LINGER_MS, TaskOptions } from './task-options.js';
import { TaskManagerOptions } from './taskmanager-options.js';
import { heapLimitExceeded, isWorkerOutOfMemory, taskWorkerLimits, type TaskWorkerLimits } from './task-worker-limits.js';
import { CollectSinkOptions } from '../collect/collect-sink-options.js';
import { TaskIOMetrics } from '../metrics/task-io-metrics.js';
import { UserMetricsRegion } from '../metrics/user-metrics-region.js';
import { resolveNetworkTaskSettings } from '../network/network-options.js';
import type { CheckpointBarrier } from '../network/network-buffer.js';
import { resolveStateBackendSettings } from './state/state-backend-options.js';

/** requestInputSplit's answer when no split is there for the subtask yet but the enumerator may assign more. */
export interface SplitNotAssignedYet {
  readonly moreMayCome: true;
}

/** How a TaskThread talks back to the TaskExecutor. */
export interface TaskThreadCallbacks {
  /** The task switched state; `error` comes with FAILED. Called once with a terminal state. */
  notifyStateChange(state: TaskThreadState, error?: ErrorInfo): void;
  /**
   * Task code asked for its next input split (the TaskExecutor asks the JobMaster). Resolves to
   * undefined when none are left; a rejection is handed to the task code as the error of
   * `ctx.nextInputSplit()`.
   */
  requestInputSplit(waitMs: number): Promise<{ readonly id: string; readonly split: string } | SplitNotAssignedYet | undefined>;
  /**
   * A collect sink sent batch `sequence` (msgpack) for the job's client. Optional. Answer with
   * acknowledgeCollected once the JobManager stored it: until then it counts against the task's
   * collect-sink.max-in-flight-size.
   */
  collect?(sequence: number, batch: Uint8Array): void;
  /** A print sink wrote text (whole lines). Optional; without it the text is dropped. */
  stdout?(text: string): void;
  /** The task took its part of checkpoint N. */
  acknowledgeCheckpoint?(checkpointId: number, state: eddy_checkpoint_v1.TaskStateSnapshot, metrics: eddy_checkpoint_v1.SubtaskCheckpointMetrics): void;
  /** The task could not take its part of checkpoint N. */
  declineCheckpoint?(checkpointId: number, error: ErrorInfo, kind: 'TASK_NOT_READY' | 'TASK_FAILURE'): void;
  /** A source task reached the end of its input. */
  notifyEndOfData?(): void;
}

export interface TaskThreadOptions {
  readonly deployment: eddy_taskexecutor_v1.TaskDeploymentDescriptor;
  /** Absolute file path of the job's code bundle; undefined when the job has none. */
  readonly bundlePath: string | undefined;
  /** The TaskExecutor's logger; the thread adds { jobId, vertexId, subtask, attempt }. */
  readonly logger: Logger;
  readonly callbacks: TaskThreadCallbacks;
  /** How long a canceled task may take to end before its thread is terminated (`task.cancellation.timeout`). */
  readonly cancellationTimeoutMs: number;
  /**
   * The TaskManager's configuration: its task heap and slots bound the worker's heap; its network
   * options apply where the job's configuration sets none.
   */
  readonly taskManagerConfiguration: Configuration;
  /** collect-sink.max-in-flight-size of the task; default 2 MiB. */
  readonly collectMaxInFlightBytes?: number;
}

const WORKER_URL = new URL('./task-worker.js', import.meta.url);

export class TaskThread {
  readonly executionAttemptId: string;
  /** Settles (never rejects) once the worker thread has exited. */
  readonly terminated: Promise<void>;
  /**
   * The task's numRecordsIn and numRecordsOut, counted by the worker; read them at any time. Once
   * the terminal state is reported they hold their final values.
   */
  readonly ioMetrics = new TaskIOMetrics();
  /** The task's user metrics: their slots, and the metrics the worker announced. */
  readonly userMetrics = new UserMetricsRegion();

  readonly #location: string;
  readonly #logger: Logger;
  readonly #callbacks: TaskThreadCallbacks;
  readonly #cancellationTimeoutMs: number;
  readonly #worker: Worker | undefined;
  readonly #limits: TaskWorkerLimits | undefined;
  /** The task's local state directory (state.backend.type lmdb): the task removes it, and this after a thread that was terminated. */
  #localStateDirectory = '';
  readonly #resolveTerminated: () => void;
  /** Split requests of the worker waiting for the callback's answer. */
  readonly #pendingRequests = new Set<number>();

  /** The last state reported through the callbacks. */
  #state: TaskThreadState | undefined;
  /** Set by terminate(): nothing is reported any more. */
  #silenced = false;
  #cancelRequested = false;
  /** The cancel timed out: the worker is being terminated and CANCELED is reported when it exits. */
  #forcingCancel = false;
  #exited = false;
  /** The cancellation timeout, or the grace a thread gets to exit after its terminal state. */
  #timer: NodeJS.Timeout | undefined;
  /** The worker's 'error' event, which comes before its 'exit'. */
  #workerError: unknown;

  /** The worker's event-loop utilization so far (idle and active ms); undefined when no worker runs. */
  eventLoopUtilization(): { idle: number; active: number } | undefined {
    if (this.#worker === undefined || this.#exited) return undefined;
    return this.#worker.performance.eventLoopUtilization();
  }

  /** Starts the task's worker thread. Never throws: a thread that cannot start is reported FAILED. */
  static start(options: TaskThreadOptions): TaskThread {
    return new TaskThread(options);
  }

  private constructor(options: TaskThreadOptions) {
    const { deployment } = options;
    this.executionAttemptId = deployment.executionAttemptId;
    this.#location = taskLocation(deployment);
    this.#logger = options.logger.child({
      jobId: deployment.jobId,
      vertexId: deployment.vertexId,
      subtask: deployment.subtaskIndex,
      attempt: deployment.attemptNumber,
    });
    this.#callbacks = options.callbacks;
    this.#cancellationTimeoutMs = options.cancellationTimeoutMs;
    let resolveTerminated!: () => void;
    this.terminated = new Promise((resolve) => {
      resolveTerminated = resolve;
    });
    this.#resolveTerminated = resolveTerminated;

    let workerData: TaskWorkerData;
    let limits: TaskWorkerLimits;
    try {
      limits = this.#limits = taskWorkerLimits(options.taskManagerConfiguration);
      const network = resolveNetworkTaskSettings(options.taskManagerConfiguration, deployment.jobConfiguration);
      workerData = {
        deployment,
        bundlePath: options.bundlePath,
        ioMetrics: this.ioMetrics.buffer,
        userMetrics: this.userMetrics.buffer,
        network,
        s3: resolveTaskS3Settings(options.taskManagerConfiguration, deployment.jobConfiguration),
        collectMaxInFlightBytes: options.collectMaxInFlightBytes ?? CollectSinkOptions.maxInFlightSize.defaultValue,
        stateBackend: resolveStateBackendSettings(options.taskManagerConfiguration, deployment.jobConfiguration, deployment),
      };
      this.#worker = new Worker(WORKER_URL, { workerData, resourceLimits: { maxOldGenerationSizeMb: limits.heapLimitMb } });
    } catch (error) {
      this.#worker = undefined;
      this.#workerError = error;
      this.#logger.error({ err: error, task: this.#location }, 'Could not start task thread');
      queueMicrotask(() => this.#onExit(undefined));
      return;
    }
    this.#worker.on('message', (message: WorkerToParentMessage) => this.#onMessage(message));
    this.#worker.on('messageerror', (error) => this.#logger.warn({ err: error }, 'Dropped a message of the task thread that could not be deserialized'));
    this.#worker.on('error', (error) => {
      this.#workerError ??= error;
    });
    if (workerData.stateBackend.type === 'lmdb') this.#localStateDirectory = workerData.stateBackend.localDir;
    this.#worker.on('exit', (exitCode) => this.#onExit(exitCode));
    this.#logger.info({ task: this.#location, threadId: this.#worker.threadId, heapLimitMb: limits.heapLimitMb, network: workerData.network, stateBackend: workerData.stateBackend.type }, 'Task thread started');
  }

  /**
   * Asks the task to stop: its `ctx.signal` is aborted. If the thread has not ended within the
   * cancellation timeout, it is terminated and the task reported CANCELED. Does nothing once the
   * task has reached a terminal state, or when called again.
   */
  cancel(): void {
    if (this.#worker === undefined || this.#cancelRequested || this.#isClosed()) {
      return;
    }
    this.#cancelRequested = true;
    this.#logger.debug({ task: this.#location }, 'Canceling task');
    this.#post({ type: 'cancel' });
    this.#setTimer(() => this.#onCancellationTimeout(), this.#cancellationTimeoutMs);
  }

  /** A source task takes its part of checkpoint N. */
  triggerCheckpoint(barrier: CheckpointBarrier): void {
    if (!this.#isClosed()) this.#post({ type: 'triggerCheckpoint', barrier });
  }

  notifyCheckpointComplete(checkpointId: number): void {
    if (!this.#isClosed()) this.#post({ type: 'notifyCheckpointComplete', checkpointId });
  }

  /** A source task stops for a stop-with-savepoint (see TaskExecutorGateway.stopSourceTask). */
  stopSource(drain: boolean): void {
    if (!this.#isClosed()) this.#post({ type: 'stopSource', drain });
  }

  notifyCheckpointAborted(checkpointId: number): void {
    if (!this.#isClosed()) this.#post({ type: 'notifyCheckpointAborted', checkpointId });
  }

  /** Hands the worker the port of subpartition `subpartition` of its produced partition `partition`. */
  connectSubpartition(partition: number, subpartition: number, port: MessagePort): void {
    this.#post({ type: 'connectSubpartition', partition, subpartition, port }, [port]);
  }

  /** Hands the worker the port of channel `channel` of its input gate `gate`. */
  connectChannel(gate: number, channel: number, port: MessagePort): void {
    this.#post({ type: 'connectChannel', gate, channel, port }, [port]);
  }

  /** The JobManager stored the task's collected batches up to `sequence`. */
  acknowledgeCollected(sequence: number): void {
    if (!this.#isClosed()) this.#post({ type: 'collectAck', sequence });
  }

  /** A collected batch of the task can never be stored: the task fails with `error`. */
  failCollected(error: ErrorInfo): void {
    if (!this.#isClosed()) this.#post({ type: 'collectFailed', error });
  }

  /**
   * Stops the thread at once, for a TaskManager that shuts down or loses its JobManager. Reports
   * nothing further: the caller decides what the task's end means. Resolves once the thread has exited.
   */
  terminate(reason: string): Promise<void> {
    if (!this.#exited && !this.#silenced) {
      this.#silenced = true;
      this.#clearTimer();
      this.#logger.info({ task: this.#location, reason }, 'Terminating task thread');
      void this.#worker?.terminate();
    }
    return this.terminated;
  }

  /** True once nothing more will be reported. */
  #isClosed(): boolean {
    return this.#exited || this.#silenced || this.#forcingCancel || (this.#state !== undefined && isTerminalTaskThreadState(this.#state));
  }

  #onMessage(message: WorkerToParentMessage): void {
    switch (message.type) {
      case 'state':
        this.#onStateMessage(message.state, message.error);
        break;
      case 'requestInputSplit':
        this.#serveInputSplitRequest(message.requestId, message.waitMs ?? 0);
        break;
      case 'log':
        this.#logTaskLine(message);
        break;
      case 'collect':
        if (!this.#isClosed()) this.#callbacks.collect?.(message.sequence, message.batch);
        break;
      case 'stdout':
        // What the task printed before it ended is written too.
        if (!this.#exited && !this.#silenced) this.#callbacks.stdout?.(message.text);
        break;
      case 'acknowledgeCheckpoint':
        if (!this.#isClosed()) this.#callbacks.acknowledgeCheckpoint?.(message.checkpointId, message.state, message.metrics);
        break;
      case 'declineCheckpoint':
        if (!this.#isClosed()) this.#callbacks.declineCheckpoint?.(message.checkpointId, message.error, message.kind);
        break;
      case 'endOfData':
        if (!this.#isClosed()) this.#callbacks.notifyEndOfData?.();
        break;
      case 'userMetric':
        this.userMetrics.announced.push(message.metric);
        break;
      default:
        this.#logger.warn({ message: message as unknown }, 'Ignored a message of unknown type from the task thread');
    }
  }

  #onStateMessage(state: TaskThreadState, error: ErrorInfo | undefined): void {
    if (this.#isClosed()) {
      this.#logger.debug({ state, reported: this.#state }, 'Ignored a state message that came after the task ended');
      return;
    }
    const from = this.#state;
    const allowed =
      state === 'INITIALIZING' ? from === undefined : state === 'RUNNING' ? from === 'INITIALIZING' : isTerminalTaskThreadState(state);
    if (!allowed) {
      this.#logger.warn({ from, to: state }, 'Ignored an illegal state change reported by the task thread');
      return;
    }
    if (state === 'FAILED' && this.#cancelRequested) {
      this.#logger.debug({ task: this.#location, err: error }, 'The task failed while being canceled; it counts as canceled');
      this.#report('CANCELED');
      return;
    }
    this.#report(state, error);
  }

  #report(state: TaskThreadState, error?: ErrorInfo): void {
    const from = this.#state;
    this.#state = state;
    if (isTerminalTaskThreadState(state)) {
      this.#clearTimer();
      if (!this.#exited) {
        // The worker closes its port after its terminal state, so it exits unless task code left
        // timers or sockets open; those must not outlive the task.
        this.#setTimer(() => this.#onLingering(), Math.min(this.#cancellationTimeoutMs, MAX_LINGER_MS));
      }
    }
    this.#logger.debug({ task: this.#location, from, to: state }, 'Task thread switched state');
    try {
      if (error === undefined) {
        this.#callbacks.notifyStateChange(state);
      } else {
        this.#callbacks.notifyStateChange(state, error);
      }
    } catch (callbackError) {
      this.#logger.error({ err: callbackError, state }, 'The task state callback threw');
    }
  }

  #serveInputSplitRequest(requestId: number, waitMs: number): void {
    if (this.#isClosed()) {
      return;
    }
    this.#pendingRequests.add(requestId);
    let answer: Promise<{ readonly id: string; readonly split: string } | SplitNotAssignedYet | undefined>;
    try {
      answer = Promise.resolve(this.#callbacks.requestInputSplit(waitMs));
    } catch (error) {
      answer = Promise.reject(error);
    }
    answer.then(
      (split) =>
        this.#answer(
          split === undefined || 'moreMayCome' in split
            ? { type: 'inputSplit', requestId, split: null, splitId: '', moreMayCome: split !== undefined }
            : { type: 'inputSplit', requestId, split: split.split, splitId: split.id },
        ),
      (error: unknown) => this.#answer({ type: 'inputSplitError', requestId, error: toErrorInfo(error, this.#location) }),
    );
  }

  #answer(message: Extract<ParentToWorkerMessage, { requestId: number }>): void {
    if (!this.#pendingRequests.delete(message.requestId) || this.#isClosed()) {
      this.#logger.debug({ requestId: message.requestId, answer: message.type }, 'Dropped the answer to a request of a task that has ended');
      return;
    }
    this.#post(message);
  }

  #logTaskLine(message: LogMessage): void {
    const level = TASK_LOG_LEVELS.includes(message.level) ? message.level : 'info';
    this.#logger[level](message.fields, message.msg);
  }

  #onCancellationTimeout(): void {
    this.#timer = undefined;
    if (this.#isClosed()) {
      return;
    }
    this.#forcingCancel = true;
    this.#logger.warn(
      { task: this.#location, timeoutMs: this.#cancellationTimeoutMs, configKey: TaskOptions.cancellationTimeout.key },
      'Task did not end within the cancellation timeout; terminating its thread',
    );
    void this.#worker?.terminate();
  }

  #onLingering(): void {
    this.#timer = undefined;
    if (this.#exited) {
      return;
    }
    this.#logger.warn(
      { task: this.#location, graceMs: Math.min(this.#cancellationTimeoutMs, MAX_LINGER_MS), state: this.#state },
      'Task thread still runs after its task ended (task code left timers, sockets or work behind); terminating it',
    );
    void this.#worker?.terminate();
  }

  #onExit(exitCode: number | undefined): void {
    if (this.#exited) {
      return;
    }
    this.#exited = true;
    this.#clearTimer();
    if (this.#pendingRequests.size > 0) {
      this.#logger.debug({ requests: this.#pendingRequests.size }, 'Dropping the pending requests of an exited task thread');
      this.#pendingRequests.clear();
    }
    this.#logger.debug({ task: this.#location, exitCode }, 'Task thread exited');
    if (this.#localStateDirectory !== '') {
      const directory = this.#localStateDirectory;
      rm(directory, { recursive: true, force: true }).catch((error: unknown) => this.#logger.warn({ err: error, directory }, 'Could not remove the local state directory of an ended task'));
    }
    const terminalReported = this.#state !== undefined && isTerminalTaskThreadState(this.#state);
    if (!terminalReported && !this.#silenced) {
      if (this.#cancelRequested && !isWorkerOutOfMemory(this.#workerError)) {
        this.#report('CANCELED');
      } else {
        this.#report('FAILED', this.#deathErrorInfo(exitCode));
      }
    }
    this.#resolveTerminated();
  }

  #deathErrorInfo(exitCode: number | undefined): ErrorInfo {
    if (isWorkerOutOfMemory(this.#workerError) && this.#limits !== undefined) {
      const info = heapLimitExceeded(this.#limits, this.#location);
      this.#logger.warn({ task: this.#location, heapLimitMb: this.#limits.heapLimitMb, configKey: TaskManagerOptions.taskHeapSize.key }, 'Task thread exceeded its heap limit and was stopped');
      return info;
    }
    if (this.#workerError !== undefined) {
      const info = toErrorInfo(this.#workerError, this.#location);
      const what = exitCode === undefined ? 'Could not start the task thread' : 'Task thread died';
      return { ...info, message: `${what}: ${info.message}` };
    }
    return {
      name: 'TaskThreadExitError',
      message: `Task thread exited with code ${String(exitCode)} before its task ended`,
      stack: '',
      location: this.#location,
    };
  }

  #post(message: ParentToWorkerMessage, transfer?: MessagePort[]): void {
    try {
      if (this.#exited) {
        for (const port of transfer ?? []) port.close();
        return;
      }
      this.#worker?.postMessage(message, transfer);
    } catch (error) {
      this.#logger.warn({ err: error, message: message.type }, 'Could not send a message to the task thread');
    }
  }

  #setTimer(callback: () => void, ms: number): void {
    this.#clearTimer();
    this.#timer = setTimeout(callback, ms);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }
}
