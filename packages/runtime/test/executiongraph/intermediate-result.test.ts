import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '@eddy/common';
import { ExecutionGraph, type IntermediateResult } from '../../src/executiongraph/execution-graph.js';
import { JobGraphBuilder } from '@eddy/cluster-common';
import { JOB_ID } from './testing-graphs.js';

/** The result of a single edge a(from) -> b(to). */
function edge(from: number, to: number, partitioner: string): IntermediateResult {
  const jobGraph = new JobGraphBuilder('Edge')
    .jobId(JOB_ID)
    .vertex({ id: 'a', name: 'A', parallelism: from })
    .vertex({ id: 'b', name: 'B', parallelism: to })
    .edge('a', 'b', partitioner)
    .build();
  return ExecutionGraph.build(jobGraph, { logger: silentLogger() }).getJobVertex('a')!.producedResults[0]!;
}

/** Per consumer subtask, the partition range it reads. */
function consumed(result: IntermediateResult): [number, number][] {
  return result.consumerVertex.taskVertices.map((v) => {
    const [group] = v.consumedPartitionGroups();
    return [group!.start, group!.end];
  });
}

/** Per partition, the consumer subtask range it feeds. */
function consumers(result: IntermediateResult): [number, number][] {
  return result.partitions.map((p) => [p.consumerVertexGroup.start, p.consumerVertexGroup.end]);
}

describe('IntermediateResult', () => {
  it('maps pointwise 4 -> 2 as each consumer reading two neighbouring producers', () => {
    const result = edge(4, 2, 'rescale');
    assert.deepEqual(consumed(result), [[0, 2], [2, 4]]);
    assert.deepEqual(consumers(result), [[0, 1], [0, 1], [1, 2], [1, 2]]);
    const reader = result.consumerVertex.taskVertices[1]!.consumedPartitionGroups()[0]!;
    assert.deepEqual([...reader.partitions()].map((p) => p.producer.taskNameWithSubtask), ['A (3/4)', 'A (4/4)']);
  });

  it('maps pointwise 2 -> 4 as each producer feeding two neighbouring consumers', () => {
    const result = edge(2, 4, 'rescale');
    assert.deepEqual(consumed(result), [[0, 1], [0, 1], [1, 2], [1, 2]]);
    assert.deepEqual(consumers(result), [[0, 2], [2, 4]]);
    assert.deepEqual([...result.partitions[1]!.consumerVertexGroup.vertices()].map((v) => v.taskNameWithSubtask), ['B (3/4)', 'B (4/4)']);
    const [first, second] = result.consumerVertex.taskVertices;
    assert.equal(first!.consumedPartitionGroups()[0], second!.consumedPartitionGroups()[0], 'consumers of one partition share its group');
  });

  it('maps forward 3 -> 3 one to one', () => {
    const result = edge(3, 3, 'forward');
    assert.deepEqual(consumed(result), [[0, 1], [1, 2], [2, 3]]);
    assert.deepEqual(consumers(result), [[0, 1], [1, 2], [2, 3]]);
  });

  it('lets every consumer of an all-to-all edge read every partition', () => {
    const result = edge(3, 2, 'hash');
    assert.deepEqual(consumed(result), [[0, 3], [0, 3]]);
    assert.deepEqual(consumers(result), [[0, 2], [0, 2], [0, 2]]);
    assert.equal(result.consumedPartitionGroup(0).size, 3);
  });

  it('shares one group object among all consumers and one among all partitions of a 1000 x 1000 all-to-all edge, built fast', () => {
    const started = performance.now();
    const result = edge(1000, 1000, 'rebalance');
    const elapsedMs = performance.now() - started;
    const consumerGroups = new Set(result.consumerVertex.taskVertices.map((v) => v.consumedPartitionGroups()[0]));
    assert.equal(consumerGroups.size, 1);
    const [shared] = consumerGroups;
    assert.equal(shared, result.consumedPartitionGroup(0));
    assert.deepEqual([shared!.start, shared!.end, shared!.size], [0, 1000, 1000]);
    const partitionGroups = new Set(result.partitions.map((p) => p.consumerVertexGroup));
    assert.equal(partitionGroups.size, 1);
    assert.equal(result.partitions.length, 1000);
    // Linear work is a few ms; a per-pair list (10^6 entries) would take far longer on any machine.
    assert.ok(elapsedMs < 500, `building took ${elapsedMs.toFixed(1)} ms`);
  });

  it('refuses a consumer subtask index outside the consumer vertex', () => {
    const result = edge(2, 2, 'hash');
    assert.throws(() => result.consumedPartitionGroup(2), /B has no subtask 2; subtasks are 0\.\.1/);
    assert.throws(() => edge(4, 2, 'rescale').consumedPartitionGroup(-1), RangeError);
  });
});
