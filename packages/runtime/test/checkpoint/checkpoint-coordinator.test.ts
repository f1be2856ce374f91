import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import type { eddy_checkpoint_v1 as cp } from '@eddy/proto';
import { silentLogger } from '@eddy/common';
import { CheckpointCoordinator, CheckpointFailureThresholdError, SavepointFailedError, type CheckpointTask, type SavepointRequest } from '../../src/checkpoint/checkpoint-coordinator.js';
import { CheckpointMetadataError, decodeMetadata, encodeMetadata, type CompletedCheckpoint } from '../../src/checkpoint/checkpoint-metadata.js';
import { FileSystemCheckpointStorage, readCompletedCheckpoint } from '../../src/checkpoint/checkpoint-storage.js';
import { LocalStateFileSystem } from '../../src/checkpoint/filesystem/local-state-file-system.js';
import type { CheckpointingSettings } from '../../src/checkpoint/checkpointing-options.js';

const scratch = mkdtempSync(join(tmpdir(), 'eddy-coordinator-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function settings(overrides: Partial<CheckpointingSettings> = {}): CheckpointingSettings {
  return {
    enabled: true,
    intervalMs: 1000,
    mode: 'EXACTLY_ONCE',
    timeoutMs: 5000,
    minPauseMs: 0,
    maxConcurrent: 1,
    tolerableFailures: 0,
    directory: scratch,
    numRetained: 1,
    retention: 'NO_EXTERNALIZED_CHECKPOINTS',
    inlineThresholdBytes: 1024,
    maxInlineStateBytes: 1 << 20,
    incremental: false,
    restorePath: '',
    ...overrides,
  };
}

/** A scheduler whose clock the test moves; the coordinator's timers and continuations run through it. */
class ManualScheduler {
  now = 0;
  private readonly timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  schedule(fn: () => void, delayMs: number): { cancel(): void } {
    const timer = { at: this.now + delayMs, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }
  /** Runs every timer due within `ms`, in time order. */
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => !t.cancelled && t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      due.cancelled = true;
      this.now = Math.max(this.now, due.at);
      due.fn();
    }
    this.now = until;
  }
}

/** A subtask of a job of two vertices, src -> sink, all to all. */
function task(vertexId: string, subtask: number, isSource: boolean, state = 'RUNNING', upstreamAttemptIds = isSource ? [] : ['src-0-a', 'src-1-a']): CheckpointTask {
  return { attemptId: `${vertexId}-${subtask}-a`, vertexId, vertexName: vertexId, subtask, parallelism: 2, maxParallelism: 128, operatorIds: [vertexId], isSource, upstreamAttemptIds, state };
}

function stateWith(path: string, inline = ''): cp.TaskStateSnapshot {
  const handle: cp.StreamStateHandle = path === '' ? { path: '', inlineBytes: Buffer.from(inline), size: inline.length } : { path, inlineBytes: new Uint8Array(0), size: 3 };
  return { operators: [{ operatorId: 'op', keyedState: [], operatorState: [{ handle, states: [{ name: 's', mode: 'SPLIT_DISTRIBUTE', offsets: [0], type: '', ends: [] }] }], unionOperatorState: [], states: [] }], heldSplitIds: [], finishedSplitIds: [], endOfInput: false };
}

/** Lets the file system's promises (mkdir, the metadata write) settle. */
const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 2));
};

/** Waits (with a deadline) until `condition` holds. */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('CheckpointCoordinator', () => {
  let scheduler: ManualScheduler;
  let tasks: CheckpointTask[];
  let triggered: [string, number][];
  let completedNotes: [string, number][];
  let abortedNotes: [string, number][];
  let failures: Error[] = [];
  /** Attempts whose trigger fails as if their TaskManager no longer ran them. */
  const unreachable = new Set<string>();
  let coordinator: CheckpointCoordinator;
  let dir: string;
  let stops: [string, boolean][] = [];

  const create = (overrides: Partial<CheckpointingSettings> = {}): CheckpointCoordinator => {
    dir = mkdtempSync(join(scratch, 'job-'));
    const s = settings({ directory: dir, ...overrides });
    coordinator = new CheckpointCoordinator(s, new FileSystemCheckpointStorage(new LocalStateFileSystem(), s.directory, 'job-1'), {
      jobId: 'job-1',
      jobName: 'test job',
      logger: silentLogger(),
      runInMainThread: (fn) => fn(),
      scheduleInMainThread: (fn, delay) => scheduler.schedule(fn, delay),
      tasks: () => tasks,
      isJobRunning: () => true,
      triggerTask: (t, id) => {
        if (unreachable.has(t.attemptId)) return Promise.reject(new Error(`Attempt ${t.attemptId} is not running`));
        triggered.push([t.attemptId, id]);
        return Promise.resolve();
      },
      notifyCheckpointComplete: (t, id) => void completedNotes.push([t.attemptId, id]),
      notifyCheckpointAborted: (t, id) => void abortedNotes.push([t.attemptId, id]),
      failJob: (error) => void failures.push(error),
      stopSource: (t, drain) => {
        stops.push([t.attemptId, drain]);
        return Promise.resolve();
      },
    });
    return coordinator;
  };

  beforeEach(() => {
    scheduler = new ManualScheduler();
    tasks = [task('src', 0, true), task('src', 1, true), task('sink', 0, false), task('sink', 1, false)];
    triggered = [];
    completedNotes = [];
    abortedNotes = [];
    failures = [];
    stops = [];
    unreachable.clear();
  });
  afterEach(() => coordinator?.shutdown('test over', false));

  const latestId = (): number | undefined => coordinator.latestCompleted?.checkpointId;
  const ackAll = (id: number, except: string[] = []): void => {
    for (const t of tasks) if (!except.includes(t.attemptId)) coordinator.receiveAcknowledge(t.attemptId, id, stateWith('', `${t.attemptId}@${id}`), null);
  };

  it('triggers the sources every interval and completes a checkpoint only once every running task acknowledged it', async () => {
    create();
    coordinator.startCheckpointScheduler();
    scheduler.advance(999);
    assert.deepEqual(triggered, []);
    scheduler.advance(1);
    await eventually(() => triggered.length === 2, 'checkpoint 1 to be triggered once its directory exists');
    assert.deepEqual(triggered, [
      ['src-0-a', 1],
      ['src-1-a', 1],
    ]);
    ackAll(1, ['sink-1-a']);
    await flush();
    assert.equal(coordinator.latestCompleted, undefined, 'not complete while one task has not acknowledged');
    coordinator.receiveAcknowledge('sink-1-a', 1, stateWith('', 'x'), null);
    await eventually(() => coordinator.latestCompleted !== undefined, 'checkpoint 1 to complete');
    assert.equal(latestId(), 1);
    assert.ok(existsSync(join(dir, 'job-1', 'chk-1', '_metadata')), 'the metadata file is written');
    assert.deepEqual(completedNotes.map(([, id]) => id), [1, 1, 1, 1]);
    const read = await readCompletedCheckpoint(join(dir, 'job-1', 'chk-1'), new LocalStateFileSystem());
    assert.equal(read.vertices.length, 2);
    assert.equal(Buffer.from(read.vertices[1]!.subtasks[1]!.state.operators[0]!.operatorState[0]!.handle!.inlineBytes).toString(), 'x');
  });

  it('aborts a checkpoint that outlives the timeout, tells the tasks, and fails the job past the tolerable failures', async () => {
    create({ timeoutMs: 300, tolerableFailures: 1 });
    coordinator.startCheckpointScheduler();
    scheduler.advance(1000);
    await flush();
    scheduler.advance(300);
    await flush();
    assert.equal(coordinator.stats.latestFailed?.failureKind, 'TIMEOUT');
    assert.match(coordinator.stats.latestFailed?.failureMessage ?? '', /expired after 300 ms \(execution.checkpointing.timeout\) before 4 subtask/);
    assert.equal(abortedNotes.length, 4);
    assert.deepEqual(failures, [], 'one failure is tolerated');
    scheduler.advance(1000);
    await flush();
    scheduler.advance(300);
    await flush();
    assert.equal(failures.length, 1);
    const failure = failures[0] as unknown;
    assert.ok(failure instanceof CheckpointFailureThresholdError);
    assert.match(failure.message, /2 checkpoint\(s\) failed in a row, more than execution.checkpointing.tolerable-failed-checkpoints \(1\)/);
  });

  it('aborts on a decline; one from a task not ready yet does not count as a failure', async () => {
    create({ tolerableFailures: 0 });
    coordinator.startCheckpointScheduler();
    scheduler.advance(1000);
    await flush();
    coordinator.receiveDecline('sink-0-a', 1, { name: 'Error', message: 'restoring', stack: '', location: '' }, 'TASK_NOT_READY');
    assert.deepEqual(failures, []);
    assert.equal(coordinator.stats.recent()[0]?.checkpointId, 1);
    scheduler.advance(1000);
    await flush();
    coordinator.receiveDecline('sink-0-a', 2, { name: 'Error', message: 'ENOSPC: no space left on device', stack: '', location: '' }, 'TASK_FAILURE');
    assert.equal(failures.length, 1);
    assert.match(String((failures[0] as unknown as Error).message), /ENOSPC/);
  });

  it('fails the checkpoint with the path and the OS error when the checkpoint directory cannot be written', async () => {
    const blocked = join(scratch, 'not-a-dir');
    writeFileSync(blocked, 'a file where the directory should be');
    create({ directory: blocked, tolerableFailures: 5 });
    coordinator.startCheckpointScheduler();
    scheduler.advance(1000);
    await eventually(() => coordinator.stats.latestFailed !== undefined, 'the checkpoint to fail');
    assert.deepEqual(triggered, [], 'nothing triggered without a place to write');
    assert.equal(coordinator.stats.latestFailed?.failureKind, 'STORAGE');
    assert.match(coordinator.stats.latestFailed?.failureMessage ?? '', new RegExp(`Could not create the checkpoint directory ${blocked}/job-1/chk-1: .*(ENOTDIR|EEXIST)`));
  });

  it('keeps num-retained checkpoints and deletes files no retained checkpoint needs', async () => {
    create({ numRetained: 2 });
    coordinator.startCheckpointScheduler();
    const files: string[] = [];
    for (let id = 1; id <= 3; id++) {
      scheduler.advance(1000);
      await flush();
      const chk = join(dir, 'job-1', `chk-${id}`);
      mkdirSync(chk, { recursive: true });
      for (const t of tasks) {
        const file = join(chk, `${t.attemptId}-state`);
        writeFileSync(file, 'abc');
        files.push(file);
        coordinator.receiveAcknowledge(t.attemptId, id, stateWith(file), null);
      }
      await eventually(() => latestId() === id, `checkpoint ${id} to complete`);
    }
    await eventually(() => !existsSync(join(dir, 'job-1', 'chk-1')), 'checkpoint 1 to be deleted');
    assert.deepEqual(coordinator.retainedCheckpoints.map((c) => c.checkpointId), [2, 3]);
    assert.equal(existsSync(join(dir, 'job-1', 'chk-1')), false, 'checkpoint 1 is gone');
    assert.ok(files.slice(4).every((file) => existsSync(file)), 'checkpoints 2 and 3 keep their files');
  });

  it('carries the state of a finished task into later checkpoints, and triggers the final checkpoint once every source reached its end', async () => {
    create({ intervalMs: 60_000 });
    coordinator.startCheckpointScheduler();
    scheduler.advance(60_000);
    await eventually(() => triggered.length === 2, 'checkpoint 1 to be triggered');
    ackAll(1);
    await eventually(() => latestId() === 1, 'checkpoint 1 to complete');
    // src-1 reached its end: it waits; src-0 too, then the final checkpoint comes at once.
    coordinator.notifyEndOfData('src-1-a');
    scheduler.advance(10);
    assert.equal(triggered.filter(([, id]) => id === 2).length, 0);
    coordinator.notifyEndOfData('src-0-a');
    scheduler.advance(0);
    await eventually(() => triggered.filter(([, id]) => id === 2).length === 2, 'the final checkpoint to be triggered without waiting for the interval');
    ackAll(2);
    await eventually(() => latestId() === 2, 'checkpoint 2 to complete');
    // Both sources finished after checkpoint 2; the sinks keep running and take checkpoint 3 alone.
    tasks = tasks.map((t) => (t.isSource ? { ...t, state: 'FINISHED' } : t));
    coordinator.receiveAcknowledge('sink-0-a', 3, stateWith(''), null);
    assert.equal(latestId(), 2);
  });

  it('triggers the subtasks at the front of what runs: unfinished sources, and subtasks whose upstream subtasks all finished', async () => {
    create({ intervalMs: 1000 });
    // src -> map forward (pointwise): map-0 reads src-0 only, map-1 reads src-1 only.
    tasks = [task('src', 0, true), task('src', 1, true), task('map', 0, false, 'RUNNING', ['src-0-a']), task('map', 1, false, 'RUNNING', ['src-1-a'])];
    const ackRunning = (id: number): void => {
      for (const t of tasks.filter((t) => t.state !== 'FINISHED')) coordinator.receiveAcknowledge(t.attemptId, id, stateWith('', `${t.attemptId}@${id}`), null);
    };
    coordinator.startCheckpointScheduler();
    scheduler.advance(1000);
    await eventually(() => triggered.length === 2, 'checkpoint 1 to be triggered');
    ackRunning(1);
    await eventually(() => latestId() === 1, 'checkpoint 1 to complete');
    // src-0 finished: map-0, behind it, gets the trigger itself (no barrier can reach it any more).
    tasks = tasks.map((t) => (t.attemptId === 'src-0-a' ? { ...t, state: 'FINISHED' } : t));
    scheduler.advance(1000);
    await eventually(() => triggered.filter(([, id]) => id === 2).length === 2, 'checkpoint 2 to be triggered');
    assert.deepEqual(triggered.filter(([, id]) => id === 2).sort(), [
      ['map-0-a', 2],
      ['src-1-a', 2],
    ]);
    ackRunning(2);
    await eventually(() => latestId() === 2, 'checkpoint 2 to complete');
    // Every source finished: both maps get the trigger, their final checkpoints among them.
    tasks = tasks.map((t) => (t.isSource ? { ...t, state: 'FINISHED' } : t));
    scheduler.advance(1000);
    await eventually(() => triggered.filter(([, id]) => id === 3).length === 2, 'checkpoint 3 to be triggered');
    assert.deepEqual(triggered.filter(([, id]) => id === 3).sort(), [
      ['map-0-a', 3],
      ['map-1-a', 3],
    ]);
  });

  it('aborts, without counting it, a checkpoint that a subtask can no longer get: every subtask upstream of it finished without taking it', async () => {
    create({ intervalMs: 1000 });
    tasks = [task('src', 0, true), task('src', 1, true), task('map', 0, false, 'RUNNING', ['src-0-a']), task('map', 1, false, 'RUNNING', ['src-1-a'])];
    coordinator.startCheckpointScheduler();
    scheduler.advance(1000);
    await eventually(() => triggered.length === 2, 'checkpoint 1 to be triggered');
    ackAll(1);
    await eventually(() => latestId() === 1, 'checkpoint 1 to complete');
    // Checkpoint 2 goes to both sources; src-0 had already finished in its TaskManager (after its final checkpoint 1).
    scheduler.advance(1000);
    await eventually(() => triggered.filter(([, id]) => id === 2).length === 2, 'checkpoint 2 to be triggered');
    coordinator.receiveAcknowledge('src-1-a', 2, stateWith(''), null);
    tasks = tasks.map((t) => (t.attemptId === 'src-0-a' ? { ...t, state: 'FINISHED' } : t));
    coordinator.notifyTaskFinished('src-0-a');
    await eventually(() => abortedNotes.some(([, id]) => id === 2), 'checkpoint 2 to be aborted');
    assert.deepEqual(failures, []);
    assert.match(coordinator.stats.latestFailed?.failureMessage ?? '', /map \(1\/2\) can no longer get its barrier/);
    // The next one goes to map-0 itself.
    await eventually(() => {
      scheduler.advance(100);
      return triggered.some(([attempt, id]) => attempt === 'map-0-a' && id === 3);
    }, 'checkpoint 3 to be triggered on map-0');
  });

  it('aborts a checkpoint whose trigger cannot reach a subtask without counting it, and tries again after a pause, not at once', async () => {
    create({ intervalMs: 60_000, tolerableFailures: 0 });
    // src-1 ended in its TaskManager, but the JobMaster does not know it yet.
    unreachable.add('src-1-a');
    coordinator.startCheckpointScheduler();
    coordinator.notifyEndOfData('src-0-a');
    coordinator.notifyEndOfData('src-1-a');
    scheduler.advance(0);
    await eventually(() => abortedNotes.some(([, id]) => id === 1), 'checkpoint 1 to be aborted');
    assert.deepEqual(failures, [], 'not counted against the tolerable failures');
    scheduler.advance(10);
    await flush();
    assert.ok(!abortedNotes.some(([, id]) => id === 2), `no second try within 10 ms: ${JSON.stringify(abortedNotes)}`);
    unreachable.clear();
    await eventually(() => {
      scheduler.advance(10);
      return triggered.some(([, id]) => id === 2);
    }, 'checkpoint 2 to be triggered after the pause');
  });

  it('hands a restarted subtask its state of the latest checkpoint, and the enumerator its finished and held splits', async () => {
    create();
    coordinator.startCheckpointScheduler();
    scheduler.advance(1000);
    await eventually(() => triggered.length === 2, 'checkpoint 1 to be triggered');
    for (const t of tasks) {
      const state = { ...stateWith('', t.attemptId), heldSplitIds: t.isSource ? [`held-${t.subtask}`] : [], finishedSplitIds: t.isSource ? [`done-${t.subtask}`] : [] };
      coordinator.receiveAcknowledge(t.attemptId, 1, state, null);
    }
    await eventually(() => latestId() === 1, 'checkpoint 1 to complete');
    const restore = coordinator.restoreFor('sink', 1, 2, ['sink', 'op']);
    assert.equal(restore?.checkpointId, 1);
    assert.equal(Buffer.from(restore!.state!.operators[0]!.operatorState[0]!.handle!.inlineBytes).toString(), 'sink-1-a');
    assert.deepEqual([...coordinator.finishedSplitsFor('src')].sort(), ['done-0', 'done-1']);
    assert.deepEqual([...coordinator.heldSplitsFor('src')].sort(), ['held-0', 'held-1']);
    // At another parallelism the lists are redistributed (state-assignment.ts): 2 elements over 3 subtasks.
    const shares = [0, 1, 2].map((subtask) => coordinator.restoreFor('sink', subtask, 3, ['op'])!.state!.operators[0]?.operatorState.flatMap((h) => h.states[0]!.offsets).length ?? 0);
    assert.deepEqual(shares, [1, 1, 0]);
  });

  /** A savepoint request whose persist() writes nothing; `result` settles with it. */
  const savepointRequest = (): { request: SavepointRequest; result: Promise<CompletedCheckpoint> } => {
    let request!: SavepointRequest;
    const result = new Promise<CompletedCheckpoint>((resolve, reject) => {
      request = { persist: (savepoint) => Promise.resolve({ ...savepoint, savepoint: true, metadataPath: `/savepoints/sp-${savepoint.checkpointId}/_metadata` }), resolve, reject };
    });
    return { request, result };
  };

  it('takes a savepoint at once without retaining it or telling the tasks it completed (Flink 1.15+), and a failed one does not count', async () => {
    create({ tolerableFailures: 0 });
    coordinator.startCheckpointScheduler();
    scheduler.advance(1000);
    await eventually(() => triggered.length === 2, 'checkpoint 1 to be triggered');
    ackAll(1);
    await eventually(() => latestId() === 1, 'checkpoint 1 to complete');
    const first = savepointRequest();
    coordinator.triggerSavepoint(first.request);
    scheduler.advance(0);
    await eventually(() => triggered.length === 4, 'savepoint 2 to be triggered before the interval');
    ackAll(2);
    const savepoint = await first.result;
    assert.equal(savepoint.checkpointId, 2);
    assert.equal(latestId(), 1, 'a failover still restores checkpoint 1');
    assert.deepEqual(completedNotes.map(([, id]) => id), [1, 1, 1, 1], 'no task is told savepoint 2 completed: sinks commit it with the next checkpoint');

    const second = savepointRequest();
    coordinator.triggerSavepoint(second.request);
    scheduler.advance(0);
    await eventually(() => triggered.length === 6, 'savepoint 3 to be triggered');
    coordinator.receiveDecline('sink-0-a', 3, { name: 'Error', message: 'ENOSPC: no space left on device', stack: '', location: '' }, 'TASK_FAILURE');
    await assert.rejects(second.result, (error: Error) => error instanceof SavepointFailedError && /sink \(1\/2\) declined it: Error: ENOSPC/.test(error.message));
    assert.deepEqual(failures, [], 'a failed savepoint is not a failed checkpoint');
  });

  it('stops with a savepoint: sources stop, the savepoint follows their end of data, and the tasks are told it completed', async () => {
    create();
    coordinator.startCheckpointScheduler();
    const stop = savepointRequest();
    coordinator.stopWithSavepoint(stop.request, true);
    assert.deepEqual(stops, [
      ['src-0-a', true],
      ['src-1-a', true],
    ]);
    scheduler.advance(5000);
    await flush();
    assert.deepEqual(triggered, [], 'no periodic checkpoint while the sources stop');
    coordinator.notifyEndOfData('src-0-a');
    coordinator.notifyEndOfData('src-1-a');
    scheduler.advance(0);
    await eventually(() => triggered.length === 2, 'the savepoint to be triggered');
    for (const t of tasks) coordinator.receiveAcknowledge(t.attemptId, 1, { ...stateWith('', t.attemptId), endOfInput: true }, null);
    const savepoint = await stop.result;
    assert.equal(savepoint.checkpointId, 1);
    assert.deepEqual(completedNotes.map(([, id]) => id), [1, 1, 1, 1], 'every task commits it and finishes');
    assert.equal(latestId(), undefined, 'not a checkpoint of the job');
    scheduler.advance(5000);
    await flush();
    assert.equal(triggered.length, 2, 'nothing is triggered after it');
  });

  it('aborts a checkpoint in flight when it stops with a savepoint: one that took every final state cannot end the job before the savepoint', async () => {
    create();
    coordinator.startCheckpointScheduler();
    scheduler.advance(1000);
    await eventually(() => triggered.length === 2, 'checkpoint 1 to be triggered');
    const stop = savepointRequest();
    coordinator.stopWithSavepoint(stop.request, false);
    // Its barrier reached the sources after they stopped: every state in it is final.
    for (const t of tasks) coordinator.receiveAcknowledge(t.attemptId, 1, { ...stateWith('', t.attemptId), endOfInput: true }, null);
    await flush();
    assert.equal(latestId(), undefined, 'checkpoint 1 was aborted, not completed');
    coordinator.notifyEndOfData('src-0-a');
    coordinator.notifyEndOfData('src-1-a');
    scheduler.advance(0);
    await eventually(() => triggered.length === 4, 'the savepoint to be triggered');
    for (const t of tasks) coordinator.receiveAcknowledge(t.attemptId, 2, { ...stateWith('', t.attemptId), endOfInput: true }, null);
    const savepoint = await stop.result;
    assert.equal(savepoint.checkpointId, 2);
  });

  it("hands every subtask the other subtasks' handles that hold a UNION list, and no handle without one", async () => {
    create();
    coordinator.startCheckpointScheduler();
    scheduler.advance(1000);
    await eventually(() => triggered.length === 2, 'checkpoint 1 to be triggered');
    const inline = (text: string): cp.StreamStateHandle => ({ path: '', inlineBytes: Buffer.from(text), size: text.length });
    for (const t of tasks) {
      const union = { handle: inline(`union-${t.subtask}`), states: [{ name: 'u', mode: 'UNION', offsets: [0], type: '', ends: [] }, { name: 's', mode: 'SPLIT_DISTRIBUTE', offsets: [3], type: '', ends: [] }] };
      const split = { handle: inline(`split-${t.subtask}`), states: [{ name: 'x', mode: 'SPLIT_DISTRIBUTE', offsets: [0], type: '', ends: [] }] };
      const state: cp.TaskStateSnapshot = { operators: [{ operatorId: 'op', keyedState: [], operatorState: [union, split], unionOperatorState: [], states: [] }], heldSplitIds: [], finishedSplitIds: [], endOfInput: false };
      coordinator.receiveAcknowledge(t.attemptId, 1, state, null);
    }
    await eventually(() => latestId() === 1, 'checkpoint 1 to complete');
    for (const subtask of [0, 1]) {
      const [operator] = coordinator.restoreFor('sink', subtask, 2, ['op'])!.state!.operators;
      const text = (handles: readonly cp.OperatorStateHandle[]): string[] => handles.map((h) => Buffer.from(h.handle!.inlineBytes).toString());
      assert.deepEqual(text(operator!.operatorState), [`union-${subtask}`, `split-${subtask}`], 'its own handles, all of them');
      assert.deepEqual(text(operator!.unionOperatorState), [`union-${1 - subtask}`], "the other subtask's handle with the UNION list only");
    }
  });
});

describe('checkpoint metadata', () => {
  const checkpoint = {
    jobId: 'job',
    jobName: 'name',
    checkpointId: 7,
    triggeredAt: 1,
    completedAt: 2,
    vertices: [{ vertexId: 'v', name: 'V', parallelism: 1, maxParallelism: 128, operatorIds: ['v'], finishedSplitIds: ['0'], subtasks: [{ subtask: 0, state: stateWith('', 'abc') }] }],
  };

  it('reads back what it wrote, inline bytes included', () => {
    const read = decodeMetadata(encodeMetadata(checkpoint), 'test', '/x/_metadata');
    assert.equal(read.checkpointId, 7);
    assert.equal(Buffer.from(read.vertices[0]!.subtasks[0]!.state.operators[0]!.operatorState[0]!.handle!.inlineBytes).toString(), 'abc');
    assert.equal(read.vertices[0]!.enumerator, undefined, 'no enumerator: a vertex that is not a source, or a file of an earlier version');
    const source = { ...checkpoint, vertices: [{ ...checkpoint.vertices[0]!, enumerator: { splits: ['{"start":0}', '{"start":5}'], cutForParallelism: 2 } }] };
    assert.deepEqual(decodeMetadata(encodeMetadata(source), 'test', '/x/_metadata').vertices[0]!.enumerator, { splits: ['{"start":0}', '{"start":5}'], cutForParallelism: 2 });
  });

  it('refuses a truncated, a tampered and a foreign file, saying what is wrong', () => {
    const bytes = encodeMetadata(checkpoint);
    assert.throws(() => decodeMetadata(bytes.subarray(0, bytes.length - 40), 'The file f', 'f'), (error: Error) => error instanceof CheckpointMetadataError && /The file f is not a readable checkpoint metadata file \(the file looks truncated\)/.test(error.message));
    const tampered = Buffer.from(bytes.toString().replace('"checkpointId":7', '"checkpointId":8'));
    assert.throws(() => decodeMetadata(tampered, 'The file f', 'f'), /The file f is corrupt: the sha256 of its content is [0-9a-f]+, the file says/);
    assert.throws(() => decodeMetadata(Buffer.from('{"format":"flink"}'), 'The file f', 'f'), /is not an Eddy checkpoint metadata file \(its format is "flink"/);
    assert.throws(() => decodeMetadata(Buffer.from(''), 'The file f', 'f'), /\(the file is empty\)/);
  });

  it('names the files next to the metadata relative to it, so the directory can move, and refuses a name that leaves it', () => {
    const withFiles = { ...checkpoint, vertices: [{ ...checkpoint.vertices[0]!, subtasks: [{ subtask: 0, state: stateWith('/old/place/sp-1/state-a') }, { subtask: 1, state: stateWith('/elsewhere/chk-3/state-b') }] }] };
    const bytes = encodeMetadata(withFiles, '/old/place/sp-1');
    const text = bytes.toString();
    assert.match(text, /"handle":\{"file":"state-a","size":3\}/);
    assert.match(text, /"handle":\{"path":"\/elsewhere\/chk-3\/state-b","size":3\}/, 'a file elsewhere keeps its absolute path');
    const moved = decodeMetadata(bytes, 'test', '/new/place/sp-1/_metadata');
    const paths = moved.vertices[0]!.subtasks.map((s) => s.state.operators[0]!.operatorState[0]!.handle!.path);
    assert.deepEqual(paths, ['/new/place/sp-1/state-a', '/elsewhere/chk-3/state-b']);
    // A hand-made file (with a hash that matches) naming a file outside its directory is refused.
    const body = text.slice(text.indexOf('"checkpoint":') + '"checkpoint":'.length, text.lastIndexOf('}')).replace('"file":"state-a"', '"file":"../state-a"');
    const sha = createHash('sha256').update(body).digest('hex');
    const escaping = Buffer.from(`{"format":"eddy-checkpoint","version":2,"sha256":"${sha}","checkpoint":${body}}\n`);
    assert.throws(() => decodeMetadata(escaping, 'The file f', '/new/place/sp-1/_metadata'), /The file f is corrupt at .*\.file: "\.\.\/state-a" is not the name of a file in the directory of the metadata/);
  });

  it('says a directory without _metadata is not a completed checkpoint', async () => {
    const empty = mkdtempSync(join(scratch, 'chk-'));
    await assert.rejects(readCompletedCheckpoint(empty, new LocalStateFileSystem()), /has no _metadata file, so it is not a completed checkpoint/);
    await assert.rejects(readCompletedCheckpoint(join(empty, 'missing'), new LocalStateFileSystem()), /it does not exist/);
    assert.deepEqual(readdirSync(empty), []);
  });
});
