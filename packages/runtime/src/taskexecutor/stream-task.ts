/**
 * The built-in streaming task (invokable '@eddy/stream'), run inside a task's worker thread.
 *
 * It rebuilds the job's pipeline from the bundle's own copy of the API (`bundle.__eddy`), checks
 * that it matches the plan that was submitted, and runs this vertex's chain of operators between
 * the data plane's inputs and outputs:
 *
 *   InputGate per incoming edge ──batches──► TaskChain (plain calls) ──emit──► ResultPartitionWriter per outgoing edge
 *
 * A source chain runs until its source ends; any other chain until every input has ended. Then the
 * chain closes (sinks commit) and every output sends END_OF_PARTITION after its last record, so
 * bounded jobs finish by themselves. Backpressure: a source waits when an output has no room; any
 * other chain stops returning credit on its inputs while an output has no room, so a slow sink
 * slows the whole pipeline down with bounded memory.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ChainContext, ChainOutput, JobMain, JobPlan, TaskChain } from '@eddy/api/internal';
import type { eddy_taskexecutor_v1 as te } from '@eddy/proto';
import { InputGate } from '../network/input-gate.js';
import { ResultPartitionWriter } from '../network/result-partition-writer.js';
import { JOB_ARGS_KEY, PLAN_FINGERPRINT_KEY } from '@eddy/cluster-common/jobgraph';
import { BUFFER_TIMEOUT_KEY } from '../network/network-buffer.js';
import type { NetworkTaskSettings } from '../network/network-options.js';
import type { CollectChannel } from '../collect/collect-channel.js';
import type { TaskIOMetrics } from '../metrics/task-io-metrics.js';
import type { TaskContext } from './task-context.js';

/** What a job bundle exports for the runtime (see @eddy/api/internal). */
interface ApiInternal {
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

export interface StreamTaskEnvironment {
  readonly context: TaskContext;
  readonly deployment: te.TaskDeploymentDescriptor;
  readonly bundle: Record<string, unknown>;
  readonly ports: ChannelPorts;
  /** Where collect sinks send their batches; backpressures the task like an output (see CollectChannel). */
  readonly collect: CollectChannel;
  /** Where print sinks write (the TaskManager's .out file, or its stdout). */
  readonly writeStdout: (text: string) => void;
  /** numRecordsIn and numRecordsOut of this attempt, counted per batch. */
  readonly ioMetrics: TaskIOMetrics;
  /** Buffer size, timeout, credits and queue length: the job's settings over the TaskManager's. */
  readonly network: NetworkTaskSettings;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The task was canceled', 'AbortError');
}

export async function runStreamTask(environment: StreamTaskEnvironment): Promise<void> {
  const { context, deployment, bundle, ports, ioMetrics, collect, network: settings } = environment;
  const api = bundle['__eddy'] as ApiInternal | undefined;
  const main = bundle['default'] as JobMain | undefined;
  if (api === undefined || typeof api.createTaskChain !== 'function' || typeof main !== 'function') {
    throw new Error("The job's code is not an Eddy job bundle (it exports no default job function or no __eddy API); submit it with the eddy client");
  }
  const configuration = deployment.jobConfiguration;
  const args = JSON.parse(configuration[JOB_ARGS_KEY] ?? '[]') as string[];
  const expected = configuration[PLAN_FINGERPRINT_KEY];
  if (expected === undefined) throw new Error(`The job's configuration carries no ${PLAN_FINGERPRINT_KEY}; submit it with the eddy client`);
  // The job code must build the same pipeline here as where it was submitted.
  const planOptions: PlanOptions = { jobConfiguration: configuration };
  const plan = await api.checkPlan(main, args, expected, planOptions);

  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  let openGates = deployment.inputGates.length;
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
      }),
  );
  const outputs: ChainOutput[] = deployment.producedPartitions.map((partition, i) => {
    const writer = writers[i] as ResultPartitionWriter;
    return {
      target: partition.targetVertexId,
      numberOfChannels: partition.numberOfSubpartitions,
      emit: (record, channel) => writer.emit(record, channel),
      broadcastEmit: (record) => writer.broadcastEmit(record),
    };
  });
  collect.bind((error) => fail(error));
  const isBackPressured = (): boolean => {
    for (const writer of writers) if (writer.isBackPressured()) return true;
    return collect.isBackPressured();
  };
  const waitForOutputs = async (): Promise<void> => {
    await Promise.all([...writers.filter((writer) => writer.isBackPressured()).map((writer) => writer.whenAvailable()), collect.whenAvailable()]);
  };

  const chainContext: ChainContext = {
    jobId: deployment.jobId,
    subtaskIndex: deployment.subtaskIndex,
    parallelism: deployment.parallelism,
    maxParallelism: deployment.maxParallelism,
    attemptNumber: deployment.attemptNumber,
    // Operators that buffer (print, collect) flush after the task's buffer timeout, the TaskManager's when the job sets none.
    configuration: { ...configuration, [BUFFER_TIMEOUT_KEY]: `${settings.bufferTimeoutMs} ms` },
    outputs,
    targets: deployment.producedPartitions.map((partition) => ({ parallelism: partition.targetParallelism, maxParallelism: partition.targetMaxParallelism })),
    signal: chainAbort.signal,
    nextInputSplit: () => context.nextInputSplit(),
    isBackPressured,
    waitForOutputs,
    writeStdout: environment.writeStdout,
    collect: (records) => collect.send(records),
    log: (message, fields) => context.log(message, fields),
    failTask: (error) => fail(error),
  };
  const chain = await api.createTaskChain(main, args, deployment.vertexId, chainContext, planOptions);

  // Which chain input each gate feeds: the plan's edges into this vertex, in order.
  const incoming = plan.edges.filter((edge) => edge.target === deployment.vertexId);
  const inputOfGate = deployment.inputGates.map((_, gate) => incoming[gate]?.targetInput ?? 0);
  const gatesPerInput = new Map<number, number>();
  for (const input of inputOfGate) gatesPerInput.set(input, (gatesPerInput.get(input) ?? 0) + 1);

  let paused = false;
  const numRecordsIn = ioMetrics.numRecordsIn;
  const gates: InputGate[] = deployment.inputGates.map((gate, index) => {
    const input = inputOfGate[index] as number;
    return new InputGate({
      numberOfChannels: gate.channels.length,
      initialCredit: settings.initialCredit,
      onError: (error) => fail(error),
      onBatch: (records: unknown[]) => {
        if (failure !== undefined) return;
        numRecordsIn.inc(records.length);
        try {
          chain.processBatch(input, records);
        } catch (error) {
          fail(error);
          return;
        }
        if (!paused && isBackPressured()) pauseInputs();
      },
      onEndOfInput: () => {
        const remaining = (gatesPerInput.get(input) ?? 1) - 1;
        gatesPerInput.set(input, remaining);
        try {
          if (remaining === 0) chain.endInput(input);
        } catch (error) {
          fail(error);
          return;
        }
        openGates--;
        if (openGates === 0) wake?.();
      },
    });
  });
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

  const onAbort = (): void => {
    if (!chainAbort.signal.aborted) chainAbort.abort(context.signal.reason);
    wake?.();
  };
  context.signal.addEventListener('abort', onAbort);
  let committed = false;
  try {
    await chain.open();
    if (chain.isSource) {
      await chain.runSource();
    } else {
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (openGates === 0 || failure !== undefined || context.signal.aborted) resolve();
      });
    }
    if (failure !== undefined) throw failure.error;
    if (context.signal.aborted) throw abortError(context.signal);
    await chain.close();
    committed = true;
    // FINISHED only once the JobManager holds every collected batch, so the client gets them all.
    await Promise.all([...writers.map((writer) => writer.finish()), collect.finish()]);
  } finally {
    context.signal.removeEventListener('abort', onAbort);
    if (!committed) await chain.dispose().catch(() => undefined);
    for (const writer of writers) writer.close();
    for (const gate of gates) gate.close();
  }
}
