import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobGraphBuilder } from '../../src/jobgraph/job-graph-builder.js';
import {
  DEFAULT_SLOT_SHARING_GROUP,
  effectiveMaxParallelism,
  newJobId,
  requiredSlots,
  requiredSlotsPerGroup,
  slotSharingGroupOf,
  topologicalOrder,
} from '../../src/jobgraph/job-graph-defaults.js';

describe('JobGraph defaults', () => {
  it('uses a vertex max parallelism when it is set', () => {
    assert.equal(effectiveMaxParallelism({ parallelism: 4, maxParallelism: 10 }), 10);
  });

  it('derives the default max parallelism as Flink does: 1.5 x parallelism rounded up to a power of two, within 128..32768', () => {
    const cases: [parallelism: number, expected: number][] = [
      [1, 128],
      [85, 128], // 85 + 42 = 127
      [86, 256], // 86 + 43 = 129
      [100, 256],
      [1000, 2048],
      [1366, 4096], // 1366 + 683 = 2049
      [30000, 32768],
    ];
    for (const [parallelism, expected] of cases) {
      assert.equal(effectiveMaxParallelism({ parallelism, maxParallelism: 0 }), expected, `parallelism ${parallelism}`);
    }
  });

  it('puts a vertex without a slot sharing group into the default group', () => {
    assert.equal(DEFAULT_SLOT_SHARING_GROUP, 'default');
    assert.equal(slotSharingGroupOf({ slotSharingGroup: '' }), 'default');
    assert.equal(slotSharingGroupOf({ slotSharingGroup: 'io' }), 'io');
  });

  it('needs, per slot sharing group, as many slots as its widest vertex, and their sum for the job', () => {
    const graph = new JobGraphBuilder('Groups')
      .vertex({ id: 'source', parallelism: 2 })
      .vertex({ id: 'map', parallelism: 4 })
      .vertex({ id: 'enrich', parallelism: 3, slotSharingGroup: 'io' })
      .vertex({ id: 'lookup', parallelism: 5, slotSharingGroup: 'io' })
      .vertex({ id: 'sink', parallelism: 1, slotSharingGroup: 'default' })
      .vertex({ id: 'audit', parallelism: 2, slotSharingGroup: 'audit' })
      .build();
    assert.deepEqual([...requiredSlotsPerGroup(graph)], [
      ['default', 4],
      ['io', 5],
      ['audit', 2],
    ]);
    assert.equal(requiredSlots(graph), 11);
  });

  it('orders vertices sources first, ties in the order the vertices are listed', () => {
    //   b ──► d ──► e
    //   a ──► c ──┘      (listed: e, d, c, b, a)
    const graph = new JobGraphBuilder('Diamond')
      .vertex({ id: 'e', parallelism: 1 })
      .vertex({ id: 'd', parallelism: 1 })
      .vertex({ id: 'c', parallelism: 1 })
      .vertex({ id: 'b', parallelism: 1 })
      .vertex({ id: 'a', parallelism: 1 })
      .edge('d', 'e', 'forward')
      .edge('c', 'e', 'forward')
      .edge('b', 'd', 'forward')
      .edge('a', 'c', 'forward')
      .build();
    assert.deepEqual(
      topologicalOrder(graph).map((v) => v.id),
      ['b', 'd', 'a', 'c', 'e'],
    );
  });

  it('keeps the listed order when no edge constrains it', () => {
    const graph = new JobGraphBuilder('Flat').vertex({ id: 'x', parallelism: 1 }).vertex({ id: 'y', parallelism: 1 }).vertex({ id: 'w', parallelism: 1 }).build();
    assert.deepEqual(topologicalOrder(graph).map((v) => v.id), ['x', 'y', 'w']);
  });

  it('refuses to order a graph with a cycle', () => {
    const graph = new JobGraphBuilder('Loop')
      .vertex({ id: 's', parallelism: 1 })
      .vertex({ id: 'a', parallelism: 1 })
      .vertex({ id: 'b', parallelism: 1 })
      .edge('s', 'a', 'forward')
      .edge('a', 'b', 'forward')
      .edge('b', 'a', 'forward')
      .build();
    assert.throws(() => topologicalOrder(graph), /cycle through vertices 'a', 'b'/);
  });

  it('makes job ids of 32 lowercase hex characters, different each time', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newJobId()));
    assert.equal(ids.size, 100);
    for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
  });
});
