/**
 * Dispatcher: the JobManager's front door. It accepts JobGraphs, starts one JobMaster per job,
 * answers questions about jobs, and keeps finished, failed and canceled jobs queryable.
 *
 * Responsibility
 *   - submitJob refuses, with the reason, an invalid JobGraph, a job id it already knows, a job
 *     whose code is not in the blob store, and a job configuration that does not parse.
 *   - Running jobs are asked through their JobMaster (callAsync, in the JobMaster's mailbox);
 *     ended jobs are answered from a bounded archive (jobstore.max-capacity).
 *   - Every job's transitions are collected in a JobEventLog that clients follow as a stream.
 *   - A job's code is retained in the blob store while it runs, and released when it ends.
 *
 * Threading: the Dispatcher's state lives in its mailbox; JobMasters notify it through runAsync.
 *
 * Lifecycle: onStop cancels every running job and waits (jobmanager.shutdown.timeout) for them to
 * end before stopping their JobMasters.
 */
import type { Configuration } from '@eddy/common';
import { eddy_cluster_v1 as cluster, eddy_dispatcher_v1 as dispatcher, eddy_resourcemanager_v1 as rm } from '@eddy/proto';
import { RpcEndpoint, type RpcService, type ScheduledTask } from '@eddy/rpc';
import type { BlobServer } from '../blob/blob-server.js';
import { CheckpointingOptions, checkpointDirectoryOf } from '../checkpoint/checkpointing-options.js';
import { disposeSavepoint } from '../checkpoint/savepoint-writer.js';
import { CollectSinkOptions } from '../collect/collect-sink-options.js';
import { JobManagerOptions } from '../entrypoint/jobmanager-options.js';
import { DISPATCHER_ENDPOINT_ID, DispatcherError, DuplicateJobSubmissionError, isGloballyTerminal, JobNotFoundError, type JobStatus, RESOURCE_MANAGER_ENDPOINT_ID, validateJobGraph } from '@eddy/cluster-common';
import { summarize } from '../jobmaster/job-details.js';
import { contractVersionMismatch } from '../job-contract.js';
import { JobMaster, type JobMasterListener } from '../jobmaster/job-master.js';
import { JobEventLog } from './job-event-log.js';
import type { MetricRegistry } from '../metrics/metric-registry.js';

/** What the JobManager at `address` says about a job id it does not know. */
export function unknownJobMessage(jobId: string, address: string): string {
  return `No job ${jobId} at the JobManager at ${address}; \`eddy list --all\` shows the jobs it knows`;
}

export interface DispatcherServices {
  readonly configuration: Configuration;
  readonly blobServer: BlobServer;
  /** The JobManager's metric registry and host, for the jobs' metric groups. */
  readonly metrics?: { readonly registry: MetricRegistry; readonly host: string };
}

interface ArchivedJob {
  readonly details: dispatcher.JobDetails;
}

export class Dispatcher extends RpcEndpoint implements dispatcher.DispatcherGateway {
  readonly events = new JobEventLog();
  private readonly running = new Map<string, JobMaster>();
  private readonly archive = new Map<string, ArchivedJob>();
  private readonly submitting = new Set<string>();
  /** Per ended job: when its unread collected results are released (collect-sink.retention). */
  private readonly resultRetention = new Map<string, ScheduledTask>();
  private resourceManager: rm.ResourceManagerGateway | undefined;
  private readonly archiveCapacity: number;
  private readonly callTimeoutMs: number;

  constructor(
    private readonly rpc: RpcService,
    private readonly services: DispatcherServices,
  ) {
    super(rpc, dispatcher.DispatcherGateway, DISPATCHER_ENDPOINT_ID);
    this.archiveCapacity = services.configuration.get(JobManagerOptions.jobStoreMaxCapacity);
    this.callTimeoutMs = rpc.askTimeoutMs;
  }

  protected override async onStart(): Promise<void> {
    const host = this.address.slice(0, this.address.lastIndexOf('/'));
    this.resourceManager = await this.rpcService.connect(`${host}/${RESOURCE_MANAGER_ENDPOINT_ID}`, rm.ResourceManagerGateway);
  }

  protected override async onStop(): Promise<void> {
    const jobs = [...this.running.values()];
    if (jobs.length > 0) this.log.info({ jobs: jobs.map((job) => job.jobId) }, 'Canceling running jobs before the JobManager stops');
    const ended = jobs.map((job) => job.callAsync(() => job.cancel(), this.callTimeoutMs).then(() => job.terminated));
    const timeoutMs = this.services.configuration.get(JobManagerOptions.shutdownTimeout);
    const waitForJobs = Promise.allSettled(jobs.map((job) => this.jobEnded(job.jobId)));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([waitForJobs, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    await Promise.allSettled(ended.map((p) => p.catch(() => undefined)));
    await Promise.allSettled([...this.running.values()].map((job) => job.closeAsync()));
    this.events.closeAll();
  }

  async submitJob(request: dispatcher.SubmitJobRequest): Promise<dispatcher.SubmitJobResponse> {
    const graph = request.jobGraph;
    if (!graph) throw new DispatcherError('submitJob carries no JobGraph');
    validateJobGraph(graph);
    if (graph.contractVersion !== 0) {
      const mismatch = contractVersionMismatch(graph.contractVersion);
      if (mismatch !== undefined) throw new DispatcherError(`Job '${graph.name}' is refused: ${mismatch.message}`);
    }
    this.checkNotKnown(graph.jobId);
    this.submitting.add(graph.jobId);
    try {
      if (graph.blobKey !== '' && !(await this.services.blobServer.isStored(graph.blobKey))) {
        throw new DispatcherError(`The code of job '${graph.name}' (blob ${graph.blobKey}) is not in the blob store at ${this.rpcService.address}; upload it before submitting`);
      }
    } finally {
      this.submitting.delete(graph.jobId);
    }
    // Re-check after the await: the same id may have been submitted meanwhile.
    this.checkNotKnown(graph.jobId);
    const resourceManager = this.resourceManager;
    if (resourceManager === undefined) throw new DispatcherError('The Dispatcher is not connected to the ResourceManager yet');
    const configuration = this.services.configuration.withOverrides(graph.configuration, `job ${graph.jobId}`);
    const logs = this.events.open(graph.jobId, {
      maxBufferedBytes: configuration.get(CollectSinkOptions.maxBufferedSize),
      retentionMs: configuration.get(CollectSinkOptions.retention),
    });
    const listener: JobMasterListener = {
      notifyJobEvent: (event) => logs.events.append(event),
      notifyJobTerminated: (jobId, status, details) => this.runAsync(() => this.onJobTerminated(jobId, status, details)),
    };
    let jobMaster: JobMaster;
    try {
      jobMaster = new JobMaster(this.rpc, graph, { configuration, resourceManager, listener, collectedResults: logs.results, logger: this.rpcService.logger, ...(this.services.metrics === undefined ? {} : { metrics: this.services.metrics }) });
    } catch (error) {
      this.events.forget(graph.jobId);
      throw error;
    }
    this.running.set(graph.jobId, jobMaster);
    if (graph.blobKey !== '') this.services.blobServer.retain(graph.jobId, graph.blobKey);
    this.log.info({ jobId: graph.jobId, jobName: graph.name, vertices: graph.vertices.length }, 'Job submitted');
    await jobMaster.start();
    return { jobId: graph.jobId };
  }

  async listJobs(request: dispatcher.ListJobsRequest): Promise<dispatcher.ListJobsResponse> {
    const jobs: dispatcher.JobSummary[] = [];
    for (const job of [...this.running.values()]) {
      const details = await this.detailsOf(job).catch(() => undefined);
      if (details !== undefined) jobs.push(summarize(details));
    }
    if (request.includeFinished) for (const archived of this.archive.values()) jobs.push(summarize(archived.details));
    return { jobs };
  }

  async requestJobStatus(request: dispatcher.JobIdRequest): Promise<dispatcher.JobStatusResponse> {
    const details = await this.requestJob(request);
    return { jobId: details.jobId, status: details.status };
  }

  async requestJob(request: dispatcher.JobIdRequest): Promise<dispatcher.JobDetails> {
    const job = this.running.get(request.jobId);
    if (job !== undefined) return this.detailsOf(job);
    const archived = this.archive.get(request.jobId);
    if (archived !== undefined) return archived.details;
    throw this.notFound(request.jobId);
  }

  async cancelJob(request: dispatcher.JobIdRequest): Promise<cluster.Ack> {
    const job = this.running.get(request.jobId);
    if (job === undefined) {
      const archived = this.archive.get(request.jobId);
      if (archived !== undefined) throw new DispatcherError(`Job ${request.jobId} already ended ${archived.details.status}; there is nothing to cancel`);
      throw this.notFound(request.jobId);
    }
    this.log.info({ jobId: request.jobId }, 'Canceling job');
    await job.callAsync(() => job.cancel(), this.callTimeoutMs);
    return {};
  }

  async triggerSavepoint(request: dispatcher.TriggerSavepointRequest): Promise<dispatcher.TriggerSavepointResponse> {
    const job = this.running.get(request.jobId);
    if (job === undefined) {
      const archived = this.archive.get(request.jobId);
      if (archived !== undefined) throw new DispatcherError(`Job ${request.jobId} already ended ${archived.details.status}; only a running job can take a savepoint`);
      throw this.notFound(request.jobId);
    }
    this.log.info({ jobId: request.jobId, targetDirectory: request.targetDirectory || undefined, stop: request.stop, drain: request.drain }, request.stop ? 'Stopping job with a savepoint' : 'Triggering savepoint');
    // The JobMaster's own checkpoint timeout ends a savepoint that takes too long; this deadline is past it.
    const timeoutMs = this.services.configuration.get(CheckpointingOptions.timeout) + this.callTimeoutMs;
    const { savepointPath } = await job.callAsync(() => job.triggerSavepoint({ targetDirectory: request.targetDirectory, stop: request.stop, drain: request.drain }), timeoutMs);
    return { savepointPath };
  }

  async requestJobState(request: dispatcher.JobStateRequest): Promise<dispatcher.JobStateResponse> {
    const job = this.running.get(request.jobId);
    if (job === undefined) {
      const archived = this.archive.get(request.jobId);
      if (archived !== undefined) throw new DispatcherError(`Job ${request.jobId} already ended ${archived.details.status}; only a running job's state can be described`);
      throw this.notFound(request.jobId);
    }
    return job.callAsync(() => job.requestJobState(request.savepointPath), this.callTimeoutMs);
  }

  async disposeSavepoint(request: dispatcher.DisposeSavepointRequest): Promise<cluster.Ack> {
    const directory = await disposeSavepoint(checkpointDirectoryOf(request.savepointPath));
    this.log.info({ path: directory }, 'Disposed of savepoint');
    return {};
  }

  private detailsOf(job: JobMaster): Promise<dispatcher.JobDetails> {
    return job.callAsync(() => job.requestJobDetails(), this.callTimeoutMs);
  }

  private checkNotKnown(jobId: string): void {
    const status = this.running.has(jobId) || this.submitting.has(jobId) ? 'running' : this.archive.get(jobId)?.details.status;
    if (status !== undefined) {
      throw new DuplicateJobSubmissionError(`Job ${jobId} was already submitted to this JobManager (${status}); submit it under a new job id`);
    }
  }

  private notFound(jobId: string): JobNotFoundError {
    return new JobNotFoundError(unknownJobMessage(jobId, this.rpcService.address));
  }

  private readonly endWaiters = new Map<string, (() => void)[]>();

  private jobEnded(jobId: string): Promise<void> {
    if (!this.running.has(jobId)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.endWaiters.get(jobId) ?? [];
      waiters.push(resolve);
      this.endWaiters.set(jobId, waiters);
    });
  }

  private onJobTerminated(jobId: string, status: JobStatus, details: dispatcher.JobDetails): void {
    const job = this.running.get(jobId);
    if (job === undefined || !isGloballyTerminal(status)) return;
    this.running.delete(jobId);
    this.services.blobServer.releaseJob(jobId);
    this.archive.set(jobId, { details });
    while (this.archive.size > this.archiveCapacity) {
      const oldest = this.archive.keys().next().value as string;
      this.archive.delete(oldest);
      this.events.forget(oldest);
      this.resultRetention.get(oldest)?.cancel();
      this.resultRetention.delete(oldest);
    }
    this.events.close(jobId);
    const results = this.events.get(jobId)?.results;
    if (results !== undefined) {
      this.resultRetention.set(
        jobId,
        this.scheduleRunAsync(() => {
          this.resultRetention.delete(jobId);
          if (results.end > results.releasedUpTo) this.log.info({ jobId, batches: results.end - results.releasedUpTo }, 'Releasing collected results nobody read');
          results.expire();
        }, results.retentionMs),
      );
    }
    this.log.info({ jobId, jobName: details.name, status, restarts: details.restarts }, 'Job reached a terminal state');
    for (const wake of this.endWaiters.get(jobId) ?? []) wake();
    this.endWaiters.delete(jobId);
    void job.closeAsync().catch((error: unknown) => this.log.warn({ err: error, jobId }, 'JobMaster did not stop cleanly'));
  }
}
