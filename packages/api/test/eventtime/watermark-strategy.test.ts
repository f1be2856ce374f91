import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamExecutionEnvironment } from '../../src/stream-execution-environment.js';
import { BoundedOutOfOrdernessWatermarks, WatermarkStrategy, WatermarksWithIdleness, type WatermarkOutput } from '../../src/watermark-strategy.js';
import { buildChain } from '../fixtures/build-chain.js';
import { SourceWatermarks } from '../../src/internal/operators/timestamps-and-watermarks.js';
import type { Output } from '../../src/internal/operators/stream-operator.js';

function recording(): WatermarkOutput & { events: (number | 'IDLE' | 'ACTIVE')[] } {
  const events: (number | 'IDLE' | 'ACTIVE')[] = [];
  return { events, emitWatermark: (w) => void events.push(w), markIdle: () => void events.push('IDLE'), markActive: () => void events.push('ACTIVE') };
}

describe('watermark generators', () => {
  it('trails the largest timestamp by the bound, minus one, and emits nothing before the first record', () => {
    const generator = new BoundedOutOfOrdernessWatermarks<string>(100);
    const out = recording();
    generator.onPeriodicEmit(out);
    generator.onEvent('a', 1000, out);
    generator.onEvent('b', 900, out);
    generator.onPeriodicEmit(out);
    generator.onEvent('c', 1500, out);
    generator.onPeriodicEmit(out);
    assert.deepEqual(out.events, [899, 1399]);
  });

  it('goes idle after the timeout without records, and is active with the next record', () => {
    let now = 0;
    const generator = new WatermarksWithIdleness(new BoundedOutOfOrdernessWatermarks<string>(0), 50, () => now);
    const out = recording();
    generator.onEvent('a', 10, out);
    now = 20;
    generator.onPeriodicEmit(out);
    now = 60;
    generator.onPeriodicEmit(out);
    generator.onPeriodicEmit(out);
    generator.onEvent('b', 20, out);
    generator.onPeriodicEmit(out);
    assert.deepEqual(out.events, [9, 'IDLE', 19]);
  });

  it('refuses negative and non-finite durations, naming the method', () => {
    assert.throws(() => WatermarkStrategy.forBoundedOutOfOrderness(-1), /forBoundedOutOfOrderness needs a duration of at least 0 ms, got -1/);
    assert.throws(() => WatermarkStrategy.forMonotonousTimestamps().withIdleness(0), /withIdleness needs a timeout above 0 ms/);
  });
});

interface Reading {
  readonly id: number;
  readonly at: unknown;
}

describe('assignTimestampsAndWatermarks', () => {
  const job = (strategy: WatermarkStrategy<Reading>) => (env: StreamExecutionEnvironment) => {
    env
      .fromElements<Reading>({ id: 1, at: 5 })
      .rebalance()
      .assignTimestampsAndWatermarks(strategy)
      .map((r) => r)
      .rebalance()
      .print();
  };

  it('gives records the assigned timestamp, keeps the timestamp of a record behind the watermark, and emits watermarks periodically', async () => {
    const { chain, outputs } = await buildChain(job(WatermarkStrategy.forMonotonousTimestamps<Reading>().withTimestampAssigner((r) => r.at as number)), 1, {
      configuration: { 'pipeline.auto-watermark-interval': '10 ms' },
    });
    await chain.open();
    chain.processBatch(0, [{ id: 1, at: 100 }, { id: 2, at: 300 }, { id: 3, at: 200 }]);
    const output = outputs[0]!;
    assert.deepEqual(output.timestamps.flat(), [100, 300, 200], 'the late record keeps its own timestamp');
    const deadline = Date.now() + 5_000;
    while (output.watermarks.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(output.watermarks, [299], 'the periodic timer emitted the largest timestamp minus one');
    chain.processWatermark(0, 1_000_000);
    assert.deepEqual(output.watermarks, [299], 'watermarks from upstream are replaced by its own');
    chain.endInput(0);
    assert.deepEqual(output.watermarks, [299, Number.POSITIVE_INFINITY], 'except the end of input');
    await chain.close();
  });

  it('fails the task naming the operator and the record when the assigner returns no number', async () => {
    const { chain } = await buildChain(job(WatermarkStrategy.noWatermarks<Reading>().withTimestampAssigner((r) => r.at as number)), 1);
    await chain.open();
    assert.throws(
      () => chain.processBatch(0, [{ id: 7, at: 'yesterday' }]),
      /The timestamp assigner of 'Timestamps\/Watermarks' returned a string \(yesterday\) for the record \{"id":7,"at":"yesterday"\}/,
    );
    assert.throws(() => chain.processBatch(0, [{ id: 8, at: Number.NaN }]), /returned NaN for the record/);
    await chain.close();
  });
});

describe('watermarks inside a source (SourceWatermarks)', () => {
  const recording = (): { output: Output; watermarks: number[] } => {
    const watermarks: number[] = [];
    const output = { collect: () => undefined, emitWatermark: (watermark: number) => void watermarks.push(watermark), emitWatermarkStatus: () => undefined } as unknown as Output;
    return { output, watermarks };
  };
  /** What the source's periodic timer does (every pipeline.auto-watermark-interval). */
  const periodicEmit = (source: SourceWatermarks): void => (source as unknown as { onPeriodicEmit(): void }).onPeriodicEmit();

  it('takes the minimum over the splits a source names, without the whole-subtask split it started with (no idleness needed)', () => {
    const { output, watermarks } = recording();
    const source = new SourceWatermarks(WatermarkStrategy.forMonotonousTimestamps<unknown>() as WatermarkStrategy<unknown>, output, 'Kafka Source');
    source.startSubtaskSplit();
    source.startSplit('in-0');
    source.timestamp('a', 10_000);
    source.startSplit('in-1');
    source.timestamp('b', 3_000);
    periodicEmit(source);
    assert.equal(watermarks.at(-1), 2_999, 'the slower partition holds the watermark, not the subtask split');
    source.startSplit('in-0');
    source.timestamp('c', 12_000);
    source.startSplit('in-1');
    source.timestamp('d', 5_000);
    periodicEmit(source);
    assert.equal(watermarks.at(-1), 4_999);
  });

  it('keeps the whole-subtask split of a source that names none', () => {
    const { output, watermarks } = recording();
    const source = new SourceWatermarks(WatermarkStrategy.forMonotonousTimestamps<unknown>() as WatermarkStrategy<unknown>, output, 'Numbers');
    source.startSubtaskSplit();
    source.timestamp(1, 1_000);
    source.timestamp(2, 2_000);
    periodicEmit(source);
    assert.equal(watermarks.at(-1), 1_999);
  });
});
