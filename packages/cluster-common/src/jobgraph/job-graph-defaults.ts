/**
 * What a JobGraph means where it leaves a field unset, and the facts derived from it that both the
 * Dispatcher and the JobMaster need: max parallelism, slot sharing groups, slots required,
 * topological order. Same rules as Flink, so a Flink user's expectations carry over.
 */
import { randomBytes } from 'node:crypto';
import type { eddy_jobgraph_v1 } from '@eddy/proto';

type JobGraph = eddy_jobgraph_v1.JobGraph;
type JobVertex = eddy_jobgraph_v1.JobVertex;

/** The slot sharing group of a vertex that names none. */
export const DEFAULT_SLOT_SHARING_GROUP = 'default';

/** Smallest max parallelism picked by default, so small jobs can still be scaled up later. */
export const DEFAULT_LOWER_BOUND_MAX_PARALLELISM = 128;

/** Largest max parallelism (and so parallelism) a vertex may have: 2^15 key groups, as in Flink. */
export const UPPER_BOUND_MAX_PARALLELISM = 32768;

/**
 * The number of key groups of a vertex: its own max parallelism when set (> 0), else Flink's
 * default: 1.5 x parallelism rounded up to a power of two, kept within [128, 32768]. Key groups
 * fix how keyed state can be rescaled later, so this must be the same in every process.
 */
export function effectiveMaxParallelism(vertex: Pick<JobVertex, 'parallelism' | 'maxParallelism'>): number {
  if (vertex.maxParallelism > 0) return vertex.maxParallelism;
  const p = vertex.parallelism;
  const rounded = roundUpToPowerOfTwo(p + Math.floor(p / 2));
  return Math.min(Math.max(rounded, DEFAULT_LOWER_BOUND_MAX_PARALLELISM), UPPER_BOUND_MAX_PARALLELISM);
}

/** The smallest power of two >= x (1 for x <= 1). */
function roundUpToPowerOfTwo(x: number): number {
  let power = 1;
  while (power < x) power *= 2;
  return power;
}

/** The vertex's slot sharing group; an empty name means the default group. */
export function slotSharingGroupOf(vertex: Pick<JobVertex, 'slotSharingGroup'>): string {
  return vertex.slotSharingGroup === '' ? DEFAULT_SLOT_SHARING_GROUP : vertex.slotSharingGroup;
}

/**
 * Slots each slot sharing group needs: one subtask of every vertex of a group can share a slot,
 * so a group needs as many slots as its widest vertex. Groups appear in the order their first
 * vertex does.
 */
export function requiredSlotsPerGroup(graph: Pick<JobGraph, 'vertices'>): Map<string, number> {
  const slots = new Map<string, number>();
  for (const vertex of graph.vertices) {
    const group = slotSharingGroupOf(vertex);
    slots.set(group, Math.max(slots.get(group) ?? 0, vertex.parallelism));
  }
  return slots;
}

/** Slots the whole job needs at once: the sum over its slot sharing groups. */
export function requiredSlots(graph: Pick<JobGraph, 'vertices'>): number {
  let total = 0;
  for (const slots of requiredSlotsPerGroup(graph).values()) total += slots;
  return total;
}

/**
 * The vertices with every vertex after all of its inputs (sources first). Stable: of the vertices
 * whose inputs are all placed, the one listed first in `graph.vertices` comes next, so the same
 * graph always gives the same order. Edges naming unknown vertices are ignored; a cycle throws
 * (run validateJobGraph first to get a full report).
 */
export function topologicalOrder(graph: Pick<JobGraph, 'vertices' | 'edges'>): JobVertex[] {
  const indexById = new Map<string, number>();
  graph.vertices.forEach((vertex, index) => indexById.set(vertex.id, index));
  const inDegree = graph.vertices.map(() => 0);
  const successors: number[][] = graph.vertices.map(() => []);
  for (const edge of graph.edges) {
    const source = indexById.get(edge.sourceVertexId);
    const target = indexById.get(edge.targetVertexId);
    if (source === undefined || target === undefined) continue;
    successors[source]!.push(target);
    inDegree[target]!++;
  }
  // Ready vertices kept sorted by index; graphs are small, so a sorted array beats a heap.
  const ready: number[] = [];
  inDegree.forEach((degree, index) => {
    if (degree === 0) ready.push(index);
  });
  const order: JobVertex[] = [];
  while (ready.length > 0) {
    const next = ready.shift()!;
    order.push(graph.vertices[next]!);
    for (const target of successors[next]!) {
      if (--inDegree[target]! === 0) insertSorted(ready, target);
    }
  }
  if (order.length < graph.vertices.length) {
    const left = graph.vertices.filter((_, index) => inDegree[index]! > 0).map((v) => `'${v.id}'`);
    throw new Error(`The job graph has a cycle through vertices ${left.join(', ')}; run validateJobGraph for details`);
  }
  return order;
}

function insertSorted(sorted: number[], value: number): void {
  let i = sorted.length;
  while (i > 0 && sorted[i - 1]! > value) i--;
  sorted.splice(i, 0, value);
}

/** A fresh job id: 32 lowercase hex characters from a cryptographic random source. */
export function newJobId(): string {
  return randomBytes(16).toString('hex');
}

/** Whether `value` has the form of a job id (32 lowercase hex characters, as newJobId makes them). */
export function isJobId(value: string): boolean {
  return /^[0-9a-f]{32}$/.test(value);
}
