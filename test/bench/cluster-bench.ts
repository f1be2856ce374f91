/**
 * npm run bench:cluster: the control plane's speed and footprint, as one JSON object.
 *
 *   cold_start_ms          spawn a JobManager and two TaskManagers (2 slots each) -> all 4 slots registered
 *   submit_to_running_ms   submit a job of 2 vertices x parallelism 4 -> all 8 tasks RUNNING (median of 10)
 *   tm_loss_detected_ms    kill -9 of a TaskManager under a running job -> the JobMaster fails its tasks
 *   tm_kill_to_running_ms  the same kill -> every task RUNNING again on the survivor (median of 3)
 *   jm_idle_rss_mb / tm_idle_rss_mb   resident memory of the idle processes after start-up
 *
 * Processes run with the default configuration (heartbeat.interval 1 s) but exponential-delay
 * restarts from 200 ms, as this benchmark has always measured (the default without checkpointing is
 * fixed-delay, 1 s apart); only the ports are ephemeral.
 */
import { readFileSync } from 'node:fs';
import type { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import { ClusterClient, freePort, startJobManager, startTaskManager, stopClusterProcesses, testJob, type ClusterProcess } from '../cluster/cluster-harness.js';

const DEFAULTS = {
  'heartbeat.interval': '1 s',
  'heartbeat.timeout': '10 s',
  'cluster.registration.max-timeout': '2 s',
  'restart-strategy.type': 'exponential-delay',
  'restart-strategy.fixed-delay.attempts': '1',
  'restart-strategy.fixed-delay.delay': '1 s',
};

function rssMb(process: ClusterProcess): number {
  const status = readFileSync(`/proc/${process.child.pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : Math.round(((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2);
}

/** Resolves when `count` task events matching `predicate` have been seen on the job's stream. */
function watch(client: ClusterClient, jobId: string): { until(predicate: (event: dispatcher.JobEvent) => boolean, count: number): Promise<number> } {
  const events: { event: dispatcher.JobEvent; at: number }[] = [];
  const waiters: (() => void)[] = [];
  void client
    .followJob(jobId, (event) => {
      events.push({ event, at: Date.now() });
      for (const wake of waiters.splice(0)) wake();
    })
    .catch(() => undefined);
  return {
    async until(predicate, count) {
      for (;;) {
        const matching = events.filter((entry) => predicate(entry.event));
        if (matching.length >= count) return (matching[count - 1] as { at: number }).at;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

async function main(): Promise<void> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const t0 = Date.now();
  const [jobManager, first, second] = await Promise.all([
    startJobManager({ port, config: DEFAULTS }),
    startTaskManager(address, { slots: 2, config: DEFAULTS }),
    startTaskManager(address, { slots: 2, config: DEFAULTS }),
  ]);
  const client = await ClusterClient.connect(address);
  await client.waitForSlots(4, 30_000);
  const coldStartMs = Date.now() - t0;
  // Idle: registered, heartbeating, no job yet; give the start-up garbage one heartbeat to settle.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const jmIdleRssMb = rssMb(jobManager);
  const tmIdleRssMb = Math.max(rssMb(first as ClusterProcess), rssMb(second as ClusterProcess));

  const blobKey = await client.uploadTestTasks();
  const submitToRunning: number[] = [];
  for (let run = 0; run < 10; run++) {
    const graph = testJob(`bench-${run}`, blobKey, [
      ['Source', 4, 'runForever'],
      ['Sink', 4, 'runForever'],
    ]);
    const started = Date.now();
    const jobId = await client.submit(graph);
    const stream = watch(client, jobId);
    const running = await stream.until((event) => event.kind === 'task' && event.to === 'RUNNING', 8);
    submitToRunning.push(running - started);
    await client.dispatcher.cancelJob({ jobId });
    await client.waitForStatus(jobId, 'CANCELED');
  }

  // Failover: a job of parallelism 2 spread over both TaskManagers; kill one, twice more with a fresh TaskManager each time.
  const lossDetected: number[] = [];
  const killToRunning: number[] = [];
  let victims: ClusterProcess[] = [first as ClusterProcess, second as ClusterProcess];
  for (let run = 0; run < 3; run++) {
    const jobId = await client.submit(testJob(`failover-${run}`, blobKey, [['Worker', 2, 'runForever']]));
    const stream = watch(client, jobId);
    await stream.until((event) => event.kind === 'task' && event.to === 'RUNNING', 2);
    const details = await client.dispatcher.requestJob({ jobId });
    const used = new Set(details.vertices[0]!.subtasks.map((s) => s.attempts.at(-1)?.taskManagerId));
    if (used.size !== 2) throw new Error(`the failover job was not spread over both TaskManagers: ${[...used].join(', ')}`);
    const victim = victims[0] as ClusterProcess;
    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    const detected = await stream.until((event) => event.kind === 'task' && event.to === 'FAILED', 1);
    const runningAgain = await stream.until((event) => event.kind === 'task' && event.to === 'RUNNING' && event.attempt > 0, 2);
    lossDetected.push(detected - killedAt);
    killToRunning.push(runningAgain - killedAt);
    await client.dispatcher.cancelJob({ jobId });
    await client.waitForStatus(jobId, 'CANCELED');
    const replacement = await startTaskManager(address, { slots: 2, config: DEFAULTS });
    victims = [victims[1] as ClusterProcess, replacement];
    await client.waitForSlots(4, 30_000);
  }

  const result = {
    cold_start_ms: coldStartMs,
    submit_to_running_ms: median(submitToRunning),
    submit_to_running_all_ms: submitToRunning,
    tm_loss_detected_ms: median(lossDetected),
    tm_loss_detected_all_ms: lossDetected,
    tm_kill_to_running_ms: median(killToRunning),
    tm_kill_to_running_all_ms: killToRunning,
    jm_idle_rss_mb: jmIdleRssMb,
    tm_idle_rss_mb: tmIdleRssMb,
    jm_rss_after_jobs_mb: rssMb(jobManager),
  };
  console.log(JSON.stringify(result, null, 2));
  await client.close();
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => stopClusterProcesses());
