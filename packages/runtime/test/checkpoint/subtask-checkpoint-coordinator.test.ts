import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChainSnapshot, TaskChain } from '@eddy/api/internal';
import { Configuration } from '@eddy/common';
import { s3Settings } from '../../src/checkpoint/filesystem/s3-options.js';
import { StateFileSystems } from '../../src/checkpoint/filesystem/state-file-systems.js';
import { SubtaskCheckpointCoordinator } from '../../src/taskexecutor/checkpoint/subtask-checkpoint-coordinator.js';

/** A chain without state: snapshots are empty, notifications are recorded. */
function statelessChain(notes: string[], flushed?: () => Promise<void>): TaskChain {
  const snapshot = (): ChainSnapshot => ({ operators: [], heldSplitIds: [], finishedSplitIds: [], ...(flushed === undefined ? {} : { flushed: flushed() }), release: () => undefined });
  return {
    isSource: false,
    initializeState: () => Promise.resolve(),
    open: () => Promise.resolve(),
    runSource: () => Promise.resolve(),
    processBatch: () => undefined,
    processWatermark: () => undefined,
    processWatermarkStatus: () => undefined,
    endInput: () => undefined,
    finish: () => Promise.resolve(),
    close: () => Promise.resolve(),
    prepareSnapshotPreBarrier: () => undefined,
    snapshotState: () => snapshot(),
    notifyCheckpointComplete: (id) => {
      notes.push(`complete ${id}`);
      return Promise.resolve();
    },
    notifyCheckpointAborted: (id) => void notes.push(`aborted ${id}`),
  };
}

function coordinator(flushed?: () => Promise<void>): { subtask: SubtaskCheckpointCoordinator; acknowledged: Map<number, boolean>; notes: string[] } {
  const acknowledged = new Map<number, boolean>();
  const notes: string[] = [];
  const subtask = new SubtaskCheckpointCoordinator({
    chain: statelessChain(notes, flushed),
    writers: [],
    settings: { enabled: true, mode: 'EXACTLY_ONCE', storageDir: '', inlineThresholdBytes: 1024, maxInlineStateBytes: 1 << 20, incremental: false },
    fileSystems: new StateFileSystems(s3Settings(Configuration.empty()), { warn: () => undefined }),
    fileNamePrefix: 'v-0-0',
    acknowledge: (id, state) => void acknowledged.set(id, state.endOfInput),
    decline: (id, reason) => (flushed === undefined ? assert.fail(`checkpoint ${id} declined: ${String(reason)}`) : void notes.push(`declined ${id}: ${(reason as Error).message}`)),
    fail: (error) => assert.fail(`the task failed: ${String(error)}`),
  });
  return { subtask, acknowledged, notes };
}

/** Whether `promise` settles within a few turns of the event loop. */
async function settles(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  for (let i = 0; i < 20 && !settled; i++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('SubtaskCheckpointCoordinator, the final checkpoint of a task', () => {
  it('counts only a checkpoint taken after the end of the input, and lets the task finish once it completes', async () => {
    const { subtask, acknowledged } = coordinator();
    subtask.checkpoint({ checkpointId: 1, timestamp: 0, exactlyOnce: true }, 0);
    subtask.markEndOfInput();
    subtask.checkpoint({ checkpointId: 2, timestamp: 0, exactlyOnce: true }, 0);
    for (let turns = 0; acknowledged.size < 2; turns++) {
      assert.ok(turns < 1000, 'both checkpoints acknowledged');
      await new Promise((resolve) => setImmediate(resolve));
    }
    await subtask.notifyCheckpointComplete(1);
    assert.equal(await settles(subtask.finalCheckpointDone), false, 'checkpoint 1 holds state from before the end');
    await subtask.notifyCheckpointComplete(2);
    assert.equal(await settles(subtask.finalCheckpointDone), true);
    assert.deepEqual([...acknowledged], [
      [1, false],
      [2, true],
    ]);
    subtask.close();
  });

  it('lets the task finish when a later final checkpoint completes, though the abort of an earlier one arrives after the later one was taken', async () => {
    const { subtask, notes } = coordinator();
    subtask.markEndOfInput();
    subtask.checkpoint({ checkpointId: 7, timestamp: 0, exactlyOnce: true }, 0);
    subtask.checkpoint({ checkpointId: 8, timestamp: 0, exactlyOnce: true }, 0);
    subtask.notifyCheckpointAborted(7);
    await subtask.notifyCheckpointComplete(8);
    assert.equal(await settles(subtask.finalCheckpointDone), true, 'checkpoint 8 holds the final state too');
    assert.deepEqual(notes, ['aborted 7', 'complete 8']);
    subtask.close();
  });

  it('no longer counts an aborted final checkpoint: the task waits for a later one', async () => {
    const { subtask } = coordinator();
    subtask.markEndOfInput();
    subtask.checkpoint({ checkpointId: 3, timestamp: 0, exactlyOnce: true }, 0);
    subtask.notifyCheckpointAborted(3);
    assert.equal(await settles(subtask.finalCheckpointDone), false);
    subtask.checkpoint({ checkpointId: 4, timestamp: 0, exactlyOnce: true }, 0);
    await subtask.notifyCheckpointComplete(4);
    assert.equal(await settles(subtask.finalCheckpointDone), true);
    subtask.close();
  });
});

describe('SubtaskCheckpointCoordinator, a sink that writes asynchronously', () => {
  it('acknowledges a checkpoint only once what the sink wrote before the barrier is durable, and declines it when the flush fails', async () => {
    const flushes: { resolve: () => void; reject: (error: Error) => void }[] = [];
    const { subtask, acknowledged, notes } = coordinator(() => new Promise<void>((resolve, reject) => void flushes.push({ resolve, reject })));
    subtask.checkpoint({ checkpointId: 1, timestamp: 0, exactlyOnce: true }, 0);
    subtask.checkpoint({ checkpointId: 2, timestamp: 0, exactlyOnce: true }, 0);
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(acknowledged.size, 0, 'nothing acknowledged while the flushes are pending');
    flushes[0]!.resolve();
    flushes[1]!.reject(new Error('the broker is gone'));
    for (let turns = 0; acknowledged.size < 1 || notes.length < 1; turns++) {
      assert.ok(turns < 1000, 'checkpoint 1 acknowledged, checkpoint 2 declined');
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual([...acknowledged.keys()], [1]);
    assert.deepEqual(notes, ['declined 2: the broker is gone']);
    subtask.close();
  });
});
