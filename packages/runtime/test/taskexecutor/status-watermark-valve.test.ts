import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusWatermarkValve } from '../../src/taskexecutor/status-watermark-valve.js';

function valve(channels: number): { valve: StatusWatermarkValve; out: (number | 'IDLE' | 'ACTIVE')[] } {
  const out: (number | 'IDLE' | 'ACTIVE')[] = [];
  return { valve: new StatusWatermarkValve(channels, { emitWatermark: (w) => out.push(w), emitWatermarkStatus: (idle) => out.push(idle ? 'IDLE' : 'ACTIVE') }), out };
}

describe('the status watermark valve', () => {
  it('emits the minimum over the channels, only when it advances, and ignores a channel going back', () => {
    const { valve: v, out } = valve(3);
    v.inputWatermark(10, 0);
    v.inputWatermark(5, 1);
    assert.deepEqual(out, [], 'channel 2 has no watermark yet');
    v.inputWatermark(7, 2);
    assert.deepEqual(out, [5]);
    v.inputWatermark(3, 1);
    v.inputWatermark(20, 0);
    assert.deepEqual(out, [5], 'nothing advanced the minimum');
    v.inputWatermark(8, 1);
    assert.deepEqual(out, [5, 7]);
    assert.equal(v.laggingChannel, 2);
  });

  it('leaves an idle channel out of the minimum, and takes it back once its watermark caught up', () => {
    const { valve: v, out } = valve(2);
    v.inputWatermark(100, 0);
    v.inputWatermarkStatus(true, 1);
    assert.deepEqual(out, [100], 'the idle channel no longer holds event time back');
    v.inputWatermarkStatus(false, 1);
    v.inputWatermark(50, 1);
    v.inputWatermark(200, 0);
    assert.deepEqual(out, [100, 200], 'an active channel behind the output is not aligned yet: it does not hold event time back (Flink)');
    v.inputWatermark(150, 1);
    assert.deepEqual(out, [100, 200], 'still behind');
    v.inputWatermark(250, 1);
    v.inputWatermark(300, 0);
    assert.deepEqual(out, [100, 200, 250], 'caught up: it is part of the minimum again');
    assert.equal(v.currentWatermark, 250);
  });

  it('goes idle with the largest watermark when every channel is idle, and active again with the first', () => {
    const { valve: v, out } = valve(2);
    v.inputWatermark(10, 0);
    v.inputWatermark(30, 1);
    v.inputWatermarkStatus(true, 0);
    v.inputWatermarkStatus(true, 1);
    assert.deepEqual(out, [10, 30, 'IDLE']);
    assert.equal(v.isIdle, true);
    v.inputWatermarkStatus(false, 0);
    assert.deepEqual(out, [10, 30, 'IDLE', 'ACTIVE']);
  });

  it('counts an ended channel as Infinity, so the input ends at Infinity when all have ended', () => {
    const { valve: v, out } = valve(2);
    v.inputWatermark(10, 0);
    v.channelEnded(1);
    assert.deepEqual(out, [10]);
    v.channelEnded(0);
    assert.deepEqual(out, [10, Number.POSITIVE_INFINITY]);
  });

  it('counts an ended channel that was idle as active', () => {
    const { valve: v, out } = valve(2);
    v.inputWatermarkStatus(true, 0);
    v.channelEnded(0);
    v.inputWatermark(42, 1);
    assert.deepEqual(out, [42]);
  });
});
