import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { USER_METRIC_WIDTH } from '@eddy/api/internal';
import { USER_METRIC_SLOTS, UserMetricsRegion, UserMetricsRegistrar, type UserMetricAnnouncement } from '../../src/metrics/user-metrics-region.js';

describe('UserMetricsRegistrar', () => {
  it('announces each metric once with its slots, shares them with the parent, and says when the task has no room left', () => {
    const parent = new UserMetricsRegion();
    const announced: UserMetricAnnouncement[] = [];
    const registrar = new UserMetricsRegistrar(new UserMetricsRegion(parent.buffer), USER_METRIC_WIDTH, (metric) => announced.push(metric));
    try {
      const counter = registrar.register({ kind: 'counter', operatorId: 'o', operatorName: 'Map', name: 'c' }, undefined);
      let sampled = 0;
      registrar.register({ kind: 'gauge', operatorId: 'o', operatorName: 'Map', name: 'g' }, (slots, offset) => {
        slots[offset] = ++sampled;
      });
      counter.slots[counter.offset] = 42;
      assert.equal(parent.slots[0], 42, 'the parent reads what the worker wrote, without a message');
      assert.deepEqual(announced.map((metric) => [metric.name, metric.offset]), [['c', 0], ['g', 1]]);
      assert.equal(parent.slots[1], 1, 'a gauge is sampled when registered');
      for (let i = 2; i + USER_METRIC_WIDTH.histogram <= USER_METRIC_SLOTS; i += USER_METRIC_WIDTH.histogram) {
        registrar.register({ kind: 'histogram', operatorId: 'o', operatorName: 'Map', name: `h${i}` }, undefined);
      }
      assert.throws(() => registrar.register({ kind: 'histogram', operatorId: 'o', operatorName: 'Map', name: 'one-too-many' }, undefined), /Operator 'Map' cannot register histogram 'one-too-many': the task's user metrics fill their 1024 slots/);
      registrar.close();
      assert.equal(parent.slots[1], 2, 'closing takes a last sample');
    } finally {
      registrar.close();
    }
  });
});
