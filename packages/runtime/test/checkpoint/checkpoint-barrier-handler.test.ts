import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CheckpointBarrierHandler } from '../../src/taskexecutor/checkpoint/checkpoint-barrier-handler.js';

function harness(channels: number) {
  const events: string[] = [];
  const blocked = new Set<number>();
  let clock = 0;
  const handler = new CheckpointBarrierHandler(
    channels,
    {
      blockChannel: (c) => {
        blocked.add(c);
        events.push(`block ${c}`);
      },
      unblockAllChannels: () => {
        blocked.clear();
        events.push('unblock all');
      },
      triggerCheckpointOnBarrier: (barrier, alignment) => void events.push(`checkpoint ${barrier.checkpointId} after ${alignment} ms`),
      abandonCheckpoint: (id) => void events.push(`abandon ${id}`),
    },
    () => clock,
  );
  return { handler, events, blocked, tick: (ms: number) => (clock += ms) };
}

const aligned = (checkpointId: number) => ({ checkpointId, timestamp: 0, exactlyOnce: true });
const tracked = (checkpointId: number) => ({ checkpointId, timestamp: 0, exactlyOnce: false });

describe('CheckpointBarrierHandler', () => {
  it('holds back each channel that delivered barrier N until all have, then snapshots and lets them go', () => {
    const { handler, events, blocked, tick } = harness(3);
    handler.onBarrier(1, aligned(1));
    assert.deepEqual([...blocked], [1], 'only the channel that delivered the barrier waits');
    tick(40);
    handler.onBarrier(0, aligned(1));
    assert.deepEqual([...blocked].sort(), [0, 1]);
    tick(10);
    handler.onBarrier(2, aligned(1));
    assert.deepEqual(events, ['block 1', 'block 0', 'block 2', 'checkpoint 1 after 50 ms', 'unblock all']);
    assert.equal(blocked.size, 0);
  });

  it('counts a channel that ended as aligned, and ignores barriers of a checkpoint it already took', () => {
    const { handler, events } = harness(2);
    handler.onBarrier(0, aligned(4));
    handler.onChannelEnded(1);
    assert.deepEqual(events, ['block 0', 'checkpoint 4 after 0 ms', 'unblock all']);
    handler.onBarrier(0, aligned(4));
    assert.equal(events.length, 3);
  });

  it('abandons checkpoint N when barrier N+1 comes first, and aligns N+1', () => {
    const { handler, events } = harness(2);
    handler.onBarrier(0, aligned(1));
    handler.onBarrier(0, aligned(2));
    assert.deepEqual(events, ['block 0', 'unblock all', 'abandon 1', 'block 0']);
    handler.onBarrier(1, aligned(1));
    handler.onBarrier(1, aligned(2));
    assert.deepEqual(events.slice(4), ['block 1', 'checkpoint 2 after 0 ms', 'unblock all']);
  });

  it('lets the channels go when the JobMaster aborts the checkpoint being aligned, and ignores its late barriers', () => {
    const { handler, events } = harness(2);
    handler.onBarrier(0, aligned(3));
    handler.onCheckpointAborted(3);
    handler.onBarrier(1, aligned(3));
    assert.deepEqual(events, ['block 0', 'unblock all']);
    handler.onCheckpointAborted(5);
    handler.onBarrier(0, aligned(5));
    assert.equal(events.length, 2, 'a checkpoint aborted before its barriers came is ignored');
  });

  it('in AT_LEAST_ONCE mode holds nothing back and snapshots once the barrier came on every channel', () => {
    const { handler, events, blocked } = harness(2);
    handler.onBarrier(0, tracked(1));
    handler.onBarrier(0, tracked(2));
    assert.equal(blocked.size, 0);
    handler.onBarrier(1, tracked(1));
    assert.deepEqual(events, ['checkpoint 1 after 0 ms']);
    handler.onBarrier(1, tracked(2));
    assert.deepEqual(events, ['checkpoint 1 after 0 ms', 'checkpoint 2 after 0 ms']);
  });
});
