import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskIOMetrics } from '../../src/metrics/task-io-metrics.js';
import { InputWatermarkMetric } from '../../src/taskexecutor/input-watermark-metric.js';
import { StatusWatermarkValve } from '../../src/taskexecutor/status-watermark-valve.js';

const noOutput = { emitWatermark: (): void => {}, emitWatermarkStatus: (): void => {} };

/** Input 0 fed by gate 0 (2 channels) and gate 1 (3 channels), a union; input 1 by gate 2 (2 channels). */
function twoInputs() {
  const metrics = new TaskIOMetrics();
  const valves = new Map([
    [0, new StatusWatermarkValve(5, noOutput)],
    [1, new StatusWatermarkValve(2, noOutput)],
  ]);
  const metric = new InputWatermarkMetric(metrics.currentInputWatermark, valves, [
    { input: 0, firstChannel: 0, channels: 2 },
    { input: 0, firstChannel: 2, channels: 3 },
    { input: 1, firstChannel: 0, channels: 2 },
  ]);
  // The parent thread reads the worker's values through the shared memory.
  const parent = new TaskIOMetrics(metrics.buffer);
  return { valves, metric, read: () => parent.currentInputWatermark.snapshot() };
}

describe('the input watermark metric', () => {
  it('shows nothing until a watermark reached the task, so a job without event time reports none', () => {
    const { metric, read } = twoInputs();
    metric.update();
    assert.equal(read(), undefined);
    metric.markSeen();
    assert.deepEqual(read(), { currentInputWatermark: Number.NEGATIVE_INFINITY, laggingGate: 0, laggingChannel: 0 });
  });

  it('is the minimum over the inputs, with the gate and channel that hold it back', () => {
    const { valves, metric, read } = twoInputs();
    const input0 = valves.get(0)!;
    const input1 = valves.get(1)!;
    for (let channel = 0; channel < 5; channel++) input0.inputWatermark(channel === 3 ? 150 : 200, channel);
    input1.inputWatermark(300, 0);
    metric.markSeen();
    metric.update();
    assert.deepEqual(read(), { currentInputWatermark: Number.NEGATIVE_INFINITY, laggingGate: 2, laggingChannel: 1 }, 'input 1 channel 1 has none yet');
    input1.inputWatermark(250, 1);
    metric.update();
    assert.deepEqual(read(), { currentInputWatermark: 150, laggingGate: 1, laggingChannel: 1 }, 'valve channel 3 is gate 1 channel 1');
    for (let channel = 0; channel < 5; channel++) input0.channelEnded(channel);
    for (let channel = 0; channel < 2; channel++) input1.channelEnded(channel);
    metric.update();
    assert.equal(read()?.currentInputWatermark, Number.POSITIVE_INFINITY, 'the end of input');
  });
});
