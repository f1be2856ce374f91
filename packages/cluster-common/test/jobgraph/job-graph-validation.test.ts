import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidJobGraphError } from '../../src/jobgraph/invalid-job-graph-error.js';
import { JobGraphBuilder } from '../../src/jobgraph/job-graph-builder.js';
import { validateJobGraph } from '../../src/jobgraph/job-graph-validation.js';

const JOB_ID = '0123456789abcdef0123456789abcdef';

/** Source(2) -> Map(2) -> Sink(1): valid as built; tests break one thing at a time. */
function wordCount(): JobGraphBuilder {
  return new JobGraphBuilder('WordCount')
    .jobId(JOB_ID)
    .vertex({ id: 'source', name: 'Source', parallelism: 2 })
    .vertex({ id: 'map', name: 'Map', parallelism: 2 })
    .vertex({ id: 'sink', name: 'Sink', parallelism: 1 });
}

/** The reasons validateJobGraph gives for `graph`; [] when it is valid. */
function reasonsOf(graph: ReturnType<JobGraphBuilder['build']>): readonly string[] {
  try {
    validateJobGraph(graph);
    return [];
  } catch (error) {
    assert.ok(error instanceof InvalidJobGraphError);
    return error.reasons;
  }
}

describe('validateJobGraph', () => {
  it('accepts a well-formed graph', () => {
    const graph = wordCount().edge('source', 'map', 'forward').edge('map', 'sink', 'hash').build();
    assert.doesNotThrow(() => validateJobGraph(graph));
  });

  it('refuses parallelism 0 with a message naming the job, the vertex and the rule', () => {
    const graph = new JobGraphBuilder('WordCount').jobId(JOB_ID).vertex({ id: 'map', name: 'Map', parallelism: 0 }).build();
    assert.throws(
      () => validateJobGraph(graph),
      (error: unknown) => {
        assert.ok(error instanceof InvalidJobGraphError);
        assert.equal(error.name, 'InvalidJobGraphError');
        assert.equal(error.jobId, JOB_ID);
        assert.deepEqual(error.reasons, ["vertex 'Map' has parallelism 0; parallelism must be at least 1"]);
        assert.equal(error.message, `JobGraph 'WordCount' (${JOB_ID}) is invalid: vertex 'Map' has parallelism 0; parallelism must be at least 1`);
        return true;
      },
    );
  });

  it('refuses a job id that is not 32 lowercase hex characters', () => {
    for (const jobId of ['', 'abc', JOB_ID.toUpperCase(), `${JOB_ID}0`, 'g123456789abcdef0123456789abcdef']) {
      const reasons = reasonsOf(wordCount().jobId(jobId).build());
      assert.equal(reasons.length, 1, jobId);
      assert.match(reasons[0]!, new RegExp(`^job id '${jobId}' is not 32 lowercase hex characters`));
    }
  });

  it('refuses an empty job name and a job without vertices', () => {
    const reasons = reasonsOf(new JobGraphBuilder(' ').jobId(JOB_ID).build());
    assert.deepEqual(reasons, ['the job name is empty; give the job a name', 'the job has no vertices; add at least one vertex']);
  });

  it('refuses a split enumerator that is not JSON of { kind, settings } or of a kind the cluster does not run', () => {
    const withEnumerator = (splitEnumerator: string): readonly string[] => reasonsOf(wordCount().vertex({ id: 'kafka', name: 'Kafka', parallelism: 2, splitEnumerator }).build());
    assert.deepEqual(withEnumerator('{"kind":"kafka","settings":{"topics":["in"]}}'), []);
    assert.deepEqual(withEnumerator('{"kind":"kafka"'), ["vertex 'Kafka' has a split enumerator that is not JSON of { kind, settings }; leave it empty for a source without one"]);
    assert.deepEqual(withEnumerator('{"kind":"pulsar","settings":{}}'), ["vertex 'Kafka' names a split enumerator of kind 'pulsar', which this cluster does not run; use one of kafka"]);
  });

  it('refuses empty and duplicated vertex ids', () => {
    const reasons = reasonsOf(wordCount().vertex({ id: 'map', name: 'Map again', parallelism: 1 }).vertex({ id: '', name: 'Nameless', parallelism: 1 }).build());
    assert.deepEqual(reasons, [
      "vertex 'Nameless' (position 5) has an empty id; give every vertex a unique, non-empty id",
      "vertex id 'map' is used by 2 vertices; vertex ids must be unique",
    ]);
  });

  it('refuses a parallelism above the max parallelism and says how to fix it', () => {
    const reasons = reasonsOf(wordCount().vertex({ id: 'keyed', name: 'Keyed', parallelism: 8, maxParallelism: 4 }).build());
    assert.deepEqual(reasons, [
      "vertex 'Keyed' has parallelism 8 but max parallelism 4; max parallelism must be at least the parallelism: raise max parallelism or lower the parallelism",
    ]);
  });

  it('refuses a max parallelism outside 1..32768 but takes 0 as the default', () => {
    assert.deepEqual(reasonsOf(wordCount().vertex({ id: 'd', name: 'Default', parallelism: 3, maxParallelism: 0 }).build()), []);
    const reasons = reasonsOf(
      wordCount()
        .vertex({ id: 'a', name: 'Negative', parallelism: 1, maxParallelism: -1 })
        .vertex({ id: 'b', name: 'Huge', parallelism: 1, maxParallelism: 32769 })
        .build(),
    );
    assert.deepEqual(reasons, [
      "vertex 'Negative' has max parallelism -1; max parallelism must be between 1 and 32768, or 0 to use the default",
      "vertex 'Huge' has max parallelism 32769; max parallelism must be between 1 and 32768, or 0 to use the default",
    ]);
  });

  it('refuses a parallelism above the 32768 limit', () => {
    const reasons = reasonsOf(wordCount().vertex({ id: 'wide', name: 'Wide', parallelism: 40000 }).build());
    assert.deepEqual(reasons, ["vertex 'Wide' has parallelism 40000, above the limit of 32768; lower the parallelism"]);
  });

  it('refuses a dangling edge, naming the unknown vertex', () => {
    const reasons = reasonsOf(wordCount().edge('source', 'map', 'forward').edge('map', 'snk', 'hash').edge('src', 'sink', 'hash').build());
    assert.deepEqual(reasons, [
      "edge 'Map' -> 'snk' names unknown target vertex 'snk'; every edge must connect two vertices of the job",
      "edge 'src' -> 'Sink' names unknown source vertex 'src'; every edge must connect two vertices of the job",
    ]);
  });

  it('refuses an edge from a vertex to itself', () => {
    const reasons = reasonsOf(wordCount().edge('map', 'map', 'rebalance').build());
    assert.deepEqual(reasons, ["edge 'Map' -> 'Map' connects vertex 'Map' to itself; a JobGraph must be acyclic: remove the edge"]);
  });

  it('refuses a cycle, naming the vertices on it in order', () => {
    const graph = wordCount()
      .vertex({ id: 'filter', name: 'Filter', parallelism: 2 })
      .edge('source', 'map', 'forward')
      .edge('map', 'filter', 'forward')
      .edge('filter', 'sink', 'rebalance')
      .edge('sink', 'map', 'rebalance')
      .build();
    assert.deepEqual(reasonsOf(graph), [
      "vertices 'Map' -> 'Filter' -> 'Sink' -> 'Map' form a cycle; a JobGraph must be acyclic: remove one of these edges",
    ]);
  });

  it('reports each of two separate cycles', () => {
    const graph = new JobGraphBuilder('Loops')
      .jobId(JOB_ID)
      .vertex({ id: 'a', parallelism: 1 })
      .vertex({ id: 'b', parallelism: 1 })
      .vertex({ id: 'c', parallelism: 1 })
      .vertex({ id: 'd', parallelism: 1 })
      .edge('a', 'b', 'forward')
      .edge('b', 'a', 'forward')
      .edge('b', 'c', 'forward')
      .edge('c', 'd', 'forward')
      .edge('d', 'c', 'forward')
      .build();
    const reasons = reasonsOf(graph);
    assert.equal(reasons.length, 2);
    assert.match(reasons[0]!, /^vertices 'a' -> 'b' -> 'a' form a cycle/);
    assert.match(reasons[1]!, /^vertices 'c' -> 'd' -> 'c' form a cycle/);
  });

  it('refuses an unknown partitioner and lists the known ones', () => {
    const reasons = reasonsOf(wordCount().edge('source', 'map', 'shuffle', 'ALL_TO_ALL').build());
    assert.deepEqual(reasons, ["edge 'Source' -> 'Map' has unknown partitioner 'shuffle'; use one of forward, rebalance, rescale, hash, broadcast"]);
  });

  it('refuses an unknown distribution pattern', () => {
    const reasons = reasonsOf(wordCount().edge('source', 'map', 'rebalance', 'all-to-all').build());
    assert.deepEqual(reasons, ["edge 'Source' -> 'Map' has unknown distribution pattern 'all-to-all'; use POINTWISE or ALL_TO_ALL"]);
  });

  it('refuses a forward edge between different parallelisms', () => {
    const reasons = reasonsOf(wordCount().edge('map', 'sink', 'forward').build());
    assert.deepEqual(reasons, [
      "forward edge 'Map' -> 'Sink' connects parallelism 2 to parallelism 1; forward needs equal parallelism on both sides: give both vertices the same parallelism or use rebalance",
    ]);
  });

  it('refuses partitioners paired with the wrong distribution pattern', () => {
    const graph = wordCount()
      .edge('source', 'map', 'forward', 'ALL_TO_ALL')
      .edge('map', 'sink', 'hash', 'POINTWISE')
      .edge('source', 'sink', 'rescale', 'ALL_TO_ALL')
      .build();
    assert.deepEqual(reasonsOf(graph), [
      "forward edge 'Source' -> 'Map' is ALL_TO_ALL; forward edges must be POINTWISE",
      "hash edge 'Map' -> 'Sink' is POINTWISE; hash edges must be ALL_TO_ALL",
      "rescale edge 'Source' -> 'Sink' is ALL_TO_ALL; rescale edges must be POINTWISE",
    ]);
    for (const partitioner of ['broadcast', 'rebalance']) {
      assert.match(reasonsOf(wordCount().edge('map', 'sink', partitioner, 'POINTWISE').build())[0]!, new RegExp(`^${partitioner} edge .* must be ALL_TO_ALL$`));
    }
  });

  it('refuses a pointwise edge where neither parallelism divides the other, saying both', () => {
    const graph = new JobGraphBuilder('Rescale')
      .jobId(JOB_ID)
      .vertex({ id: 'a', name: 'A', parallelism: 3 })
      .vertex({ id: 'b', name: 'B', parallelism: 2 })
      .edge('a', 'b', 'rescale')
      .build();
    assert.deepEqual(reasonsOf(graph), [
      "pointwise edge 'A' -> 'B' connects parallelism 3 to parallelism 2, and neither is a multiple of the other; change one parallelism so that it divides the other, or use rebalance",
    ]);
  });

  it('accepts pointwise edges where one parallelism is a multiple of the other', () => {
    for (const [from, to] of [[4, 2], [2, 4], [3, 3], [1, 7], [6, 3]] as const) {
      const graph = new JobGraphBuilder('Rescale').jobId(JOB_ID).vertex({ id: 'a', parallelism: from }).vertex({ id: 'b', parallelism: to }).edge('a', 'b', 'rescale').build();
      assert.deepEqual(reasonsOf(graph), [], `${from} -> ${to}`);
    }
  });

  it('reports several problems together in one error', () => {
    const graph = new JobGraphBuilder('Broken')
      .jobId('nope')
      .vertex({ id: 'a', name: 'A', parallelism: 0 })
      .vertex({ id: 'b', name: 'B', parallelism: 2 })
      .edge('a', 'b', 'zigzag')
      .edge('b', 'c', 'hash')
      .build();
    assert.throws(
      () => validateJobGraph(graph),
      (error: unknown) => {
        assert.ok(error instanceof InvalidJobGraphError);
        assert.equal(error.reasons.length, 4);
        assert.match(error.message, /^JobGraph 'Broken' \(nope\) is invalid \(4 problems\): \(1\) job id 'nope'/);
        for (const [i, reason] of error.reasons.entries()) assert.ok(error.message.includes(`(${i + 1}) ${reason}`));
        assert.match(error.message, /parallelism 0/);
        assert.match(error.message, /unknown partitioner 'zigzag'/);
        assert.match(error.message, /unknown target vertex 'c'/);
        return true;
      },
    );
  });
});
