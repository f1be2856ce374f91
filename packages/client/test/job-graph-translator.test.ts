import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobPlan, PlanVertex } from '@eddy/api/internal';
import { InvalidJobGraphError, validateJobGraph } from '@eddy/runtime';
import { toJobGraph } from '../src/job-graph-translator.js';

const BLOB_KEY = 'a'.repeat(64);

function vertex(id: string, parallelism: number, overrides: Partial<PlanVertex> = {}): PlanVertex {
  return {
    id,
    name: `${id} name`,
    parallelism,
    maxParallelism: 0,
    slotSharingGroup: '',
    operators: [{ id, name: `${id} name`, kind: 'map', states: [] }],
    inputSplits: [],
    ...overrides,
  };
}

/** A file source (two splits, chained with a filter) -> hash -> keyed reduce in its own slot sharing group. */
const PLAN: JobPlan = {
  jobName: 'word count',
  configuration: { 'restart-strategy.type': 'fixed-delay', 'pipeline.name': 'from the job' },
  vertices: [
    vertex('source', 2, {
      name: 'Lines -> Non-empty',
      operators: [
        { id: 'source', name: 'Lines', kind: 'source', states: [] },
        { id: 'filter-1', name: 'Non-empty', kind: 'filter', states: [] },
      ],
      inputSplits: ['{"path":"/in","start":0,"end":10}', '{"path":"/in","start":10,"end":20}'],
      splitEnumerator: '{"kind":"kafka","settings":{}}',
    }),
    vertex('count', 4, { name: 'Count', maxParallelism: 256, slotSharingGroup: 'counting', operators: [{ id: 'count', name: 'Count', kind: 'keyedReduce', states: [] }] }),
  ],
  edges: [{ source: 'source', target: 'count', partitioner: 'hash', distributionPattern: 'ALL_TO_ALL', targetInput: 0 }],
  fingerprint: 'f'.repeat(64),
};

describe('toJobGraph', () => {
  it('maps vertices, operators and edges one to one onto a JobGraph of stream tasks that validates', () => {
    const graph = toJobGraph(PLAN, { blobKey: BLOB_KEY });

    validateJobGraph(graph);
    assert.match(graph.jobId, /^[0-9a-f]{32}$/);
    assert.equal(graph.name, 'word count');
    assert.equal(graph.blobKey, BLOB_KEY);
    assert.equal(graph.contractVersion, 0, 'a plan without a bundle states no contract version');
    assert.equal(toJobGraph({ ...PLAN, contractVersion: 2 }, { blobKey: BLOB_KEY }).contractVersion, 2);
    assert.deepEqual(graph.vertices, [
      {
        id: 'source',
        name: 'Lines -> Non-empty',
        parallelism: 2,
        maxParallelism: 0,
        slotSharingGroup: '',
        operators: [
          { id: 'source', name: 'Lines', configJson: '{"kind":"source"}' },
          { id: 'filter-1', name: 'Non-empty', configJson: '{"kind":"filter"}' },
        ],
        invokable: '@eddy/stream',
        inputSplits: ['{"path":"/in","start":0,"end":10}', '{"path":"/in","start":10,"end":20}'],
        splitEnumerator: '{"kind":"kafka","settings":{}}',
      },
      {
        id: 'count',
        name: 'Count',
        parallelism: 4,
        maxParallelism: 256,
        slotSharingGroup: 'counting',
        operators: [{ id: 'count', name: 'Count', configJson: '{"kind":"keyedReduce"}' }],
        invokable: '@eddy/stream',
        inputSplits: [],
        splitEnumerator: '',
      },
    ]);
    assert.deepEqual(graph.edges, [{ sourceVertexId: 'source', targetVertexId: 'count', partitioner: 'hash', distributionPattern: 'ALL_TO_ALL' }]);
  });

  it("merges the configuration with explicit entries winning, and always carries the plan's fingerprint and the arguments", () => {
    const graph = toJobGraph(PLAN, {
      jobId: '0123456789abcdef0123456789abcdef',
      jobName: 'renamed',
      blobKey: BLOB_KEY,
      args: ['--input', '/in', 'with space'],
      configuration: { 'pipeline.name': 'from the client', 'eddy.plan.fingerprint': 'forged' },
    });

    assert.equal(graph.jobId, '0123456789abcdef0123456789abcdef');
    assert.equal(graph.name, 'renamed');
    assert.deepEqual(graph.configuration, {
      'restart-strategy.type': 'fixed-delay',
      'pipeline.name': 'from the client',
      'eddy.plan.fingerprint': PLAN.fingerprint,
      'eddy.job.args': '["--input","/in","with space"]',
    });
  });

  it('gives vertices whose plan sets no parallelism the default parallelism', () => {
    const plan: JobPlan = { ...PLAN, vertices: [vertex('source', 0), vertex('count', 4, { slotSharingGroup: 'counting' })] };
    assert.deepEqual(
      toJobGraph(plan, { blobKey: BLOB_KEY, defaultParallelism: 3 }).vertices.map((v) => v.parallelism),
      [3, 4],
    );
    assert.deepEqual(
      toJobGraph(plan, { blobKey: BLOB_KEY }).vertices.map((v) => v.parallelism),
      [1, 4],
    );
  });

  it('refuses a plan the cluster would refuse, listing every problem', () => {
    const plan: JobPlan = {
      ...PLAN,
      vertices: [vertex('a', 2), vertex('b', 3), vertex('c', 1, { maxParallelism: 40000 })],
      edges: [{ source: 'a', target: 'b', partitioner: 'forward', distributionPattern: 'POINTWISE', targetInput: 0 }],
    };
    assert.throws(
      () => toJobGraph(plan, { blobKey: BLOB_KEY }),
      (error: unknown) =>
        error instanceof InvalidJobGraphError &&
        error.reasons.length === 2 &&
        /forward edge 'a name' -> 'b name' connects parallelism 2 to parallelism 3/.test(error.message) &&
        /'c name' has max parallelism 40000/.test(error.message),
    );
  });
});
