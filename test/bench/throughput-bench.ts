/**
 * npm run bench:throughput: the data plane's speed, as one JSON object.
 *
 *   loop_records_per_s       the WordCount-like work (lines -> words -> counts per word) in one plain loop
 *   cluster_records_per_s    the same as a job: generator -> flatMap -> keyBy -> sum -> discarding sink,
 *                            parallelism 2 on a JobManager and two TaskManagers of one slot each; every
 *                            word crosses the keyBy exchange, half of them between the TaskManagers
 *   ratio                    cluster / loop, in the same run
 *   cluster_timestamped_records_per_s  the same job with an event timestamp on every record (and
 *                            watermarks), so the keyBy exchange carries a timestamp column
 *   cross_tm_records_per_s   small records from a source on one TaskManager to a sink on the other
 *   latency_p50_ms / _p99    end to end, at half of the cross-TaskManager maximum rate
 *
 * Records/s count lines for the WordCount figures (as the loop does) and records for the exchange;
 * job rates are measured from the first task RUNNING to the job FINISHED, so deployment is excluded.
 * Each job's tasks run in fresh worker threads whose code starts cold, while the loop runs warm in
 * this process; 6 M lines (about 6 s per job) keep the JIT warm-up a small part of the window (with
 * 2 M lines the same build measured ~10 % lower: 0.93-0.96 against 1.06 M lines/s).
 *
 *   npm run bench:throughput -- --tls
 *
 * instead runs two clusters side by side, one plaintext and one with mutual TLS everywhere
 * (security.ssl.internal.*, certificates of scripts/gen-certs.sh), and alternates the WordCount job
 * and the cross-TaskManager exchange between them; it prints each rate's median per cluster and
 * tls_throughput_ratio (TLS / plaintext, WordCount) and tls_cross_tm_ratio.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobClient } from '@eddy/client';
import { Configuration } from '@eddy/common';
import { startJobManager, startTaskManager, stopClusterProcesses } from '../cluster/cluster-harness.js';
import { median } from './bench-stats.js';
import { benchLine } from './jobs/bench-text.js';

const jobFile = (name: string): string => fileURLToPath(new URL(`../../../test/bench/jobs/${name}.ts`, import.meta.url));

function loopLinesPerSecond(lines: number): number {
  const counts = new Map<string, number>();
  const started = performance.now();
  for (let i = 0; i < lines; i++) {
    for (const word of benchLine(i).split(' ')) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  const seconds = (performance.now() - started) / 1000;
  if (counts.size === 0) throw new Error('nothing counted');
  return lines / seconds;
}

/** Runs a job to FINISHED; returns seconds from its first RUNNING task to its end. */
async function timedRun(client: JobClient, job: string, args: string[], configuration: Record<string, string> = {}): Promise<number> {
  const { jobId } = await client.submitJobFile(jobFile(job), { args, configuration });
  let firstRunning = 0;
  const terminal = await client.followJob(jobId, (event) => {
    if (firstRunning === 0 && event.kind === 'task' && event.to === 'RUNNING') firstRunning = event.timestamp;
  });
  if (terminal.to !== 'FINISHED') throw new Error(`benchmark job ${job} ended ${terminal.to}: ${terminal.cause?.message ?? ''}`);
  return (terminal.timestamp - firstRunning) / 1000;
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'eddy-bench-'));
  const jobManager = await startJobManager({ config: { 'heartbeat.interval': '1 s', 'heartbeat.timeout': '10 s' } });
  await Promise.all([startTaskManager(jobManager.address, { slots: 1 }), startTaskManager(jobManager.address, { slots: 1 })]);
  const client = await JobClient.connect(jobManager.address);
  try {
    const lines = 6_000_000;
    const loop: number[] = [];
    const cluster: number[] = [];
    for (let run = 0; run < 3; run++) {
      loop.push(loopLinesPerSecond(lines));
      cluster.push(lines / (await timedRun(client, 'word-count-generator', [String(lines), '2'])));
    }
    const timestamped: number[] = [];
    for (let run = 0; run < 3; run++) timestamped.push(lines / (await timedRun(client, 'word-count-generator', [String(lines), '2', 'timestamps'])));
    const records = 5_000_000;
    const exchange: number[] = [];
    for (let run = 0; run < 3; run++) exchange.push(records / (await timedRun(client, 'exchange', [String(records), '0', ''])));
    const crossTm = median(exchange);
    const latencyFile = join(scratch, 'latency.json');
    const rate = Math.floor(crossTm / 2);
    await timedRun(client, 'exchange', [String(rate * 5), String(rate), latencyFile]);
    const latency = JSON.parse(readFileSync(latencyFile, 'utf8')) as { p50: number; p99: number };
    const loopMedian = median(loop);
    const clusterMedian = median(cluster);
    console.log(
      JSON.stringify(
        {
          loop_records_per_s: Math.round(loopMedian),
          cluster_records_per_s: Math.round(clusterMedian),
          ratio: Math.round((clusterMedian / loopMedian) * 100) / 100,
          cluster_timestamped_records_per_s: Math.round(median(timestamped)),
          cross_tm_records_per_s: Math.round(crossTm),
          latency_p50_ms: Math.round(latency.p50 * 100) / 100,
          latency_p99_ms: Math.round(latency.p99 * 100) / 100,
          latency_rate_records_per_s: rate,
          buffer_timeout_ms: 100,
          runs: { loop: loop.map(Math.round), cluster: cluster.map(Math.round), cluster_timestamped: timestamped.map(Math.round), cross_tm: exchange.map(Math.round) },
        },
        null,
        2,
      ),
    );
  } finally {
    await client.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Two clusters of a JobManager and two one-slot TaskManagers: plaintext, and mutual TLS everywhere. */
async function tlsComparison(): Promise<void> {
  const certs = mkdtempSync(join(tmpdir(), 'eddy-bench-tls-'));
  execFileSync(fileURLToPath(new URL('../../../scripts/gen-certs.sh', import.meta.url)), [certs], { stdio: 'pipe' });
  const tls = (name: string): Record<string, string> => ({
    'security.ssl.internal.enabled': 'true',
    'security.ssl.internal.key': join(certs, `${name}.key`),
    'security.ssl.internal.cert': join(certs, `${name}.pem`),
    'security.ssl.internal.truststore': join(certs, 'ca.pem'),
  });
  const heartbeats = { 'heartbeat.interval': '1 s', 'heartbeat.timeout': '10 s' };
  const clients: JobClient[] = [];
  try {
    const start = async (secure: boolean): Promise<JobClient> => {
      const jobManager = await startJobManager({ config: { ...heartbeats, ...(secure ? tls('jobmanager') : {}) } });
      const config = { ...heartbeats, ...(secure ? tls('taskmanager') : {}) };
      await Promise.all([startTaskManager(jobManager.address, { slots: 1, config }), startTaskManager(jobManager.address, { slots: 1, config })]);
      const client = await JobClient.connect(jobManager.address, { configuration: Configuration.fromRecord(secure ? tls('client') : {}) });
      clients.push(client);
      return client;
    };
    const plain = await start(false);
    const secure = await start(true);
    const lines = 6_000_000;
    const records = 5_000_000;
    const rates: Record<'plain' | 'tls', { cluster: number[]; crossTm: number[] }> = { plain: { cluster: [], crossTm: [] }, tls: { cluster: [], crossTm: [] } };
    for (let run = 0; run < 3; run++) {
      // Alternate which goes first, so neither always runs on a warmer (or more tired) machine.
      const order: ['plain' | 'tls', JobClient][] = run % 2 === 0 ? [['plain', plain], ['tls', secure]] : [['tls', secure], ['plain', plain]];
      for (const [name, client] of order) rates[name].cluster.push(lines / (await timedRun(client, 'word-count-generator', [String(lines), '2'])));
      for (const [name, client] of order) rates[name].crossTm.push(records / (await timedRun(client, 'exchange', [String(records), '0', ''])));
    }
    const ratio = (a: number, b: number): number => Math.round((a / b) * 1000) / 1000;
    console.log(
      JSON.stringify(
        {
          plain_cluster_records_per_s: Math.round(median(rates.plain.cluster)),
          tls_cluster_records_per_s: Math.round(median(rates.tls.cluster)),
          tls_throughput_ratio: ratio(median(rates.tls.cluster), median(rates.plain.cluster)),
          plain_cross_tm_records_per_s: Math.round(median(rates.plain.crossTm)),
          tls_cross_tm_records_per_s: Math.round(median(rates.tls.crossTm)),
          tls_cross_tm_ratio: ratio(median(rates.tls.crossTm), median(rates.plain.crossTm)),
          target: { tls_throughput_ratio_min: 0.85 },
          runs: {
            plain: { cluster: rates.plain.cluster.map(Math.round), cross_tm: rates.plain.crossTm.map(Math.round) },
            tls: { cluster: rates.tls.cluster.map(Math.round), cross_tm: rates.tls.crossTm.map(Math.round) },
          },
        },
        null,
        2,
      ),
    );
  } finally {
    for (const client of clients) await client.close();
    rmSync(certs, { recursive: true, force: true });
  }
}

(process.argv.includes('--tls') ? tlsComparison() : main())
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => stopClusterProcesses());
