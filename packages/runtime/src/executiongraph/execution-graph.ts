/**
 * The ExecutionGraph: the JobMaster's parallel, stateful view of a job, built from its JobGraph.
 *
 *   ExecutionGraph
 *     └─ ExecutionJobVertex        one per JobVertex, in topological order
 *          ├─ ExecutionVertex      one per subtask
 *          │    └─ Execution       the current attempt (older ones kept in priorExecutions)
 *          └─ IntermediateResult   one per outgoing JobEdge; one partition per producer subtask
 *
 * Each class is Flink's of the same name. They all live in this one file because they refer to
 * each other (an Execution knows its vertex, a vertex its job vertex, a partition its producer and
 * consumers) and import cycles between files fail the build; the state machines themselves are in
 * execution-state.ts and job-status.ts.
 *
 * Edges are stored as ranges, not per-pair lists, as in Flink: an ALL_TO_ALL edge holds one
 * ConsumedPartitionGroup shared by every consumer subtask and one ConsumerVertexGroup shared by
 * every partition, so memory stays linear in the parallelism.
 *
 * Threading: not thread-safe, and needs not be: the JobMaster calls it from its main thread only
 * (see rpc-endpoint.ts). Listener callbacks run synchronously inside transitionState.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '@eddy/common';
import type { eddy_cluster_v1, eddy_jobgraph_v1 } from '@eddy/proto';
import { effectiveMaxParallelism, isLegalJobTransition, type JobStatus, slotSharingGroupOf, topologicalOrder, validateJobGraph } from '@eddy/cluster-common';
import { EXECUTION_STATES, type ExecutionState, isLegalExecutionTransition, isTerminalExecutionState } from './execution-state.js';
import { IllegalStateTransitionError } from './illegal-state-transition-error.js';
import { jobIdField } from './transition-log.js';
import type { TaskRates } from '../metrics/task-metrics-view.js';

type ErrorInfo = eddy_cluster_v1.ErrorInfo;
type JobGraph = eddy_jobgraph_v1.JobGraph;
type JobVertex = eddy_jobgraph_v1.JobVertex;
type JobEdge = eddy_jobgraph_v1.JobEdge;

/** How many superseded attempts an ExecutionVertex remembers; older ones are dropped. */
export const MAX_PRIOR_EXECUTIONS = 16;

/** Told about every state change, synchronously, right after it was logged. */
export interface ExecutionGraphListener {
  notifyJobStatusChange(from: JobStatus, to: JobStatus, timestamp: number, cause?: ErrorInfo): void;
  notifyExecutionStateChange(
    execution: Execution,
    from: ExecutionState,
    to: ExecutionState,
    timestamp: number,
    cause?: ErrorInfo,
  ): void;
}

export interface ExecutionGraphOptions {
  /** Transitions are logged here at info; the JobMaster passes its own logger. */
  readonly logger: Logger;
  /** Clock for state timestamps, ms since the epoch; defaults to Date.now. */
  readonly now?: () => number;
  readonly listener?: ExecutionGraphListener;
}

/** What every part of one graph shares. Internal: not exported from the package. */
export interface ExecutionGraphContext {
  readonly jobId: string;
  readonly logger: Logger;
  readonly now: () => number;
  readonly listener: ExecutionGraphListener | undefined;
  /** The current attempt of every subtask, by attempt id. */
  readonly currentAttempts: Map<string, Execution>;
}

export class ExecutionGraph {
  readonly jobId: string;
  readonly jobName: string;
  /** The submitted graph, not copied: treat it as read-only. */
  readonly jobGraph: JobGraph;
  readonly verticesTopologically: readonly ExecutionJobVertex[];
  /** The cause of the job's failure, set by the scheduler; transitionState does not touch it. */
  failureCause: ErrorInfo | undefined = undefined;
  /** Restarts so far; counted by the scheduler. */
  restarts = 0;

  private status: JobStatus = 'CREATED';
  private readonly timestamps = new Map<JobStatus, number>();
  private readonly verticesById = new Map<string, ExecutionJobVertex>();
  private readonly context: ExecutionGraphContext;

  /** Validates `graph` (throws InvalidJobGraphError) and builds its graph with every attempt CREATED. */
  static build(graph: JobGraph, options: ExecutionGraphOptions): ExecutionGraph {
    validateJobGraph(graph);
    return new ExecutionGraph(graph, options);
  }

  private constructor(graph: JobGraph, options: ExecutionGraphOptions) {
    this.jobId = graph.jobId;
    this.jobName = graph.name;
    this.jobGraph = graph;
    this.context = {
      jobId: graph.jobId,
      logger: options.logger,
      now: options.now ?? Date.now,
      listener: options.listener,
      currentAttempts: new Map(),
    };
    this.timestamps.set('CREATED', this.context.now());

    const resultIds = intermediateResultIds(graph.edges);
    const vertices: ExecutionJobVertex[] = [];
    for (const jobVertex of topologicalOrder(graph)) {
      const inputs: ExecutionJobVertexInput[] = [];
      graph.edges.forEach((edge, index) => {
        if (edge.targetVertexId !== jobVertex.id) return;
        // Validated and in topological order: the producer exists.
        inputs.push({ edge, edgeIndex: index, resultId: resultIds[index]!, producer: this.verticesById.get(edge.sourceVertexId)! });
      });
      const vertex = new ExecutionJobVertex(this, jobVertex, inputs, this.context);
      this.verticesById.set(vertex.id, vertex);
      vertices.push(vertex);
    }
    this.verticesTopologically = vertices;
  }

  get state(): JobStatus {
    return this.status;
  }

  /** When the job entered each status (the latest time, for a status entered more than once). */
  get statusTimestamps(): ReadonlyMap<JobStatus, number> {
    return this.timestamps;
  }

  getJobVertex(id: string): ExecutionJobVertex | undefined {
    return this.verticesById.get(id);
  }

  /** Every subtask, job vertex by job vertex in topological order. */
  *allExecutionVertices(): Iterable<ExecutionVertex> {
    for (const jobVertex of this.verticesTopologically) yield* jobVertex.taskVertices;
  }

  /** The current attempt with this id; undefined for an unknown or superseded attempt. */
  findExecution(attemptId: string): Execution | undefined {
    return this.context.currentAttempts.get(attemptId);
  }

  /**
   * Moves the job to `to` if it is in one of the `expected` statuses; returns whether it moved.
   * Not being in an expected status is normal after an await (someone else moved the job first),
   * so that returns false quietly. A move the diagram in job-status.ts lacks throws
   * IllegalStateTransitionError. A move stamps the time, logs one info line and tells the listener.
   */
  transitionState(expected: JobStatus | readonly JobStatus[], to: JobStatus, cause?: ErrorInfo): boolean {
    const from = this.status;
    const isExpected = typeof expected === 'string' ? from === expected : expected.includes(from);
    if (!isExpected) return false;
    if (!isLegalJobTransition(from, to)) {
      throw new IllegalStateTransitionError(`job ${this.jobName} (${this.jobId})`, from, to);
    }
    const timestamp = this.context.now();
    this.status = to;
    this.timestamps.set(to, timestamp);
    this.context.logger.info(
      { ...jobIdField(this.context.logger, this.jobId), from, to, ...(cause !== undefined ? { cause: cause.message } : {}) },
      `Job ${this.jobName} (${this.jobId}) switched from state ${from} to ${to}.`,
    );
    this.context.listener?.notifyJobStatusChange(from, to, timestamp, cause);
    return true;
  }
}

/** How many current attempts are in each state (every state present, most with 0). */
export function statusCounts(graph: ExecutionGraph): Record<ExecutionState, number> {
  const counts = Object.fromEntries(EXECUTION_STATES.map((state) => [state, 0])) as Record<ExecutionState, number>;
  for (const vertex of graph.allExecutionVertices()) counts[vertex.currentExecution.state]++;
  return counts;
}

/** "source->map", with "#2", "#3"... on repeated edges between the same two vertices. */
function intermediateResultIds(edges: readonly JobEdge[]): string[] {
  const seen = new Map<string, number>();
  return edges.map((edge) => {
    const base = `${edge.sourceVertexId}->${edge.targetVertexId}`;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base}#${count}`;
  });
}

/** One input of an ExecutionJobVertex: the result of one JobEdge it consumes. */
export interface JobEdgeInput {
  readonly result: IntermediateResult;
  readonly partitioner: string;
  readonly distributionPattern: string;
}

/** What ExecutionGraph hands an ExecutionJobVertex about one incoming edge. Internal. */
export interface ExecutionJobVertexInput {
  readonly edge: JobEdge;
  /** Its index in the JobGraph's edges. */
  readonly edgeIndex: number;
  readonly resultId: string;
  readonly producer: ExecutionJobVertex;
}

/** One JobVertex, spread over its parallel subtasks. Created by ExecutionGraph.build. */
export class ExecutionJobVertex {
  readonly id: string;
  readonly name: string;
  readonly parallelism: number;
  /**
   * Effective: the JobVertex's own, or the default derived from the parallelism, or, when the job
   * sets none and starts from a checkpoint, the one its keyed state was cut into (adoptMaxParallelism).
   */
  #maxParallelism: number;
  /** Effective: 'default' when the JobVertex names none. */
  readonly slotSharingGroup: string;
  readonly taskVertices: readonly ExecutionVertex[];

  /** In JobGraph edge order (the order of the task's outputs), whatever order the consumers were built in. */
  private readonly produced: IntermediateResult[] = [];
  private readonly producedEdgeIndexes: number[] = [];
  private readonly consumed: JobEdgeInput[] = [];

  constructor(
    readonly graph: ExecutionGraph,
    readonly jobVertex: JobVertex,
    inputs: readonly ExecutionJobVertexInput[],
    context: ExecutionGraphContext,
  ) {
    this.id = jobVertex.id;
    this.name = jobVertex.name;
    this.parallelism = jobVertex.parallelism;
    this.#maxParallelism = effectiveMaxParallelism(jobVertex);
    this.slotSharingGroup = slotSharingGroupOf(jobVertex);
    const taskVertices: ExecutionVertex[] = [];
    for (let subtask = 0; subtask < this.parallelism; subtask++) taskVertices.push(new ExecutionVertex(this, subtask, context));
    this.taskVertices = taskVertices;
    for (const { edge, edgeIndex, resultId, producer } of inputs) {
      const result = new IntermediateResult(resultId, producer, this, edge.partitioner, edge.distributionPattern);
      let at = producer.produced.length;
      while (at > 0 && (producer.producedEdgeIndexes[at - 1] as number) > edgeIndex) at--;
      producer.produced.splice(at, 0, result);
      producer.producedEdgeIndexes.splice(at, 0, edgeIndex);
      this.consumed.push({ result, partitioner: edge.partitioner, distributionPattern: edge.distributionPattern });
    }
  }

  get maxParallelism(): number {
    return this.#maxParallelism;
  }

  /**
   * Flink's rule on a restore: a vertex whose max parallelism the job does not set takes the one the
   * checkpoint's keyed state was cut into. Only before the first deployment (the JobMaster's
   * prepare), and only when the job set none; returns whether it did.
   */
  adoptMaxParallelism(maxParallelism: number): boolean {
    if (this.jobVertex.maxParallelism > 0 || maxParallelism < this.parallelism || maxParallelism === this.#maxParallelism) return false;
    this.#maxParallelism = maxParallelism;
    return true;
  }

  /** One per outgoing JobEdge. */
  get producedResults(): readonly IntermediateResult[] {
    return this.produced;
  }

  /** One per incoming JobEdge, in the order of the JobGraph's edges. */
  get inputs(): readonly JobEdgeInput[] {
    return this.consumed;
  }
}

/** One subtask of a job vertex; runs as a sequence of attempts (Executions), one at a time. */
export class ExecutionVertex {
  /** "Map (1/2)": the name people read in logs and the web UI. */
  readonly taskNameWithSubtask: string;
  private current: Execution;
  private readonly prior: Execution[] = [];

  constructor(
    readonly jobVertex: ExecutionJobVertex,
    readonly subtaskIndex: number,
    private readonly context: ExecutionGraphContext,
  ) {
    this.taskNameWithSubtask = `${jobVertex.name} (${subtaskIndex + 1}/${jobVertex.parallelism})`;
    this.current = new Execution(this, 0, context);
    context.currentAttempts.set(this.current.attemptId, this.current);
  }

  get currentExecution(): Execution {
    return this.current;
  }

  /** Superseded attempts, oldest first; at most MAX_PRIOR_EXECUTIONS of them. */
  get priorExecutions(): readonly Execution[] {
    return this.prior;
  }

  /**
   * Starts a new attempt (number + 1, CREATED) after the current one ended; the old one moves to
   * priorExecutions and findExecution no longer finds it. Throws if the current attempt has not
   * reached a terminal state: cancel it and wait for CANCELED first.
   */
  resetForNewExecution(): Execution {
    const old = this.current;
    if (!isTerminalExecutionState(old.state)) {
      throw new Error(
        `Cannot reset ${this.taskNameWithSubtask} for a new execution: attempt ${old.attemptNumber} is ${old.state}, ` +
          'not terminal; cancel it and wait until it is CANCELED first',
      );
    }
    this.prior.push(old);
    if (this.prior.length > MAX_PRIOR_EXECUTIONS) this.prior.shift();
    this.current = new Execution(this, old.attemptNumber + 1, this.context);
    this.context.currentAttempts.delete(old.attemptId);
    this.context.currentAttempts.set(this.current.attemptId, this.current);
    return this.current;
  }

  /** The partition this subtask produces for each output, in the order of producedResults. */
  get producedPartitions(): readonly IntermediateResultPartition[] {
    return this.jobVertex.producedResults.map((result) => result.partitions[this.subtaskIndex]!);
  }

  /** For each input, in the order of jobVertex.inputs: the partitions this subtask reads. */
  consumedPartitionGroups(): ConsumedPartitionGroup[] {
    return this.jobVertex.inputs.map((input) => input.result.consumedPartitionGroup(this.subtaskIndex));
  }
}

/** Where an attempt runs: the slot it got from a TaskManager. */
export interface ExecutionResource {
  readonly taskManagerId: string;
  readonly taskManagerAddress: string;
  readonly allocationId: string;
}

/** Flink's currentInputWatermark of an attempt and the producer whose channel holds it back (see TaskWatermark in jobmaster.proto). */
export interface ExecutionWatermark {
  readonly currentInputWatermark: number;
  /** '' when no single channel holds it back. */
  readonly laggingVertexId: string;
  readonly laggingPartitionId: string;
}

/** Per-second values of an attempt (see metrics/task-metrics-view.ts) and its output watermark. */
export type ExecutionRates = TaskRates & { readonly currentOutputWatermark?: number };

/** One attempt to run one subtask. Its state follows the diagram in execution-state.ts. */
export class Execution {
  /** Unique across attempts and jobs: `${vertexId}-${subtask}-${attempt}-${6 random hex}`. */
  readonly attemptId: string;
  /** Set when the attempt moved to FAILED with a cause. */
  failureCause: ErrorInfo | undefined = undefined;
  /** Flink's task IO metrics as the TaskManager last reported them (see reportIOMetrics). */
  numRecordsIn = 0;
  numRecordsOut = 0;
  numBytesIn = 0;
  numBytesOut = 0;
  /** Rates, backpressure and output watermark as last reported by the TaskManager's heartbeat. */
  rates: ExecutionRates | undefined = undefined;
  /** Event time: the attempt's input watermark as last reported; undefined until a watermark reached it. */
  watermark: ExecutionWatermark | undefined = undefined;

  private currentState: ExecutionState = 'CREATED';
  private readonly timestamps = new Map<ExecutionState, number>();
  private resource: ExecutionResource = { taskManagerId: '', taskManagerAddress: '', allocationId: '' };

  constructor(
    readonly vertex: ExecutionVertex,
    readonly attemptNumber: number,
    private readonly context: ExecutionGraphContext,
  ) {
    this.attemptId = `${vertex.jobVertex.id}-${vertex.subtaskIndex}-${attemptNumber}-${randomBytes(3).toString('hex')}`;
    this.timestamps.set('CREATED', context.now());
  }

  get state(): ExecutionState {
    return this.currentState;
  }

  /** When the attempt entered each state it has been in. */
  get stateTimestamps(): ReadonlyMap<ExecutionState, number> {
    return this.timestamps;
  }

  /** '' until assignResource. */
  get taskManagerId(): string {
    return this.resource.taskManagerId;
  }

  get taskManagerAddress(): string {
    return this.resource.taskManagerAddress;
  }

  get allocationId(): string {
    return this.resource.allocationId;
  }

  /**
   * Takes the counts a TaskManager reported. Counters only grow within an attempt, so a report
   * that arrives late (a heartbeat sent before the final values) never lowers them.
   */
  reportIOMetrics(numRecordsIn: number, numRecordsOut: number, numBytesIn = 0, numBytesOut = 0): void {
    this.numRecordsIn = Math.max(this.numRecordsIn, numRecordsIn);
    this.numRecordsOut = Math.max(this.numRecordsOut, numRecordsOut);
    this.numBytesIn = Math.max(this.numBytesIn, numBytesIn);
    this.numBytesOut = Math.max(this.numBytesOut, numBytesOut);
  }

  /** Records the slot the attempt will be deployed to; only before deployment (CREATED or SCHEDULED). */
  assignResource(resource: ExecutionResource): void {
    if (this.currentState !== 'CREATED' && this.currentState !== 'SCHEDULED') {
      throw new Error(
        `Cannot assign a slot to ${this.vertex.taskNameWithSubtask} (attempt ${this.attemptNumber}) in state ${this.currentState}; ` +
          'slots are assigned while CREATED or SCHEDULED, before deployment',
      );
    }
    this.resource = { taskManagerId: resource.taskManagerId, taskManagerAddress: resource.taskManagerAddress, allocationId: resource.allocationId };
  }

  /**
   * Moves the attempt to `to`; returns whether it moved. An attempt that already ended, or is
   * already in `to`, stays as it is and returns false quietly (late reports are normal). A move the
   * diagram lacks throws IllegalStateTransitionError. A move records `cause` as failureCause when
   * `to` is FAILED, stamps the time, logs one info line and tells the listener.
   */
  transitionState(to: ExecutionState, cause?: ErrorInfo): boolean {
    const from = this.currentState;
    if (isTerminalExecutionState(from) || from === to) return false;
    const subject = `${this.vertex.taskNameWithSubtask} (attempt ${this.attemptNumber})`;
    if (!isLegalExecutionTransition(from, to)) throw new IllegalStateTransitionError(subject, from, to);
    if (to === 'FAILED' && cause !== undefined) this.failureCause = cause;
    const timestamp = this.context.now();
    this.currentState = to;
    this.timestamps.set(to, timestamp);
    this.context.logger.info(
      {
        ...jobIdField(this.context.logger, this.context.jobId),
        vertexId: this.vertex.jobVertex.id,
        subtask: this.vertex.subtaskIndex,
        attempt: this.attemptNumber,
        from,
        to,
        taskManager: this.resource.taskManagerId,
        ...(to === 'FAILED' && cause !== undefined ? { cause: cause.message } : {}),
      },
      `${subject} switched from ${from} to ${to}`,
    );
    this.context.listener?.notifyExecutionStateChange(this, from, to, timestamp, cause);
    return true;
  }
}

/**
 * The data one JobEdge carries: produced by every subtask of `producer` (one partition each) and
 * read by `consumerVertex`. Which consumer subtask reads which partitions is stored as ranges:
 *
 * - ALL_TO_ALL: every consumer reads every partition. One ConsumedPartitionGroup covers all
 *   partitions and one ConsumerVertexGroup all consumers; each is shared by every subtask.
 * - POINTWISE, producers >= consumers (e.g. 4 -> 2): consumer j reads the contiguous partitions
 *   [floor(j*P/C), floor((j+1)*P/C)).
 * - POINTWISE, producers < consumers (e.g. 2 -> 4): partition i feeds the contiguous consumers
 *   [ceil(i*C/P), ceil((i+1)*C/P)).
 */
export class IntermediateResult {
  readonly partitions: readonly IntermediateResultPartition[];
  /** By consumer subtask; for ALL_TO_ALL a single shared group. */
  private readonly consumedGroups: readonly ConsumedPartitionGroup[];

  constructor(
    /** "source->map" (with "#2"... for repeated edges between the same vertices). */
    readonly id: string,
    readonly producer: ExecutionJobVertex,
    readonly consumerVertex: ExecutionJobVertex,
    readonly partitioner: string,
    readonly distributionPattern: string,
  ) {
    const producers = producer.parallelism;
    const consumers = consumerVertex.parallelism;
    const consumerGroupOf: ConsumerVertexGroup[] = new Array<ConsumerVertexGroup>(producers);
    const consumedGroups: ConsumedPartitionGroup[] = [];
    if (distributionPattern === 'ALL_TO_ALL') {
      consumedGroups.push(new ConsumedPartitionGroup(this, 0, producers));
      consumerGroupOf.fill(new ConsumerVertexGroup(consumerVertex, 0, consumers));
    } else if (producers >= consumers) {
      for (let j = 0; j < consumers; j++) {
        const start = Math.floor((j * producers) / consumers);
        const end = Math.floor(((j + 1) * producers) / consumers);
        consumedGroups.push(new ConsumedPartitionGroup(this, start, end));
        consumerGroupOf.fill(new ConsumerVertexGroup(consumerVertex, j, j + 1), start, end);
      }
    } else {
      for (let i = 0; i < producers; i++) {
        const start = Math.ceil((i * consumers) / producers);
        const end = Math.ceil(((i + 1) * consumers) / producers);
        consumerGroupOf[i] = new ConsumerVertexGroup(consumerVertex, start, end);
        const group = new ConsumedPartitionGroup(this, i, i + 1);
        for (let j = start; j < end; j++) consumedGroups.push(group);
      }
    }
    this.consumedGroups = consumedGroups;
    this.partitions = producer.taskVertices.map((vertex, i) => new IntermediateResultPartition(this, i, vertex, consumerGroupOf[i]!));
  }

  /** The partitions consumer subtask `subtaskIndex` reads. */
  consumedPartitionGroup(subtaskIndex: number): ConsumedPartitionGroup {
    const group = this.distributionPattern === 'ALL_TO_ALL' ? this.consumedGroups[0] : this.consumedGroups[subtaskIndex];
    if (group === undefined || subtaskIndex < 0 || subtaskIndex >= this.consumerVertex.parallelism) {
      throw new RangeError(`${this.consumerVertex.name} has no subtask ${subtaskIndex}; subtasks are 0..${this.consumerVertex.parallelism - 1}`);
    }
    return group;
  }
}

/** What one producer subtask writes for one IntermediateResult. */
export class IntermediateResultPartition {
  constructor(
    readonly result: IntermediateResult,
    readonly partitionIndex: number,
    readonly producer: ExecutionVertex,
    /** The consumer subtasks that read this partition. */
    readonly consumerVertexGroup: ConsumerVertexGroup,
  ) {}
}

/** The partitions [start, end) of one result that one consumer subtask reads. Shared, never copied. */
export class ConsumedPartitionGroup {
  constructor(
    readonly result: IntermediateResult,
    readonly start: number,
    /** Exclusive. */
    readonly end: number,
  ) {}

  get size(): number {
    return this.end - this.start;
  }

  *partitions(): Iterable<IntermediateResultPartition> {
    for (let i = this.start; i < this.end; i++) yield this.result.partitions[i]!;
  }
}

/** The consumer subtasks [start, end) that read one partition. Shared, never copied. */
export class ConsumerVertexGroup {
  constructor(
    readonly consumerVertex: ExecutionJobVertex,
    readonly start: number,
    /** Exclusive. */
    readonly end: number,
  ) {}

  get size(): number {
    return this.end - this.start;
  }

  *vertices(): Iterable<ExecutionVertex> {
    for (let i = this.start; i < this.end; i++) yield this.consumerVertex.taskVertices[i]!;
  }
}
