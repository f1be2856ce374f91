import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobGraphBuilder } from '../../src/jobgraph/job-graph-builder.js';
import { validateJobGraph } from '../../src/jobgraph/job-graph-validation.js';

describe('JobGraphBuilder', () => {
  it('fills every field of the JobGraph, with empty defaults for what was not given', () => {
    const graph = new JobGraphBuilder('Minimal').jobId('0123456789abcdef0123456789abcdef').vertex({ id: 'only', parallelism: 1 }).build();
    assert.deepEqual(graph, {
      jobId: '0123456789abcdef0123456789abcdef',
      name: 'Minimal',
      vertices: [{ id: 'only', name: 'only', parallelism: 1, maxParallelism: 0, slotSharingGroup: '', operators: [], invokable: '', inputSplits: [], splitEnumerator: '' }],
      edges: [],
      configuration: {},
      blobKey: '',
      contractVersion: 0,
    });
  });

  it('carries every optional field it is given', () => {
    const graph = new JobGraphBuilder('Full')
      .vertex({
        id: 'src',
        name: 'Source -> Map',
        parallelism: 2,
        maxParallelism: 64,
        slotSharingGroup: 'io',
        invokable: 'source-task',
        operators: [{ id: 'op1', name: 'Source' }, { id: 'op2', name: 'Map', configJson: '{"x":1}' }],
        inputSplits: ['part-0', 'part-1'],
        splitEnumerator: '{"kind":"kafka","settings":{}}',
      })
      .configuration({ 'restart-strategy.type': 'none' })
      .configuration({ 'execution.buffer-timeout': '100 ms' })
      .blobKey('ab'.repeat(32))
      .build();
    assert.deepEqual(graph.vertices[0], {
      id: 'src',
      name: 'Source -> Map',
      parallelism: 2,
      maxParallelism: 64,
      slotSharingGroup: 'io',
      operators: [{ id: 'op1', name: 'Source', configJson: '' }, { id: 'op2', name: 'Map', configJson: '{"x":1}' }],
      invokable: 'source-task',
      inputSplits: ['part-0', 'part-1'],
      splitEnumerator: '{"kind":"kafka","settings":{}}',
    });
    assert.deepEqual(graph.configuration, { 'restart-strategy.type': 'none', 'execution.buffer-timeout': '100 ms' });
    assert.equal(graph.blobKey, 'ab'.repeat(32));
  });

  it('derives the distribution pattern from the partitioner unless one is given', () => {
    const builder = new JobGraphBuilder('Edges').vertex({ id: 'a', parallelism: 2 }).vertex({ id: 'b', parallelism: 2 });
    for (const partitioner of ['forward', 'rescale', 'rebalance', 'hash', 'broadcast']) builder.edge('a', 'b', partitioner);
    builder.edge('a', 'b', 'rebalance', 'POINTWISE');
    assert.deepEqual(
      builder.build().edges.map((e) => `${e.partitioner}:${e.distributionPattern}`),
      ['forward:POINTWISE', 'rescale:POINTWISE', 'rebalance:ALL_TO_ALL', 'hash:ALL_TO_ALL', 'broadcast:ALL_TO_ALL', 'rebalance:POINTWISE'],
    );
  });

  it('makes a valid fresh job id per build when none is set', () => {
    const builder = new JobGraphBuilder('Fresh').vertex({ id: 'a', parallelism: 1 });
    const first = builder.build();
    const second = builder.build();
    assert.match(first.jobId, /^[0-9a-f]{32}$/);
    assert.notEqual(first.jobId, second.jobId);
    assert.doesNotThrow(() => validateJobGraph(first));
  });

  it('builds graphs that share nothing with the builder or with each other', () => {
    const builder = new JobGraphBuilder('Copies').vertex({ id: 'a', parallelism: 1, operators: [{ id: 'o', name: 'O' }] }).configuration({ k: 'v' });
    const first = builder.build();
    first.vertices[0]!.parallelism = 9;
    first.vertices[0]!.operators[0]!.name = 'changed';
    first.configuration['k'] = 'changed';
    const second = builder.build();
    assert.equal(second.vertices[0]!.parallelism, 1);
    assert.equal(second.vertices[0]!.operators[0]!.name, 'O');
    assert.equal(second.configuration['k'], 'v');
  });
});
