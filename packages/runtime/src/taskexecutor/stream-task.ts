/**
 * The built-in streaming task (invokable '@eddy/stream'), run inside a task's worker thread.
 *
 * It rebuilds the job's pipeline from the bundle's own copy of the API (`bundle.__eddy`), checks
 * that the bundle speaks this runtime's contract version and that it builds the plan that was
 * submitted, restores the operators' state when the deployment carries some, and runs this
 * vertex's chain of operators between the data plane's inputs and outputs:
 *
 *   InputGate per incoming edge ──batches, barriers──► TaskChain (plain calls) ──emit──► ResultPartitionWriter per outgoing edge
 *
 * The end of a run, once the source ended or every input channel sent END_OF_DATA:
 *
 *   chain.finish() ─► END_OF_DATA on every output ─► [checkpointing: the final checkpoint, one
 *   taken after this point, completes] ─► [every input channel sent END_OF_PARTITION] ─►
 *   END_OF_PARTITION on every output ─► close
 *
 * so bounded jobs finish by themselves, and with checkpointing an exactly-once sink's last
 * records are committed by a checkpoint before the task ends.
 *
 * Checkpoints: a source task takes its part when the JobMaster triggers it (the trigger is handled
 * between two awaits of the source, so the source's position matches what it emitted); any other
 * task when barrier N has arrived on its input channels (see CheckpointBarrierHandler), or, once
 * every subtask upstream of it FINISHED and no barrier can come, when the JobMaster triggers it
 * directly: then as soon as every input channel ended, behind all their records. The
 * SubtaskCheckpointCoordinator takes and writes the snapshot.
 *
 * Backpressure: a source waits when an output has no room; any other chain stops returning credit
 * on its inputs while an output has no room, so a slow sink slows the whole pipeline down with
 * bounded memory.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ChainContext, ChainOutput, JobMain, JobPlan, RestoredTaskState, TaskChain } from '@eddy/api/internal';
import type { eddy_checkpoint_v1 as cp, eddy_taskexecutor_v1 as te } from '@eddy/proto';
import { JOB_ARGS_KEY, PLAN_FINGERPRINT_KEY } from '@eddy/cluster-common/jobgraph';
import { InputGate, type ChannelEvent } from '../network/input-gate.js';
import { BUFFER_TIMEOUT_KEY, endOfDataBuffer, watermarkBuffer, watermarkStatusBuffer, type CheckpointBarrier } from '../network/network-buffer.js';
import { StatusWatermarkValve } from './status-watermark-valve.js';
import { InputWatermarkMetric } from './input-watermark-metric.js';
import { autoWatermarkIntervalMs, PipelineOptions } from './pipeline-options.js';
import type { NetworkTaskSettings } from '../network/network-options.js';
import { ResultPartitionWriter } from '../network/result-partition-writer.js';
import type { CollectChannel } from '../collect/collect-channel.js';
import type { TaskIOMetrics } from '../metrics/task-io-metrics.js';
import type { UserMetricsRegistrar } from '../metrics/user-metrics-region.js';
import { CheckpointBarrierHandler } from './checkpoint/checkpoint-barrier-handler.js';
import { contractVersionMismatch } from '../job-contract.js';
import { loadRestoredState } from './checkpoint/state-loader.js';
import type { S3Settings } from '../checkpoint/filesystem/s3-options.js';
import { StateFileSystems } from '../checkpoint/filesystem/state-file-systems.js';
import { SubtaskCheckpointCoordinator } from './checkpoint/subtask-checkpoint-coordinator.js';
import type { TaskContext } from './task-context.js';
import type { StateBackendTaskSettings } from './state/state-backend-options.js';
import { LmdbStateStores } from './state/lmdb-state-stores.js';
import { CheckpointingOptions } from '../checkpoint/checkpointing-options.js';

export { ContractVersionMismatchError, RUNTIME_CONTRACT_VERSION } from '../job-contract.js';

/** What a job bundle exports for the runtime (see @eddy/api/internal). */
interface ApiInternal {
  readonly CONTRACT_VERSION?: number;
  /** Rebuilds the plan without reading input files; throws JobGraphMismatchError naming what differs. */
  checkPlan(main: JobMain, args: string[], expected: string, options: PlanOptions): Promise<JobPlan>;
  createTaskChain(main: JobMain, args: string[], vertexId: string, context: ChainContext, options: PlanOptions): Promise<TaskChain>;
}

/** The job's configuration: the environment starts with its defaults (parallelism.default), as where the plan was built. */
interface PlanOptions {
  readonly jobConfiguration: Readonly<Record<string, string>>;
}

type PortTarget = (index: number, port: MessagePort) => void;

/** Ports the parent connects, held until the stream task's writers and gates exist. */
export class ChannelPorts {
  private subpartitionTarget: ((partition: number, subpartition: number, port: MessagePort) => void) | undefined;
  private channelTarget: ((gate: number, channel: number, port: MessagePort) => void) | undefined;
  private readonly early: (['subpartition' | 'channel', number, number, MessagePort])[] = [];

  connectSubpartition(partition: number, subpartition: number, port: MessagePort): void {
    if (this.subpartitionTarget === undefined) this.early.push(['subpartition', partition, subpartition, port]);
    else this.subpartitionTarget(partition, subpartition, port);
  }

  connectChannel(gate: number, channel: number, port: MessagePort): void {
    if (this.channelTarget === undefined) this.early.push(['channel', gate, channel, port]);
    else this.channelTarget(gate, channel, port);
  }

  attach(subpartitions: (partition: number) => PortTarget | undefined, channels: (gate: number) => PortTarget | undefined): void {
    this.subpartitionTarget = (partition, subpartition, port) => subpartitions(partition)?.(subpartition, port);
    this.channelTarget = (gate, channel, port) => channels(gate)?.(channel, port);
    for (const [kind, a, b, port] of this.early.splice(0)) {
      if (kind === 'subpartition') this.subpartitionTarget(a, b, port);
      else this.channelTarget(a, b, port);
    }
  }
}

/** What the stream task does with checkpoint messages from the TaskExecutor. */
export interface CheckpointTarget {
  trigger(barrier: CheckpointBarrier): void;
  complete(checkpointId: number): void;
  abort(checkpointId: number): void;
  /** Stop-with-savepoint: a source stops reading; with drain it ends event time first. */
  stopSource(drain: boolean): void;
}

/** What goes back to the TaskExecutor. */
export interface CheckpointReplies {
  acknowledge(checkpointId: number, state: cp.TaskStateSnapshot, metrics: cp.SubtaskCheckpointMetrics): void;
  decline(checkpointId: number, error: unknown, kind: 'TASK_NOT_READY' | 'TASK_FAILURE'): void;
  notifyEndOfData(): void;
}

/**
 * Checkpoint messages between the worker's port and the stream task: a trigger that comes before
 * the task is ready (restoring, opening) is declined as TASK_NOT_READY, which the JobMaster does
 * not count as a failed checkpoint; notifications that come before are dropped.
 */
export class CheckpointRelay implements CheckpointTarget {
  private target: CheckpointTarget | undefined;

  constructor(readonly replies: CheckpointReplies) {}

  /** A stop that came before the task was ready: applied once it is. */
  private pendingStop: boolean | undefined;

  attach(target: CheckpointTarget | undefined): void {
    this.target = target;
    if (target !== undefined && this.pendingStop !== undefined) target.stopSource(this.pendingStop);
    this.pendingStop = undefined;
  }

  stopSource(drain: boolean): void {
    if (this.target === undefined) this.pendingStop = drain;
    else this.target.stopSource(drain);
  }

  trigger(barrier: CheckpointBarrier): void {
    if (this.target === undefined) this.replies.decline(barrier.checkpointId, new Error('the task is not ready for checkpoints yet (restoring or opening)'), 'TASK_NOT_READY');
    else this.target.trigger(barrier);
  }

  complete(checkpointId: number): void {
    this.target?.complete(checkpointId);
  }

  abort(checkpointId: number): void {
    this.target?.abort(checkpointId);
  }
}

export interface StreamTaskEnvironment {
  readonly context: TaskContext;
  readonly deployment: te.TaskDeploymentDescriptor;
  readonly bundle: Record<string, unknown>;
  readonly ports: ChannelPorts;
  readonly checkpoints: CheckpointRelay;
  /** Where collect sinks send their batches; backpressures the task like an output (see CollectChannel). */
  readonly collect: CollectChannel;
  /** Where print sinks write (the TaskManager's .out file, or its stdout). */
  readonly writeStdout: (text: string) => void;
  /** numRecordsIn and numRecordsOut of this attempt, counted per batch. */
  readonly ioMetrics: TaskIOMetrics;
  /** Where the chain's user metrics live; closed when the task ends. */
  readonly userMetrics?: UserMetricsRegistrar;
  /** Buffer size, timeout, credits and queue length: the job's settings over the TaskManager's. */
  readonly network: NetworkTaskSettings;
  /** The S3 options, for `s3://` checkpoint directories. */
  readonly s3: S3Settings;
  /** state.backend.type and the task's local state directory; the heap backend when absent. */
  readonly stateBackend?: StateBackendTaskSettings;
  /** The task restored its state and opened its operators: it reports RUNNING. */
  readonly reportRunning: () => void;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The task was canceled', 'AbortError');
}

const NO_CHECKPOINTING: cp.TaskCheckpointingSettings = { enabled: false, mode: 'EXACTLY_ONCE', storageDir: '', inlineThresholdBytes: 0, maxInlineStateBytes: 0, incremental: false };

/** Checks that the bundle is an Eddy job built for this runtime's contract; returns its API. */
export function checkBundle(bundle: Record<string, unknown>): { api: ApiInternal; main: JobMain } {
  const api = bundle['__eddy'] as ApiInternal | undefined;
  const main = bundle['default'] as JobMain | undefined;
  if (api === undefined || typeof api.createTaskChain !== 'function' || typeof main !== 'function') {
    throw new Error("The job's code is not an Eddy job bundle (it exports no default job function or no __eddy API); submit it with the eddy client");
  }
  const mismatch = contractVersionMismatch(api.CONTRACT_VERSION ?? 1);
  if (mismatch !== undefined) throw mismatch;
  return { api, main };
}

export async function runStreamTask(environment: StreamTaskEnvironment): Promise<void> {
  const { context, deployment, bundle, ports, ioMetrics, collect, network: settings } = environment;
  const { api, main } = checkBundle(bundle);
  const configuration = deployment.jobConfiguration;
  const args = JSON.parse(configuration[JOB_ARGS_KEY] ?? '[]') as string[];
  const expected = configuration[PLAN_FINGERPRINT_KEY];
  if (expected === undefined) throw new Error(`The job's configuration carries no ${PLAN_FINGERPRINT_KEY}; submit it with the eddy client`);
  // The job code must build the same pipeline here as where it was submitted.
  const planOptions: PlanOptions = { jobConfiguration: configuration };
  const plan = await api.checkPlan(main, args, expected, planOptions);
  const checkpointing = deployment.checkpointing ?? NO_CHECKPOINTING;
  // Keyed state in LMDB (state.backend.type: lmdb): closed and removed in the finally below.
  const stateStores = environment.stateBackend?.type === 'lmdb' ? new LmdbStateStores(environment.stateBackend.localDir, environment.stateBackend.cacheBytes) : undefined;
  const isSourceVertex = deployment.inputGates.length === 0;

  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  // Aborted on cancel and on a failure inside the chain (a timer that throws), so a source stops too.
  const chainAbort = new AbortController();
  const fail = (error: unknown): void => {
    failure ??= { error };
    if (!chainAbort.signal.aborted) chainAbort.abort(error);
    wake?.();
  };
  const writers = deployment.producedPartitions.map(
    (partition) =>
      new ResultPartitionWriter({
        numberOfSubpartitions: partition.numberOfSubpartitions,
        bufferSizeBytes: settings.bufferSizeBytes,
        bufferTimeoutMs: settings.bufferTimeoutMs,
        maxQueuedBuffersPerChannel: settings.maxQueuedBuffersPerChannel,
        onError: (error) => fail(error),
        numRecordsOut: ioMetrics.numRecordsOut,
        numBytesOut: ioMetrics.numBytesOut,
      }),
  );
  // Once END_OF_DATA went out nothing follows on the outputs (a late periodic watermark is dropped).
  let outputsEnded = false;
  const outputs: ChainOutput[] = deployment.producedPartitions.map((partition, i) => {
    const writer = writers[i] as ResultPartitionWriter;
    let lastWatermark = Number.NEGATIVE_INFINITY;
    let idle = false;
    return {
      target: partition.targetVertexId,
      numberOfChannels: partition.numberOfSubpartitions,
      emit: (record, channel, timestamp) => writer.emit(record, channel, timestamp),
      broadcastEmit: (record, timestamp) => writer.broadcastEmit(record, timestamp),
      emitWatermark: (watermark) => {
        if (!(watermark > lastWatermark) || outputsEnded) return;
        lastWatermark = watermark;
        // A source has no input: its currentInputWatermark shows what it emits.
        if (isSourceVertex) ioMetrics.currentInputWatermark.set(watermark, -1, -1);
        if (!(watermark <= (ioMetrics.currentOutputWatermark.value() ?? Number.NEGATIVE_INFINITY))) ioMetrics.currentOutputWatermark.set(watermark);
        writer.broadcastEvent(watermarkBuffer(watermark));
      },
      emitWatermarkStatus: (status) => {
        if (status === idle || outputsEnded) return;
        idle = status;
        writer.broadcastEvent(watermarkStatusBuffer(status));
      },
    };
  });
  collect.bind((error) => fail(error));
  const isBackPressured = (): boolean => {
    for (const writer of writers) if (writer.isBackPressured()) return true;
    return collect.isBackPressured();
  };
  // The time spent here is the task's back-pressured time (Flink's backPressuredTimeMsPerSecond).
  const waitForOutputs = async (): Promise<void> => {
    const backPressured = isBackPressured();
    if (backPressured) ioMetrics.backPressure.start();
    try {
      await Promise.all([...writers.filter((writer) => writer.isBackPressured()).map((writer) => writer.whenAvailable()), collect.whenAvailable()]);
    } finally {
      if (backPressured) ioMetrics.backPressure.stop();
    }
  };

  const chainContext: ChainContext = {
    jobId: deployment.jobId,
    subtaskIndex: deployment.subtaskIndex,
    parallelism: deployment.parallelism,
    maxParallelism: deployment.maxParallelism,
    attemptNumber: deployment.attemptNumber,
    // Operators that buffer (print, collect) flush after the task's buffer timeout, the TaskManager's when the job sets none.
    configuration: {
      ...configuration,
      [BUFFER_TIMEOUT_KEY]: `${settings.bufferTimeoutMs} ms`,
      [PipelineOptions.autoWatermarkInterval.key]: `${autoWatermarkIntervalMs(configuration)} ms`,
      // The effective value (the cluster's when the job sets none): a keyed lmdb backend reads it.
      [CheckpointingOptions.incremental.key]: String(checkpointing.enabled && checkpointing.incremental),
    },
    outputs,
    targets: deployment.producedPartitions.map((partition) => ({ parallelism: partition.targetParallelism, maxParallelism: partition.targetMaxParallelism })),
    signal: chainAbort.signal,
    nextInputSplit: () => context.nextInputSplit(),
    requestSplit: (waitMs) => context.requestSplit(waitMs),
    checkpointingEnabled: checkpointing.enabled,
    isBackPressured,
    waitForOutputs,
    writeStdout: environment.writeStdout,
    collect: (records) => collect.send(records),
    log: (message, fields) => context.log(message, fields),
    failTask: (error) => fail(error),
    keyedStateStores: stateStores,
    userMetrics: environment.userMetrics,
  };
  const chain = await api.createTaskChain(main, args, deployment.vertexId, chainContext, planOptions);
  // Where state files are written and read; its connections end with the task.
  const fileSystems = new StateFileSystems(environment.s3, { warn: (fields, message) => context.log(message, fields) });
  const checkpoints = new SubtaskCheckpointCoordinator({
    chain,
    writers,
    settings: checkpointing,
    fileSystems,
    fileNamePrefix: `${deployment.vertexId}-${deployment.subtaskIndex}-${deployment.attemptNumber}`,
    acknowledge: (id, state, metrics) => environment.checkpoints.replies.acknowledge(id, state, metrics),
    decline: (id, error, kind) => environment.checkpoints.replies.decline(id, error, kind),
    fail,
  });

  // Which chain input each gate feeds: the plan's edges into this vertex, in order.
  const incoming = plan.edges.filter((edge) => edge.target === deployment.vertexId);
  const inputOfGate = deployment.inputGates.map((_, gate) => incoming[gate]?.targetInput ?? 0);
  const gatesPerInput = new Map<number, number>();
  for (const input of inputOfGate) gatesPerInput.set(input, (gatesPerInput.get(input) ?? 0) + 1);
  // Channels numbered across gates, for the barrier handler.
  const channelOffset: number[] = [];
  let totalChannels = 0;
  for (const gate of deployment.inputGates) {
    channelOffset.push(totalChannels);
    totalChannels += gate.channels.length;
  }
  let gatesWithoutData = 0;
  // A stop-with-savepoint without drain reached this task (its source was told, or an input said
  // so): its input stops without ending event time or its operators' input, and so does its output.
  let stoppedWithoutDrain = false;
  let openGates = deployment.inputGates.length;
  // Checkpoints triggered on this non-source task directly, taken in order once its input ended.
  const triggeredWithoutBarrier: CheckpointBarrier[] = [];
  let endOfInputMarked = false;
  const takeTriggeredCheckpoints = (): void => {
    if (openGates > 0 || !endOfInputMarked) return;
    for (const barrier of triggeredWithoutBarrier.splice(0)) checkpoints.checkpoint(barrier, 0);
  };
  // One valve per logical input over the channels of every gate that feeds it (a union has several).
  const channelInInput: number[] = [];
  const channelsPerInput = new Map<number, number>();
  deployment.inputGates.forEach((gate, index) => {
    const input = inputOfGate[index] as number;
    channelInInput.push(channelsPerInput.get(input) ?? 0);
    channelsPerInput.set(input, (channelsPerInput.get(input) ?? 0) + gate.channels.length);
  });
  const valves = new Map<number, StatusWatermarkValve>();
  for (const [input, channels] of channelsPerInput) {
    valves.set(
      input,
      new StatusWatermarkValve(channels, {
        emitWatermark: (watermark) => chain.processWatermark(input, watermark),
        emitWatermarkStatus: (idle) => chain.processWatermarkStatus(input, idle),
      }),
    );
  }
  const inputWatermark = new InputWatermarkMetric(
    ioMetrics.currentInputWatermark,
    valves,
    deployment.inputGates.map((gate, index) => ({ input: inputOfGate[index] as number, firstChannel: channelInInput[index] as number, channels: gate.channels.length })),
  );

  let paused = false;
  const numRecordsIn = ioMetrics.numRecordsIn;
  const barriers = new CheckpointBarrierHandler(totalChannels, {
    blockChannel: (channel) => gateOfChannel(channel).gate.blockChannel(gateOfChannel(channel).local),
    unblockAllChannels: () => {
      for (const gate of gates) for (let c = 0; c < gate.numberOfChannels; c++) gate.unblockChannel(c);
    },
    triggerCheckpointOnBarrier: (barrier, alignmentMs) => checkpoints.checkpoint(barrier, alignmentMs),
    abandonCheckpoint: (id, reason) => environment.checkpoints.replies.decline(id, new Error(reason), 'TASK_FAILURE'),
  });
  const gates: InputGate[] = deployment.inputGates.map((gate, index) => {
    const input = inputOfGate[index] as number;
    const offset = channelOffset[index] as number;
    const valve = valves.get(input) as StatusWatermarkValve;
    const valveOffset = channelInInput[index] as number;
    let channelsWithoutData = 0;
    const dataEnded = new Set<number>();
    const channelDataEnded = (channel: number): void => {
      if (dataEnded.has(channel)) return;
      dataEnded.add(channel);
      try {
        if (!stoppedWithoutDrain) valve.channelEnded(valveOffset + channel);
        inputWatermark.update();
      } catch (error) {
        fail(error);
        return;
      }
      if (++channelsWithoutData < gate.channels.length) return;
      const remaining = (gatesPerInput.get(input) ?? 1) - 1;
      gatesPerInput.set(input, remaining);
      try {
        if (remaining === 0 && !stoppedWithoutDrain) chain.endInput(input);
      } catch (error) {
        fail(error);
        return;
      }
      if (++gatesWithoutData === deployment.inputGates.length) wake?.();
    };
    return new InputGate({
      numberOfChannels: gate.channels.length,
      initialCredit: settings.initialCredit,
      numBytesIn: ioMetrics.numBytesIn,
      onError: (error) => fail(error),
      onBatch: (records: unknown[], _channel, timestamps) => {
        if (failure !== undefined) return;
        numRecordsIn.inc(records.length);
        try {
          chain.processBatch(input, records, timestamps);
        } catch (error) {
          fail(error);
          return;
        }
        if (!paused && isBackPressured()) pauseInputs();
      },
      onEvent: (event: ChannelEvent, channel) => {
        if (failure !== undefined) return;
        if (event.kind === 'endOfData') {
          if (!event.drain) stoppedWithoutDrain = true;
          channelDataEnded(channel);
        }
        else if (event.kind === 'barrier') barriers.onBarrier(offset + channel, event.barrier);
        else {
          try {
            if (event.kind === 'watermark') {
              if (event.watermark < Number.POSITIVE_INFINITY) inputWatermark.markSeen();
              valve.inputWatermark(event.watermark, valveOffset + channel);
            } else valve.inputWatermarkStatus(event.idle, valveOffset + channel);
            inputWatermark.update();
          } catch (error) {
            fail(error);
          }
        }
      },
      onChannelEnded: (channel) => {
        channelDataEnded(channel);
        barriers.onChannelEnded(offset + channel);
      },
      onEndOfInput: () => {
        openGates--;
        if (openGates === 0) {
          takeTriggeredCheckpoints();
          wake?.();
        }
      },
    });
  });
  const gateOfChannel = (channel: number): { gate: InputGate; local: number } => {
    let g = 0;
    while (g + 1 < channelOffset.length && (channelOffset[g + 1] as number) <= channel) g++;
    return { gate: gates[g] as InputGate, local: channel - (channelOffset[g] as number) };
  };
  const pauseInputs = (): void => {
    paused = true;
    for (const gate of gates) gate.pause();
    waitForOutputs().then(
      () => {
        paused = false;
        for (const gate of gates) gate.resume();
      },
      (error: unknown) => fail(error),
    );
  };

  const onAbort = (): void => {
    if (!chainAbort.signal.aborted) chainAbort.abort(context.signal.reason);
    wake?.();
  };
  context.signal.addEventListener('abort', onAbort);
  /** Resolves when `done()` holds, the task failed, or it was canceled. */
  const until = (done: () => boolean): Promise<void> =>
    new Promise<void>((resolve) => {
      wake = () => {
        if (done() || failure !== undefined || context.signal.aborted) resolve();
      };
      wake();
    });
  const throwIfStopped = (): void => {
    if (failure !== undefined) throw failure.error;
    if (context.signal.aborted) throw abortError(context.signal);
  };
  let finished = false;
  try {
    const restored: RestoredTaskState | undefined = deployment.taskRestore ? await loadRestoredState(deployment.taskRestore, fileSystems) : undefined;
    await chain.initializeState(restored);
    await chain.open();
    throwIfStopped();
    environment.reportRunning();
    environment.checkpoints.attach({
      trigger: (barrier) => {
        if (isSourceVertex) checkpoints.checkpoint(barrier, 0);
        else {
          // Every subtask upstream of this one finished (see CheckpointCoordinator): no barrier
          // will come; the checkpoint is taken once every input ended, behind all their records.
          triggeredWithoutBarrier.push(barrier);
          takeTriggeredCheckpoints();
        }
      },
      complete: (checkpointId) => {
        checkpoints.notifyCheckpointComplete(checkpointId).then(
          () => wake?.(),
          (error: unknown) => fail(error),
        );
      },
      stopSource: (drain) => {
        if (!isSourceVertex) return;
        if (chain.stopSource === undefined) {
          fail(new Error("The job's code was built against an older Eddy that cannot stop a source for a savepoint; resubmit the job with this Eddy's client"));
          return;
        }
        if (!drain) stoppedWithoutDrain = true;
        chain.stopSource(drain);
      },
      abort: (checkpointId) => {
        const waiting = triggeredWithoutBarrier.findIndex((barrier) => barrier.checkpointId === checkpointId);
        if (waiting >= 0) triggeredWithoutBarrier.splice(waiting, 1);
        barriers.onCheckpointAborted(checkpointId);
        checkpoints.notifyCheckpointAborted(checkpointId);
      },
    });
    ports.attach(
      (partition) => {
        const writer = writers[partition];
        return writer === undefined ? undefined : (subpartition, port) => writer.connectSubpartition(subpartition, port);
      },
      (gateIndex) => {
        const gate = gates[gateIndex];
        return gate === undefined ? undefined : (channel, port) => gate.connectChannel(channel, port);
      },
    );
    if (chain.isSource) {
      await chain.runSource();
    } else {
      await until(() => gatesWithoutData === gates.length);
    }
    throwIfStopped();
    // Stopped without drain: operators neither end their input nor flush (windows stay in state).
    if (!stoppedWithoutDrain) await chain.finish();
    outputsEnded = true;
    const endOfData = endOfDataBuffer(!stoppedWithoutDrain);
    for (const writer of writers) writer.broadcastEvent(endOfData);
    if (checkpointing.enabled) {
      checkpoints.markEndOfInput();
      endOfInputMarked = true;
      takeTriggeredCheckpoints();
      if (isSourceVertex) environment.checkpoints.replies.notifyEndOfData();
      let finalDone = false;
      void checkpoints.finalCheckpointDone.then(() => {
        finalDone = true;
        wake?.();
      });
      await until(() => finalDone);
      throwIfStopped();
    }
    await until(() => openGates === 0);
    throwIfStopped();
    finished = true;
    // FINISHED only once the JobManager holds every collected batch, so the client gets them all.
    await Promise.all([...writers.map((writer) => writer.finish()), collect.finish()]);
  } finally {
    context.signal.removeEventListener('abort', onAbort);
    environment.checkpoints.attach(undefined);
    checkpoints.close();
    environment.userMetrics?.close();
    void fileSystems.close();
    if (!finished) chainAbort.abort();
    await chain.close().catch(() => undefined);
    for (const writer of writers) writer.close();
    for (const gate of gates) gate.close();
    // Before the thread ends (an LMDB environment left open can hang its termination).
    await stateStores?.close().catch((error: unknown) => context.log('Could not close the keyed state stores', { directory: stateStores.directory, err: error }));
  }
}
