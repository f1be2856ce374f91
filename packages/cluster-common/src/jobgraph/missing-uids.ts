/**
 * Operators that can hold state but have no explicit uid(): their id is derived from the job's
 * shape, so a savepoint no longer matches them once the job changes around them. The client prints
 * the warning at submission and the JobMaster logs it, when checkpointing is on (Flink recommends
 * a uid for every stateful operator; it does not warn).
 */
import type { eddy_jobgraph_v1 as jg } from '@eddy/proto';

/** Operator kinds that can keep state in a savepoint (sources' positions, keyed and operator state, sinks' pending data). */
const STATEFUL_KINDS: ReadonlySet<string> = new Set([
  'source',
  'keyedProcess',
  'keyedReduce',
  'window',
  'process',
  'coProcess',
  'keyedCoProcess',
  'broadcastProcess',
  'keyedBroadcastProcess',
  'intervalJoin',
  'sink',
]);

export interface OperatorWithoutUid {
  readonly vertexName: string;
  readonly operatorName: string;
  readonly operatorId: string;
}

/** The operators of `graph` that can hold state and whose id was derived (no uid set), in vertex order. */
export function statefulOperatorsWithoutUid(graph: Pick<jg.JobGraph, 'vertices'>): OperatorWithoutUid[] {
  const found: OperatorWithoutUid[] = [];
  for (const vertex of graph.vertices) {
    for (const operator of vertex.operators) {
      const kind = kindOf(operator.configJson);
      // A derived id is `<kind>-<16 hex>` (the API's stream graph); a uid is whatever the job set.
      if (kind === undefined || !STATEFUL_KINDS.has(kind) || !new RegExp(`^${kind}-[0-9a-f]{16}$`).test(operator.id)) continue;
      found.push({ vertexName: vertex.name, operatorName: operator.name, operatorId: operator.id });
    }
  }
  return found;
}

/** The warning for `operators` (none: undefined). */
export function missingUidWarning(operators: readonly OperatorWithoutUid[]): string | undefined {
  if (operators.length === 0) return undefined;
  const names = operators.map((operator) => `'${operator.operatorName}'`).join(', ');
  return `${operators.length} operator(s) that can hold state have no uid: ${names}; set uid() so a savepoint survives changes to the job`;
}

function kindOf(configJson: string): string | undefined {
  try {
    const kind = (JSON.parse(configJson) as { kind?: unknown }).kind;
    return typeof kind === 'string' ? kind : undefined;
  } catch {
    return undefined;
  }
}
