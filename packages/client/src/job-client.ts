/**
 * JobClient: what `eddy run` and friends use to talk to a JobManager. Submitting a job file goes
 *
 *   bundle (job-bundler) -> plan (job-planner) -> JobGraph (job-graph-translator)
 *     -> upload the bundle to the blob store (skipped when it is there) -> Dispatcher.submitJob
 *
 * and nothing reaches the cluster until the first three steps have succeeded, so a broken job
 * file costs the cluster nothing. A client owns an RpcService (client side only in practice) and
 * must be closed.
 *
 * Errors: JobFileError for the job file; the runtime's InvalidJobGraphError for a graph the
 * cluster would refuse; JobManagerUnreachableError when the JobManager cannot be reached (at
 * connect, or later when it went away); UnknownJobError for a job id the Dispatcher does not know;
 * the Dispatcher's other errors as the RPC layer rebuilds them.
 */
import { unpack } from 'msgpackr';
import { parseDuration, type Configuration, type Logger } from '@eddy/common';
import { eddy_dispatcher_v1 as dispatcher, eddy_resourcemanager_v1 as rm, type eddy_jobgraph_v1 } from '@eddy/proto';
import { RemoteHandlerError, RpcService, RpcTimeoutError, RpcUnreachableError } from '@eddy/rpc';
import { authTokenOf, BlobClient, BlobOptions, type BlobClientOptions, DISPATCHER_ENDPOINT_ID, isGloballyTerminal, JobNotFoundError, loadInternalTls, SslOptions, missingUidWarning, RESOURCE_MANAGER_ENDPOINT_ID, statefulOperatorsWithoutUid, type JobStatus } from '@eddy/cluster-common';
import { JobEventStreamEndedError, JobManagerUnreachableError, UnknownJobError } from './client-errors.js';
import { bundleJob } from './job-bundler.js';
import { toJobGraph } from './job-graph-translator.js';
import { planJob } from './job-planner.js';
import type { JobPlan } from '@eddy/api/internal';

export interface JobClientOptions {
  /** The @eddy/api package to bundle jobs with; default the client's own copy (see bundleJob). */
  readonly apiPackageDir?: string;
  /** rpc.* and blob.* settings of the client side (ask timeout, message size, transfer timeout). */
  readonly configuration?: Configuration;
  readonly logger?: Logger;
}

export interface SubmitJobOptions {
  /** Arguments passed to the job's main function; default none. */
  readonly args?: readonly string[];
  /** Default: the name the job gave itself. */
  readonly jobName?: string;
  /**
   * Parallelism of the operators, and of the environment, that set none: the job configuration's
   * parallelism.default (as Flink's `-p`), over a value `configuration` gives it.
   */
  readonly parallelism?: number;
  /** Job configuration; overrides what the job sets through its environment. */
  readonly configuration?: Readonly<Record<string, string>>;
  /**
   * Whether no client will follow the job (Flink's `execution.attached`, set to the opposite in
   * the job configuration unless `configuration` sets it). Submission itself is the same.
   */
  readonly detached?: boolean;
  /**
   * Start from this savepoint (its directory or `_metadata`) or retained checkpoint: Flink's `-s`,
   * execution.savepoint.path in the job configuration.
   */
  readonly savepointPath?: string;
  /** With savepointPath: drop state of operators the job no longer has (execution.savepoint.ignore-unclaimed-state). */
  readonly allowNonRestoredState?: boolean;
}

export interface SubmittedJob {
  readonly jobId: string;
  /** The JobGraph as submitted. */
  readonly graph: eddy_jobgraph_v1.JobGraph;
  /** False when the blob store had the job's code already and nothing was sent. */
  readonly uploaded: boolean;
}

/**
 * A job file bundled and planned into the JobGraph it will be submitted as, before anything
 * reached a cluster: what `eddy run --local` needs to size its cluster. Dispose of it when done.
 */
export interface PreparedJob {
  readonly graph: eddy_jobgraph_v1.JobGraph;
  /** The plan the graph was built from: its operators' declared states (checkJobAgainstState). */
  readonly plan: JobPlan;
  /** The bundle the graph refers to (its blob key). */
  readonly bundlePath: string;
  /** The job file, as an absolute path. */
  readonly jobFile: string;
  /** Removes the bundle. */
  dispose(): Promise<void>;
}

/**
 * Bundles `jobFile` and builds its JobGraph (see the file comment for the steps). Rejects with a
 * JobFileError for the job file and InvalidJobGraphError for a graph the cluster would refuse.
 */
export async function prepareJobFile(jobFile: string, options: SubmitJobOptions = {}, apiPackageDir?: string): Promise<PreparedJob> {
  const args = options.args ?? [];
  const configuration: Record<string, string> = {
    ...(options.detached === undefined ? {} : { [ATTACHED_KEY]: String(!options.detached) }),
    ...options.configuration,
    ...(options.parallelism === undefined ? {} : { [DEFAULT_PARALLELISM_KEY]: String(options.parallelism) }),
    ...(options.savepointPath === undefined ? {} : { [SAVEPOINT_PATH_KEY]: options.savepointPath }),
    ...(options.allowNonRestoredState === undefined ? {} : { [IGNORE_UNCLAIMED_STATE_KEY]: String(options.allowNonRestoredState) }),
  };
  const bundle = await bundleJob(jobFile, apiPackageDir === undefined ? {} : { apiPackageDir });
  try {
    const plan = await planJob(bundle.bundlePath, args, bundle.jobFile, configuration, apiPackageDir);
    const graph = toJobGraph(plan, {
      blobKey: bundle.key,
      args,
      ...(options.jobName === undefined ? {} : { jobName: options.jobName }),
      ...(options.parallelism === undefined ? {} : { defaultParallelism: options.parallelism }),
      configuration,
    });
    return { graph, plan, bundlePath: bundle.bundlePath, jobFile: bundle.jobFile, dispose: () => bundle.dispose() };
  } catch (error) {
    await bundle.dispose();
    throw error;
  }
}

export interface SavepointOptions {
  /** How long to wait for the savepoint (ms); default 10 min. */
  readonly timeoutMs?: number;
}

export interface StopWithSavepointOptions extends SavepointOptions {
  /** Default: the cluster's state.savepoints.dir. */
  readonly targetDirectory?: string;
  /** Emit the end-of-time watermark before the savepoint, so every window fires (Flink's --drain). */
  readonly drain?: boolean;
}

/** How long triggerSavepoint and stopWithSavepoint wait by default. */
export const DEFAULT_SAVEPOINT_TIMEOUT_MS = 600_000;

/** Flink's key for whether a client stays attached to the job. */
const ATTACHED_KEY = 'execution.attached';
/**
 * The warning to print at submission when the job checkpoints (execution.checkpointing.interval in
 * its configuration) and operators that can hold state have no uid(); undefined when none.
 */
export function missingUidWarningFor(graph: eddy_jobgraph_v1.JobGraph): string | undefined {
  const interval = graph.configuration[CHECKPOINTING_INTERVAL_KEY];
  let checkpointing = false;
  try {
    checkpointing = interval !== undefined && parseDuration(interval) > 0;
  } catch {
    // The JobManager refuses the configuration with its own message.
  }
  return checkpointing ? missingUidWarning(statefulOperatorsWithoutUid(graph)) : undefined;
}

const CHECKPOINTING_INTERVAL_KEY = 'execution.checkpointing.interval';
/** Flink's keys that `-s` and `--allowNonRestoredState` set. */
const SAVEPOINT_PATH_KEY = 'execution.savepoint.path';
const IGNORE_UNCLAIMED_STATE_KEY = 'execution.savepoint.ignore-unclaimed-state';
/** Flink's key for the default parallelism, which `-p` sets. */
const DEFAULT_PARALLELISM_KEY = 'parallelism.default';

/** One state transition of a job or of one of its task attempts, as the JobManager recorded it. */
export type JobEvent = dispatcher.JobEvent;
/** Everything the JobManager knows about a job (see requestJob). */
export type JobDetails = dispatcher.JobDetails;
/** An error as the cluster carries it: name, message, stack, where it happened. */
export type ErrorInfo = NonNullable<dispatcher.JobDetails['failureCause']>;

/** Records one collect() sink subtask sent, decoded. */
export interface CollectedBatch {
  readonly vertexId: string;
  readonly subtask: number;
  readonly attempt: number;
  /** Position of the batch in the job's results (0, 1, 2, ...): resume after it with `fromSequence`. */
  readonly sequence: number;
  readonly records: unknown[];
}

export class JobClient {
  private readonly blobClient: BlobClient;
  /** Connected on first use: only `eddy taskmanagers` asks the ResourceManager. */
  private resourceManager: Promise<rm.ResourceManagerGateway> | undefined;

  private constructor(
    private readonly rpcService: RpcService,
    /** host:port of the JobManager. */
    readonly jobManagerAddress: string,
    private readonly dispatcher: dispatcher.DispatcherGateway,
    private readonly options: JobClientOptions,
  ) {
    this.blobClient = new BlobClient(rpcService, jobManagerAddress, blobClientOptions(options.configuration));
  }

  /** Connects to the Dispatcher of the JobManager at `jobManagerAddress` (host:port). */
  static async connect(jobManagerAddress: string, options: JobClientOptions = {}): Promise<JobClient> {
    const tls = options.configuration === undefined ? undefined : loadInternalTls(options.configuration);
    const rpcService = await RpcService.start({
      configuration: options.configuration,
      logger: options.logger,
      ...(options.configuration === undefined ? {} : { authToken: authTokenOf(options.configuration) }),
      ...(tls === undefined ? {} : { tls }),
    });
    try {
      const gateway = await rpcService.connect(`${jobManagerAddress}/${DISPATCHER_ENDPOINT_ID}`, dispatcher.DispatcherGateway);
      return new JobClient(rpcService, jobManagerAddress, gateway, options);
    } catch (error) {
      await rpcService.stop();
      throw withTlsHint(unreachableOr(error, jobManagerAddress, true), tls === undefined);
    }
  }

  /**
   * Bundles, plans and submits the job file at `jobFile`. Resolves once the Dispatcher accepted
   * the job (it may still wait for slots); use followJob to see it run.
   */
  async submitJobFile(jobFile: string, options: SubmitJobOptions = {}): Promise<SubmittedJob> {
    const prepared = await prepareJobFile(jobFile, options, this.options.apiPackageDir);
    try {
      return await this.submitPreparedJob(prepared);
    } finally {
      await prepared.dispose();
    }
  }

  /** Uploads the code of a prepared job (skipped when the blob store has it) and submits its JobGraph. */
  async submitPreparedJob(prepared: PreparedJob): Promise<SubmittedJob> {
    const { uploaded } = await this.call(() => this.blobClient.uploadFile(prepared.bundlePath));
    const { jobId } = await this.call(() => this.dispatcher.submitJob({ jobGraph: prepared.graph }));
    return { jobId, graph: prepared.graph, uploaded };
  }

  /**
   * Calls `onEvent` with each of the job's events (those so far, then each new one) and resolves
   * to the event of its terminal status (FINISHED, CANCELED or FAILED). Rejects with a
   * JobEventStreamEndedError when the stream ends before that (the JobManager stopped).
   */
  async followJob(jobId: string, onEvent?: (event: dispatcher.JobEvent) => void): Promise<dispatcher.JobEvent> {
    let lastStatus = '';
    for await (const event of this.jobEvents(jobId)) {
      onEvent?.(event);
      if (event.kind !== 'job') continue;
      lastStatus = event.to;
      if (isGloballyTerminal(event.to as JobStatus)) return event;
    }
    throw new JobEventStreamEndedError(jobId, this.jobManagerAddress, lastStatus);
  }

  /**
   * The job's events as the JobManager recorded them, oldest first: with `follow` (the default)
   * the stream goes on with each new event and ends after the terminal status; without, it ends
   * after the events recorded so far. A job the JobManager does not know fails the iteration with
   * its NOT_FOUND error.
   */
  async *jobEvents(jobId: string, { follow = true }: { follow?: boolean } = {}): AsyncGenerator<dispatcher.JobEvent> {
    try {
      yield* this.rpcService
        .streamClient(this.jobManagerAddress)
        .serverStream<dispatcher.FollowJobRequest, dispatcher.JobEvent>(dispatcher.JobEvents.methods['followJob']!, { jobId, replayOnly: !follow });
    } catch (error) {
      throw unreachableOr(error, this.jobManagerAddress);
    }
  }

  /**
   * The records the job's collect() sinks send, as they arrive, until the job has ended and every
   * batch was read. Each batch names the subtask and attempt that sent it: after a restart, records
   * of the new attempt repeat what the failed one sent (at least once, until checkpoints exist).
   *
   * With `acknowledge` (the default: the client that submitted the job reads this way) each batch
   * is acknowledged once the caller asks for the next one, which releases it on the JobManager;
   * until then it counts against the job's collect-sink.max-buffered-size, and a caller that
   * stops reading holds the job back instead of losing records. `fromSequence` starts later (after
   * what a reader already has). A reader that asks for released batches fails with the
   * JobManager's OUT_OF_RANGE error saying why.
   */
  async *collectResults(jobId: string, { acknowledge = true, fromSequence = 0 }: { acknowledge?: boolean; fromSequence?: number } = {}): AsyncGenerator<CollectedBatch> {
    const stream = this.rpcService
      .streamClient(this.jobManagerAddress)
      .bidiStream<dispatcher.CollectResultsRequest, dispatcher.CollectedBatch>(dispatcher.JobEvents.methods['collectResults']!);
    const request = (fields: Partial<dispatcher.CollectResultsRequest>): dispatcher.CollectResultsRequest => ({ jobId: '', fromSequence: 0, acknowledge: false, acknowledgedUpTo: 0, ...fields });
    try {
      await stream.write(request({ jobId, fromSequence, acknowledge }));
      for await (const batch of stream) {
        yield { vertexId: batch.vertexId, subtask: batch.subtask, attempt: batch.attempt, sequence: batch.sequence, records: unpack(batch.batch) as unknown[] };
        // The caller took the batch and asks for the next: it is read.
        if (acknowledge) await stream.write(request({ acknowledgedUpTo: batch.sequence + 1 }));
      }
    } catch (error) {
      throw unreachableOr(error, this.jobManagerAddress);
    } finally {
      stream.cancel();
    }
  }

  /** The running jobs and, with includeFinished, the ended ones the JobManager still remembers. */
  async listJobs(includeFinished = false): Promise<dispatcher.JobSummary[]> {
    return (await this.call(() => this.dispatcher.listJobs({ includeFinished }))).jobs;
  }

  /**
   * Everything the JobManager knows about the job: status, vertices, attempts, failure cause.
   * Rejects with UnknownJobError when it knows no such job.
   */
  requestJob(jobId: string): Promise<dispatcher.JobDetails> {
    return this.call(() => this.dispatcher.requestJob({ jobId }), jobId);
  }

  /**
   * Resolves once cancellation has started; followJob shows it end. Rejects with UnknownJobError
   * when the JobManager knows no such job, and with the Dispatcher's error when it has ended.
   */
  async cancelJob(jobId: string): Promise<void> {
    await this.call(() => this.dispatcher.cancelJob({ jobId }), jobId);
  }

  /**
   * Takes a savepoint of a running job into a new directory under `targetDirectory` (the
   * cluster's state.savepoints.dir when omitted) and resolves to that directory once it is
   * complete. Waits up to `timeoutMs` (default 10 min: savepoints of large state take long).
   * Rejects with UnknownJobError, or with the JobManager's reason (the job keeps running).
   */
  async triggerSavepoint(jobId: string, targetDirectory?: string, options: SavepointOptions = {}): Promise<string> {
    const request = { jobId, targetDirectory: targetDirectory ?? '', stop: false, drain: false };
    const response = await this.call(() => this.dispatcher.triggerSavepoint(request, { timeoutMs: options.timeoutMs ?? DEFAULT_SAVEPOINT_TIMEOUT_MS }), jobId);
    return response.savepointPath;
  }

  /**
   * Stops a running job with a savepoint (Flink's stop-with-savepoint): its sources stop, a final
   * savepoint is taken into a new directory under `targetDirectory` (state.savepoints.dir when
   * omitted), then every task finishes and exactly-once sinks commit it; with `drain` the sources
   * end event time first, so every window fires. Resolves to the savepoint directory once it is
   * written (followJob shows the job end FINISHED). Rejects with the reason when it failed: then
   * the job fails over and runs on from its latest checkpoint, as its restart strategy allows.
   */
  async stopWithSavepoint(jobId: string, options: StopWithSavepointOptions = {}): Promise<string> {
    const request = { jobId, targetDirectory: options.targetDirectory ?? '', stop: true, drain: options.drain === true };
    const response = await this.call(() => this.dispatcher.triggerSavepoint(request, { timeoutMs: options.timeoutMs ?? DEFAULT_SAVEPOINT_TIMEOUT_MS }), jobId);
    return response.savepointPath;
  }

  /**
   * The state a running job holds, as its latest completed checkpoint recorded it, or as the
   * savepoint at `savepointPath` did: operators, states, types and max parallelism, no bytes.
   * `found` is false when the job has no completed checkpoint yet.
   */
  async requestJobState(jobId: string, savepointPath = ''): Promise<dispatcher.JobStateResponse> {
    return this.call(() => this.dispatcher.requestJobState({ jobId, savepointPath }), jobId);
  }

  /**
   * Deletes the savepoint at `savepointPath` (its directory or `_metadata`), which the JobManager
   * checks is a savepoint first. Rejects with its reason when it is not.
   */
  async disposeSavepoint(savepointPath: string): Promise<void> {
    await this.call(() => this.dispatcher.disposeSavepoint({ savepointPath }));
  }

  /** The TaskManagers registered at the JobManager's ResourceManager: slots, last heartbeat, event-loop lag. */
  async requestTaskManagers(): Promise<rm.TaskManagerInfo[]> {
    const resourceManager = await this.connectResourceManager();
    return (await this.call(() => resourceManager.requestTaskManagers({}))).taskManagers;
  }

  /**
   * What the job's print() sinks wrote, as each registered TaskManager kept it: the end of it, at
   * most `maxBytes` per TaskManager (less when many TaskManagers must share one answer), and where
   * each writes printed output (its .out file, or its stdout). A TaskManager that did not answer in
   * time is listed with its error.
   */
  async requestJobStdout(jobId: string, maxBytes: number): Promise<rm.TaskManagerJobStdout[]> {
    const resourceManager = await this.connectResourceManager();
    return (await this.call(() => resourceManager.requestJobStdout({ jobId, maxBytes }))).taskManagers;
  }

  private async connectResourceManager(): Promise<rm.ResourceManagerGateway> {
    this.resourceManager ??= this.call(() => this.rpcService.connect(`${this.jobManagerAddress}/${RESOURCE_MANAGER_ENDPOINT_ID}`, rm.ResourceManagerGateway));
    return this.resourceManager.catch((error: unknown) => {
      this.resourceManager = undefined;
      throw error;
    });
  }

  /** Stops the client's RpcService; the client cannot be used afterwards. */
  close(): Promise<void> {
    return this.rpcService.stop();
  }

  /** Runs a call to the JobManager, its failures turned into the client's errors (see the file comment). */
  private async call<T>(call: () => Promise<T>, jobId?: string): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (jobId !== undefined && error instanceof RemoteHandlerError && error.remoteName === JobNotFoundError.name) {
        throw new UnknownJobError(jobId, this.jobManagerAddress, { cause: error });
      }
      throw unreachableOr(error, this.jobManagerAddress);
    }
  }
}

function blobClientOptions(configuration: Configuration | undefined): BlobClientOptions {
  if (configuration === undefined) return {};
  return { chunkSizeBytes: configuration.get(BlobOptions.chunkSize), timeoutMs: configuration.get(BlobOptions.transferTimeout), maxSizeBytes: configuration.get(BlobOptions.maxSize) };
}

/**
 * A JobManagerUnreachableError for a transport failure, the error itself otherwise. At connect
 * time a timeout means unreachable too; later it means a slow JobManager and stays a timeout.
 */
/**
 * A JobManager with mutual TLS drops a client without TLS before a word is said, which grpc-js
 * reports as "Failed to connect": name the options that may be missing.
 */
function withTlsHint(error: unknown, plaintext: boolean): unknown {
  if (!plaintext || !(error instanceof JobManagerUnreachableError) || !/Failed to connect|Connection dropped|ECONNRESET|socket hang up/.test(error.message)) return error;
  error.message += `; if the cluster uses mutual TLS, set ${SslOptions.internalEnabled.key} and the key, cert and truststore of security.ssl.internal.* (docs/security.md)`;
  return error;
}

function unreachableOr(error: unknown, address: string, connecting = false): unknown {
  if (error instanceof RpcUnreachableError) {
    return new JobManagerUnreachableError(address, `${error.fields.cause} (${error.fields.detail})`, { cause: error });
  }
  if (connecting && error instanceof RpcTimeoutError) {
    return new JobManagerUnreachableError(address, `no answer within ${error.fields.timeoutMs} ms`, { cause: error });
  }
  return error;
}
