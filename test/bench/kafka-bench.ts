/**
 * npm run bench:kafka: the Kafka connector's cost, as one JSON object, against a real broker (one
 * KRaft node on 127.0.0.1, started here) and a JobManager with two TaskManagers (child processes).
 *
 *   records_per_s_none / _at_least_once / _exactly_once
 *                           a bounded read of 200,000 small records (4 partitions) through a keyed
 *                           count (10 keys) to another topic at parallelism 2, checkpoints every
 *                           1 s, from the first task RUNNING to FINISHED; medians of 3 runs
 *   kafka_eo_vs_none_ratio  exactly-once against NONE (target >= 0.7)
 *   eo_latency_p50_ms / _p99_ms
 *                           EXACTLY_ONCE end to end: from producing a record to a read_committed
 *                           consumer seeing its count, 2,000 records at 200/s, checkpoints every
 *                           1 s (bounded below by the checkpoint interval: output is committed
 *                           with checkpoints)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobClient } from '@eddy/client';
import { median, quantile } from './bench-stats.js';
import { startJobManager, startTaskManager, stopClusterProcesses } from '../cluster/cluster-harness.js';
import { KafkaBroker } from '../kafka/kafka-broker.js';
import { createTopic, produceNumbers, readTopic } from '../kafka/kafka-test-clients.js';

const JOB = fileURLToPath(new URL('../../../test/kafka/jobs/kafka-count.ts', import.meta.url));
const progress = (message: string): void => void process.stderr.write(`bench:kafka: ${message}\n`);
const GUARANTEES = ['NONE', 'AT_LEAST_ONCE', 'EXACTLY_ONCE'] as const;

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'eddy-bench-kafka-'));
  const broker = await KafkaBroker.start();
  // A run that fails (a declined checkpoint, a send error) restarts from its last checkpoint, as a job would.
  const jobManager = await startJobManager({ config: { 'restart-strategy.fixed-delay.attempts': '3', 'restart-strategy.fixed-delay.delay': '500 ms' } });
  await Promise.all([startTaskManager(jobManager.address, { slots: 2 }), startTaskManager(jobManager.address, { slots: 2 })]);
  const client = await JobClient.connect(jobManager.address);
  const bootstrap = broker.bootstrapServers;
  try {
    const records = 200_000;
    await createTopic(bootstrap, 'bench-in', 4);
    await produceNumbers(bootstrap, 'bench-in', 0, records);
    const rates = new Map<string, number[]>(GUARANTEES.map((g) => [g, []]));
    for (let run = 0; run < 3; run++) {
      for (const guarantee of GUARANTEES) {
        const output = `bench-out-${guarantee}-${run}`;
        await createTopic(bootstrap, output, 2);
        const { jobId } = await client.submitJobFile(JOB, { args: [bootstrap, 'bench-in', output, '10', guarantee, 'true', join(scratch, output), '1000', `bench-${run}`] });
        let firstRunning = 0;
        const terminal = await client.followJob(jobId, (event) => {
          if (firstRunning === 0 && event.kind === 'task' && event.to === 'RUNNING') firstRunning = event.timestamp;
        });
        if (terminal.to !== 'FINISHED') throw new Error(`the ${guarantee} run ended ${terminal.to}: ${terminal.cause?.message ?? ''}`);
        const rate = records / ((terminal.timestamp - firstRunning) / 1000);
        rates.get(guarantee)?.push(rate);
        const restarts = (await client.requestJob(jobId)).restarts;
        progress(`run ${run + 1} ${guarantee}: ${Math.round(rate)} records/s${restarts > 0 ? ` (${restarts} restarts)` : ''}`);
      }
    }

    // ---- EXACTLY_ONCE latency: each record its own key, so its count update names it ----
    const latencyRecords = 2_000;
    await createTopic(bootstrap, 'latency-in', 4);
    await createTopic(bootstrap, 'latency-out', 2);
    const { jobId } = await client.submitJobFile(JOB, {
      args: [bootstrap, 'latency-in', 'latency-out', String(1e9), 'EXACTLY_ONCE', 'false', join(scratch, 'latency'), '1000', 'bench-latency'],
    });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const producedAt = new Map<string, number>();
    const seenAt = new Map<string, number>();
    const perTick = 20;
    const deadline = Date.now() + 120_000;
    for (let next = 0; next < latencyRecords || seenAt.size < latencyRecords; ) {
      if (Date.now() > deadline) throw new Error(`only ${seenAt.size} of ${latencyRecords} records were seen within 2 min`);
      const tick = Date.now();
      if (next < latencyRecords) {
        const until = Math.min(latencyRecords, next + perTick);
        for (let n = next; n < until; n++) producedAt.set(`k${n}`, tick);
        await produceNumbers(bootstrap, 'latency-in', next, until);
        next = until;
      }
      const now = Date.now();
      for (const value of await readTopic(bootstrap, 'latency-out')) {
        const key = value.split(' ')[0] as string;
        if (!seenAt.has(key)) seenAt.set(key, now);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (Date.now() - tick))));
    }
    await client.cancelJob(jobId);
    const latencies = [...seenAt].map(([key, at]) => at - (producedAt.get(key) as number)).sort((a, b) => a - b);

    const none = median(rates.get('NONE') ?? []);
    const exactlyOnce = median(rates.get('EXACTLY_ONCE') ?? []);
    console.log(
      JSON.stringify({
        records_per_s_none: Math.round(none),
        records_per_s_at_least_once: Math.round(median(rates.get('AT_LEAST_ONCE') ?? [])),
        records_per_s_exactly_once: Math.round(exactlyOnce),
        kafka_eo_vs_none_ratio: Number((exactlyOnce / none).toFixed(3)),
        eo_latency_p50_ms: Math.round(quantile(latencies, 0.5)),
        eo_latency_p99_ms: Math.round(quantile(latencies, 0.99)),
        checkpoint_interval_ms: 1000,
      }),
    );
  } finally {
    await client.close();
    await stopClusterProcesses();
    await broker.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
