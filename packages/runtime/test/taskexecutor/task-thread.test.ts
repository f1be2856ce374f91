import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { Configuration } from '@eddy/common';
import type { eddy_taskexecutor_v1 } from '@eddy/proto';
import type { ErrorInfo, TaskThreadState } from '../../src/taskexecutor/task-messages.js';
import { TaskThread } from '../../src/taskexecutor/task-thread.js';

const FIXTURE_BUNDLE = fileURLToPath(new URL('../fixtures/test-tasks.js', import.meta.url));
const DEADLINE_MS = 10_000;

function deployment(overrides: Partial<eddy_taskexecutor_v1.TaskDeploymentDescriptor> = {}): eddy_taskexecutor_v1.TaskDeploymentDescriptor {
  return {
    jobId: 'job-1',
    jobName: 'Test job',
    executionAttemptId: 'attempt-1',
    vertexId: 'vertex-1',
    vertexName: 'Source',
    subtaskIndex: 1,
    parallelism: 3,
    maxParallelism: 128,
    attemptNumber: 0,
    allocationId: 'allocation-1',
    blobKey: 'blob-1',
    invokable: 'finishImmediately',
    operators: [{ id: 'operator-1', name: 'Source', configJson: '' }],
    jobConfiguration: {},
    producedPartitions: [],
    inputGates: [],
    ...overrides,
  };
}

/** Rejects with a message naming `what` if `promise` has not settled within the deadline. */
async function within<T>(promise: Promise<T>, what: string, ms = DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

interface Report {
  readonly state: TaskThreadState;
  readonly error: ErrorInfo | undefined;
  readonly args: number;
}

interface RunningTask {
  readonly thread: TaskThread;
  readonly reports: Report[];
  readonly logLines: Record<string, unknown>[];
  states(): TaskThreadState[];
  /** Resolves with the report once the task has reported `state`. */
  reached(state: TaskThreadState): Promise<Report>;
}

const started: TaskThread[] = [];

afterEach(async () => {
  // Whatever a test did, none of its threads may outlive it.
  await Promise.all(started.splice(0).map((thread) => within(thread.terminate('test ended'), 'a task thread to exit')));
});

function startTask(options: {
  deployment?: Partial<eddy_taskexecutor_v1.TaskDeploymentDescriptor>;
  bundlePath?: string | undefined;
  cancellationTimeoutMs?: number;
  taskManagerConfiguration?: Record<string, string>;
  requestInputSplit?: () => Promise<{ id: string; split: string } | undefined>;
}): RunningTask {
  const reports: Report[] = [];
  const logLines: Record<string, unknown>[] = [];
  const waiters: { state: TaskThreadState; resolve: (report: Report) => void }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
  const thread = TaskThread.start({
    deployment: deployment(options.deployment),
    bundlePath: 'bundlePath' in options ? options.bundlePath : FIXTURE_BUNDLE,
    logger,
    cancellationTimeoutMs: options.cancellationTimeoutMs ?? 30_000,
    taskManagerConfiguration: Configuration.fromRecord(options.taskManagerConfiguration ?? {}, 'command line'),
    callbacks: {
      notifyStateChange(state: TaskThreadState, error?: ErrorInfo, ...rest: unknown[]) {
        const report = { state, error, args: 1 + (error === undefined ? 0 : 1) + rest.length };
        reports.push(report);
        for (const waiter of waiters.filter((w) => w.state === state)) {
          waiter.resolve(report);
        }
      },
      requestInputSplit: options.requestInputSplit ?? (() => Promise.resolve(undefined)),
    },
  });
  started.push(thread);
  return {
    thread,
    reports,
    logLines,
    states: () => reports.map((report) => report.state),
    reached: (state) => {
      const report = reports.find((r) => r.state === state);
      const reachedState = report !== undefined ? Promise.resolve(report) : new Promise<Report>((resolve) => waiters.push({ state, resolve }));
      return within(reachedState, `state ${state} (reported so far: ${reports.map((r) => r.state).join(', ') || 'nothing'})`);
    },
  };
}

/** Waits until the thread has exited. */
function exited(task: RunningTask): Promise<void> {
  return within(task.thread.terminated, 'the task thread to exit');
}

describe('TaskThread', () => {
  it('reports INITIALIZING, RUNNING and FINISHED for a task that returns, and its thread exits', async () => {
    const task = startTask({ deployment: { invokable: 'finishImmediately' } });
    assert.equal(task.thread.executionAttemptId, 'attempt-1');
    await task.reached('FINISHED');
    await exited(task);
    assert.deepEqual(task.states(), ['INITIALIZING', 'RUNNING', 'FINISHED']);
    assert.ok(task.reports.every((report) => report.error === undefined && report.args === 1));
    const line = task.logLines.find((l) => l['msg'] === 'Finishing immediately');
    assert.ok(line, 'the task code logged through ctx.log');
    assert.deepEqual([line['jobId'], line['vertexId'], line['subtask'], line['attempt']], ['job-1', 'vertex-1', 1, 0]);
    task.thread.cancel();
    assert.deepEqual(task.states(), ['INITIALIZING', 'RUNNING', 'FINISHED'], 'a cancel after the end changes nothing');
  });

  it('runs a bundle copied to a directory of its own, as a TaskManager caches it', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'eddy-bundle-'));
    try {
      const bundlePath = join(directory, 'job-bundle.js');
      await copyFile(FIXTURE_BUNDLE, bundlePath);
      const task = startTask({ bundlePath, deployment: { invokable: 'finishImmediately' } });
      await task.reached('FINISHED');
      await exited(task);
      assert.deepEqual(task.states(), ['INITIALIZING', 'RUNNING', 'FINISHED']);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('hands the task its configuration and parsed operator config', async () => {
    const task = startTask({
      deployment: { invokable: 'runFor', operators: [{ id: 'op', name: 'Source', configJson: '{"ms":5}' }] },
    });
    await task.reached('FINISHED');
    await exited(task);
    assert.equal(task.logLines.find((l) => l['msg'] === 'Running for a while')?.['ms'], 5);

    const configured = startTask({ deployment: { invokable: 'runFor', jobConfiguration: { 'test.run-for': '7' } } });
    await configured.reached('FINISHED');
    await exited(configured);
    assert.equal(configured.logLines.find((l) => l['msg'] === 'Running for a while')?.['ms'], 7);
  });

  it("reports FAILED with the task code's error, its stack and the subtask's location", async () => {
    const task = startTask({
      deployment: { invokable: 'throwError', attemptNumber: 2, jobConfiguration: { 'test.error-message': 'bad record 42' } },
    });
    const failed = await task.reached('FAILED');
    await exited(task);
    assert.deepEqual(task.states(), ['INITIALIZING', 'RUNNING', 'FAILED']);
    assert.equal(failed.error?.name, 'Error');
    assert.equal(failed.error?.message, 'bad record 42');
    assert.match(failed.error?.stack ?? '', /at throwError \(.*test-tasks\.[jt]s/);
    assert.equal(failed.error?.location, 'Source (2/3) (attempt 2)');
  });

  it('fails the first attempts of a task that fails on purpose and finishes the next one', async () => {
    const configuration = { 'test.fail-attempts': '1', 'test.run-for': '1' };
    const first = startTask({ deployment: { invokable: 'failOnFirstAttempts', attemptNumber: 0, jobConfiguration: configuration } });
    assert.match((await first.reached('FAILED')).error?.message ?? '', /attempt 0 failed on purpose/);
    const second = startTask({ deployment: { invokable: 'failOnFirstAttempts', attemptNumber: 1, jobConfiguration: configuration } });
    await second.reached('FINISHED');
    await Promise.all([exited(first), exited(second)]);
  });

  it('reports CANCELED when a running task returns after a cancel, and its thread exits', async () => {
    const task = startTask({ deployment: { invokable: 'runForever' } });
    await task.reached('RUNNING');
    task.thread.cancel();
    task.thread.cancel();
    await task.reached('CANCELED');
    await exited(task);
    assert.deepEqual(task.states(), ['INITIALIZING', 'RUNNING', 'CANCELED']);
    assert.ok(!task.logLines.some((l) => l['msg'] === 'Task did not end within the cancellation timeout; terminating its thread'));
  });

  it('cancels a task that is still initializing', async () => {
    const task = startTask({ deployment: { invokable: 'runForever' } });
    task.thread.cancel();
    await task.reached('CANCELED');
    await exited(task);
    assert.equal(task.states().at(-1), 'CANCELED');
    assert.equal(task.states().filter((state) => state === 'CANCELED').length, 1);
  });

  it('terminates a task that ignores the cancel once the cancellation timeout has passed, and reports it CANCELED', async () => {
    const task = startTask({ deployment: { invokable: 'ignoreCancel' }, cancellationTimeoutMs: 200 });
    await task.reached('RUNNING');
    const canceledAt = Date.now();
    task.thread.cancel();
    await task.reached('CANCELED');
    const elapsedMs = Date.now() - canceledAt;
    await exited(task);
    assert.deepEqual(task.states(), ['INITIALIZING', 'RUNNING', 'CANCELED']);
    assert.ok(elapsedMs >= 190, `reported CANCELED after only ${elapsedMs} ms`);
    assert.ok(task.logLines.some((l) => l['msg'] === 'Ignoring the cancel'), 'the task received the cancel');
    const warning = task.logLines.find((l) => l['msg'] === 'Task did not end within the cancellation timeout; terminating its thread');
    assert.equal(warning?.['configKey'], 'task.cancellation.timeout');
  });

  it('terminates a task whose code never yields once the cancellation timeout has passed, and reports it CANCELED', async () => {
    const task = startTask({ deployment: { invokable: 'spinForever' }, cancellationTimeoutMs: 300 });
    await task.reached('RUNNING');
    await within(
      new Promise<void>(function poll(resolve) {
        if (task.logLines.some((l) => l['msg'] === 'Spinning')) resolve();
        else setImmediate(poll, resolve);
      }),
      'the task to spin',
    );
    task.thread.cancel();
    await task.reached('CANCELED');
    await exited(task);
    assert.deepEqual(task.states(), ['INITIALIZING', 'RUNNING', 'CANCELED']);
    const warning = task.logLines.find((l) => l['msg'] === 'Task did not end within the cancellation timeout; terminating its thread');
    assert.equal(warning?.['timeoutMs'], 300);
  });

  it('reports CANCELED, not FAILED, for a task that fails while it is being canceled', async () => {
    const task = startTask({ deployment: { invokable: 'failWhenCanceled' } });
    await task.reached('RUNNING');
    task.thread.cancel();
    await task.reached('CANCELED');
    await exited(task);
    assert.deepEqual(task.states(), ['INITIALIZING', 'RUNNING', 'CANCELED']);
    assert.ok(task.reports.every((report) => report.error === undefined));
  });

  it('fails a task that outgrows its share of taskmanager.memory.task.heap.size, naming the limit and the option', async () => {
    const task = startTask({
      deployment: { invokable: 'leakMemory' },
      taskManagerConfiguration: { 'taskmanager.memory.task.heap.size': '128 mb', 'taskmanager.numberOfTaskSlots': '4' },
    });
    const failed = await task.reached('FAILED');
    await exited(task);
    assert.deepEqual(task.states(), ['INITIALIZING', 'RUNNING', 'FAILED']);
    assert.equal(failed.error?.name, 'TaskHeapLimitExceededError');
    assert.match(failed.error?.message ?? '', /^task heap limit of 32 MB exceeded; raise taskmanager\.memory\.task\.heap\.size \(128 mb on this TaskManager, split over its 4 slots\)$/);
    assert.equal(failed.error?.location, 'Source (2/3) (attempt 0)');
    assert.equal(task.logLines.find((l) => l['msg'] === 'Task thread started')?.['heapLimitMb'], 32);
  });

  it("starts the task with the job's network settings over the TaskManager's, and the TaskManager's over the defaults", async () => {
    const task = startTask({
      deployment: { invokable: 'finishImmediately', jobConfiguration: { 'execution.buffer-timeout': '5 ms', 'taskmanager.network.memory.buffers-per-channel': '2' } },
      taskManagerConfiguration: { 'execution.buffer-timeout': '7 s', 'taskmanager.memory.segment-size': '64 kb' },
    });
    await task.reached('FINISHED');
    await exited(task);
    assert.deepEqual(task.logLines.find((l) => l['msg'] === 'Task thread started')?.['network'], {
      bufferSizeBytes: 64 * 1024,
      bufferTimeoutMs: 5,
      initialCredit: 2,
      maxQueuedBuffersPerChannel: 8,
    });
  });

  it("fails a task whose job sets a network option to a value that does not parse, naming the key and the job's configuration", async () => {
    const task = startTask({ deployment: { invokable: 'finishImmediately', jobConfiguration: { 'execution.buffer-timeout': 'soon' } } });
    const failed = await task.reached('FAILED');
    await exited(task);
    assert.match(failed.error?.message ?? '', /Invalid value 'soon' for execution\.buffer-timeout \(from job configuration\)/);
  });

  it('reports FAILED when task code throws outside its promise, and ends the thread', async () => {
    const task = startTask({ deployment: { invokable: 'failInBackground' } });
    const failed = await task.reached('FAILED');
    await exited(task);
    assert.deepEqual(task.states(), ['INITIALIZING', 'RUNNING', 'FAILED']);
    assert.equal(failed.error?.message, 'failed in a background timer');
    assert.match(failed.error?.stack ?? '', /test-tasks\.[jt]s/);
  });

  it('terminates a thread that outlives its finished task because task code left a timer running', async () => {
    const task = startTask({ deployment: { invokable: 'finishLeavingTimer' }, cancellationTimeoutMs: 200 });
    await task.reached('FINISHED');
    await exited(task);
    assert.deepEqual(task.states(), ['INITIALIZING', 'RUNNING', 'FINISHED']);
    assert.ok(task.logLines.some((l) => String(l['msg']).startsWith('Task thread still runs after its task ended')));
  });

  it('reports FAILED naming the exit code when task code ends its thread with process.exit', async () => {
    const task = startTask({ deployment: { invokable: 'exitProcess' } });
    const failed = await task.reached('FAILED');
    await exited(task);
    assert.deepEqual(task.states(), ['INITIALIZING', 'RUNNING', 'FAILED']);
    assert.match(failed.error?.message ?? '', /exited with code 3/);
    assert.equal(failed.error?.location, 'Source (2/3) (attempt 0)');
  });

  it("reports FAILED naming the invokable and the bundle's exports when the bundle does not export it", async () => {
    const task = startTask({ deployment: { invokable: 'noSuchTask' } });
    const failed = await task.reached('FAILED');
    await exited(task);
    assert.deepEqual(task.states(), ['INITIALIZING', 'FAILED']);
    assert.equal(failed.error?.name, 'InvokableNotFoundError');
    const message = failed.error?.message ?? '';
    assert.match(message, /'noSuchTask'/);
    for (const name of ['finishImmediately', 'runFor', 'readSplits', 'exitProcess']) {
      assert.ok(message.includes(name), `${message} lists ${name}`);
    }
  });

  it('reports FAILED naming the bundle when the bundle file does not exist', async () => {
    const missing = '/nonexistent/eddy-bundles/job-1.js';
    const task = startTask({ bundlePath: missing, deployment: { invokable: 'finishImmediately' } });
    const failed = await task.reached('FAILED');
    await exited(task);
    assert.deepEqual(task.states(), ['INITIALIZING', 'FAILED']);
    assert.equal(failed.error?.name, 'JobBundleLoadError');
    assert.ok(failed.error?.message.includes(missing), failed.error?.message);
  });

  it('hands out input splits from the callback in order, and the task reads them all', async () => {
    const splits = ['split-0', 'split-1', 'split-2', 'split-3'];
    const remaining = [...splits];
    let requests = 0;
    const task = startTask({
      deployment: { invokable: 'readSplits' },
      requestInputSplit: async () => {
        requests++;
        const split = remaining.shift();
        return split === undefined ? undefined : { id: String(requests), split };
      },
    });
    await task.reached('FINISHED');
    await exited(task);
    const line = task.logLines.find((l) => l['msg'] === 'Read input splits');
    assert.deepEqual(line?.['splits'], splits);
    assert.equal(requests, splits.length + 1);
  });

  it('fails the task with the error of a rejected input split request', async () => {
    const task = startTask({
      deployment: { invokable: 'readSplits' },
      requestInputSplit: () => {
        const error = new Error('JobMaster of job job-1 is unreachable');
        error.name = 'RpcUnreachableError';
        return Promise.reject(error);
      },
    });
    const failed = await task.reached('FAILED');
    await exited(task);
    assert.deepEqual(task.states(), ['INITIALIZING', 'RUNNING', 'FAILED']);
    assert.equal(failed.error?.name, 'RpcUnreachableError');
    assert.equal(failed.error?.message, 'JobMaster of job job-1 is unreachable');
  });

  it('drops the answer to a split request that comes after the task was canceled and its thread exited', async () => {
    let answer: ((split: { id: string; split: string } | undefined) => void) | undefined;
    let task!: RunningTask;
    const requested = new Promise<void>((resolveRequested) => {
      task = startTask({
        deployment: { invokable: 'readSplits' },
        requestInputSplit: () =>
          new Promise((resolve) => {
            answer = resolve;
            resolveRequested();
          }),
      });
    });
    await within(requested, 'the split request');
    task.thread.cancel();
    await task.reached('CANCELED');
    await exited(task);
    answer?.({ id: '0', split: 'split-0' });
    await within(
      new Promise<void>(function poll(resolve) {
        if (task.logLines.some((l) => l['msg'] === 'Dropped the answer to a request of a task that has ended')) {
          resolve();
        } else {
          setImmediate(poll, resolve);
        }
      }),
      'the answer to be dropped',
    );
    assert.deepEqual(task.states(), ['INITIALIZING', 'RUNNING', 'CANCELED']);
  });

  it('reports nothing after terminate() and resolves once the thread has exited', async () => {
    const task = startTask({ deployment: { invokable: 'runForever' } });
    await task.reached('RUNNING');
    await within(task.thread.terminate('TaskManager shutting down'), 'terminate()');
    assert.deepEqual(task.states(), ['INITIALIZING', 'RUNNING']);
    task.thread.cancel();
    assert.deepEqual(task.states(), ['INITIALIZING', 'RUNNING']);
  });
});
