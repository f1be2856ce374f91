/**
 * Entry point of a task's worker thread, started by TaskThread with TaskWorkerData.
 *
 * It reports INITIALIZING, imports the job's bundle and looks up the invokable (the bundle's named
 * export `deployment.invokable`), reports RUNNING, runs the invokable with a TaskContext and reports
 * exactly one terminal state: FINISHED when it returns, FAILED when it throws (or when anything
 * escapes it as an uncaught exception or unhandled rejection), CANCELED when a cancel was requested
 * and it returns or throws (whatever it throws). Then it closes its port so that the thread ends.
 *
 * Nothing here may throw across the port: every failure becomes ErrorInfo in a StateMessage.
 */
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { CollectChannel } from '../collect/collect-channel.js';
import { TaskIOMetrics } from '../metrics/task-io-metrics.js';
import { USER_METRIC_WIDTH } from '@eddy/api/internal';
import { UserMetricsRegion, UserMetricsRegistrar } from '../metrics/user-metrics-region.js';
import { STREAM_INVOKABLE } from '@eddy/cluster-common/jobgraph';
import { ChannelPorts, CheckpointRelay, runStreamTask } from './stream-task.js';
import type { InputSplitAssignment, Invokable, TaskContext, TaskOperator } from './task-context.js';
import {
  errorFromInfo,
  taskLocation,
  toErrorInfo,
  type ErrorInfo,
  type LogMessage,
  type ParentToWorkerMessage,
  type TaskWorkerData,
  type TerminalTaskThreadState,
  type WorkerToParentMessage,
} from './task-messages.js';

if (parentPort === null) {
  throw new Error('task-worker.js is the entry point of a task thread; it cannot run on the main thread');
}
const port = parentPort;
// Job bundles carry inline source maps: task stack traces then name the user's file and line.
process.setSourceMapsEnabled(true);
const { deployment, bundlePath, ioMetrics: ioMetricsBuffer, network, s3, collectMaxInFlightBytes, stateBackend } = workerData as TaskWorkerData;
/** Counted here, read by the TaskExecutor through the same shared memory. */
const ioMetrics = new TaskIOMetrics(ioMetricsBuffer);
const location = taskLocation(deployment);
const abortController = new AbortController();

interface PendingRequest {
  resolve(answer: { readonly split: InputSplitAssignment | undefined; readonly moreMayCome: boolean }): void;
  reject(error: unknown): void;
}
const pendingSplitRequests = new Map<number, PendingRequest>();
/** Data-plane ports as the parent connects them; a stream task takes them over when it starts. */
const channelPorts = new ChannelPorts();
/** Checkpoint triggers and notifications; the stream task takes them over when it is ready. */
const checkpointRelay = new CheckpointRelay({
  acknowledge: (checkpointId, state, metrics) => !ended && post({ type: 'acknowledgeCheckpoint', checkpointId, state, metrics }),
  decline: (checkpointId, error, kind) => !ended && post({ type: 'declineCheckpoint', checkpointId, error: toErrorInfo(error, location), kind }),
  notifyEndOfData: () => !ended && post({ type: 'endOfData' }),
});
let lastRequestId = 0;
/** Set once the terminal state is posted; from then on nothing more is sent. */
let ended = false;

function post(message: WorkerToParentMessage, transfer?: ArrayBuffer[]): void {
  port.postMessage(message, transfer);
}

/** What collect() sinks send, acknowledged by the parent once the JobManager stored it. */
const collectChannel = new CollectChannel((sequence, batch) => post({ type: 'collect', sequence, batch }, [batch.buffer as ArrayBuffer]), collectMaxInFlightBytes);

function rejectPendingRequests(error: unknown): void {
  const pending = [...pendingSplitRequests.values()];
  pendingSplitRequests.clear();
  for (const request of pending) {
    request.reject(error);
  }
}

/** Posts the task's one terminal state and lets the thread end. */
function end(state: TerminalTaskThreadState, error?: ErrorInfo): void {
  if (ended) {
    return;
  }
  ended = true;
  try {
    post(error === undefined ? { type: 'state', state } : { type: 'state', state, error });
  } finally {
    rejectPendingRequests(new Error(`Task ${location} has ended`));
    // Messages already posted are still delivered; the closed port no longer keeps the thread alive.
    port.close();
  }
}

/**
 * Ends the task after its code threw (or rejected, or an error escaped it). Once the task was
 * canceled, whatever it fails with is part of the canceling (a channel whose producer was canceled
 * first, an AbortError): it ends CANCELED, as Flink's Task does.
 */
function endWithError(error: unknown): void {
  if (abortController.signal.aborted) {
    end('CANCELED');
  } else {
    end('FAILED', toErrorInfo(error, location));
  }
}

port.on('message', (message: ParentToWorkerMessage) => {
  switch (message.type) {
    case 'cancel':
      if (!abortController.signal.aborted) {
        abortController.abort(new DOMException(`Task ${location} was canceled`, 'AbortError'));
        rejectPendingRequests(abortController.signal.reason);
      }
      break;
    case 'inputSplit': {
      const request = pendingSplitRequests.get(message.requestId);
      pendingSplitRequests.delete(message.requestId);
      request?.resolve({ split: message.split === null ? undefined : { id: message.splitId, split: message.split }, moreMayCome: message.moreMayCome === true });
      break;
    }
    case 'inputSplitError': {
      const request = pendingSplitRequests.get(message.requestId);
      pendingSplitRequests.delete(message.requestId);
      request?.reject(errorFromInfo(message.error));
      break;
    }
    case 'connectSubpartition':
      channelPorts.connectSubpartition(message.partition, message.subpartition, message.port);
      break;
    case 'connectChannel':
      channelPorts.connectChannel(message.gate, message.channel, message.port);
      break;
    case 'collectAck':
      collectChannel.acknowledge(message.sequence);
      break;
    case 'collectFailed':
      collectChannel.fail(errorFromInfo(message.error));
      break;
    case 'triggerCheckpoint':
      checkpointRelay.trigger(message.barrier);
      break;
    case 'notifyCheckpointComplete':
      checkpointRelay.complete(message.checkpointId);
      break;
    case 'notifyCheckpointAborted':
      checkpointRelay.abort(message.checkpointId);
      break;
    case 'stopSource':
      checkpointRelay.stopSource(message.drain);
      break;
  }
});

// Task code may leave a promise unobserved or throw from a timer. Either fails the task; then the
// thread exits at once because the task's code may still be running (posted messages are delivered).
function onEscapedError(error: unknown): void {
  if (ended) {
    return;
  }
  endWithError(error);
  process.exit(1);
}
process.on('uncaughtException', onEscapedError);
process.on('unhandledRejection', onEscapedError);

async function nextInputSplit(): Promise<InputSplitAssignment | undefined> {
  return (await requestSplit(0)).split;
}

function requestSplit(waitMs: number): Promise<{ readonly split: InputSplitAssignment | undefined; readonly moreMayCome: boolean }> {
  if (ended) {
    return Promise.reject(new Error(`Task ${location} has ended; it can no longer request input splits`));
  }
  if (abortController.signal.aborted) {
    return Promise.reject(abortController.signal.reason);
  }
  const requestId = ++lastRequestId;
  return new Promise((resolve, reject) => {
    pendingSplitRequests.set(requestId, { resolve, reject });
    post({ type: 'requestInputSplit', requestId, ...(waitMs > 0 ? { waitMs } : {}) });
  });
}

function log(message: string, fields?: object): void {
  if (ended) {
    return;
  }
  const line: LogMessage = { type: 'log', level: 'info', msg: String(message), fields: { ...fields } };
  try {
    post(line);
  } catch {
    // Fields that structured clone refuses (functions, class instances with private state, ...).
    post({ ...line, fields: jsonSafeFields(fields) });
  }
}

function jsonSafeFields(fields: object | undefined): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(fields ?? {})) as Record<string, unknown>;
  } catch (error) {
    return { unloggableFields: error instanceof Error ? error.message : String(error) };
  }
}

function parseOperators(): TaskOperator[] {
  return deployment.operators.map(({ id, name, configJson }) => {
    let config: unknown;
    if (configJson !== '') {
      try {
        config = JSON.parse(configJson);
      } catch (error) {
        throw new Error(`Operator '${name}' (${id}) has an invalid configuration: ${(error as Error).message}`, { cause: error });
      }
    }
    return Object.freeze({ id, name, config });
  });
}

async function loadInvokable(): Promise<Invokable> {
  const name = deployment.invokable;
  if (bundlePath === undefined) {
    throw namedError('InvokableNotFoundError', `Cannot run invokable '${name}': the job has no code bundle`);
  }
  let bundle: Record<string, unknown>;
  try {
    bundle = (await import(pathToFileURL(bundlePath).href)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw namedError('JobBundleLoadError', `Could not load the job bundle ${bundlePath}: ${reason}`, error);
  }
  if (name === STREAM_INVOKABLE) {
    // The built-in streaming task: it rebuilds the job's pipeline from the bundle.
    return (context) =>
      runStreamTask({
        context,
        deployment,
        bundle,
        ports: channelPorts,
        checkpoints: checkpointRelay,
        collect: collectChannel,
        writeStdout: (text) => {
          if (!ended) post({ type: 'stdout', text });
        },
        ioMetrics,
        userMetrics: new UserMetricsRegistrar(new UserMetricsRegion(workerData.userMetrics), USER_METRIC_WIDTH, (metric) => {
          if (!ended) post({ type: 'userMetric', metric });
        }),
        network,
        s3,
        stateBackend,
        reportRunning,
      });
  }
  const exports = Object.keys(bundle);
  const listed = exports.length === 0 ? 'it has no named exports' : `its exports are ${exports.join(', ')}`;
  const candidate = bundle[name];
  if (candidate === undefined) {
    throw namedError('InvokableNotFoundError', `The job bundle has no export named '${name}' to run as the task's invokable; ${listed}`);
  }
  if (typeof candidate !== 'function') {
    throw namedError(
      'InvokableNotFoundError',
      `The job bundle's export '${name}' is a ${typeof candidate}, not a function, so it cannot be the task's invokable; ${listed}`,
    );
  }
  return candidate as Invokable;
}

function namedError(name: string, message: string, cause?: unknown): Error {
  const error = new Error(message, cause === undefined ? undefined : { cause });
  error.name = name;
  return error;
}

function createContext(operators: readonly TaskOperator[]): TaskContext {
  return Object.freeze({
    jobId: deployment.jobId,
    jobName: deployment.jobName,
    vertexId: deployment.vertexId,
    vertexName: deployment.vertexName,
    subtaskIndex: deployment.subtaskIndex,
    parallelism: deployment.parallelism,
    maxParallelism: deployment.maxParallelism,
    attemptNumber: deployment.attemptNumber,
    operators: Object.freeze([...operators]),
    configuration: Object.freeze({ ...deployment.jobConfiguration }),
    signal: abortController.signal,
    nextInputSplit,
    requestSplit,
    log,
  });
}

let runningReported = false;

function reportRunning(): void {
  if (runningReported || ended) return;
  runningReported = true;
  post({ type: 'state', state: 'RUNNING' });
}

async function run(): Promise<void> {
  post({ type: 'state', state: 'INITIALIZING' });
  let invokable: Invokable;
  let context: TaskContext;
  try {
    context = createContext(parseOperators());
    invokable = await loadInvokable();
  } catch (error) {
    end('FAILED', toErrorInfo(error, location));
    return;
  }
  if (abortController.signal.aborted) {
    end('CANCELED');
    return;
  }
  // The streaming task reports RUNNING itself once it restored its state and opened its operators
  // (Flink's INITIALIZING covers the restore); any other invokable runs from here on.
  if (deployment.invokable !== STREAM_INVOKABLE) reportRunning();
  try {
    await invokable(context);
  } catch (error) {
    endWithError(error);
    return;
  }
  end(abortController.signal.aborted ? 'CANCELED' : 'FINISHED');
}

void run().catch(onEscapedError);
