import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOperatorMetricGroup, USER_METRIC_WIDTH, type UserMetricDefinition, type UserMetricsBacking } from '../src/internal/user-metrics.js';

/** A runtime's backing over one array, with the samplers the runtime would call each second. */
function backing(): UserMetricsBacking & { slots: Float64Array; defined: (UserMetricDefinition & { offset: number })[]; sample(): void } {
  const slots = new Float64Array(64);
  const samplers: [number, (slots: Float64Array, offset: number) => void][] = [];
  const defined: (UserMetricDefinition & { offset: number })[] = [];
  let next = 0;
  return {
    slots,
    defined,
    register(definition, sample) {
      const offset = next;
      next += USER_METRIC_WIDTH[definition.kind];
      defined.push({ ...definition, offset });
      if (sample !== undefined) samplers.push([offset, sample]);
      return { slots, offset };
    },
    sample() {
      for (const [offset, sample] of samplers) sample(slots, offset);
    },
  };
}

describe('user metrics', () => {
  it("write counters and meters straight into the runtime's slots, and gauges and histograms when sampled", () => {
    const runtime = backing();
    const group = createOperatorMetricGroup(runtime, 'op-1', 'Map');
    const counter = group.counter('seen');
    counter.inc();
    counter.inc(4);
    counter.dec();
    assert.equal(counter.getCount(), 4);
    assert.equal(runtime.slots[runtime.defined[0]!.offset], 4);
    let value = 7;
    group.gauge('value', () => value);
    const histogram = group.histogram('sizes', 4);
    for (const size of [5, 1, 9, 3, 7]) histogram.update(size);
    const meter = group.meter('rate');
    meter.markEvent(10);
    runtime.sample();
    const [, gauge, sizes, rate] = runtime.defined;
    assert.equal(runtime.slots[gauge!.offset], 7);
    // The window keeps the last 4 values: 1, 9, 3, 7.
    assert.deepEqual([...runtime.slots.slice(sizes!.offset, sizes!.offset + 5)], [5, 1, 9, 5, 3]);
    assert.equal(histogram.getStatistics().getQuantile(0.99), 9);
    assert.equal(meter.getCount(), 10);
    assert.equal(runtime.slots[rate!.offset], 10);
    value = 8;
    runtime.sample();
    assert.equal(runtime.slots[gauge!.offset], 8);
    assert.deepEqual(runtime.defined.map((d) => [d.kind, d.operatorName, d.name]), [['counter', 'Map', 'seen'], ['gauge', 'Map', 'value'], ['histogram', 'Map', 'sizes'], ['meter', 'Map', 'rate']]);
  });

  it('marks a gauge whose function throws as having no value, and refuses a name used twice in an operator', () => {
    const runtime = backing();
    const group = createOperatorMetricGroup(runtime, 'op-1', 'Map');
    group.gauge('broken', () => {
      throw new Error('no');
    });
    runtime.sample();
    assert.ok(Number.isNaN(runtime.slots[0]));
    assert.throws(() => group.counter('broken'), /Operator 'Map' already has a metric named 'broken'; register each metric once, in open\(\)/);
    assert.throws(() => group.histogram('h', 0), /needs a window of at least 1 value, got 0/);
    // Another operator may use the name.
    createOperatorMetricGroup(runtime, 'op-2', 'Filter').counter('broken').inc();
  });

  it('work locally without a runtime behind them', () => {
    const group = createOperatorMetricGroup(undefined, 'op', 'Map');
    const counter = group.counter('c');
    counter.inc(3);
    assert.equal(counter.getCount(), 3);
    assert.equal(group.gauge('g', () => 5).getValue(), 5);
  });
});
