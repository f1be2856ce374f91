/**
 * npm run bench:rest: how fast the JobManager's REST API answers, as one JSON object.
 *
 * A JobManager and a TaskManager as child processes; 100 short jobs run to FINISHED first, so the
 * Dispatcher has 100 jobs in its history, and one job keeps running. Then, one request at a time
 * over a keep-alive connection (after a warm-up):
 *
 *   rest_overview_p50_ms, _p99_ms   GET /overview (lists every job: the running one's JobMaster and the 100 archived)
 *   rest_job_p50_ms, _p99_ms        GET /jobs/:jobid of the running job (its JobMaster's details)
 *   rest_jobs_overview_p50_ms       GET /jobs/overview
 *
 * With web.refresh-interval 0, so every request asks the endpoints afresh (the cost without the
 * cache); the *_cached_p50_ms figures repeat two of them with the default (1 s), where most
 * requests are answered from what an earlier one read.
 *
 *   node test/dist/bench/rest-bench.js [--jobs N] [--requests N]
 */
import { Agent, request as httpRequest } from 'node:http';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { ClusterClient, startJobManager, startTaskManager, stopClusterProcesses, testJob, type JobManagerProcess } from '../cluster/cluster-harness.js';
import { quantile } from './bench-stats.js';

const progress = (message: string): void => void process.stderr.write(`bench:rest: ${message}\n`);
const WARM_UP = 50;

/** Milliseconds of each of `count` sequential GETs of `path`. */
async function timeRequests(baseUrl: string, path: string, count: number): Promise<number[]> {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const request = httpRequest({ host: url.hostname, port: url.port, path, agent, timeout: 10_000 }, (response) => {
        response.resume();
        response.on('end', () => (response.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`GET ${path} answered ${response.statusCode}`))));
      });
      request.on('timeout', () => request.destroy(new Error(`GET ${path}: no answer within 10 s`)));
      request.on('error', reject);
      request.end();
    });
  try {
    for (let i = 0; i < WARM_UP; i++) await once();
    const times: number[] = [];
    for (let i = 0; i < count; i++) times.push(await once());
    return times;
  } finally {
    agent.destroy();
  }
}

async function cluster(refreshInterval: string, jobs: number): Promise<{ jobManager: JobManagerProcess; client: ClusterClient; runningJob: string }> {
  const jobManager = await startJobManager({ config: { 'heartbeat.interval': '1 s', 'heartbeat.timeout': '10 s', 'web.refresh-interval': refreshInterval } });
  await startTaskManager(jobManager.address, { slots: 2, config: { 'heartbeat.interval': '1 s', 'heartbeat.timeout': '10 s' } });
  const client = await ClusterClient.connect(jobManager.address);
  await client.waitForSlots(2);
  const blobKey = await client.uploadTestTasks();
  for (let i = 0; i < jobs; i++) {
    const id = await client.submit(testJob(`short-${i}`, blobKey, [['Short', 1, 'finishImmediately']]));
    await client.waitForStatus(id, 'FINISHED', 30_000);
  }
  const runningJob = await client.submit(testJob('running', blobKey, [['Source', 1, 'runForever'], ['Sink', 1, 'runForever']]));
  await client.waitForStatus(runningJob, 'RUNNING', 30_000);
  return { jobManager, client, runningJob };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { jobs: { type: 'string', default: '100' }, requests: { type: 'string', default: '500' } } });
  const jobs = Number(values.jobs);
  const requests = Number(values.requests);
  const result: Record<string, unknown> = { benchmark: 'rest', node: process.version, cpus: availableParallelism(), jobs_in_history: jobs, requests };
  try {
    progress(`running ${jobs} jobs to FINISHED (web.refresh-interval 0)`);
    const fresh = await cluster('0', jobs);
    const overview = await timeRequests(fresh.jobManager.restUrl, '/overview', requests);
    const job = await timeRequests(fresh.jobManager.restUrl, `/jobs/${fresh.runningJob}`, requests);
    const jobsOverview = await timeRequests(fresh.jobManager.restUrl, '/jobs/overview', requests);
    Object.assign(result, {
      rest_overview_p50_ms: quantile(overview, 0.5),
      rest_overview_p99_ms: quantile(overview, 0.99),
      rest_job_p50_ms: quantile(job, 0.5),
      rest_job_p99_ms: quantile(job, 0.99),
      rest_jobs_overview_p50_ms: quantile(jobsOverview, 0.5),
    });
    await fresh.client.close();
    await stopClusterProcesses();
    progress(`again with web.refresh-interval 1 s (${jobs} jobs)`);
    const cached = await cluster('1 s', jobs);
    Object.assign(result, {
      rest_overview_cached_p50_ms: quantile(await timeRequests(cached.jobManager.restUrl, '/overview', requests), 0.5),
      rest_job_cached_p50_ms: quantile(await timeRequests(cached.jobManager.restUrl, `/jobs/${cached.runningJob}`, requests), 0.5),
    });
    await cached.client.close();
  } finally {
    await stopClusterProcesses();
  }
  for (const [key, value] of Object.entries(result)) if (typeof value === 'number' && key.endsWith('_ms')) result[key] = Math.round(value * 1000) / 1000;
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:rest failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    void stopClusterProcesses().finally(() => process.exit(1));
  },
);
