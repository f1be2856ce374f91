/**
 * CheckpointCoordinator: the JobMaster's collaborator that takes a job's checkpoints (Flink's
 * CheckpointCoordinator, asynchronous barrier snapshots).
 *
 *   trigger N ──► source subtasks snapshot, send barrier N ──► every subtask snapshots when barrier N
 *   reached it on all its inputs ──► acknowledgeCheckpoint(N, state handles) ──► all acknowledged:
 *   `_metadata` written ──► N complete: notifyCheckpointComplete(N) to every subtask
 *
 * Responsibility
 *   - Triggers a checkpoint every execution.checkpointing.interval, at most max-concurrent at
 *     once and min-pause after the last one ended, once every unfinished subtask is RUNNING; and
 *     at once when every source reached the end of its input (their final checkpoint).
 *   - Triggers the subtasks at the front of what still runs (Flink's FLIP-147): the unfinished
 *     sources, and every unfinished subtask all of whose upstream subtasks FINISHED (it then
 *     takes its part once its inputs ended and sends the barrier on), so a subtask behind finished
 *     subtasks still gets its checkpoints, its final one included.
 *   - Completes N only when every subtask that was running at the trigger acknowledged it; a
 *     FINISHED subtask's state is its state in the last checkpoint, carried over by reference.
 *   - Aborts N on timeout, on a decline, on a failure of the job (abortAll), or when the metadata
 *     cannot be written; notifies the subtasks and removes what N wrote. Timeouts, storage errors
 *     and tasks that fail to write their state count against tolerable-failed-checkpoints; past
 *     it the job fails with the last cause.
 *   - Keeps state.checkpoints.num-retained completed checkpoints and deletes files no retained
 *     checkpoint refers to.
 *   - Hands each redeployed subtask its state from the latest completed checkpoint (restoreFor).
 *   - Takes savepoints on request (triggerSavepoint): a checkpoint with is_savepoint, taken as soon
 *     as no other checkpoint is in progress (interval and min-pause do not apply), whose state the
 *     request's persist() makes self-contained (see savepoint-writer.ts). A savepoint is not a
 *     completed checkpoint of the job (Flink 1.15+): it is not retained, never restored on
 *     failover, and tasks are not told it completed, so exactly-once sinks commit its data with
 *     the next checkpoint. Its failure does not count against tolerable-failed-checkpoints.
 *   - Stops the job with a savepoint (stopWithSavepoint, Flink's stop-with-savepoint): the sources
 *     stop (no record after that), and once every one reported the end of its data the final
 *     checkpoint is a savepoint; when it completes the tasks are told (exactly-once sinks commit
 *     it) and finish, so the job ends FINISHED. No periodic checkpoint starts meanwhile. If the
 *     stop or the savepoint fails, the job fails over (its sources have stopped) and, as its restart
 *     strategy allows, runs on from its latest checkpoint.
 *
 * Threading: every method runs in the JobMaster's mailbox; timers and the storage's promises come
 * back through the context's runInMainThread/scheduleInMainThread. `generation` changes whenever
 * every pending checkpoint is aborted, so a continuation from before knows it is stale.
 *
 * Lifecycle: created with the JobMaster; shutdown() when the job ended.
 */
import type { Logger } from '@eddy/common';
import type { eddy_checkpoint_v1 as cp, eddy_cluster_v1 as cluster } from '@eddy/proto';
import type { ScheduledTask } from '@eddy/rpc';
import type { CheckpointingSettings } from './checkpointing-options.js';
import { stateHandlesOf, stateHandlesOfTask, stateSizeOf, type CompletedCheckpoint, type SplitEnumeratorState, type VertexCheckpointState } from './checkpoint-metadata.js';
import type { CheckpointStorage } from './checkpoint-storage.js';
import { CheckpointStatsTracker, type CheckpointFailureKind } from './checkpoint-stats.js';
import { assignSubtaskState, emptyTaskState } from './state-assignment.js';

/** One current attempt of a subtask, as the coordinator needs to know it. */
export interface CheckpointTask {
  readonly attemptId: string;
  readonly vertexId: string;
  readonly vertexName: string;
  readonly subtask: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly operatorIds: readonly string[];
  readonly isSource: boolean;
  /** The current attempts of the subtasks it reads from (none for a source). */
  readonly upstreamAttemptIds: readonly string[];
  /** Its ExecutionState. */
  readonly state: string;
}

export interface CheckpointCoordinatorContext {
  readonly jobId: string;
  readonly jobName: string;
  readonly logger: Logger;
  runInMainThread(fn: () => void): void;
  scheduleInMainThread(fn: () => void, delayMs: number): ScheduledTask;
  /** The current attempt of every subtask, vertices in topological order. */
  tasks(): readonly CheckpointTask[];
  /** Whether the job is RUNNING (not restarting, failing, canceling or ended). */
  isJobRunning(): boolean;
  triggerTask(task: CheckpointTask, checkpointId: number, timestamp: number, options: cp.CheckpointOptions): Promise<unknown>;
  notifyCheckpointComplete(task: CheckpointTask, checkpointId: number): void;
  notifyCheckpointAborted(task: CheckpointTask, checkpointId: number): void;
  /** Too many checkpoints failed in a row: the job fails with this cause. */
  failJob(cause: Error): void;
  /** A source vertex's SplitEnumerator state, written into each checkpoint's metadata. */
  splitEnumeratorState?(vertexId: string): SplitEnumeratorState | undefined;
  /** Stop-with-savepoint: tells a source subtask to stop reading (see TaskExecutorGateway.stopSourceTask). */
  stopSource(task: CheckpointTask, drain: boolean): Promise<unknown>;
}

/** A savepoint asked for (see triggerSavepoint). */
export interface SavepointRequest {
  /** Makes the assembled savepoint self-contained and writes its `_metadata`; resolves to it as written. */
  persist(savepoint: Omit<CompletedCheckpoint, 'metadataPath'>): Promise<CompletedCheckpoint>;
  /** Settles the request (called once, in the main thread). */
  resolve(savepoint: CompletedCheckpoint): void;
  reject(error: Error): void;
}

/** A savepoint that could not be taken; the message says why. The job keeps running. */
export class SavepointFailedError extends Error {
  override readonly name = 'SavepointFailedError';
}

/** How long the next trigger waits after one that could not reach a subtask. */
const TRIGGER_RETRY_PAUSE_MS = 50;

/** Past execution.checkpointing.tolerable-failed-checkpoints. */
export class CheckpointFailureThresholdError extends Error {
  override readonly name = 'CheckpointFailureThresholdError';
}

interface PendingCheckpoint {
  readonly checkpointId: number;
  readonly triggeredAt: number;
  readonly generation: number;
  /** Attempts that must still acknowledge, by attempt id. */
  readonly notYetAcknowledged: Map<string, CheckpointTask>;
  /** Acknowledged states by `vertexId/subtask`. */
  readonly acknowledged: Map<string, { task: CheckpointTask; state: cp.TaskStateSnapshot; metrics: cp.SubtaskCheckpointMetrics | null }>;
  /** The attempts it was triggered on (the front of the job when it started). */
  readonly triggered: ReadonlySet<string>;
  readonly timeout: ScheduledTask;
  /** Once every subtask acknowledged: the metadata is being written. */
  completing: boolean;
  /** Set when it is a savepoint. */
  readonly savepoint: SavepointRequest | undefined;
  /** The savepoint of a stop-with-savepoint: tasks are told it completed, and then finish. */
  readonly terminal: boolean;
}

const taskKey = (vertexId: string, subtask: number): string => `${vertexId}/${subtask}`;

export class CheckpointCoordinator {
  readonly stats = new CheckpointStatsTracker();
  private readonly pending = new Map<number, PendingCheckpoint>();
  /** Oldest first; at most numRetained. */
  private readonly completed: CompletedCheckpoint[] = [];
  private lastCheckpointId = 0;
  private generation = 0;
  private consecutiveFailures = 0;
  private lastTriggerAt = 0;
  private lastEndAt = 0;
  /** A trigger did not reach a subtask: the next try waits TRIGGER_RETRY_PAUSE_MS. */
  private pauseBeforeNextTrigger = false;
  private timer: ScheduledTask | undefined;
  private running = false;
  private shutDown = false;
  /** A trigger that found tasks not yet RUNNING waits for notifyTasksRunning. */
  private waitingForTasks = false;
  /** Source attempts that reported the end of their input, this deployment. */
  private readonly endOfData = new Set<string>();
  private finalCheckpointRequested = false;
  /** Files of the checkpoint the job started from (execution.savepoint.path): not this job's to delete. */
  private readonly foreignPaths = new Set<string>();
  private foreignCheckpointId = -1;
  /** Finished splits as of the checkpoint the job was restored from, per source vertex. */
  private finishedSplitBaseline = new Map<string, readonly string[]>();
  /** Savepoints asked for and not yet triggered, oldest first. */
  private readonly queuedSavepoints: SavepointRequest[] = [];
  /** A stop-with-savepoint under way: its savepoint is taken once every source stopped. */
  private stopping: SavepointRequest | undefined;

  constructor(
    private readonly settings: CheckpointingSettings,
    private readonly storage: CheckpointStorage,
    private readonly context: CheckpointCoordinatorContext,
  ) {}

  /**
   * Before the first deployment: the job starts from `checkpoint` (read from
   * execution.savepoint.path). Its files are never deleted by this job; new checkpoints count on
   * from its id.
   */
  restoreFrom(checkpoint: CompletedCheckpoint): void {
    this.foreignCheckpointId = checkpoint.checkpointId;
    for (const handle of stateHandlesOf(checkpoint)) if (handle.path !== '') this.foreignPaths.add(handle.path);
    this.completed.push(checkpoint);
    this.lastCheckpointId = Math.max(this.lastCheckpointId, checkpoint.checkpointId);
    this.stats.reportRestored(checkpoint.checkpointId, checkpoint.metadataPath);
  }

  get isEnabled(): boolean {
    return this.settings.enabled;
  }

  /** The latest completed checkpoint, restored or taken; undefined before the first one. */
  get latestCompleted(): CompletedCheckpoint | undefined {
    return this.completed[this.completed.length - 1];
  }

  get retainedCheckpoints(): readonly CompletedCheckpoint[] {
    return this.completed;
  }

  // ---- Savepoints ----

  /**
   * Takes a savepoint as soon as no checkpoint is in progress; settles `request` when it is
   * written or failed. Refused at once (rejected) when the job is not running with checkpoints.
   */
  triggerSavepoint(request: SavepointRequest): void {
    const refused = this.refusal() ?? (this.stopping === undefined ? undefined : 'the job is being stopped with a savepoint');
    if (refused !== undefined) {
      request.reject(new SavepointFailedError(refused));
      return;
    }
    this.queuedSavepoints.push(request);
    if (this.pendingCount() === 0) this.schedule(0);
  }

  /**
   * Stops the job with a savepoint (see the class comment); `request` settles when the savepoint
   * is written (the tasks then finish) or the stop failed.
   */
  stopWithSavepoint(request: SavepointRequest, drain: boolean): void {
    const refused = this.refusal();
    if (refused !== undefined || this.stopping !== undefined) {
      request.reject(new SavepointFailedError(refused ?? 'the job is being stopped with a savepoint already'));
      return;
    }
    const unfinished = this.context.tasks().filter((task) => task.state !== 'FINISHED');
    const notRunning = unfinished.find((task) => task.state !== 'RUNNING');
    if (notRunning !== undefined) {
      request.reject(new SavepointFailedError(`not every task is running: ${notRunning.vertexName} (${notRunning.subtask + 1}/${notRunning.parallelism}) is ${notRunning.state}; try again once the job runs`));
      return;
    }
    this.stopping = request;
    this.context.logger.info({ drain }, `Stopping job ${this.context.jobName} (${this.context.jobId}) with a savepoint: stopping its sources${drain ? ' (drain: the end of event time first)' : ''}`);
    // Checkpoints in flight are aborted first, as Flink's stop-with-savepoint stops the scheduler:
    // one whose barrier reached a source after it stopped would hold every task's final state, and
    // its completion would finish the job before the savepoint is taken.
    for (const pending of [...this.pending.values()]) if (pending.savepoint === undefined) this.abort(pending, 'the job is being stopped with a savepoint', 'NOT_COUNTED', false);
    for (const source of unfinished.filter((task) => task.isSource)) {
      this.context.stopSource(source, drain).catch((error: unknown) =>
        this.context.runInMainThread(() => {
          if (this.stopping !== request) return;
          this.failStop(`${source.vertexName} (${source.subtask + 1}/${source.parallelism}) could not be told to stop: ${messageOf(error)}`);
        }),
      );
    }
  }

  /** Why a savepoint cannot be taken now, or undefined. */
  private refusal(): string | undefined {
    if (!this.settings.enabled) return 'the job runs without checkpointing; savepoints need it on (set execution.checkpointing.interval, or env.enableCheckpointing(ms) in the job)';
    if (!this.running || this.shutDown || !this.context.isJobRunning()) return 'the job is not running (it is restarting, ending, or has every task finished)';
    return undefined;
  }

  /** A stop-with-savepoint failed after its sources were told to stop: the job fails over. */
  private failStop(reason: string): void {
    const request = this.stopping;
    if (request === undefined) return;
    this.stopping = undefined;
    request.reject(new SavepointFailedError(`${reason}; the job fails over and runs on from its latest checkpoint as its restart strategy allows`));
    this.context.failJob(new SavepointFailedError(`Stop with savepoint failed: ${reason}`));
  }

  private rejectQueuedSavepoints(reason: string): void {
    for (const request of this.queuedSavepoints.splice(0)) request.reject(new SavepointFailedError(reason));
    const stopping = this.stopping;
    this.stopping = undefined;
    stopping?.reject(new SavepointFailedError(reason));
  }

  // ---- Scheduling ----

  /**
   * The job's tasks were (re)deployed: periodic checkpoints start (the first after one interval).
   * The split baseline is the restored checkpoint's, for the checkpoints of this deployment.
   */
  startCheckpointScheduler(): void {
    if (!this.settings.enabled || this.shutDown) return;
    this.running = true;
    this.endOfData.clear();
    this.finalCheckpointRequested = false;
    const restored = this.latestCompleted;
    this.finishedSplitBaseline = new Map((restored?.vertices ?? []).map((vertex) => [vertex.vertexId, vertex.finishedSplitIds]));
    this.lastTriggerAt = Date.now();
    this.schedule(this.settings.intervalMs);
  }

  /** The job is failing, restarting or ending: no more triggers until startCheckpointScheduler. */
  stopCheckpointScheduler(reason: string): void {
    this.rejectQueuedSavepoints(reason);
    this.running = false;
    this.waitingForTasks = false;
    this.timer?.cancel();
    this.timer = undefined;
    this.abortAll(reason);
  }

  /** Every unfinished subtask may be RUNNING now: a trigger that waited for them goes ahead. */
  notifyTasksRunning(): void {
    if (this.waitingForTasks && this.running) {
      this.waitingForTasks = false;
      this.triggerCheckpoint();
    }
  }

  /**
   * A subtask FINISHED: it finished only after a checkpoint that holds its final state completed,
   * so pending checkpoints that wait for it take that state (carried from the latest completed
   * checkpoint) instead of an acknowledgement it will never send.
   */
  notifyTaskFinished(attemptId: string): void {
    for (const pending of [...this.pending.values()]) {
      if (pending.completing || !pending.notYetAcknowledged.delete(attemptId)) continue;
      const stranded = this.strandedTask(pending);
      if (stranded !== undefined) {
        this.abort(
          pending,
          `${stranded.vertexName} (${stranded.subtask + 1}/${stranded.parallelism}) can no longer get its barrier: every subtask upstream of it finished without taking checkpoint ${pending.checkpointId}`,
          'NOT_COUNTED',
        );
        continue;
      }
      if (pending.notYetAcknowledged.size === 0) this.complete(pending);
    }
  }

  /**
   * A subtask that `pending` waits for but that no barrier can reach any more: it was not
   * triggered itself, and every subtask upstream of it FINISHED without taking the checkpoint (so
   * sent no barrier). The checkpoint cannot complete; the next one triggers it directly.
   */
  private strandedTask(pending: PendingCheckpoint): CheckpointTask | undefined {
    const tasks = this.context.tasks();
    const finishedWithout = new Set(
      tasks.filter((task) => task.state === 'FINISHED' && pending.acknowledged.get(taskKey(task.vertexId, task.subtask))?.task.attemptId !== task.attemptId).map((task) => task.attemptId),
    );
    return tasks.find(
      (task) =>
        pending.notYetAcknowledged.has(task.attemptId) &&
        !pending.triggered.has(task.attemptId) &&
        task.upstreamAttemptIds.length > 0 &&
        task.upstreamAttemptIds.every((id) => finishedWithout.has(id)),
    );
  }

  /** A source subtask reached the end of its input; once all have, the final checkpoint is triggered at once. */
  notifyEndOfData(attemptId: string): void {
    if (!this.running) return;
    const task = this.context.tasks().find((t) => t.attemptId === attemptId);
    if (task === undefined || !task.isSource) return;
    this.endOfData.add(attemptId);
    const sources = this.context.tasks().filter((t) => t.isSource && t.state !== 'FINISHED');
    if (sources.every((source) => this.endOfData.has(source.attemptId)) && !this.finalCheckpointRequested) {
      this.finalCheckpointRequested = true;
      if (this.stopping !== undefined) {
        this.context.logger.info({ checkpointId: this.lastCheckpointId + 1 }, 'Every source stopped; triggering the savepoint that ends the job');
        this.schedule(0);
        return;
      }
      this.context.logger.info({ checkpointId: this.lastCheckpointId + 1 }, 'Every source reached the end of its input; triggering the final checkpoint');
      this.schedule(0);
    }
  }

  private schedule(delayMs: number): void {
    this.timer?.cancel();
    this.timer = this.context.scheduleInMainThread(() => {
      this.timer = undefined;
      this.triggerCheckpoint();
    }, Math.max(0, delayMs));
  }

  /** Triggers a checkpoint now if the rules allow it, else schedules the next try; never throws. */
  private triggerCheckpoint(): void {
    if (!this.running || this.shutDown) return;
    const now = Date.now();
    // A savepoint goes first, once nothing else is in progress, whatever the interval and min-pause.
    // While the job stops with a savepoint, only that savepoint is taken, once every source stopped.
    const terminal = this.stopping !== undefined;
    if (terminal && (!this.finalCheckpointRequested || this.pendingCount() > 0)) return;
    const savepoint = terminal ? this.stopping : this.pendingCount() === 0 ? this.queuedSavepoints.shift() : undefined;
    const refuse = (reason: string): void => {
      if (terminal) return this.failStop(reason);
      savepoint?.reject(new SavepointFailedError(reason));
      if (savepoint !== undefined) this.afterCheckpointEnded();
    };
    if (savepoint === undefined) {
      if (this.pendingCount() >= this.settings.maxConcurrent) return; // the next completion or abort schedules again
      if (this.pauseBeforeNextTrigger && this.pendingCount() === 0) {
        this.pauseBeforeNextTrigger = false;
        this.schedule(TRIGGER_RETRY_PAUSE_MS);
        return;
      }
      const earliest = this.lastEndAt + this.settings.minPauseMs;
      if (now < earliest && this.pendingCount() === 0) {
        this.schedule(earliest - now);
        return;
      }
    }
    if (!this.context.isJobRunning()) return refuse('the job is not running');
    const tasks = this.context.tasks();
    const unfinished = tasks.filter((task) => task.state !== 'FINISHED');
    if (unfinished.length === 0) return refuse('every task of the job has finished');
    const notRunning = unfinished.find((task) => task.state !== 'RUNNING');
    if (notRunning !== undefined && savepoint !== undefined) {
      return refuse(`not every task is running: ${notRunning.vertexName} (${notRunning.subtask + 1}/${notRunning.parallelism}) is ${notRunning.state}; try again once the job runs`);
    }
    if (notRunning !== undefined) {
      this.context.logger.debug({ task: `${notRunning.vertexName} (${notRunning.subtask + 1}/${notRunning.parallelism})`, state: notRunning.state }, 'Checkpoint waits for every task to be RUNNING');
      this.waitingForTasks = true;
      return;
    }
    const finished = new Set(tasks.filter((task) => task.state === 'FINISHED').map((task) => task.attemptId));
    const front = unfinished.filter((task) => task.isSource || task.upstreamAttemptIds.every((id) => finished.has(id)));
    if (front.length === 0) return refuse('no task of the job can be triggered');

    const checkpointId = ++this.lastCheckpointId;
    const generation = this.generation;
    this.lastTriggerAt = now;
    const timeout = this.context.scheduleInMainThread(() => this.expire(checkpointId), this.settings.timeoutMs);
    const pending: PendingCheckpoint = {
      checkpointId,
      triggeredAt: now,
      generation,
      notYetAcknowledged: new Map(unfinished.map((task) => [task.attemptId, task])),
      acknowledged: new Map(),
      triggered: new Set(front.map((task) => task.attemptId)),
      timeout,
      completing: false,
      savepoint,
      terminal,
    };
    this.pending.set(checkpointId, pending);
    this.stats.reportTriggered(checkpointId, now, unfinished.length);
    if (savepoint !== undefined) this.context.logger.info({ checkpointId, tasks: unfinished.length }, `Triggering savepoint ${checkpointId} for job ${this.context.jobName} (${this.context.jobId})`);
    else this.context.logger.debug({ checkpointId, tasks: unfinished.length }, 'Triggering checkpoint');
    const behindFinished = front.filter((task) => !task.isSource);
    if (behindFinished.length > 0) {
      this.context.logger.debug({ checkpointId, subtasks: behindFinished.map((task) => `${task.vertexName} (${task.subtask + 1}/${task.parallelism})`) }, 'Triggering subtasks whose upstream subtasks all finished');
    }
    // Next periodic trigger, counted from this one.
    if (!this.finalCheckpointRequested || this.endOfData.size === 0) this.schedule(this.settings.intervalMs);

    this.storage.initializeLocation(checkpointId).then(
      () =>
        this.context.runInMainThread(() => {
          if (this.pending.get(checkpointId) !== pending) return;
          const options: cp.CheckpointOptions = { mode: this.settings.mode, isSavepoint: savepoint !== undefined };
          for (const task of front) {
            this.context.triggerTask(task, checkpointId, now, options).catch((error: unknown) =>
              this.context.runInMainThread(() => {
                if (this.pending.get(checkpointId) !== pending) return;
                // Often a subtask that just finished (its FINISHED report is on its way): the next try waits a little.
                this.pauseBeforeNextTrigger = true;
                this.abort(pending, `${task.isSource ? 'source ' : ''}${task.vertexName} (${task.subtask + 1}/${task.parallelism}) could not be triggered: ${messageOf(error)}`, 'NOT_COUNTED');
              }),
            );
          }
        }),
      (error: unknown) =>
        this.context.runInMainThread(() => {
          if (this.pending.get(checkpointId) !== pending) return;
          this.abort(pending, messageOf(error), 'STORAGE');
        }),
    );
  }

  private pendingCount(): number {
    return this.pending.size;
  }

  // ---- Acknowledgements ----

  receiveAcknowledge(attemptId: string, checkpointId: number, state: cp.TaskStateSnapshot, metrics: cp.SubtaskCheckpointMetrics | null): void {
    const pending = this.pending.get(checkpointId);
    const task = pending?.notYetAcknowledged.get(attemptId);
    if (pending === undefined || task === undefined || pending.completing) {
      // Late (the checkpoint was aborted or completed without it) or from an attempt that is gone:
      // its files belong to nobody.
      this.discardOrphanState(checkpointId, state);
      return;
    }
    pending.notYetAcknowledged.delete(attemptId);
    pending.acknowledged.set(taskKey(task.vertexId, task.subtask), { task, state, metrics });
    this.stats.reportAcknowledged(checkpointId, task, metrics);
    if (pending.notYetAcknowledged.size === 0) this.complete(pending);
  }

  receiveDecline(attemptId: string, checkpointId: number, reason: cluster.ErrorInfo, kind: string): void {
    const pending = this.pending.get(checkpointId);
    const task = pending?.notYetAcknowledged.get(attemptId);
    if (pending === undefined || task === undefined || pending.completing) return;
    const where = `${task.vertexName} (${task.subtask + 1}/${task.parallelism})`;
    this.abort(pending, `${where} declined it: ${reason.name}: ${reason.message}`, kind === 'TASK_NOT_READY' ? 'NOT_COUNTED' : 'TASK');
  }

  private complete(pending: PendingCheckpoint): void {
    pending.completing = true;
    pending.timeout.cancel();
    const completedAt = Date.now();
    const checkpoint = this.assemble(pending, completedAt);
    if (typeof checkpoint === 'string') {
      this.abort(pending, checkpoint, 'NOT_COUNTED');
      return;
    }
    const persisted = pending.savepoint !== undefined ? pending.savepoint.persist(checkpoint) : this.storage.persist(checkpoint).then((metadataPath) => ({ ...checkpoint, metadataPath }));
    persisted.then(
      (written) =>
        this.context.runInMainThread(() => {
          if (this.pending.get(pending.checkpointId) !== pending || pending.generation !== this.generation) {
            // The job failed while the metadata was written: this checkpoint is not used.
            void this.storage.discardAborted(pending.checkpointId).catch(() => undefined);
            pending.savepoint?.reject(new SavepointFailedError('the job failed over while the savepoint was written'));
            return;
          }
          this.pending.delete(pending.checkpointId);
          if (pending.savepoint !== undefined) this.registerSavepoint(written, pending);
          else this.registerCompleted(written, pending);
        }),
      (error: unknown) =>
        this.context.runInMainThread(() => {
          if (this.pending.get(pending.checkpointId) !== pending) return;
          this.abort(pending, messageOf(error), 'STORAGE');
        }),
    );
  }

  /** The checkpoint out of the acknowledgements and the carried state of finished subtasks; a string says why it cannot be. */
  private assemble(pending: PendingCheckpoint, completedAt: number): Omit<CompletedCheckpoint, 'metadataPath'> | string {
    const previous = this.latestCompleted;
    const previousStates = new Map<string, cp.TaskStateSnapshot>();
    // A finished subtask's carried state; not from a checkpoint at another parallelism (a rescaled restore).
    const parallelismNow = new Map(this.context.tasks().map((task) => [task.vertexId, task.parallelism]));
    for (const vertex of previous?.vertices ?? []) {
      if (parallelismNow.get(vertex.vertexId) !== vertex.parallelism) continue;
      for (const subtask of vertex.subtasks) previousStates.set(taskKey(vertex.vertexId, subtask.subtask), subtask.state);
    }
    const vertices = new Map<string, { task: CheckpointTask; subtasks: { subtask: number; state: cp.TaskStateSnapshot }[] }>();
    for (const task of this.context.tasks()) {
      const key = taskKey(task.vertexId, task.subtask);
      const state = pending.acknowledged.get(key)?.state ?? previousStates.get(key);
      if (state === undefined) return `${task.vertexName} (${task.subtask + 1}/${task.parallelism}) neither acknowledged it nor has a state from an earlier checkpoint`;
      let vertex = vertices.get(task.vertexId);
      if (vertex === undefined) vertices.set(task.vertexId, (vertex = { task, subtasks: [] }));
      vertex.subtasks.push({ subtask: task.subtask, state });
    }
    const states: VertexCheckpointState[] = [...vertices.values()].map(({ task, subtasks }) => {
      const finished = new Set(this.finishedSplitBaseline.get(task.vertexId) ?? []);
      for (const { state } of subtasks) for (const id of state.finishedSplitIds) finished.add(id);
      const enumerator = task.isSource ? this.context.splitEnumeratorState?.(task.vertexId) : undefined;
      return {
        ...(enumerator === undefined ? {} : { enumerator }),
        vertexId: task.vertexId,
        name: task.vertexName,
        parallelism: task.parallelism,
        maxParallelism: task.maxParallelism,
        operatorIds: task.operatorIds,
        finishedSplitIds: [...finished],
        subtasks: subtasks.sort((a, b) => a.subtask - b.subtask),
      };
    });
    return { jobId: this.context.jobId, jobName: this.context.jobName, checkpointId: pending.checkpointId, triggeredAt: pending.triggeredAt, completedAt, vertices: states };
  }

  private registerCompleted(checkpoint: CompletedCheckpoint, pending: PendingCheckpoint): void {
    this.completed.push(checkpoint);
    this.consecutiveFailures = 0;
    this.lastEndAt = checkpoint.completedAt;
    const size = stateSizeOf(checkpoint);
    const duration = checkpoint.completedAt - checkpoint.triggeredAt;
    this.stats.reportCompleted(checkpoint.checkpointId, checkpoint.completedAt, size, checkpoint.metadataPath);
    this.context.logger.info(
      { checkpointId: checkpoint.checkpointId, durationMs: duration, stateSize: size, path: checkpoint.metadataPath === '' ? undefined : checkpoint.metadataPath },
      `Completed checkpoint ${checkpoint.checkpointId} for job ${this.context.jobName} (${this.context.jobId}) (${size} bytes, ${duration} ms)`,
    );
    this.dropRetainedBeyondLimit();
    for (const { task } of pending.acknowledged.values()) this.context.notifyCheckpointComplete(task, checkpoint.checkpointId);
    // Every task's state in it is final: they all finish now, and no checkpoint is needed any more.
    const final = checkpoint.vertices.every((vertex) => vertex.subtasks.every((subtask) => subtask.state.endOfInput));
    if (final) {
      this.running = false;
      this.timer?.cancel();
      this.timer = undefined;
      this.context.logger.info({ checkpointId: checkpoint.checkpointId }, 'Every task reached the end of its input and has its final state in this checkpoint; no more checkpoints');
      return;
    }
    this.afterCheckpointEnded();
  }

  /** Not a completed checkpoint of the job (see the class comment): only reported, and its request settled. */
  private registerSavepoint(savepoint: CompletedCheckpoint, pending: PendingCheckpoint): void {
    const request = pending.savepoint as SavepointRequest;
    this.lastEndAt = savepoint.completedAt;
    const size = stateSizeOf(savepoint);
    const duration = savepoint.completedAt - savepoint.triggeredAt;
    this.stats.reportCompleted(savepoint.checkpointId, savepoint.completedAt, size, savepoint.metadataPath);
    this.context.logger.info(
      { checkpointId: savepoint.checkpointId, durationMs: duration, stateSize: size, path: savepoint.metadataPath },
      `Completed savepoint ${savepoint.checkpointId} for job ${this.context.jobName} (${this.context.jobId}) (${size} bytes, ${duration} ms)`,
    );
    if (pending.terminal) {
      // The job ends with it: the tasks commit it and finish; no more checkpoints.
      this.stopping = undefined;
      this.running = false;
      this.timer?.cancel();
      this.timer = undefined;
      for (const { task } of pending.acknowledged.values()) this.context.notifyCheckpointComplete(task, savepoint.checkpointId);
      request.resolve(savepoint);
      return;
    }
    request.resolve(savepoint);
    this.afterCheckpointEnded();
  }

  private dropRetainedBeyondLimit(): void {
    while (this.completed.length > this.settings.numRetained) {
      const dropped = this.completed.shift() as CompletedCheckpoint;
      if (dropped.checkpointId === this.foreignCheckpointId) continue;
      const stillUsed = new Set<string>();
      for (const kept of this.completed) for (const handle of stateHandlesOf(kept)) if (handle.path !== '') stillUsed.add(handle.path);
      const unused = [...stateHandlesOf(dropped)].filter((handle) => handle.path !== '' && !stillUsed.has(handle.path) && !this.foreignPaths.has(handle.path)).map((handle) => handle.path);
      this.storage.discardFiles(dropped.checkpointId, [...new Set(unused)], dropped.metadataPath).catch((error: unknown) => {
        this.context.logger.warn({ err: error, checkpointId: dropped.checkpointId }, 'Could not delete the files of a checkpoint that is no longer retained');
      });
    }
  }

  // ---- Aborting ----

  private expire(checkpointId: number): void {
    const pending = this.pending.get(checkpointId);
    if (pending === undefined || pending.completing) return;
    const missing = [...pending.notYetAcknowledged.values()].map((task) => `${task.vertexName} (${task.subtask + 1}/${task.parallelism})`);
    this.abort(pending, `it expired after ${this.settings.timeoutMs} ms (execution.checkpointing.timeout) before ${missing.length} subtask(s) acknowledged it: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`, 'TIMEOUT');
  }

  /** Aborts every pending checkpoint (the job is failing over, or ending); none of them counts as failed. */
  abortAll(reason: string): void {
    this.rejectQueuedSavepoints(reason);
    this.generation++;
    for (const pending of [...this.pending.values()]) this.abort(pending, reason, 'NOT_COUNTED', false);
  }

  private abort(pending: PendingCheckpoint, reason: string, kind: CheckpointFailureKind, reschedule = true): void {
    if (this.pending.get(pending.checkpointId) !== pending) return;
    this.pending.delete(pending.checkpointId);
    pending.timeout.cancel();
    const now = Date.now();
    this.lastEndAt = now;
    this.stats.reportFailed(pending.checkpointId, now, reason, kind);
    const counted = kind !== 'NOT_COUNTED' && pending.savepoint === undefined;
    if (counted) this.consecutiveFailures++;
    this.context.logger.warn(
      { checkpointId: pending.checkpointId, reason, counted, consecutiveFailures: this.consecutiveFailures },
      `${pending.savepoint === undefined ? 'Checkpoint' : 'Savepoint'} ${pending.checkpointId} of job ${this.context.jobName} (${this.context.jobId}) failed: ${reason}`,
    );
    if (pending.terminal) this.failStop(`the savepoint failed: ${reason}`);
    else pending.savepoint?.reject(new SavepointFailedError(reason));
    const tasks = [...pending.acknowledged.values()].map((ack) => ack.task).concat([...pending.notYetAcknowledged.values()]);
    for (const task of tasks) this.context.notifyCheckpointAborted(task, pending.checkpointId);
    void this.storage.discardAborted(pending.checkpointId).catch((error: unknown) => {
      this.context.logger.warn({ err: error, checkpointId: pending.checkpointId }, 'Could not delete the files of an aborted checkpoint');
    });
    if (counted && this.consecutiveFailures > this.settings.tolerableFailures) {
      const cause = new CheckpointFailureThresholdError(
        `${this.consecutiveFailures} checkpoint(s) failed in a row, more than execution.checkpointing.tolerable-failed-checkpoints (${this.settings.tolerableFailures}) allows; ` +
          `the last one (${pending.checkpointId}) failed: ${reason}`,
      );
      this.context.failJob(cause);
      return;
    }
    if (reschedule) this.afterCheckpointEnded();
  }

  /** A checkpoint ended: one that waited for a free slot among max-concurrent (or the final one) may go now. */
  private afterCheckpointEnded(): void {
    if (!this.running) return;
    if (this.queuedSavepoints.length > 0 && this.pendingCount() === 0) {
      this.schedule(0);
      return;
    }
    const sinceTrigger = Date.now() - this.lastTriggerAt;
    const finalDue = this.finalCheckpointRequested && this.endOfData.size > 0;
    if (finalDue) {
      const allSourcesDone = this.context.tasks().filter((t) => t.isSource && t.state !== 'FINISHED').every((t) => this.endOfData.has(t.attemptId));
      if (allSourcesDone) {
        this.schedule(this.settings.minPauseMs);
        return;
      }
    }
    if (this.timer === undefined) this.schedule(Math.max(this.settings.minPauseMs, this.settings.intervalMs - sinceTrigger));
  }

  /** State a subtask wrote for a checkpoint that does not use it: deleted unless a retained checkpoint refers to a file. */
  private discardOrphanState(checkpointId: number, state: cp.TaskStateSnapshot): void {
    const used = new Set<string>();
    for (const kept of this.completed) for (const handle of stateHandlesOf(kept)) used.add(handle.path);
    const paths = [...stateHandlesOfTask(state)].map((handle) => handle.path).filter((path) => path !== '' && !used.has(path) && !this.foreignPaths.has(path));
    if (paths.length === 0) return;
    this.storage.discardFiles(checkpointId, paths, '').catch(() => undefined);
  }

  // ---- Restoring ----

  /**
   * The state subtask `subtask` of vertex `vertexId` starts from: its part of the latest completed
   * checkpoint (state-assignment.ts: its own state at the same parallelism, a reassignment by key
   * group and list mode at another), or undefined (fresh start) when there is none. Operators are
   * matched by id; whether the checkpoint fits the job was checked before the first deployment.
   */
  restoreFor(vertexId: string, subtask: number, parallelism: number, operatorIds: readonly string[]): cp.TaskRestore | undefined {
    const checkpoint = this.latestCompleted;
    if (checkpoint === undefined) return undefined;
    const known = new Set(operatorIds);
    // Operators are matched by id (their uid when set) wherever they were chained when it was taken,
    // and their state is assigned for the parallelism the job runs them at now.
    const vertices = checkpoint.vertices.filter((v) => v.vertexId === vertexId || v.operatorIds.some((id) => known.has(id)));
    if (vertices.length === 0) return { checkpointId: checkpoint.checkpointId, state: emptyTaskState() };
    const assigned = vertices.map((vertex) => ({ vertexId: vertex.vertexId, state: assignSubtaskState(vertex, subtask, parallelism, operatorIds) }));
    const own = assigned.find((a) => a.vertexId === vertexId)?.state ?? emptyTaskState();
    return { checkpointId: checkpoint.checkpointId, state: { ...own, operators: assigned.flatMap((a) => a.state.operators) } };
  }

  /** Splits a source vertex finished as of the latest completed checkpoint (its enumerator does not hand them out again). */
  finishedSplitsFor(vertexId: string): ReadonlySet<string> {
    return new Set(this.latestCompleted?.vertices.find((v) => v.vertexId === vertexId)?.finishedSplitIds ?? []);
  }

  /** A source vertex's SplitEnumerator state in the latest completed checkpoint; undefined without one (or from an earlier version). */
  splitEnumeratorStateFor(vertexId: string): SplitEnumeratorState | undefined {
    return this.latestCompleted?.vertices.find((v) => v.vertexId === vertexId)?.enumerator;
  }

  /** Splits the subtasks of a source vertex held in the latest completed checkpoint (they get them back with their state). */
  heldSplitsFor(vertexId: string): ReadonlySet<string> {
    const held = new Set<string>();
    for (const subtask of this.latestCompleted?.vertices.find((v) => v.vertexId === vertexId)?.subtasks ?? []) for (const id of subtask.state.heldSplitIds) held.add(id);
    return held;
  }

  /**
   * The job ended: no more checkpoints; pending ones are aborted. With `discard`, every retained
   * checkpoint's files go too (Flink deletes them when a job ends, unless it retains them).
   */
  shutdown(reason: string, discard: boolean): void {
    if (this.shutDown) return;
    this.stopCheckpointScheduler(reason);
    this.shutDown = true;
    if (!discard) return;
    for (const checkpoint of this.completed.splice(0)) {
      if (checkpoint.checkpointId === this.foreignCheckpointId) continue;
      const paths = [...new Set([...stateHandlesOf(checkpoint)].map((handle) => handle.path).filter((path) => path !== '' && !this.foreignPaths.has(path)))];
      this.storage.discardFiles(checkpoint.checkpointId, paths, checkpoint.metadataPath).catch(() => undefined);
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
