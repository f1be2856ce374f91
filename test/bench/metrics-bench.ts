/**
 * npm run bench:metrics: what metrics cost the data plane, as one JSON object.
 *
 *   metrics_off_records_per_s  the WordCount job of bench:throughput (6 M lines, parallelism 2 on
 *                              two TaskManagers of one slot) on a cluster without a reporter
 *   metrics_on_records_per_s   the same on a cluster with the Prometheus reporter on every process,
 *                              each endpoint scraped every second while the job runs, and the
 *                              web dashboard's live updates: every second, the REST requests the
 *                              dashboard's job page makes (the job, each vertex's details,
 *                              backpressure and watermarks, checkpoints, exceptions) and its
 *                              overview page's (overview, job list, TaskManagers)
 *   throughput_ratio_with_metrics  on / off, in the same run (issue 16: >= 0.97)
 *   cpu_per_record_ratio_with_metrics  CPU seconds per record of the whole cluster (JobManager and
 *                              TaskManagers, from /proc) on / off: what metrics and the dashboard
 *                              cost in work, which a shared, noisy machine disturbs much less than
 *                              wall-clock throughput (1.03 means 3 % more CPU per record)
 *
 * Both clusters run side by side and the jobs alternate (off, on, off, on...), so drift in the
 * machine's load hits both alike; the idle cluster costs only its heartbeats. Task counters are
 * counted per buffer in both (they feed the job details too); what the reporter adds is the
 * sampling, the registry and the scrapes.
 */
import { JobClient } from '@eddy/client';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startJobManager, startTaskManager, stopClusterProcesses, type ClusterProcess } from '../cluster/cluster-harness.js';
import { median } from './bench-stats.js';

const jobFile = (name: string): string => fileURLToPath(new URL(`../../../test/bench/jobs/${name}.ts`, import.meta.url));
const HEARTBEATS = { 'heartbeat.interval': '1 s', 'heartbeat.timeout': '10 s' };

interface Cluster {
  readonly client: JobClient;
  /** The Prometheus ports of its processes; empty with metrics off. */
  readonly metricsPorts: number[];
  /** The REST API the dashboard's live updates poll; undefined with metrics off (nothing polls it). */
  readonly restUrl: string | undefined;
  /** Pids of the cluster's processes. */
  readonly pids: number[];
}

/** CPU seconds (user + system) the processes used so far, from /proc (Linux); NaN elsewhere. */
function cpuSecondsOf(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name: state is the 1st, utime the 12th, stime the 13th (proc(5)).
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return Number.NaN;
    }
  }
  return ticks / 100;
}

async function startCluster(metrics: boolean): Promise<Cluster> {
  const config = metrics ? { ...HEARTBEATS, 'metrics.reporter.prom.port': '0' } : HEARTBEATS;
  const jobManager = await startJobManager({ config });
  const taskManagers = await Promise.all([startTaskManager(jobManager.address, { slots: 1, config }), startTaskManager(jobManager.address, { slots: 1, config })]);
  const portOf = (process: ClusterProcess, started: string): number => process.linesWith(started)[0]?.['metricsPort'] as number;
  const metricsPorts = metrics ? [portOf(jobManager, 'JobManager started'), ...taskManagers.map((tm) => portOf(tm, 'TaskManager started'))] : [];
  const pids = [jobManager, ...taskManagers].map((process) => process.child.pid as number);
  return { client: await JobClient.connect(jobManager.address), metricsPorts, restUrl: metrics ? jobManager.restUrl : undefined, pids };
}

/** One round of what the dashboard's overview and job pages fetch every second. */
async function pollDashboard(restUrl: string, jobId: string): Promise<number> {
  const get = async (path: string): Promise<unknown> => {
    const response = await fetch(`${restUrl}${path}`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
    return response.json();
  };
  const job = `/jobs/${jobId}`;
  const [details] = await Promise.all([get(job), get('/overview'), get('/jobs/overview'), get('/taskmanagers'), get(`${job}/checkpoints`), get(`${job}/exceptions`)]);
  const vertices = (details as { vertices: { id: string }[] }).vertices;
  await Promise.all(vertices.flatMap((v) => ['', '/backpressure', '/watermarks'].map((part) => get(`${job}/vertices/${v.id}${part}`))));
  return 6 + vertices.length * 3;
}

/** Runs a job to FINISHED, scraping the cluster's endpoints every second; returns seconds from its first RUNNING task to its end. */
async function timedRun(cluster: Cluster, lines: number): Promise<{ seconds: number; cpuSeconds: number; scrapes: number; restRequests: number }> {
  const cpuBefore = cpuSecondsOf(cluster.pids);
  let scrapes = 0;
  let restRequests = 0;
  let polledJob: string | undefined;
  const poll = (): void => {
    if (cluster.restUrl === undefined || polledJob === undefined) return;
    pollDashboard(cluster.restUrl, polledJob).then(
      (requests) => (restRequests += requests),
      (error: unknown) => console.error(`[bench:metrics] dashboard poll failed: ${String(error)}`),
    );
  };
  const scrape = (): void => {
    for (const port of cluster.metricsPorts) {
      fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) })
        .then((response) => response.text())
        .then(
          () => scrapes++,
          (error: unknown) => console.error(`[bench:metrics] scrape of port ${port} failed: ${String(error)}`),
        );
    }
  };
  const scraper = cluster.metricsPorts.length === 0 ? undefined : setInterval(scrape, 1000);
  const poller = cluster.restUrl === undefined ? undefined : setInterval(poll, 1000);
  try {
    const { jobId } = await cluster.client.submitJobFile(jobFile('word-count-generator'), { args: [String(lines), '2'] });
    polledJob = jobId;
    let firstRunning = 0;
    const terminal = await cluster.client.followJob(jobId, (event) => {
      if (firstRunning === 0 && event.kind === 'task' && event.to === 'RUNNING') firstRunning = event.timestamp;
    });
    if (terminal.to !== 'FINISHED') throw new Error(`benchmark job ended ${terminal.to}: ${terminal.cause?.message ?? ''}`);
    return { seconds: (terminal.timestamp - firstRunning) / 1000, cpuSeconds: cpuSecondsOf(cluster.pids) - cpuBefore, scrapes, restRequests };
  } finally {
    if (scraper !== undefined) clearInterval(scraper);
    if (poller !== undefined) clearInterval(poller);
  }
}

async function main(): Promise<void> {
  const off = await startCluster(false);
  const on = await startCluster(true);
  try {
    const lines = 6_000_000;
    const rounds = 5;
    const offRuns: number[] = [];
    const onRuns: number[] = [];
    const offCpu: number[] = [];
    const onCpu: number[] = [];
    let scrapes = 0;
    let restRequests = 0;
    for (let round = 0; round < rounds; round++) {
      const offRun = await timedRun(off, lines);
      offRuns.push(lines / offRun.seconds);
      offCpu.push(offRun.cpuSeconds / lines);
      const run = await timedRun(on, lines);
      onRuns.push(lines / run.seconds);
      onCpu.push(run.cpuSeconds / lines);
      scrapes += run.scrapes;
      restRequests += run.restRequests;
      console.error(`[bench:metrics] round ${round + 1}/${rounds}: off ${Math.round(offRuns.at(-1) as number)}, on ${Math.round(onRuns.at(-1) as number)} lines/s`);
    }
    const offMedian = median(offRuns);
    const onMedian = median(onRuns);
    console.log(
      JSON.stringify(
        {
          metrics_off_records_per_s: Math.round(offMedian),
          metrics_on_records_per_s: Math.round(onMedian),
          throughput_ratio_with_metrics: Math.round((onMedian / offMedian) * 1000) / 1000,
          cpu_per_record_ratio_with_metrics: Math.round((median(onCpu) / median(offCpu)) * 1000) / 1000,
          scrapes,
          rest_requests: restRequests,
          runs: { off: offRuns.map(Math.round), on: onRuns.map(Math.round) },
        },
        null,
        2,
      ),
    );
  } finally {
    await Promise.all([off.client.close(), on.client.close()]);
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => stopClusterProcesses());
