/**
 * npm run bench:state: what keyed state costs with each backend, as one JSON object. Each
 * measurement runs on a fresh cluster (a JobManager and two TaskManagers of one slot, as child
 * processes) and adds its fields; to add one, write a function of BenchContext and list it in
 * MEASUREMENTS. `--only=incremental,larger_than_heap` runs some of them.
 *
 *   throughput (keyed counting, parallelism 2, every key seen twice, jobs alternating)
 *     records_per_s.<keys>.hashmap / .lmdb      medians, from the first task RUNNING to FINISHED
 *     lmdb_vs_heap_throughput_ratio             lmdb / hashmap at 1 M keys (target >= 0.5), lmdb with its default cache
 *     lmdb_vs_heap_throughput_ratio_cache_off   the same with state.backend.lmdb.cache.size 0 (LMDB read and written every batch)
 *     lmdb_vs_heap_throughput_ratio_10m, ..._cache_off_10m   the same at 10 M keys (with --10m)
 *     lmdb_cache                                the default cache per task against the state a task holds (keys, estimated bytes)
 *     keys_measured                             1 M; 10 M too with --10m (slow: about 20 M records per backend)
 *   incremental (lmdb, 1 M keys, 1 % of them updated per checkpoint interval of 1 s)
 *     full_checkpoint_bytes / _ms               median of checkpoints without execution.checkpointing.incremental
 *     incremental_checkpoint_bytes / _ms        median of the change logs with it (materialized full ones excluded)
 *     incremental_size_ratio                    incremental / full bytes (target <= 0.05)
 *   operations (1 M keys counted by an unbounded job at parallelism 2 fed 100,000 records/s, per backend; two TaskManagers of two slots)
 *     savepoint_ms.<backend>, savepoint_bytes.<backend>   eddy savepoint of the running job
 *     savepoint_sync_ms.<backend>                         its synchronous part in the keyed task (slowest subtask): O(1) in the state
 *     update_gap_ms.<backend>                             eddy update to the same code: stop request to every new subtask RUNNING (target <= 3 s)
 *     restore_p2_to_p3_ms.<backend>                       stop with a savepoint, then submit at parallelism 3 from it to every subtask RUNNING
 *   larger_than_heap (with --large: 1 M keys (--large-keys=N) of 1 KB at parallelism 2 under a 256 MB task heap per TaskManager)
 *     larger_than_heap.lmdb / .hashmap          how the job ended, with its completed checkpoints
 *
 * Bytes are what each checkpoint wrote (the sum of its subtasks' state sizes, Flink's checkpointed
 * data size); durations from trigger to completion.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobClient, prepareJobFile, updateJob } from '@eddy/client';
import { allRuntimeOptions } from '@eddy/runtime';
import { median } from './bench-stats.js';
import { startJobManager, startTaskManager, stopClusterProcesses, waitFor, type JobManagerProcess } from '../cluster/cluster-harness.js';

const benchJob = (name: string): string => fileURLToPath(new URL(`../../../test/bench/jobs/${name}.ts`, import.meta.url));
const checkpointJob = (name: string): string => fileURLToPath(new URL(`../../../test/checkpoint/jobs/${name}.ts`, import.meta.url));
const progress = (message: string): void => void process.stderr.write(`bench:state: ${message}\n`);

interface BenchContext {
  readonly flags: ReadonlySet<string>;
  readonly scratch: string;
  /** Runs `body` on a fresh cluster of two TaskManagers with `slots` slots (default 1) and `taskManagerConfig`. */
  withCluster<T>(taskManagerConfig: Record<string, string>, body: (client: JobClient, jobManager: JobManagerProcess) => Promise<T>, slots?: number): Promise<T>;
}

type Measurement = (context: BenchContext) => Promise<Record<string, unknown>>;

const MEASUREMENTS: Readonly<Record<string, Measurement>> = { throughput, incremental, operations, larger_than_heap: largerThanHeap };

/** Runs a job to its end; returns how it ended and the seconds from its first RUNNING task to then. */
async function run(client: JobClient, job: string, args: string[], configuration: Record<string, string>): Promise<{ to: string; seconds: number; cause: string; jobId: string }> {
  const { jobId } = await client.submitJobFile(job, { args, configuration });
  let firstRunning = 0;
  const terminal = await client.followJob(jobId, (event) => {
    if (firstRunning === 0 && event.kind === 'task' && event.to === 'RUNNING') firstRunning = event.timestamp;
  });
  return { to: terminal.to, seconds: (terminal.timestamp - firstRunning) / 1000, cause: terminal.cause?.message ?? '', jobId };
}

async function throughput(context: BenchContext): Promise<Record<string, unknown>> {
  const keyCounts = context.flags.has('--10m') ? [1_000_000, 10_000_000] : [1_000_000];
  const rates: Record<string, Record<string, number>> = {};
  const runs: Record<string, Record<string, number[]>> = {};
  await context.withCluster({}, async (client) => {
    for (const keys of keyCounts) {
      const records = 2 * keys;
      const perBackend: Record<string, number[]> = { hashmap: [], lmdb: [], lmdb_cache_off: [] };
      const repetitions = keys > 1_000_000 ? 1 : 3;
      for (let repetition = 0; repetition < repetitions; repetition++) {
        for (const backend of Object.keys(perBackend)) {
          const configuration: Record<string, string> = backend === 'lmdb_cache_off' ? { 'state.backend.type': 'lmdb', 'state.backend.lmdb.cache.size': '0' } : { 'state.backend.type': backend };
          const result = await run(client, benchJob('keyed-state'), [String(records), String(keys), '0', '0', ''], configuration);
          if (result.to !== 'FINISHED') throw new Error(`keyed counting over ${keys} keys with ${backend} ended ${result.to}: ${result.cause}`);
          const rate = records / result.seconds;
          perBackend[backend]!.push(Math.round(rate));
          progress(`${keys} keys, ${backend}: ${Math.round(rate)} records/s`);
        }
      }
      rates[String(keys)] = Object.fromEntries(Object.entries(perBackend).map(([backend, measured]) => [backend, Math.round(median(measured))]));
      runs[String(keys)] = perBackend;
    }
  });
  const ratio = (keys: number, backend: string): number => {
    const measured = rates[String(keys)] as Record<string, number>;
    return Math.round(((measured[backend] as number) / (measured['hashmap'] as number)) * 100) / 100;
  };
  const tenMillion = keyCounts.includes(10_000_000)
    ? { lmdb_vs_heap_throughput_ratio_10m: ratio(10_000_000, 'lmdb'), lmdb_vs_heap_throughput_ratio_cache_off_10m: ratio(10_000_000, 'lmdb_cache_off') }
    : {};
  return {
    keys_measured: keyCounts,
    records_per_s: rates,
    lmdb_vs_heap_throughput_ratio: ratio(1_000_000, 'lmdb'),
    lmdb_vs_heap_throughput_ratio_cache_off: ratio(1_000_000, 'lmdb_cache_off'),
    ...tenMillion,
    // A task holds half the keys (parallelism 2); an entry [key, count] is estimated at 176 bytes (estimateHeapBytes + ENTRY_BYTES).
    lmdb_cache: { default_bytes_per_task: allRuntimeOptions().find((option) => option.key === 'state.backend.lmdb.cache.size')?.defaultValue, keys_per_task: keyCounts.map((keys) => keys / 2), estimated_state_bytes_per_task: keyCounts.map((keys) => (keys / 2) * 176) },
    throughput_runs: runs,
  };
}

async function incremental(context: BenchContext): Promise<Record<string, unknown>> {
  const keys = 1_000_000;
  const hot = keys / 100;
  const measured: Record<string, { bytes: number[]; ms: number[] }> = {};
  await context.withCluster({ 'state.backend.type': 'lmdb' }, async (client) => {
    for (const mode of ['full', 'incremental']) {
      const output = join(context.scratch, `sparse-${mode}`);
      const { jobId } = await client.submitJobFile(checkpointJob('sparse-updates'), {
        // hot keys updated at `hot` per second: 1 % of the keys change per 1 s checkpoint interval.
        args: [String(keys), String(hot), String(hot), output, join(context.scratch, `chk-${mode}`), '1000', '16'],
        configuration: { 'execution.checkpointing.incremental': String(mode === 'incremental') },
      });
      await waitFor(() => existsSync(output) && readdirSync(output).some((name) => statSync(join(output, name)).size > 0), `the ${keys} keys to be counted (${mode})`, 300_000, 200);
      const details = async () => (await client.requestJob(jobId)).checkpoints;
      const after = (await details())?.latestCompleted?.checkpointId ?? 0;
      // A full one to start the chain, then change logs (one more full one after 10 of them).
      await waitFor(async () => ((await details())?.latestCompleted?.checkpointId ?? 0) >= after + 6, `six checkpoints (${mode})`, 300_000, 200);
      const history = (await details())?.history ?? [];
      const completed = history.filter((checkpoint) => checkpoint.status === 'COMPLETED' && checkpoint.checkpointId > after + 1);
      const sizes = completed.map((checkpoint) => ({ bytes: checkpoint.subtasks.reduce((sum, subtask) => sum + subtask.stateSize, 0), ms: checkpoint.endTimestamp - checkpoint.triggerTimestamp, full: checkpoint.stateSize }));
      // Without incremental every checkpoint is full; with it, the materialized full ones are left out.
      const kept = mode === 'full' ? sizes : sizes.filter(({ bytes, full }) => bytes < full / 2);
      measured[mode] = { bytes: kept.map(({ bytes }) => bytes), ms: kept.map(({ ms }) => ms) };
      progress(`${mode}: ${JSON.stringify(measured[mode])}`);
      await client.cancelJob(jobId);
    }
  });
  const full = measured['full'] as { bytes: number[]; ms: number[] };
  const logs = measured['incremental'] as { bytes: number[]; ms: number[] };
  return {
    incremental_keys: keys,
    incremental_changed_keys_per_interval: hot,
    full_checkpoint_bytes: median(full.bytes),
    full_checkpoint_ms: median(full.ms),
    incremental_checkpoint_bytes: median(logs.bytes),
    incremental_checkpoint_ms: median(logs.ms),
    incremental_size_ratio: Math.round((median(logs.bytes) / median(full.bytes)) * 1000) / 1000,
    incremental_runs: measured,
  };
}

/** Records the job's tasks took in from other tasks (the keyed vertex's input), current attempts. */
async function recordsIn(client: JobClient, jobId: string): Promise<number> {
  const { vertices } = await client.requestJob(jobId);
  return vertices.reduce((sum, vertex) => sum + vertex.subtasks.reduce((inVertex, subtask) => inVertex + Number(subtask.attempts.at(-1)?.numRecordsIn ?? 0), 0), 0);
}

/** Resolves once every subtask's current attempt of the job is RUNNING. */
async function everySubtaskRunning(client: JobClient, jobId: string): Promise<void> {
  await waitFor(
    async () => {
      const { status, vertices } = await client.requestJob(jobId);
      if (status === 'FAILED' || status === 'CANCELED') throw new Error(`job ${jobId} ended ${status}`);
      return vertices.every((vertex) => vertex.subtasks.every((subtask) => subtask.attempts.at(-1)?.state === 'RUNNING'));
    },
    `every subtask of ${jobId} to run`,
    300_000,
    10,
  );
}

async function operations(context: BenchContext): Promise<Record<string, unknown>> {
  const keys = 1_000_000;
  const fields: Record<string, Record<string, number>> = { savepoint_ms: {}, savepoint_bytes: {}, savepoint_sync_ms: {}, update_gap_ms: {}, restore_p2_to_p3_ms: {} };
  for (const backend of ['hashmap', 'lmdb']) {
    await context.withCluster(
      {},
      async (client) => {
        const directory = join(context.scratch, `operations-${backend}`);
        // A steady 100,000 records/s, not as fast as it can: a savepoint's barrier then waits behind
        // little backpressured data, and the figures are about the state.
        const args = (parallelism: number): string[] => ['Infinity', String(keys), '0', '10000', join(directory, 'checkpoints'), String(parallelism), '100000'];
        const configuration = { 'state.backend.type': backend };
        const { jobId } = await client.submitJobFile(benchJob('keyed-state'), { args: args(2), configuration });
        await waitFor(async () => (await recordsIn(client, jobId)) >= keys, `all ${keys} keys to be counted (${backend})`, 300_000, 250);

        let started = performance.now();
        const savepointPath = await client.triggerSavepoint(jobId, join(directory, 'savepoints'));
        fields['savepoint_ms']![backend] = Math.round(performance.now() - started);
        fields['savepoint_bytes']![backend] = readdirSync(savepointPath).reduce((sum, name) => sum + statSync(join(savepointPath, name)).size, 0);
        // The savepoint's synchronous part on the tasks' threads (the slowest subtask's): O(1) in the state for both backends.
        const history = (await client.requestJob(jobId)).checkpoints?.history ?? [];
        const taken = history.find((checkpoint) => checkpoint.externalPath.startsWith(savepointPath));
        if (taken === undefined) throw new Error(`the savepoint ${savepointPath} is not in the job's checkpoint history`);
        fields['savepoint_sync_ms']![backend] = Math.max(...taken.subtasks.map((subtask) => subtask.syncDurationMs));
        progress(`${backend}: savepoint of ${keys} keys in ${fields['savepoint_ms']![backend]} ms (synchronous part ${fields['savepoint_sync_ms']![backend]} ms)`);

        const sameCode = await prepareJobFile(benchJob('keyed-state'), { args: args(2), configuration });
        let update;
        try {
          update = await updateJob(client, jobId, sameCode, { savepointDirectory: join(directory, 'savepoints'), timeoutMs: 300_000 });
        } finally {
          await sameCode.dispose();
        }
        fields['update_gap_ms']![backend] = update.gapMs;
        progress(`${backend}: eddy update gap ${update.gapMs} ms`);

        const stopped = await client.stopWithSavepoint(update.newJobId, { targetDirectory: join(directory, 'savepoints') });
        const rescaled = await prepareJobFile(benchJob('keyed-state'), { args: args(3), configuration, savepointPath: stopped });
        try {
          started = performance.now();
          const { jobId: resumed } = await client.submitPreparedJob(rescaled);
          await everySubtaskRunning(client, resumed);
          fields['restore_p2_to_p3_ms']![backend] = Math.round(performance.now() - started);
          progress(`${backend}: restore at parallelism 3 in ${fields['restore_p2_to_p3_ms']![backend]} ms`);
          await client.cancelJob(resumed);
        } finally {
          await rescaled.dispose();
        }
      },
      2,
    );
  }
  return { operations_keys: keys, ...fields };
}

async function largerThanHeap(context: BenchContext): Promise<Record<string, unknown>> {
  if (!context.flags.has('--large')) return {};
  const keys = Number(process.argv.find((arg) => arg.startsWith('--large-keys='))?.slice('--large-keys='.length) ?? 1_000_000);
  const ended: Record<string, unknown> = {};
  await context.withCluster({ 'taskmanager.memory.task.heap.size': '256m' }, async (client, jobManager) => {
    for (const backend of ['lmdb', 'hashmap']) {
      const result = await run(client, benchJob('keyed-state'), [String(keys), String(keys), '1000', '5000', join(context.scratch, `large-${backend}`)], {
        'state.backend.type': backend,
        'restart-strategy.type': 'none',
      });
      const checkpoints = jobManager.linesWith(/^Completed checkpoint \d+ for job/).filter((line) => line['jobId'] === result.jobId).length;
      ended[backend] = { ended: result.to, seconds: Math.round(result.seconds), completed_checkpoints: checkpoints, cause: result.cause.slice(0, 300) };
      progress(`${keys} keys x 1 KB under a 256 MB task heap, ${backend}: ${JSON.stringify(ended[backend])}`);
    }
  });
  return { larger_than_heap: { keys, value_bytes: 1000, task_heap: '256m', parallelism: 2, ...ended } };
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'eddy-bench-state-'));
  const context: BenchContext = {
    flags: new Set(process.argv.slice(2)),
    scratch,
    async withCluster(taskManagerConfig, body, slots = 1) {
      const jobManager = await startJobManager({ config: { 'heartbeat.interval': '1 s', 'heartbeat.timeout': '10 s' } });
      await Promise.all([startTaskManager(jobManager.address, { slots, config: taskManagerConfig }), startTaskManager(jobManager.address, { slots, config: taskManagerConfig })]);
      const client = await JobClient.connect(jobManager.address);
      try {
        return await body(client, jobManager);
      } finally {
        await client.close();
        await stopClusterProcesses();
      }
    },
  };
  try {
    const result: Record<string, unknown> = {};
    // --only=<name>[,<name>] runs some of them (names as in MEASUREMENTS).
    const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',');
    for (const [name, measurement] of Object.entries(MEASUREMENTS)) if (only === undefined || only.includes(name)) Object.assign(result, await measurement(context));
    console.log(JSON.stringify(result, null, 2));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => stopClusterProcesses());
