import { JobGraphMismatchError } from '../errors.js';
import type { MetricGroup } from '../metrics.js';
import type { RuntimeContext } from '../process-function.js';
import { createOperatorMetricGroup } from './user-metrics.js';
import type { Source } from '../source.js';
import type { ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor } from '../state.js';
import type { ChainContext, ChainSnapshot, OperatorSnapshotView, RestoredTaskState, TaskChain } from './contract.js';
import type { OperatorChain } from './job-plan.js';
import { createRecordWriterOutput } from './operators/record-writer-output.js';
import { SourceOperator } from './operators/source-operator.js';
import { autoWatermarkIntervalMs, SourceWatermarks } from './operators/timestamps-and-watermarks.js';
import {
  BroadcastingOutput,
  FRESH_START,
  MAX_WATERMARK,
  NO_TIMESTAMP,
  NoOpOutput,
  SideOutputRouter,
  type OperatorContext,
  type OperatorSnapshot,
  type Output,
  type StreamOperator,
} from './operators/stream-operator.js';
import { isTwoInputOperator, type TwoInputStreamOperator } from './operators/two-input-operator.js';
import { DefaultSourceContext } from './sources/source-context.js';
import { isSplitReaderSource } from './sources/split-reader.js';
import type { KeyedStateBackend } from './state/keyed-state-backend.js';
import type { StreamEdge, StreamNode } from './stream-graph.js';

function combineOutputs(outputs: Output[]): Output {
  return outputs.length === 0 ? new NoOpOutput() : outputs.length === 1 ? (outputs[0] as Output) : new BroadcastingOutput(outputs);
}

/**
 * A vertex's operators, instantiated for one subtask (Flink's OperatorChain inside a StreamTask).
 * Records enter through processBatch (or the source) and go through the operators as plain calls
 * down to the record-writer outputs of the outgoing edges.
 *
 * Threading: everything runs on the task's thread. Timers fire between batches; an error a timer
 * throws fails the task through ChainContext.failTask (or, without it, as an uncaught error of
 * the thread) and is thrown again by the next call into the chain.
 */
export class OperatorTaskChain implements TaskChain {
  readonly isSource: boolean;
  private readonly operators: { readonly node: StreamNode; readonly operator: StreamOperator }[] = [];
  private readonly head: Output | undefined;
  /** Where each logical input's records go: the head, or a two-input head's inputs[0] and inputs[1]. */
  private readonly inputs: readonly Output[];
  private readonly twoInputHead: TwoInputStreamOperator | undefined;
  private readonly endedInputs = new Set<number>();
  private readonly source: SourceOperator | undefined;
  private readonly sourceNode: StreamNode | undefined;
  private readonly sourceOutput: Output | undefined;
  private readonly stop = new AbortController();
  private readonly forwardAbort = (): void => this.stop.abort();
  /** Stops the source alone (stop-with-savepoint), not the chain's timers; see stopSource. */
  private readonly sourceStop = new AbortController();
  private sourceDrain = true;
  private asyncError: { error: unknown } | undefined;
  private rejectAsync: (error: unknown) => void = () => {};
  private readonly asyncFailure: Promise<never>;
  private inputsEnded = false;
  /** Called after every input batch and watermark (see OperatorContext.onEndOfBatch); empty for the heap backend. */
  private readonly endOfBatchListeners: (() => void)[] = [];
  private opened = false;
  private initialized = false;

  constructor(
    private readonly chain: OperatorChain,
    private readonly context: ChainContext,
  ) {
    if (context.outputs.length !== chain.outEdges.length || context.targets.length !== chain.outEdges.length) {
      throw new JobGraphMismatchError(
        `vertex '${chain.vertex.id}' (${chain.vertex.name}) has ${chain.outEdges.length} outgoing edges, but the task was given ` +
          `${context.outputs.length} outputs and ${context.targets.length} targets`,
        ['outputs'],
      );
    }
    this.asyncFailure = new Promise<never>((_, reject) => (this.rejectAsync = reject));
    this.asyncFailure.catch(() => {});
    if (context.signal.aborted) this.stop.abort();
    else context.signal.addEventListener('abort', this.forwardAbort, { once: true });

    const outputIndex = new Map(chain.outEdges.map((edge, i) => [edge, i]));
    const operatorOf = new Map<StreamNode, StreamOperator>();
    let source: SourceOperator | undefined;
    let sourceNode: StreamNode | undefined;
    let sourceOutput: Output | undefined;
    // Tail first, so every operator is built with its successors.
    for (let n = chain.nodes.length - 1; n >= 0; n--) {
      const node = chain.nodes[n] as StreamNode;
      const outputOf = (edge: StreamEdge): Output => {
        if (chain.chainedEdges.has(edge)) return operatorOf.get(edge.target) as StreamOperator;
        const i = outputIndex.get(edge) as number;
        return createRecordWriterOutput(edge.partitioner, context.outputs[i]!, context.subtaskIndex, context.targets[i]!, edge.keySelector);
      };
      const output = combineOutputs(node.outEdges.filter((edge) => edge.sideOutputTag === undefined).map(outputOf));
      const sideEdges = node.outEdges.filter((edge) => edge.sideOutputTag !== undefined);
      let routed: Output = output;
      if (sideEdges.length > 0) {
        const tags = [...new Set(sideEdges.map((edge) => edge.sideOutputTag as string))];
        routed = new SideOutputRouter(output, new Map(tags.map((tag) => [tag, combineOutputs(sideEdges.filter((edge) => edge.sideOutputTag === tag).map(outputOf))])));
      }
      const spec = node.transformation.spec;
      if (spec.type === 'source') {
        source = new SourceOperator(spec.createSource(this.operatorContext(node)));
        sourceNode = node;
        sourceOutput = routed;
      } else if (spec.type === 'operator' || spec.type === 'sink') {
        const operator = spec.createOperator(routed);
        operatorOf.set(node, operator);
        this.operators.unshift({ node, operator });
      }
    }
    this.isSource = source !== undefined;
    this.source = source;
    this.sourceNode = sourceNode;
    this.sourceOutput = sourceOutput;
    this.head = this.isSource ? undefined : this.operators[0]?.operator;
    const headOperator = this.isSource ? undefined : this.operators[0]?.operator;
    this.twoInputHead = headOperator !== undefined && isTwoInputOperator(headOperator) ? headOperator : undefined;
    this.inputs = this.twoInputHead !== undefined ? this.twoInputHead.inputs : this.head === undefined ? [] : [this.head];
  }

  async initializeState(restored: RestoredTaskState | undefined): Promise<void> {
    this.opened = true;
    this.initialized = true;
    for (let i = this.operators.length - 1; i >= 0; i--) {
      const { node, operator } = this.operators[i]!;
      await operator.initializeState(this.operatorContext(node), this.stateOf(node, restored));
    }
    if (this.source !== undefined) await this.source.initializeState(this.operatorContext(this.sourceNode as StreamNode), this.stateOf(this.sourceNode as StreamNode, restored));
  }

  private stateOf(node: StreamNode, restored: RestoredTaskState | undefined): Parameters<StreamOperator['initializeState']>[1] {
    if (restored === undefined) return FRESH_START;
    const state = restored.operators.get(node.id);
    return {
      restoredCheckpointId: restored.checkpointId,
      keyed: (state?.keyed ?? []).map((handle) => ({ ...handle })),
      operatorState: state?.operatorState ?? [],
    };
  }

  async open(): Promise<void> {
    if (!this.initialized) await this.initializeState(undefined);
    for (let i = this.operators.length - 1; i >= 0; i--) {
      const { node, operator } = this.operators[i]!;
      await operator.open(this.operatorContext(node));
    }
    if (this.source !== undefined) await this.source.open(this.operatorContext(this.sourceNode as StreamNode));
  }

  async runSource(): Promise<void> {
    const source = this.source;
    if (source === undefined) throw new Error(`vertex '${this.chain.vertex.id}' (${this.chain.vertex.name}) does not start with a source`);
    const sourceNode = this.sourceNode as StreamNode;
    const spec = sourceNode.transformation.spec;
    const strategy = spec.type === 'source' ? spec.watermarkStrategy : undefined;
    const watermarks = strategy === undefined ? undefined : new SourceWatermarks(strategy, this.sourceOutput as Output, sourceNode.name);
    // The source stops on the chain's stop (cancel, failure, close) or on stopSource alone.
    if (this.stop.signal.aborted) this.sourceStop.abort();
    else this.stop.signal.addEventListener('abort', () => this.sourceStop.abort(), { once: true });
    const stopSignal = this.sourceStop.signal;
    const ctx = new DefaultSourceContext(this.sourceOutput as Output, this.context, stopSignal, watermarks);
    // A user's source reads no splits: the subtask is its one split (until it names splits of its own).
    if (watermarks !== undefined && !isSplitReaderSource(source.source)) watermarks.startSubtaskSplit();
    watermarks?.start(autoWatermarkIntervalMs(this.context.configuration), (error) => this.failAsync(error));
    const cancel = (): void => source.cancel();
    stopSignal.addEventListener('abort', cancel, { once: true });
    try {
      await Promise.race([source.run(ctx), this.asyncFailure]);
    } finally {
      stopSignal.removeEventListener('abort', cancel);
      ctx.close();
    }
    this.throwAsyncError();
    if (!this.stop.signal.aborted && this.sourceDrain) {
      // A bounded source that ended: event time ends too, every event-time timer and window fires.
      (this.sourceOutput as Output).emitWatermarkStatus(false);
      (this.sourceOutput as Output).emitWatermark(MAX_WATERMARK);
      this.endInputs();
    }
  }

  stopSource(drain: boolean): void {
    this.sourceDrain = drain;
    this.sourceStop.abort();
  }

  processBatch(input: number, records: readonly unknown[], timestamps?: ArrayLike<number>): void {
    if (this.asyncError !== undefined) throw this.asyncError.error;
    const head = this.inputOf(input);
    if (timestamps === undefined) {
      for (let i = 0; i < records.length; i++) head.collect(records[i], NO_TIMESTAMP);
    } else {
      for (let i = 0; i < records.length; i++) head.collect(records[i], timestamps[i] as number);
    }
    this.endOfBatch();
  }

  private endOfBatch(): void {
    const listeners = this.endOfBatchListeners;
    for (let i = 0; i < listeners.length; i++) (listeners[i] as () => void)();
  }

  processWatermark(input: number, watermark: number): void {
    this.throwAsyncError();
    this.inputOf(input).emitWatermark(watermark);
    this.endOfBatch();
  }

  processWatermarkStatus(input: number, idle: boolean): void {
    this.throwAsyncError();
    this.inputOf(input).emitWatermarkStatus(idle);
  }

  /** Where input `input`'s records go (a union feeds input 0 from several edges; only a two-input head has input 1). */
  private inputOf(input: number): Output {
    const head = this.inputs[input];
    if (head !== undefined) return head;
    if (this.head === undefined) throw new Error(`vertex '${this.chain.vertex.id}' (${this.chain.vertex.name}) starts with a source and takes no input`);
    throw new JobGraphMismatchError(`vertex '${this.chain.vertex.id}' (${this.chain.vertex.name}) has ${this.inputs.length} input(s), but the task was given records for input ${input}`, ['inputs']);
  }

  endInput(input: number): void {
    this.throwAsyncError();
    const twoInput = this.twoInputHead;
    if (twoInput !== undefined) {
      this.inputOf(input);
      twoInput.endInputOf(input);
      this.endedInputs.add(input);
      // The chain's end of input (end of event time, endInput, finish) once both inputs ended.
      if (this.endedInputs.size < 2) return;
    }
    this.endInputs();
  }

  async finish(): Promise<void> {
    this.throwAsyncError();
    this.endInputs();
    for (const { operator } of this.operators) await operator.finish();
    await this.source?.finish();
    this.throwAsyncError();
  }

  async close(): Promise<void> {
    this.stop.abort();
    this.context.signal.removeEventListener('abort', this.forwardAbort);
    if (!this.opened) return;
    const all: { node: StreamNode; operator: { close(): void | Promise<void> } }[] = [...this.operators];
    if (this.source !== undefined) all.push({ node: this.sourceNode as StreamNode, operator: this.source });
    for (const { node, operator } of all) {
      try {
        await operator.close();
      } catch (error) {
        this.context.log('Operator could not release its resources', { operatorId: node.id, operator: node.name, err: error });
      }
    }
  }

  prepareSnapshotPreBarrier(checkpointId: number): void {
    this.throwAsyncError();
    for (const { operator } of this.operators) operator.prepareSnapshotPreBarrier(checkpointId);
  }

  snapshotState(checkpointId: number, timestamp: number, savepoint = false): ChainSnapshot {
    this.throwAsyncError();
    const snapshots: { id: string; snapshot: OperatorSnapshot }[] = [];
    const take = (id: string, operator: StreamOperator | SourceOperator): void => {
      const snapshot = operator.snapshotState(checkpointId, timestamp, savepoint);
      if (snapshot !== undefined) snapshots.push({ id, snapshot });
    };
    try {
      if (this.source !== undefined) take((this.sourceNode as StreamNode).id, this.source);
      for (const { node, operator } of this.operators) take(node.id, operator);
    } catch (error) {
      for (const { snapshot } of snapshots) snapshot.keyed?.release();
      throw error;
    }
    const splits = this.source?.splitIds() ?? { held: [], finished: [] };
    const operators: OperatorSnapshotView[] = snapshots.map(({ id, snapshot }) => ({
      operatorId: id,
      keyed: snapshot.keyed,
      operatorState: snapshot.operatorState,
      states: snapshot.states.map(({ name, kind, type }) => (type === undefined ? { name, kind } : { name, kind, type })),
    }));
    const flushes = snapshots.flatMap(({ snapshot }) => (snapshot.flushed === undefined ? [] : [snapshot.flushed]));
    return {
      operators,
      ...(flushes.length === 0 ? {} : { flushed: Promise.all(flushes).then(() => undefined) }),
      heldSplitIds: splits.held,
      finishedSplitIds: splits.finished,
      release: () => {
        for (const { snapshot } of snapshots) snapshot.keyed?.release();
      },
    };
  }

  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    this.throwAsyncError();
    if (this.source !== undefined) await this.source.notifyCheckpointComplete(checkpointId);
    for (const { operator } of this.operators) await operator.notifyCheckpointComplete(checkpointId);
  }

  notifyCheckpointAborted(checkpointId: number): void {
    this.source?.notifyCheckpointAborted(checkpointId);
    for (const { operator } of this.operators) operator.notifyCheckpointAborted(checkpointId);
  }

  private endInputs(): void {
    if (this.inputsEnded) return;
    this.inputsEnded = true;
    // The end of input is the end of event time (the runtime sends MAX_WATERMARK first; this covers a caller that did not).
    if (this.head !== undefined) (this.head as StreamOperator).processWatermark(MAX_WATERMARK);
    for (const { operator } of this.operators) operator.endInput();
  }

  private throwAsyncError(): void {
    if (this.asyncError !== undefined) throw this.asyncError.error;
  }

  private failAsync(error: unknown): void {
    if (this.asyncError !== undefined) return;
    this.asyncError = { error };
    this.rejectAsync(error);
    this.stop.abort();
    if (this.context.failTask !== undefined) this.context.failTask(error);
    else
      queueMicrotask(() => {
        throw error;
      });
  }

  private operatorContext(node: StreamNode): OperatorContext {
    const context = this.context;
    const taskName = this.chain.vertex.name;
    // One per operator, made on first use: every RuntimeContext of the operator shares it.
    let group: MetricGroup | undefined;
    const metricGroup = (): MetricGroup => (group ??= createOperatorMetricGroup(context.userMetrics, node.id, node.name));
    return {
      chain: context,
      operatorId: node.id,
      operatorName: node.name,
      taskName,
      failAsync: (error) => this.failAsync(error),
      createRuntimeContext: (backend?: KeyedStateBackend) => createRuntimeContext(context, taskName, backend, metricGroup),
      onEndOfBatch: (listener) => this.endOfBatchListeners.push(listener),
    };
  }
}

function createRuntimeContext(context: ChainContext, taskName: string, backend: KeyedStateBackend | undefined, metricGroup: () => MetricGroup): RuntimeContext {
  const keyed = (): KeyedStateBackend => {
    if (backend === undefined) throw new Error("Keyed state can only be used on a 'keyed stream', i.e., after a 'keyBy()' operation.");
    return backend;
  };
  return {
    jobId: context.jobId,
    taskName,
    indexOfThisSubtask: context.subtaskIndex,
    numberOfParallelSubtasks: context.parallelism,
    maxNumberOfParallelSubtasks: context.maxParallelism,
    attemptNumber: context.attemptNumber,
    configuration: context.configuration,
    getState: <T>(descriptor: ValueStateDescriptor<T>) => keyed().getValueState(descriptor),
    getListState: <T>(descriptor: ListStateDescriptor<T>) => keyed().getListState(descriptor),
    getMapState: <UK, UV>(descriptor: MapStateDescriptor<UK, UV>) => keyed().getMapState(descriptor),
    getMetricGroup: metricGroup,
  };
}
