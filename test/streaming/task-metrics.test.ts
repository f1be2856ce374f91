/**
 * Task metrics on a real cluster (a JobManager and a TaskManager as child processes, each with
 * metrics.reporter.prom.port 0): the Prometheus endpoints, scraped while a job runs, show task
 * counters that move and end at the records the job processed, and the JobManager's job and
 * process metrics; Flink's backpressure (backPressuredTimeMsPerSecond) is high upstream of a slow
 * sink and low in a fast job, in the job details and in `eddy status`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JobClient } from '@eddy/client';
import type { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import { runEddy } from '../cli/eddy-cli.js';
import { startJobManager, startTaskManager, stopClusterProcesses, waitFor, type JobManagerProcess, type TaskManagerProcess } from '../cluster/cluster-harness.js';

after(stopClusterProcesses);

const jobFile = (name: string): string => fileURLToPath(new URL(`../../../test/streaming/jobs/${name}.ts`, import.meta.url));

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** The samples of a Prometheus text exposition. */
function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match !== null, `a well-formed sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1] as string] = pair[2] as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3] === '+Inf' ? Infinity : match[3] === '-Inf' ? -Infinity : match[3]) });
  }
  return samples;
}

async function scrape(port: number): Promise<Sample[]> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await response.text());
}

function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, v]) => sample.labels[key] === v))?.value;
}

function metricsPortOf(process: JobManagerProcess | TaskManagerProcess, started: string): number {
  const line = process.linesWith(started)[0];
  const port = line?.['metricsPort'];
  assert.equal(typeof port, 'number', `${started} logs the Prometheus port`);
  return port as number;
}

describe('task metrics', () => {
  let jobManager: JobManagerProcess;
  let taskManager: TaskManagerProcess;
  let client: JobClient;
  const prom = { 'metrics.reporter.prom.port': '0' };

  before(async () => {
    jobManager = await startJobManager({ config: prom });
    taskManager = await startTaskManager(jobManager.address, { slots: 4, config: prom });
    client = await JobClient.connect(jobManager.address);
  });
  after(() => client?.close());

  it("scrapes a TaskManager's task counters while they move and at their final values, and the JobManager's job metrics", async () => {
    const records = 6000;
    const tmPort = metricsPortOf(taskManager, 'TaskManager started');
    const jmPort = metricsPortOf(jobManager, 'JobManager started');
    const { jobId } = await client.submitJobFile(jobFile('metered'), { args: [String(records), '4000'] });
    const source = { job_id: jobId, task_name: 'Source: Generator -> Filter', subtask_index: '0' };
    let sink: Record<string, string> = {};
    const readings: number[] = [];
    // While the job runs: the sink task's numRecordsIn grows between scrapes.
    await waitFor(async () => {
      const samples = await scrape(tmPort);
      const found = samples.find((sample) => sample.name === 'eddy_taskmanager_job_task_numRecordsIn' && sample.labels['job_id'] === jobId && sample.value > 0);
      if (found === undefined) return false;
      sink = found.labels;
      readings.push(found.value);
      return readings.length >= 2 && (readings.at(-1) as number) > (readings[0] as number) && (readings.at(-1) as number) < records;
    }, () => `two growing readings of the sink's numRecordsIn below ${records} (${readings.join(', ')})`, 20_000, 200);
    assert.equal(sink['tm_id'], taskManager.taskManagerId);
    assert.equal(sink['host'], '127.0.0.1');
    assert.equal(sink['job_name'], 'metered');
    assert.equal(sink['subtask_index'], '0');
    // At the end: every record the filter let through crossed both boundaries, counted once.
    let samples = await scrape(tmPort);
    await waitFor(async () => {
      samples = await scrape(tmPort);
      return value(samples, 'eddy_taskmanager_job_task_numRecordsIn', { job_id: jobId, task_name: sink['task_name'] as string }) === records;
    }, `the sink's numRecordsIn to reach ${records}`, 20_000, 200);
    assert.equal(value(samples, 'eddy_taskmanager_job_task_numRecordsOut', source), records);
    const bytesOut = value(samples, 'eddy_taskmanager_job_task_numBytesOut', source) as number;
    assert.ok(bytesOut > records, `numBytesOut ${bytesOut} counts the buffers' bytes`);
    assert.equal(value(samples, 'eddy_taskmanager_job_task_numBytesIn', { job_id: jobId, task_name: sink['task_name'] as string }), bytesOut);
    for (const name of ['busyTimeMsPerSecond', 'idleTimeMsPerSecond', 'backPressuredTimeMsPerSecond', 'numRecordsInPerSecond']) {
      assert.ok(value(samples, `eddy_taskmanager_job_task_${name}`, source) !== undefined, `the source task has ${name}`);
    }
    assert.ok((value(samples, 'eddy_taskmanager_Status_Node_Memory_Heap_Used', { tm_id: taskManager.taskManagerId }) as number) > 0);

    // User metrics of the process function, under Flink's operator scope.
    const operator = { job_id: jobId, operator_name: 'Doubled', subtask_index: '0' };
    await waitFor(async () => {
      samples = await scrape(tmPort);
      return value(samples, 'eddy_taskmanager_job_task_operator_lastValue', operator) === records - 1;
    }, 'the gauge to be sampled at the last record', 10_000, 200);
    assert.equal(value(samples, 'eddy_taskmanager_job_task_operator_recordsSeen', operator), records);
    assert.equal(value(samples, 'eddy_taskmanager_job_task_operator_values_count', operator), records);
    // The window holds the last 1024 of i % 100: their median is about 50.
    const median = value(samples, 'eddy_taskmanager_job_task_operator_values', { ...operator, quantile: '0.5' }) as number;
    assert.ok(median >= 45 && median <= 55, `the histogram's median ${median}`);
    assert.ok((value(samples, 'eddy_taskmanager_job_task_operator_recordsSeenRate', operator) as number) > 0, 'the meter has a rate');

    const jm = await scrape(jmPort);
    assert.ok((value(jm, 'eddy_jobmanager_job_uptime', { job_id: jobId, job_name: 'metered' }) as number) > 0, 'the job has an uptime');
    assert.equal(value(jm, 'eddy_jobmanager_job_numRestarts', { job_id: jobId }), 0);
    assert.equal(value(jm, 'eddy_jobmanager_job_numberOfCompletedCheckpoints', { job_id: jobId }), 0);
    assert.ok((value(jm, 'eddy_jobmanager_Status_Node_Memory_Heap_Total', {}) as number) > 0);

    await client.cancelJob(jobId);
    // Task metrics leave with the task, as in Flink.
    await waitFor(async () => (await scrape(tmPort)).every((sample) => sample.labels['job_id'] !== jobId), 'the canceled job to leave the TaskManager scrape', 20_000, 200);
  });

  it("shows Flink's backpressure: high upstream of a slow sink, low in a fast job", async () => {
    const current = (vertex: dispatcher.VertexDetails): dispatcher.AttemptDetails => {
      const subtask = vertex.subtasks[0] as dispatcher.SubtaskDetails;
      return subtask.attempts[subtask.attempts.length - 1] as dispatcher.AttemptDetails;
    };
    const slow = await client.submitJobFile(jobFile('slow-sink'), { args: ['Infinity', '2000'] });
    const fast = await client.submitJobFile(jobFile('steady'), { args: ['1000'] });
    let slowDetails: dispatcher.JobDetails | undefined;
    await waitFor(async () => {
      slowDetails = await client.requestJob(slow.jobId);
      const [source, sink] = slowDetails.vertices.map(current);
      return source !== undefined && sink !== undefined && source.backPressuredTimeMsPerSecond > 500 && sink.busyTimeMsPerSecond > 500;
    }, () => `the slow job's source to be backpressured and its sink busy (${JSON.stringify(slowDetails?.vertices.map((v) => [v.name, current(v).backPressuredTimeMsPerSecond, current(v).idleTimeMsPerSecond, current(v).busyTimeMsPerSecond]))})`, 30_000, 250);
    let fastDetails: dispatcher.JobDetails | undefined;
    await waitFor(async () => {
      fastDetails = await client.requestJob(fast.jobId);
      // Rates exist once the TaskManager sampled the task over a window: then the three add up to 1000.
      return fastDetails.vertices.every((vertex) => current(vertex).numRecordsInPerSecond + current(vertex).numRecordsOutPerSecond > 0);
    }, 'the fast job to report its rates', 20_000, 250);
    for (const vertex of (fastDetails as dispatcher.JobDetails).vertices) {
      const attempt = current(vertex);
      assert.ok(attempt.backPressuredTimeMsPerSecond < 100, `${vertex.name} of the fast job is not backpressured (${attempt.backPressuredTimeMsPerSecond} ms/s)`);
      assert.ok(Math.abs(attempt.backPressuredTimeMsPerSecond + attempt.idleTimeMsPerSecond + attempt.busyTimeMsPerSecond - 1000) < 1, 'back-pressured, idle and busy add up to a second');
    }
    const status = await runEddy(['status', slow.jobId, '-m', jobManager.address]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^\s*Backpressure\s+high \(0\.\d\d\)$/m, status.stdout);
    const fastStatus = await runEddy(['status', fast.jobId, '-m', jobManager.address]);
    assert.match(fastStatus.stdout, /^\s*Backpressure\s+ok \(0\.\d\d\)$/m, fastStatus.stdout);
    await Promise.all([client.cancelJob(slow.jobId), client.cancelJob(fast.jobId)]);
  });
});
