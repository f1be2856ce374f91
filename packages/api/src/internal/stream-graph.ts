import { createHash } from 'node:crypto';
import { JobDefinitionError } from '../errors.js';
import type { ChainingStrategy, KeyFunction, Partitioner, Transformation, TransformationGraph } from './transformation.js';

/**
 * Flink's StreamGraph: one node per operator (virtual union and partition transformations folded
 * into the edges), each with its resolved parallelism, slot sharing group and stable id.
 */
export interface StreamNode {
  readonly transformation: Transformation;
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly parallelism: number;
  /** 0 when not set. */
  readonly maxParallelism: number;
  readonly slotSharingGroup: string;
  readonly chaining: ChainingStrategy;
  readonly inEdges: StreamEdge[];
  readonly outEdges: StreamEdge[];
}

export interface StreamEdge {
  readonly source: StreamNode;
  readonly target: StreamNode;
  readonly partitioner: Partitioner;
  /** The downstream key selector of a hash edge. */
  readonly keySelector: KeyFunction | undefined;
  /** The id of the side output this edge carries (getSideOutput(tag)); undefined for the main output. */
  readonly sideOutputTag: string | undefined;
  /** Which input of a two-input target this edge feeds (0 or 1; Flink's typeNumber); 0 for one-input targets. */
  readonly typeNumber: number;
}

export interface StreamGraph {
  readonly jobName: string;
  readonly configuration: Readonly<Record<string, string>>;
  readonly chainingEnabled: boolean;
  readonly nodes: readonly StreamNode[];
}

export const DEFAULT_SLOT_SHARING_GROUP = 'default';

interface ResolvedInput {
  readonly node: StreamNode;
  readonly partitioner: Partitioner | undefined;
  readonly keySelector: KeyFunction | undefined;
  readonly sideOutputTag: string | undefined;
}

export function generateStreamGraph(graph: TransformationGraph, environmentParallelism: number): StreamGraph {
  if (!graph.transformations.some((t) => t.spec.type === 'sink')) {
    throw new JobDefinitionError('the job defines no sink: end at least one stream in print(), writeAsText(path), collect() or addSink(sink)');
  }
  const nodes: StreamNode[] = [];
  const nodeOf = new Map<Transformation, StreamNode>();
  const derivedIdOrdinals = new Map<string, number>();

  const resolve = (t: Transformation, partitioner: Partitioner | undefined, keySelector: KeyFunction | undefined, sideOutputTag?: string): ResolvedInput[] => {
    const spec = t.spec;
    if (spec.type === 'union') return t.inputs.flatMap((input) => resolve(input, partitioner, keySelector));
    if (spec.type === 'partition') {
      // The partitioning closest to the consumer wins, as in Flink.
      const input = t.inputs[0] as Transformation;
      return partitioner === undefined ? resolve(input, spec.partitioner, spec.keySelector) : resolve(input, partitioner, keySelector);
    }
    if (spec.type === 'sideOutput') return resolve(t.inputs[0] as Transformation, partitioner, keySelector, spec.tag);
    const node = nodeOf.get(t);
    if (node === undefined) throw new Error(`internal error: operator '${t.name}' was not translated before its consumers`);
    return [{ node, partitioner, keySelector, sideOutputTag }];
  };

  for (const t of graph.transformations) {
    if (t.isVirtual) continue;
    // A two-input operator's first transformation input feeds its input 0, the second its input 1.
    const twoInput = t.spec.type === 'operator' && t.spec.twoInput === true;
    if (twoInput && t.inputs.length !== 2) throw new Error(`internal error: two-input operator '${t.name}' has ${t.inputs.length} inputs`);
    const inputs = t.inputs.flatMap((input, index) => resolve(input, undefined, undefined).map((resolved) => ({ ...resolved, typeNumber: twoInput ? index : 0 })));
    const parallelism = t.parallelism ?? environmentParallelism;
    const maxParallelism = t.maxParallelism ?? graph.maxParallelism ?? 0;
    if (maxParallelism !== 0 && maxParallelism < parallelism) {
      throw new JobDefinitionError(`the max parallelism of '${t.name}' (${maxParallelism}) is below its parallelism (${parallelism})`);
    }
    const inputGroups = new Set(inputs.map((i) => i.node.slotSharingGroup));
    const slotSharingGroup = t.slotSharingGroup ?? (inputGroups.size === 1 ? ([...inputGroups][0] as string) : DEFAULT_SLOT_SHARING_GROUP);

    // A derived id depends on the operator's kind, its inputs (ids and partitioning) and how many
    // operators of the same kind on the same inputs came before it: the same code gives the same ids.
    const signature = `${t.kind}|${inputs.map((i) => `${i.partitioner ?? 'default'}:${i.node.id}${i.sideOutputTag === undefined ? '' : `#${i.sideOutputTag}`}${i.typeNumber === 0 ? '' : `@${i.typeNumber}`}`).join(',')}`;
    const ordinal = derivedIdOrdinals.get(signature) ?? 0;
    derivedIdOrdinals.set(signature, ordinal + 1);
    const id = t.uid ?? `${t.kind}-${createHash('sha256').update(`${signature}|${ordinal}`).digest('hex').slice(0, 16)}`;

    const node: StreamNode = {
      transformation: t,
      id,
      name: t.name,
      kind: t.kind,
      parallelism,
      maxParallelism,
      slotSharingGroup,
      chaining: t.chaining,
      inEdges: [],
      outEdges: [],
    };
    for (const input of inputs) {
      let partitioner = input.partitioner;
      if (partitioner === undefined) partitioner = input.node.parallelism === parallelism ? 'forward' : 'rebalance';
      if (partitioner === 'forward' && input.node.parallelism !== parallelism) {
        throw new JobDefinitionError(
          `Forward partitioning does not allow change of parallelism. Upstream operation: '${input.node.name}' parallelism: ${input.node.parallelism}, ` +
            `downstream operation: '${t.name}' parallelism: ${parallelism}. Use another partitioning, such as rebalance(), rescale(), shuffle() or broadcast().`,
        );
      }
      const edge: StreamEdge = {
        source: input.node,
        target: node,
        partitioner,
        keySelector: partitioner === 'hash' ? input.keySelector : undefined,
        sideOutputTag: input.sideOutputTag,
        typeNumber: input.typeNumber,
      };
      node.inEdges.push(edge);
      input.node.outEdges.push(edge);
    }
    nodes.push(node);
    nodeOf.set(t, node);
  }

  const byId = new Map<string, StreamNode>();
  for (const node of nodes) {
    const other = byId.get(node.id);
    if (other !== undefined) {
      throw new JobDefinitionError(`duplicate uid '${node.id}': operators '${other.name}' and '${node.name}' both use it; every uid must be unique in the job`);
    }
    byId.set(node.id, node);
  }

  const configuration: Record<string, string> = {};
  for (const key of [...graph.configuration.keys()].sort()) configuration[key] = graph.configuration.get(key) as string;
  return { jobName: graph.jobName, configuration, chainingEnabled: graph.chainingEnabled, nodes };
}
