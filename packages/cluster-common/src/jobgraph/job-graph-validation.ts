/**
 * Checks a submitted JobGraph before anything is built from it. Every problem is collected and
 * reported at once, each saying what is wrong and what to change, so a user fixes their job in
 * one round trip rather than one error at a time.
 */
import type { eddy_jobgraph_v1 } from '@eddy/proto';
import { InvalidJobGraphError } from './invalid-job-graph-error.js';
import { isJobId, UPPER_BOUND_MAX_PARALLELISM } from './job-graph-defaults.js';

type JobGraph = eddy_jobgraph_v1.JobGraph;
type JobVertex = eddy_jobgraph_v1.JobVertex;
type JobEdge = eddy_jobgraph_v1.JobEdge;

/** The partitioners an edge may name, in the order error messages list them. */
export const KNOWN_PARTITIONERS: readonly string[] = ['forward', 'rebalance', 'rescale', 'hash', 'broadcast'];

/** The distribution patterns an edge may name. */
export const KNOWN_DISTRIBUTION_PATTERNS: readonly string[] = ['POINTWISE', 'ALL_TO_ALL'];

/** The one pattern each partitioner works with (as in Flink, where the partitioner decides it). */
const PATTERN_OF_PARTITIONER: Readonly<Record<string, string>> = {
  forward: 'POINTWISE',
  rescale: 'POINTWISE',
  rebalance: 'ALL_TO_ALL',
  hash: 'ALL_TO_ALL',
  broadcast: 'ALL_TO_ALL',
};

/** Throws InvalidJobGraphError listing every problem of `graph`; returns when there is none. */
export function validateJobGraph(graph: JobGraph): void {
  const reasons: string[] = [];
  if (!isJobId(graph.jobId)) {
    reasons.push(`job id '${graph.jobId}' is not 32 lowercase hex characters; use a fresh id such as newJobId() makes`);
  }
  if (graph.name.trim() === '') reasons.push('the job name is empty; give the job a name');
  if (graph.vertices.length === 0) reasons.push('the job has no vertices; add at least one vertex');

  const byId = checkVertices(graph.vertices, reasons);
  const label = (id: string): string => {
    const vertex = byId.get(id);
    return `'${vertex !== undefined && vertex.name !== '' ? vertex.name : id}'`;
  };
  for (const edge of graph.edges) checkEdge(edge, byId, label, reasons);
  checkCycles(graph.edges, byId, label, reasons);

  if (reasons.length > 0) throw new InvalidJobGraphError(graph.jobId, graph.name, reasons);
}

function vertexLabel(vertex: JobVertex): string {
  return `vertex '${vertex.name !== '' ? vertex.name : vertex.id}'`;
}

function hasValidParallelism(vertex: JobVertex): boolean {
  return Number.isInteger(vertex.parallelism) && vertex.parallelism >= 1;
}

/** Checks ids and parallelism; returns the vertices by id (the first one for a duplicated id). */
function checkVertices(vertices: readonly JobVertex[], reasons: string[]): Map<string, JobVertex> {
  const byId = new Map<string, JobVertex>();
  const counts = new Map<string, number>();
  vertices.forEach((vertex, position) => {
    if (vertex.id === '') {
      reasons.push(`${vertexLabel(vertex)} (position ${position + 1}) has an empty id; give every vertex a unique, non-empty id`);
    } else {
      counts.set(vertex.id, (counts.get(vertex.id) ?? 0) + 1);
      if (!byId.has(vertex.id)) byId.set(vertex.id, vertex);
    }
    checkParallelism(vertex, reasons);
    checkSplitEnumerator(vertex, reasons);
  });
  for (const [id, count] of counts) {
    if (count > 1) reasons.push(`vertex id '${id}' is used by ${count} vertices; vertex ids must be unique`);
  }
  return byId;
}

function checkParallelism(vertex: JobVertex, reasons: string[]): void {
  const { parallelism, maxParallelism } = vertex;
  const name = vertexLabel(vertex);
  if (!hasValidParallelism(vertex)) {
    reasons.push(`${name} has parallelism ${parallelism}; parallelism must be ${Number.isInteger(parallelism) ? 'at least 1' : 'a whole number of at least 1'}`);
  } else if (parallelism > UPPER_BOUND_MAX_PARALLELISM) {
    reasons.push(`${name} has parallelism ${parallelism}, above the limit of ${UPPER_BOUND_MAX_PARALLELISM}; lower the parallelism`);
  }
  if (maxParallelism === 0) return; // not set: the default is derived from the parallelism
  if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > UPPER_BOUND_MAX_PARALLELISM) {
    reasons.push(
      `${name} has max parallelism ${maxParallelism}; max parallelism must be between 1 and ${UPPER_BOUND_MAX_PARALLELISM}, or 0 to use the default`,
    );
  } else if (hasValidParallelism(vertex) && parallelism > maxParallelism) {
    reasons.push(
      `${name} has parallelism ${parallelism} but max parallelism ${maxParallelism}; ` +
        'max parallelism must be at least the parallelism: raise max parallelism or lower the parallelism',
    );
  }
}

/** The SplitEnumerator kinds the runtime runs for a source (JobVertex.split_enumerator); '' is none. */
export const KNOWN_SPLIT_ENUMERATORS: readonly string[] = ['kafka'];

function checkSplitEnumerator(vertex: JobVertex, reasons: string[]): void {
  if (vertex.splitEnumerator === '') return;
  let descriptor: unknown;
  try {
    descriptor = JSON.parse(vertex.splitEnumerator);
  } catch {
    descriptor = undefined;
  }
  const { kind, settings } = (typeof descriptor === 'object' && descriptor !== null ? descriptor : {}) as { kind?: unknown; settings?: unknown };
  if (typeof kind !== 'string' || typeof settings !== 'object' || settings === null) {
    reasons.push(`${vertexLabel(vertex)} has a split enumerator that is not JSON of { kind, settings }; leave it empty for a source without one`);
  } else if (!KNOWN_SPLIT_ENUMERATORS.includes(kind)) {
    reasons.push(`${vertexLabel(vertex)} names a split enumerator of kind '${kind}', which this cluster does not run; use one of ${KNOWN_SPLIT_ENUMERATORS.join(', ')}`);
  }
}

function checkEdge(edge: JobEdge, byId: Map<string, JobVertex>, label: (id: string) => string, reasons: string[]): void {
  const name = `${label(edge.sourceVertexId)} -> ${label(edge.targetVertexId)}`;
  const source = byId.get(edge.sourceVertexId);
  const target = byId.get(edge.targetVertexId);
  if (source === undefined) {
    reasons.push(`edge ${name} names unknown source vertex '${edge.sourceVertexId}'; every edge must connect two vertices of the job`);
  }
  if (target === undefined) {
    reasons.push(`edge ${name} names unknown target vertex '${edge.targetVertexId}'; every edge must connect two vertices of the job`);
  }
  if (source !== undefined && source === target) {
    reasons.push(`edge ${name} connects ${vertexLabel(source)} to itself; a JobGraph must be acyclic: remove the edge`);
  }

  const { partitioner, distributionPattern: pattern } = edge;
  const knownPartitioner = KNOWN_PARTITIONERS.includes(partitioner);
  const knownPattern = KNOWN_DISTRIBUTION_PATTERNS.includes(pattern);
  if (!knownPartitioner) {
    reasons.push(`edge ${name} has unknown partitioner '${partitioner}'; use one of ${KNOWN_PARTITIONERS.join(', ')}`);
  }
  if (!knownPattern) {
    reasons.push(`edge ${name} has unknown distribution pattern '${pattern}'; use ${KNOWN_DISTRIBUTION_PATTERNS.join(' or ')}`);
  }
  if (knownPartitioner && knownPattern && PATTERN_OF_PARTITIONER[partitioner] !== pattern) {
    reasons.push(`${partitioner} edge ${name} is ${pattern}; ${partitioner} edges must be ${PATTERN_OF_PARTITIONER[partitioner]}`);
  }

  if (source === undefined || target === undefined || !hasValidParallelism(source) || !hasValidParallelism(target)) return;
  const from = source.parallelism;
  const to = target.parallelism;
  if (partitioner === 'forward') {
    if (from !== to) {
      reasons.push(
        `forward edge ${name} connects parallelism ${from} to parallelism ${to}; forward needs equal parallelism on both sides: ` +
          'give both vertices the same parallelism or use rebalance',
      );
    }
  } else if (pattern === 'POINTWISE' && from % to !== 0 && to % from !== 0) {
    reasons.push(
      `pointwise edge ${name} connects parallelism ${from} to parallelism ${to}, and neither is a multiple of the other; ` +
        'change one parallelism so that it divides the other, or use rebalance',
    );
  }
}

/** Reports each group of vertices that reach each other (self-loops are reported per edge). */
function checkCycles(
  edges: readonly JobEdge[],
  byId: Map<string, JobVertex>,
  label: (id: string) => string,
  reasons: string[],
): void {
  const nodes = [...byId.values()];
  const indexOf = new Map(nodes.map((vertex, index) => [vertex.id, index]));
  const successors: number[][] = nodes.map(() => []);
  for (const edge of edges) {
    const source = indexOf.get(edge.sourceVertexId);
    const target = indexOf.get(edge.targetVertexId);
    if (source !== undefined && target !== undefined && source !== target) successors[source]!.push(target);
  }
  for (const component of stronglyConnectedComponents(successors)) {
    if (component.length < 2) continue;
    const cycle = shortestCycleThrough(Math.min(...component), new Set(component), successors);
    const path = cycle.map((index) => label(nodes[index]!.id)).join(' -> ');
    reasons.push(`vertices ${path} form a cycle; a JobGraph must be acyclic: remove one of these edges`);
  }
}

/** Tarjan's algorithm, iterative so a long chain cannot overflow the stack; components sorted by first vertex. */
function stronglyConnectedComponents(successors: readonly number[][]): number[][] {
  const n = successors.length;
  const index = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  const visit = (v: number, work: [number, number][]): void => {
    index[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = true;
    work.push([v, 0]);
  };
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const work: [number, number][] = [];
    visit(root, work);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const [v, next] = frame;
      const out = successors[v]!;
      if (next < out.length) {
        frame[1] = next + 1;
        const w = out[next]!;
        if (index[w] === -1) visit(w, work);
        else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low[parent[0]] = Math.min(low[parent[0]]!, low[v]!);
      if (low[v] === index[v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = false;
          component.push(w);
        } while (w !== v);
        components.push(component);
      }
    }
  }
  return components.sort((a, b) => Math.min(...a) - Math.min(...b));
}

/** The shortest cycle from `start` back to itself inside `component`, as [start, ..., start]. */
function shortestCycleThrough(start: number, component: ReadonlySet<number>, successors: readonly number[][]): number[] {
  const parent = new Map<number, number>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    for (const w of successors[v]!) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u: number | undefined = v; u !== start && u !== undefined; u = parent.get(u)) path.push(u);
        return [start, ...path.slice(1).reverse(), start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start]; // unreachable: every vertex of a component lies on a cycle through the others
}
