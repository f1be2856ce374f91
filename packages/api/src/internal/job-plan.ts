import { createHash } from 'node:crypto';
import { canonicalJson } from '../key-groups.js';
import type { JobPlan, PartitionerName, PlanEdge, PlanVertex, StateInfo } from './contract.js';
import { NoOpOutput } from './operators/stream-operator.js';
import { generateStreamGraph, type StreamEdge, type StreamGraph, type StreamNode } from './stream-graph.js';
import type { TransformationGraph } from './transformation.js';

/** One vertex: a chain of operators that runs as one task per subtask (Flink's operator chain). */
export interface OperatorChain {
  readonly vertex: PlanVertex;
  /** Its operators, head first, in pipeline order. */
  readonly nodes: readonly StreamNode[];
  /** Edges leaving the chain, in plan edge order: outEdges[i] is ChainContext.outputs[i]. */
  readonly outEdges: readonly StreamEdge[];
  /** Edges between its own operators. */
  readonly chainedEdges: ReadonlySet<StreamEdge>;
}

export interface CompiledJob {
  readonly plan: JobPlan;
  readonly streamGraph: StreamGraph;
  readonly chains: ReadonlyMap<string, OperatorChain>;
}

export interface CompileOptions {
  /** Stat files to cut input splits (the client does; a task's rebuild does not need them). */
  readonly computeInputSplits: boolean;
}

/**
 * Flink's chaining rule: the downstream operator has this edge as its only input, the edge is
 * forward (same parallelism, no explicit repartitioning), both are in the same slot sharing group,
 * neither refuses chaining, and the downstream operator does not start a new chain.
 */
export function isChainable(edge: StreamEdge, graph: StreamGraph): boolean {
  const { source, target } = edge;
  return (
    graph.chainingEnabled &&
    target.inEdges.length === 1 &&
    edge.partitioner === 'forward' &&
    source.parallelism === target.parallelism &&
    source.slotSharingGroup === target.slotSharingGroup &&
    source.chaining !== 'never' &&
    target.chaining === 'always'
  );
}

export function compileJob(graph: TransformationGraph, environmentParallelism: number, options: CompileOptions): CompiledJob {
  const streamGraph = generateStreamGraph(graph, environmentParallelism);
  const chainOf = new Map<StreamNode, { head: StreamNode; nodes: StreamNode[]; chained: Set<StreamEdge> }>();
  const heads: StreamNode[] = [];
  for (const node of streamGraph.nodes) {
    const only = node.inEdges.length === 1 ? (node.inEdges[0] as StreamEdge) : undefined;
    if (only !== undefined && isChainable(only, streamGraph)) {
      const chain = chainOf.get(only.source);
      if (chain === undefined) throw new Error(`internal error: '${only.source.name}' has no chain`);
      chain.nodes.push(node);
      chain.chained.add(only);
      chainOf.set(node, chain);
    } else {
      chainOf.set(node, { head: node, nodes: [node], chained: new Set() });
      heads.push(node);
    }
  }

  const vertices: PlanVertex[] = [];
  const edges: PlanEdge[] = [];
  const chains = new Map<string, OperatorChain>();
  for (const head of heads) {
    const chain = chainOf.get(head) as { head: StreamNode; nodes: StreamNode[]; chained: Set<StreamEdge> };
    const spec = head.transformation.spec;
    const inputSplits = options.computeInputSplits && spec.type === 'source' && spec.createInputSplits ? spec.createInputSplits(head.parallelism) : [];
    const vertex: PlanVertex = {
      id: head.id,
      name: chain.nodes.map((n) => n.name).join(' -> '),
      parallelism: head.parallelism,
      maxParallelism: chain.nodes.find((n) => n.maxParallelism !== 0)?.maxParallelism ?? 0,
      slotSharingGroup: head.slotSharingGroup,
      operators: chain.nodes.map((n) => ({ id: n.id, name: n.name, kind: n.kind, states: declaredStatesOf(n) })),
      inputSplits,
      ...(spec.type === 'source' && spec.splitEnumerator !== undefined ? { splitEnumerator: spec.splitEnumerator } : {}),
    };
    const outEdges = chain.nodes.flatMap((n) => n.outEdges.filter((e) => !chain.chained.has(e)));
    for (const edge of outEdges) {
      const target = chainOf.get(edge.target)?.head as StreamNode;
      const partitioner: PartitionerName = edge.partitioner === 'shuffle' ? 'rebalance' : edge.partitioner;
      edges.push({
        source: head.id,
        target: target.id,
        partitioner,
        distributionPattern: partitioner === 'forward' || partitioner === 'rescale' ? 'POINTWISE' : 'ALL_TO_ALL',
        targetInput: edge.typeNumber,
      });
    }
    vertices.push(vertex);
    chains.set(vertex.id, { vertex, nodes: chain.nodes, outEdges, chainedEdges: chain.chained });
  }

  const unsigned = { jobName: streamGraph.jobName, configuration: streamGraph.configuration, vertices, edges };
  return { plan: { ...unsigned, fingerprint: planFingerprint(unsigned) }, streamGraph, chains };
}

/**
 * The states an operator declares (see PlanOperator.states): an operator built here only to be
 * asked, never initialized (operator constructors keep what they are given and do nothing else).
 * Sources are not asked: their state is their splits.
 */
function declaredStatesOf(node: StreamNode): StateInfo[] {
  const spec = node.transformation.spec;
  if (spec.type !== 'operator' && spec.type !== 'sink') return [];
  const operator = spec.createOperator(new NoOpOutput());
  return operator.declaredStates?.() ?? [];
}

/**
 * sha256 of the plan's canonical JSON, without the fingerprint, the input splits and the split
 * enumerators: splits are data cut where the plan is built (from file sizes), an enumerator is
 * data for the JobMaster (servers, topics), neither part of the job's graph, and a task rebuilding
 * the graph gets its splits from the JobMaster anyway.
 */
export function planFingerprint(plan: Omit<JobPlan, 'fingerprint'>): string {
  const { jobName, configuration, vertices, edges } = plan;
  const shape = { jobName, configuration, vertices: vertices.map(({ inputSplits: _splits, splitEnumerator: _enumerator, ...rest }) => rest), edges };
  return createHash('sha256').update(canonicalJson(shape)).digest('hex');
}
