/**
 * npm run bench:windows: event-time windows under load, as one JSON object.
 *
 * Nexmark's q5 (hot items: sliding windows of 10 s every 2 s over the bids, a count per auction,
 * the top auction per window) and q7 (the highest bid per tumbling window of 10 s) over the
 * Nexmark-style bid generator of test/bench/jobs/nexmark-bids.ts, at parallelism 2 on a
 * JobManager and two TaskManagers of one slot each, without and with a checkpoint every 10 s:
 *
 *   q5_events_per_s, q7_events_per_s                    medians of `runs` runs, bids per second from
 *   q5_events_per_s_checkpointed, q7_..._checkpointed   the first task RUNNING to the job FINISHED
 *   *_per_core                                          the same divided by the machine's cores
 *
 * Flink 1.13's published Nexmark results give about 22 K (q5) and 12 K (q7) events per second
 * per core on its reference cluster; the figures here are for the same queries written with the
 * DataStream API (not SQL), on whatever machine runs this.
 *
 *   node test/dist/bench/windows-bench.js [--events N] [--runs N]
 */
import { availableParallelism } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { JobClient } from '@eddy/client';
import { median } from './bench-stats.js';
import { startJobManager, startTaskManager, stopClusterProcesses } from '../cluster/cluster-harness.js';

const jobFile = fileURLToPath(new URL('../../../test/bench/jobs/nexmark.ts', import.meta.url));
const progress = (message: string): void => void process.stderr.write(`bench:windows: ${message}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '3' } } });
  const events = Number(values.events);
  const runs = Number(values.runs);
  const scratch = mkdtempSync(join(tmpdir(), 'eddy-bench-windows-'));
  const jobManager = await startJobManager({});
  await Promise.all([startTaskManager(jobManager.address, { slots: 1 }), startTaskManager(jobManager.address, { slots: 1 })]);
  const client = await JobClient.connect(jobManager.address);
  const rates = new Map<string, number[]>();
  try {
    for (let run = 0; run < runs; run++) {
      for (const query of ['q5', 'q7']) {
        for (const interval of [0, 10_000]) {
          const name = `${query}_events_per_s${interval > 0 ? '_checkpointed' : ''}`;
          const { jobId } = await client.submitJobFile(jobFile, { args: [query, String(events), '2', String(interval), join(scratch, `${query}-${run}`)] });
          let firstRunning = 0;
          const terminal = await client.followJob(jobId, (event) => {
            if (firstRunning === 0 && event.kind === 'task' && event.to === 'RUNNING') firstRunning = event.timestamp;
          });
          if (terminal.to !== 'FINISHED') throw new Error(`${query} ended ${terminal.to}: ${terminal.cause?.message ?? ''}`);
          const rate = events / ((terminal.timestamp - firstRunning) / 1000);
          rates.set(name, [...(rates.get(name) ?? []), rate]);
          progress(`run ${run + 1}: ${name} ${Math.round(rate)}`);
        }
      }
    }
  } finally {
    await client.close();
    await stopClusterProcesses();
    rmSync(scratch, { recursive: true, force: true });
  }
  const cores = availableParallelism();
  const result: Record<string, unknown> = { events, runs, parallelism: 2, cores };
  for (const [name, values] of rates) {
    result[name] = Math.round(median(values));
    result[name.replace('_events_per_s', '_events_per_s_per_core')] = Math.round(median(values) / cores);
  }
  result['all_runs'] = Object.fromEntries([...rates].map(([name, values]) => [name, values.map(Math.round)]));
  result['flink_1_13_reference_per_core'] = { q5: 22_000, q7: 12_000 };
  console.log(JSON.stringify(result, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
