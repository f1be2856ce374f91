/**
 * JobCheckpointing: what a JobMaster does about checkpoints and source splits, in one collaborator
 * so the JobMaster itself stays about scheduling and failover.
 *
 *   - owns the CheckpointCoordinator (when execution.checkpointing.interval is set) and the
 *     checkpoint storage, and reads the checkpoint of execution.savepoint.path before the first
 *     deployment, checking it fits the job;
 *   - owns one SplitEnumerator per source vertex, reset from the latest completed checkpoint at
 *     every (re)deployment;
 *   - adds to each deployment its checkpointing settings and the state it restores from;
 *   - takes the checkpoint calls of the JobMasterGateway.
 *
 * Threading: the JobMaster's main thread, as the JobMaster calls it.
 */
import type { Configuration, Logger } from '@eddy/common';
import type { eddy_checkpoint_v1 as cp, eddy_cluster_v1 as cluster, eddy_jobmaster_v1 as jm, eddy_taskexecutor_v1 as te } from '@eddy/proto';
import type { ScheduledTask } from '@eddy/rpc';
import { CheckpointCoordinator, type CheckpointTask } from '../checkpoint/checkpoint-coordinator.js';
import { CheckpointMetadataError, type CompletedCheckpoint } from '../checkpoint/checkpoint-metadata.js';
import { FileSystemCheckpointStorage, JobManagerCheckpointStorage, readCompletedCheckpoint, type CheckpointStorage } from '../checkpoint/checkpoint-storage.js';
import { CheckpointingOptions, checkpointingSettings, discardsCheckpointsWhenEnded, type CheckpointingSettings } from '../checkpoint/checkpointing-options.js';
import type { Execution, ExecutionGraph, ExecutionVertex } from '../executiongraph/execution-graph.js';
import { StaticSplitEnumerator } from '../source/split-enumerator.js';
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
}

/** The checkpoint of execution.savepoint.path does not fit the job. */
export class CheckpointRestoreError extends Error {
  override readonly name = 'CheckpointRestoreError';
}

export class JobCheckpointing {
  readonly settings: CheckpointingSettings;
  readonly coordinator: CheckpointCoordinator;
  private readonly storage: CheckpointStorage;
  private readonly enumerators = new Map<string, StaticSplitEnumerator>();
  private readonly sourceVertices: ReadonlySet<string>;

  constructor(private readonly services: JobCheckpointingServices) {
    const { graph } = services;
    this.settings = checkpointingSettings(services.configuration);
    this.storage = this.settings.directory === '' ? new JobManagerCheckpointStorage() : new FileSystemCheckpointStorage(this.settings.directory, graph.jobId);
    const targets = new Set(graph.jobGraph.edges.map((edge) => edge.targetVertexId));
    this.sourceVertices = new Set(graph.verticesTopologically.filter((vertex) => !targets.has(vertex.id)).map((vertex) => vertex.id));
    for (const vertex of graph.verticesTopologically) {
      if (this.sourceVertices.has(vertex.id)) this.enumerators.set(vertex.id, new StaticSplitEnumerator(vertex.id, vertex.jobVertex.inputSplits));
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
   * Before the first deployment: reads and checks the checkpoint of execution.savepoint.path, if
   * set. Rejects with what is wrong and where; the job then fails without deploying anything.
   */
  async prepare(): Promise<void> {
    if (this.settings.restorePath === '') return;
    const checkpoint = await readCompletedCheckpoint(this.settings.restorePath);
    this.checkFits(checkpoint);
    this.coordinator.restoreFrom(checkpoint);
    this.services.logger.info({ checkpointId: checkpoint.checkpointId, path: checkpoint.metadataPath }, 'Starting the job from a checkpoint');
  }

  /** Every operator with state in the checkpoint exists in the job, at the same parallelism. */
  private checkFits(checkpoint: CompletedCheckpoint): void {
    const where = checkpoint.metadataPath;
    const operators = new Map<string, { vertex: string; parallelism: number }>();
    for (const vertex of this.services.graph.verticesTopologically) {
      for (const operator of vertex.jobVertex.operators) operators.set(operator.id, { vertex: vertex.name, parallelism: vertex.parallelism });
    }
    for (const vertex of checkpoint.vertices) {
      for (const subtask of vertex.subtasks) {
        for (const operator of subtask.state.operators) {
          if (operator.keyedState.length === 0 && operator.operatorState.length === 0) continue;
          const now = operators.get(operator.operatorId);
          if (now === undefined) {
            throw new CheckpointRestoreError(
              `Cannot start from ${where}: it has state for operator ${operator.operatorId} (in '${vertex.name}'), which this job does not have. ` +
                'Give the operators the same uid() as in the job that took the checkpoint.',
            );
          }
          if (now.parallelism !== vertex.parallelism) {
            throw new CheckpointRestoreError(
              `Cannot start from ${where}: operator ${operator.operatorId} ran at parallelism ${vertex.parallelism} there, the job runs it (in '${now.vertex}') at ${now.parallelism}; ` +
                'restoring at another parallelism is not supported yet',
            );
          }
        }
      }
    }
  }

  /** A (re)deployment is about to start: enumerators start from the latest completed checkpoint. */
  onScheduling(): void {
    for (const [vertexId, enumerator] of this.enumerators) enumerator.reset(this.coordinator.finishedSplitsFor(vertexId), this.coordinator.heldSplitsFor(vertexId));
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
  }

  onJobTerminated(status: string): void {
    this.coordinator.shutdown(`the job is ${status}`, discardsCheckpointsWhenEnded(this.settings.retention, status));
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

  nextSplit(vertexId: string, subtask: number): jm.NextInputSplitResponse {
    const next = this.enumerators.get(vertexId)?.nextSplit(subtask);
    return next === undefined ? { hasSplit: false, split: '', splitId: '' } : { hasSplit: true, split: next.split, splitId: next.id };
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
