/**
 * JobCheckpointing: what a JobMaster does about checkpoints and source splits, in one collaborator
 * so the JobMaster itself stays about scheduling and failover.
 *
 *   - owns the CheckpointCoordinator (when execution.checkpointing.interval is set) and the
 *     checkpoint storage, and reads the checkpoint of execution.savepoint.path before the first
 *     deployment, checking it fits the job;
 *   - owns one SplitEnumerator per source vertex, reset from the latest completed checkpoint at
 *     every (re)deployment: a StaticSplitEnumerator for plan-time splits, a KafkaSplitEnumerator
 *     for a source whose plan names one (it discovers partitions until the job fails over or ends);
 *   - adds to each deployment its checkpointing settings and the state it restores from;
 *   - takes the checkpoint calls of the JobMasterGateway.
 *
 * Threading: the JobMaster's main thread, as the JobMaster calls it.
 */
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Configuration, Logger } from '@eddy/common';
import { statefulOperatorsWithoutUid } from '@eddy/cluster-common';
import type { KafkaEnumeratorSettings } from '@eddy/connector-kafka/enumerator';
import type { eddy_checkpoint_v1 as cp, eddy_cluster_v1 as cluster, eddy_dispatcher_v1 as dispatcher, eddy_jobmaster_v1 as jm, eddy_taskexecutor_v1 as te } from '@eddy/proto';
import type { ScheduledTask } from '@eddy/rpc';
import { CheckpointCoordinator, SavepointFailedError, type CheckpointTask, type SavepointRequest } from '../checkpoint/checkpoint-coordinator.js';
import { CheckpointMetadataError, type CompletedCheckpoint } from '../checkpoint/checkpoint-metadata.js';
import { checkpointDirectoryName, FileSystemCheckpointStorage, JobManagerCheckpointStorage, readCompletedCheckpoint, type CheckpointStorage } from '../checkpoint/checkpoint-storage.js';
import { CheckpointingOptions, checkpointDirectoryOf, checkpointingSettings, discardsCheckpointsWhenEnded, type CheckpointingSettings } from '../checkpoint/checkpointing-options.js';
import { s3Settings } from '../checkpoint/filesystem/s3-options.js';
import { isS3Path } from '../checkpoint/filesystem/state-file-system.js';
import { StateFileSystems } from '../checkpoint/filesystem/state-file-systems.js';
import { summarizeJobState } from '../checkpoint/job-state-summary.js';
import { checkStateFiles, writeSavepoint } from '../checkpoint/savepoint-writer.js';
import type { Execution, ExecutionGraph, ExecutionVertex } from '../executiongraph/execution-graph.js';
import { reassignmentProblem, type RestoringVertex } from '../checkpoint/state-assignment.js';
import { isKafkaEnumerator, KafkaSplitEnumerator } from '../source/kafka-split-enumerator.js';
import { StaticSplitEnumerator, type SourceSplitEnumerator } from '../source/split-enumerator.js';
import type { CheckpointingView } from './job-details.js';

export interface JobCheckpointingServices {
  readonly configuration: Configuration;
  readonly graph: ExecutionGraph;
  readonly logger: Logger;
  runInMainThread(fn: () => void): void;
  scheduleInMainThread(fn: () => void, delayMs: number): ScheduledTask;
  /** The TaskExecutor running an attempt; undefined when its TaskManager is gone. */
  gatewayOf(execution: Execution): te.TaskExecutorGateway | undefined;
  /** Fails the job as a task failure would (the restart strategy decides what next). */
  failJob(cause: Error): void;
  /** rpc.ask-timeout: a split request is held at most half of it. */
  readonly askTimeoutMs: number;
}

/** The checkpoint of execution.savepoint.path does not fit the job. */
export class CheckpointRestoreError extends Error {
  override readonly name = 'CheckpointRestoreError';
}

export class JobCheckpointing {
  readonly settings: CheckpointingSettings;
  readonly coordinator: CheckpointCoordinator;
  private readonly storage: CheckpointStorage;
  /** Local and S3 file systems of the storage and of execution.savepoint.path; closed when the job ends. */
  private readonly fileSystems: StateFileSystems;
  private readonly enumerators = new Map<string, SourceSplitEnumerator>();
  private readonly sourceVertices: ReadonlySet<string>;

  constructor(private readonly services: JobCheckpointingServices) {
    const { graph } = services;
    this.settings = checkpointingSettings(services.configuration);
    this.fileSystems = new StateFileSystems(s3Settings(services.configuration), services.logger.child({ component: 'StateFileSystem' }));
    const directory = this.settings.directory;
    this.storage = directory === '' ? new JobManagerCheckpointStorage() : new FileSystemCheckpointStorage(this.fileSystems.of(directory), directory, graph.jobId);
    const targets = new Set(graph.jobGraph.edges.map((edge) => edge.targetVertexId));
    this.sourceVertices = new Set(graph.verticesTopologically.filter((vertex) => !targets.has(vertex.id)).map((vertex) => vertex.id));
    for (const vertex of graph.verticesTopologically) {
      if (!this.sourceVertices.has(vertex.id)) continue;
      const named = this.namedEnumeratorOf(vertex.id, vertex.jobVertex.splitEnumerator, vertex.parallelism);
      this.enumerators.set(vertex.id, named ?? new StaticSplitEnumerator(vertex.id, vertex.jobVertex.inputSplits, vertex.parallelism));
    }
    this.coordinator = new CheckpointCoordinator(this.settings, this.storage, {
      jobId: graph.jobId,
      jobName: graph.jobName,
      logger: services.logger.child({ component: 'CheckpointCoordinator' }),
      runInMainThread: services.runInMainThread,
      scheduleInMainThread: services.scheduleInMainThread,
      tasks: () => this.tasks(),
      isJobRunning: () => graph.state === 'RUNNING',
      triggerTask: (task, checkpointId, timestamp, options) => {
        const execution = graph.findExecution(task.attemptId);
        const gateway = execution === undefined ? undefined : services.gatewayOf(execution);
        if (gateway === undefined) return Promise.reject(new Error('its TaskManager is gone'));
        return gateway.triggerCheckpoint({ executionAttemptId: task.attemptId, checkpointId, timestamp, options });
      },
      notifyCheckpointComplete: (task, checkpointId) => this.notify(task, checkpointId, true),
      notifyCheckpointAborted: (task, checkpointId) => this.notify(task, checkpointId, false),
      failJob: services.failJob,
      splitEnumeratorState: (vertexId) => this.enumerators.get(vertexId)?.checkpointState,
      stopSource: (task, drain) => {
        const execution = graph.findExecution(task.attemptId);
        const gateway = execution === undefined ? undefined : services.gatewayOf(execution);
        if (gateway === undefined) return Promise.reject(new Error('its TaskManager is gone'));
        return gateway.stopSourceTask({ executionAttemptId: task.attemptId, drain });
      },
    });
    if (this.settings.enabled && services.configuration.get(CheckpointingOptions.unalignedEnabled)) {
      services.logger.warn(
        { option: CheckpointingOptions.unalignedEnabled.key },
        'Unaligned checkpoints are not supported yet; this job takes aligned checkpoints (set execution.checkpointing.unaligned.enabled to false to silence this)',
      );
    }
    if (this.settings.enabled && this.settings.mode === 'EXACTLY_ONCE') {
      const sockets = graph.verticesTopologically.filter((vertex) => vertex.jobVertex.operators.some((operator) => operator.configJson.includes('"kind":"socketSource"')));
      if (sockets.length > 0) {
        const names = sockets.map((vertex) => `'${vertex.name}'`).join(', ');
        services.logger.warn(
          { vertices: sockets.map((vertex) => vertex.name) },
          `${names} ${sockets.length === 1 ? 'reads a socket, which' : 'read sockets, which'} cannot be read again after a failure: what was read since the last checkpoint is lost (at most once), whatever the checkpointing mode`,
        );
      }
    }
    const withoutUid = this.settings.enabled ? statefulOperatorsWithoutUid(graph.jobGraph) : [];
    if (withoutUid.length > 0) {
      services.logger.warn({ operators: withoutUid.map((operator) => `${operator.operatorName} (${operator.operatorId}, in '${operator.vertexName}')`) }, 'Operators that can hold state have no uid; set uid() so a savepoint survives changes to the job');
    }
    if (this.settings.enabled) {
      services.logger.info(
        { intervalMs: this.settings.intervalMs, mode: this.settings.mode, storage: this.storage.describe(), restoreFrom: this.settings.restorePath || undefined },
        'Checkpointing enabled',
      );
    }
  }

  get enabled(): boolean {
    return this.settings.enabled;
  }

  /** For JobDetails. */
  get view(): CheckpointingView {
    return { enabled: this.settings.enabled, intervalMs: this.settings.intervalMs, mode: this.settings.mode, storage: this.storage.describe(), stats: this.coordinator.stats };
  }

  /**
   * Before the first deployment: checks the checkpoint location (a missing bucket, refused
   * credentials) and reads and checks the checkpoint of execution.savepoint.path, if set. Rejects
   * with what is wrong and where; the job then fails without deploying anything.
   */
  async prepare(): Promise<void> {
    if (this.settings.enabled) await this.storage.checkLocation();
    if (this.settings.restorePath === '') return;
    const checkpoint = await readCompletedCheckpoint(this.settings.restorePath, this.fileSystems.of(this.settings.restorePath));
    await checkStateFiles(checkpoint);
    this.adoptMaxParallelism(checkpoint);
    this.checkFits(checkpoint);
    this.coordinator.restoreFrom(checkpoint);
    this.services.logger.info({ checkpointId: checkpoint.checkpointId, path: checkpoint.metadataPath }, 'Starting the job from a checkpoint');
  }

  /**
   * As Flink: a vertex whose max parallelism the job leaves unset runs at the max parallelism its
   * operators' keyed state was cut into, when its parallelism fits under it (else checkFits says
   * what to set). A job that sets one keeps it, and a different one is refused.
   */
  private adoptMaxParallelism(checkpoint: CompletedCheckpoint): void {
    const cutInto = new Map<string, number>();
    for (const vertex of checkpoint.vertices) {
      for (const subtask of vertex.subtasks) for (const operator of subtask.state.operators) if (operator.keyedState.length > 0) cutInto.set(operator.operatorId, vertex.maxParallelism);
    }
    for (const vertex of this.services.graph.verticesTopologically) {
      const restored = vertex.jobVertex.operators.map((operator) => cutInto.get(operator.id)).find((value) => value !== undefined);
      if (restored === undefined) continue;
      const derived = vertex.maxParallelism;
      if (vertex.adoptMaxParallelism(restored)) {
        this.services.logger.info(
          { vertex: vertex.name, maxParallelism: restored, derived },
          `'${vertex.name}' sets no max parallelism: it runs with ${restored}, the key groups its keyed state was cut into, instead of the ${derived} derived from its parallelism`,
        );
      }
    }
  }

  /**
   * Every operator with state in the checkpoint exists in the job, at a parallelism its state can be
   * reassigned to (state-assignment.ts): same max parallelism for keyed state.
   */
  private checkFits(checkpoint: CompletedCheckpoint): void {
    const where = checkpoint.metadataPath;
    const operators = new Map<string, RestoringVertex>();
    for (const vertex of this.services.graph.verticesTopologically) {
      for (const operator of vertex.jobVertex.operators) operators.set(operator.id, { name: vertex.name, parallelism: vertex.parallelism, maxParallelism: vertex.maxParallelism });
    }
    for (const vertex of checkpoint.vertices) {
      for (const subtask of vertex.subtasks) {
        for (const operator of subtask.state.operators) {
          if (operator.keyedState.length === 0 && operator.operatorState.length === 0) continue;
          const now = operators.get(operator.operatorId);
          if (now === undefined) {
            if (this.services.configuration.get(CheckpointingOptions.ignoreUnclaimedState)) {
              this.services.logger.warn({ operatorId: operator.operatorId, vertex: vertex.name, path: where }, `Dropping the state of operator ${operator.operatorId} (in '${vertex.name}'): the job has no such operator (execution.savepoint.ignore-unclaimed-state)`);
              continue;
            }
            throw new CheckpointRestoreError(
              `Cannot start from ${where}: it has state for operator ${operator.operatorId} (in '${vertex.name}'), which this job does not have. ` +
                'Give the operators the same uid() as in the job that took the checkpoint, or drop that state with --allowNonRestoredState ' +
                '(execution.savepoint.ignore-unclaimed-state: true).',
            );
          }
          const problem = reassignmentProblem(vertex, operator, now);
          if (problem !== undefined) throw new CheckpointRestoreError(`Cannot start from ${where}: ${problem}`);
        }
      }
    }
  }

  /**
   * Takes a savepoint into a new directory under `targetDirectory` (state.savepoints.dir when
   * empty); resolves to that directory once its `_metadata` is written. Rejects with
   * SavepointFailedError saying why; the job keeps running either way.
   */
  triggerSavepoint(targetDirectory: string): Promise<string> {
    return this.savepoint(targetDirectory, (request) => this.coordinator.triggerSavepoint(request));
  }

  /**
   * What state the latest completed checkpoint holds, or the savepoint at `savepointPath` (its
   * directory or `_metadata`): metadata only, no state file is read.
   */
  async stateSummary(savepointPath: string): Promise<dispatcher.JobStateResponse> {
    if (savepointPath === '') return summarizeJobState(this.coordinator.latestCompleted);
    const path = checkpointDirectoryOf(savepointPath);
    return summarizeJobState(await readCompletedCheckpoint(path, this.fileSystems.of(path)));
  }

  /**
   * Stops the job with a savepoint (CheckpointCoordinator.stopWithSavepoint): resolves to the
   * savepoint directory once it is written; the tasks then finish and the job ends FINISHED.
   */
  stopWithSavepoint(targetDirectory: string, drain: boolean): Promise<string> {
    return this.savepoint(targetDirectory, (request) => this.coordinator.stopWithSavepoint(request, drain));
  }

  private savepoint(targetDirectory: string, start: (request: SavepointRequest) => void): Promise<string> {
    let target: string;
    try {
      target = checkpointDirectoryOf(targetDirectory === '' ? this.services.configuration.get(CheckpointingOptions.savepointsDirectory) : targetDirectory);
    } catch (error) {
      return Promise.reject(new SavepointFailedError((error as Error).message.replace('state.checkpoints.dir', 'the savepoint directory')));
    }
    if (target === '') {
      return Promise.reject(new SavepointFailedError('no savepoint directory: name one (`eddy savepoint <jobId> <directory>`, `eddy stop <jobId> --savepointPath <directory>`) or set state.savepoints.dir'));
    }
    if (isS3Path(target)) {
      return Promise.reject(new SavepointFailedError(`savepoints cannot go to ${target} yet: give a directory of a file system the JobManager can write (checkpoints may stay on S3)`));
    }
    const checkpointDirectory = (checkpointId: number): string => (this.storage.taskStorageDirectory === '' ? '' : join(this.storage.taskStorageDirectory, checkpointDirectoryName(checkpointId)));
    // A directory that cannot be written is refused before anything happens to the job.
    const writable = mkdir(target, { recursive: true })
      .then(() => access(target, constants.W_OK))
      .catch((error: unknown) => {
        throw new SavepointFailedError(`cannot write savepoints to ${target}: ${(error as Error).message}`, { cause: error });
      });
    return new Promise((resolve, reject) => {
      writable.then(
        () =>
          this.services.runInMainThread(() =>
            start({
              persist: (savepoint) => writeSavepoint(savepoint, target, checkpointDirectory(savepoint.checkpointId), this.fileSystems.of(this.storage.taskStorageDirectory || target)),
              resolve: (savepoint) => resolve(dirname(savepoint.metadataPath)),
              reject,
            }),
          ),
        reject,
      );
    });
  }

  /** A (re)deployment is about to start: enumerators start from the latest completed checkpoint. */
  onScheduling(): void {
    for (const [vertexId, enumerator] of this.enumerators) {
      enumerator.restore({ finished: this.coordinator.finishedSplitsFor(vertexId), held: this.coordinator.heldSplitsFor(vertexId), state: this.coordinator.splitEnumeratorStateFor(vertexId) });
    }
  }

  /** Every task was deployed: periodic checkpoints start. */
  onDeployed(): void {
    this.coordinator.startCheckpointScheduler();
  }

  /** An attempt switched to RUNNING: a checkpoint that waited for every task may go. */
  onTaskRunning(): void {
    if (!this.enabled) return;
    if (this.tasks().every((task) => task.state === 'RUNNING' || task.state === 'FINISHED')) this.coordinator.notifyTasksRunning();
  }

  /** An attempt FINISHED: pending checkpoints take its final state. */
  onTaskFinished(attemptId: string): void {
    this.coordinator.notifyTaskFinished(attemptId);
  }

  /** The job fails over, cancels or ends: pending checkpoints are aborted. */
  onFailover(reason: string): void {
    this.coordinator.stopCheckpointScheduler(reason);
    for (const enumerator of this.enumerators.values()) enumerator.stop();
  }

  onJobTerminated(status: string): void {
    this.coordinator.shutdown(`the job is ${status}`, discardsCheckpointsWhenEnded(this.settings.retention, status));
    this.closeSplitEnumerators();
    // After the deletes shutdown started: close() waits for them.
    void this.fileSystems.close().catch((error: unknown) => this.services.logger.warn({ err: error }, 'Could not close the checkpoint file systems'));
  }

  /** The job ended, or its JobMaster stops: the enumerators let go of what they hold (a Kafka enumerator's clients and timers; idempotent). */
  closeSplitEnumerators(): void {
    for (const enumerator of this.enumerators.values()) {
      void enumerator.close().catch((error: unknown) => this.services.logger.warn({ err: error, vertexId: enumerator.vertexId }, 'Could not close a SplitEnumerator'));
    }
  }

  /** The checkpointing settings and restored state of a deployment. */
  deploymentExtras(execution: Execution): Pick<te.TaskDeploymentDescriptor, 'checkpointing' | 'taskRestore'> {
    const jobVertex = execution.vertex.jobVertex;
    const checkpointing: cp.TaskCheckpointingSettings = {
      enabled: this.settings.enabled,
      mode: this.settings.mode,
      storageDir: this.storage.taskStorageDirectory,
      inlineThresholdBytes: this.settings.inlineThresholdBytes,
      maxInlineStateBytes: this.settings.maxInlineStateBytes,
      incremental: this.settings.incremental,
    };
    const taskRestore = this.coordinator.restoreFor(jobVertex.id, execution.vertex.subtaskIndex, jobVertex.parallelism, jobVertex.jobVertex.operators.map((operator) => operator.id)) ?? null;
    return { checkpointing, taskRestore };
  }

  /** A source subtask's next split; a KafkaSplitEnumerator may hold the request up to `waitMs`. */
  nextSplit(vertexId: string, subtask: number, waitMs: number): Promise<jm.NextInputSplitResponse> {
    return this.enumerators.get(vertexId)?.request(subtask, waitMs) ?? Promise.resolve({ hasSplit: false, split: '', splitId: '', moreMayCome: false });
  }

  /** The SplitEnumerator a vertex's plan names (a KafkaSplitEnumerator), or undefined (plan-time splits). Throws for a kind the runtime does not know. */
  private namedEnumeratorOf(vertexId: string, descriptor: string, parallelism: number): KafkaSplitEnumerator | undefined {
    if (descriptor === '') return undefined;
    const { kind, settings } = JSON.parse(descriptor) as { kind: string; settings: KafkaEnumeratorSettings };
    if (!isKafkaEnumerator({ kind })) throw new Error(`vertex ${vertexId} names a SplitEnumerator of kind '${kind}', which this runtime does not have (it has 'kafka')`);
    const { services } = this;
    return new KafkaSplitEnumerator(vertexId, settings, parallelism, {
      logger: services.logger.child({ component: 'KafkaSourceEnumerator' }),
      maxWaitMs: services.askTimeoutMs / 2,
      runInMainThread: services.runInMainThread,
      scheduleInMainThread: services.scheduleInMainThread,
      failJob: services.failJob,
    });
  }

  acknowledge(request: jm.AcknowledgeCheckpointRequest): void {
    this.coordinator.receiveAcknowledge(request.executionAttemptId, request.checkpointId, request.state ?? emptyState(), request.metrics ?? null);
  }

  decline(request: jm.DeclineCheckpointRequest): void {
    const reason: cluster.ErrorInfo = request.reason ?? { name: 'Error', message: 'no reason given', stack: '', location: '' };
    this.coordinator.receiveDecline(request.executionAttemptId, request.checkpointId, reason, request.kind);
  }

  endOfData(request: jm.EndOfDataNotification): void {
    this.coordinator.notifyEndOfData(request.executionAttemptId);
  }

  private tasks(): CheckpointTask[] {
    const tasks: CheckpointTask[] = [];
    for (const vertex of this.services.graph.allExecutionVertices()) {
      const jobVertex = vertex.jobVertex;
      const execution = vertex.currentExecution;
      tasks.push({
        attemptId: execution.attemptId,
        vertexId: jobVertex.id,
        vertexName: jobVertex.name,
        subtask: vertex.subtaskIndex,
        parallelism: jobVertex.parallelism,
        maxParallelism: jobVertex.maxParallelism,
        operatorIds: jobVertex.jobVertex.operators.map((operator) => operator.id),
        isSource: this.sourceVertices.has(jobVertex.id),
        upstreamAttemptIds: upstreamAttemptIds(vertex),
        state: execution.state,
      });
    }
    return tasks;
  }

  private notify(task: CheckpointTask, checkpointId: number, complete: boolean): void {
    const execution = this.services.graph.findExecution(task.attemptId);
    const gateway = execution === undefined ? undefined : this.services.gatewayOf(execution);
    if (gateway === undefined) return;
    const request = { executionAttemptId: task.attemptId, checkpointId };
    (complete ? gateway.notifyCheckpointComplete(request) : gateway.notifyCheckpointAborted(request)).catch((error: unknown) =>
      this.services.logger.debug({ err: error, checkpointId, complete }, 'Could not tell a task about a checkpoint'),
    );
  }
}

/** The current attempts of the subtasks `vertex` reads from. */
function upstreamAttemptIds(vertex: ExecutionVertex): string[] {
  const ids: string[] = [];
  for (const group of vertex.consumedPartitionGroups()) for (const partition of group.partitions()) ids.push(partition.producer.currentExecution.attemptId);
  return ids;
}

function emptyState(): cp.TaskStateSnapshot {
  return { operators: [], heldSplitIds: [], finishedSplitIds: [], endOfInput: false };
}

export { CheckpointMetadataError };
