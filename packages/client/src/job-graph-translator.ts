/**
 * Turns a job's plan into the JobGraph the Dispatcher accepts. Every vertex runs the runtime's
 * built-in stream task, which rebuilds the vertex's chain from the job's bundle; so the graph
 * carries what the worker needs to rebuild the same plan (the arguments) and to check that it did
 * (the plan's fingerprint), in the job configuration.
 */
import type { PlanVertex } from '@eddy/api/internal';
import type { PlannedJob } from './job-planner.js';
import type { eddy_jobgraph_v1 } from '@eddy/proto';
import { JOB_ARGS_KEY, newJobId, PLAN_FINGERPRINT_KEY, STREAM_INVOKABLE, validateJobGraph } from '@eddy/cluster-common';

type JobGraph = eddy_jobgraph_v1.JobGraph;
type JobVertex = eddy_jobgraph_v1.JobVertex;

export interface ToJobGraphOptions {
  /** 32 lowercase hex characters; default a fresh id. */
  readonly jobId?: string;
  /** Default: the plan's job name. */
  readonly jobName?: string;
  /** sha256 of the job's bundle in the blob store. */
  readonly blobKey: string;
  /** The arguments the plan was built with; default none. */
  readonly args?: readonly string[];
  /** Overrides the plan's configuration key by key. */
  readonly configuration?: Readonly<Record<string, string>>;
  /** Parallelism of the vertices whose plan leaves it unset (below 1); default 1. */
  readonly defaultParallelism?: number;
}

/**
 * The JobGraph of `plan`, validated: throws the runtime's InvalidJobGraphError listing every
 * problem, so a broken graph is reported here rather than by the cluster.
 */
export function toJobGraph(plan: PlannedJob, options: ToJobGraphOptions): JobGraph {
  const defaultParallelism = options.defaultParallelism ?? 1;
  const graph: JobGraph = {
    jobId: options.jobId ?? newJobId(),
    name: options.jobName ?? plan.jobName,
    vertices: plan.vertices.map((vertex) => toJobVertex(vertex, defaultParallelism)),
    edges: plan.edges.map((edge) => ({
      sourceVertexId: edge.source,
      targetVertexId: edge.target,
      partitioner: edge.partitioner,
      distributionPattern: edge.distributionPattern,
    })),
    configuration: {
      ...plan.configuration,
      ...options.configuration,
      [PLAN_FINGERPRINT_KEY]: plan.fingerprint,
      [JOB_ARGS_KEY]: JSON.stringify(options.args ?? []),
    },
    blobKey: options.blobKey,
    contractVersion: plan.contractVersion ?? 0,
  };
  validateJobGraph(graph);
  return graph;
}

function toJobVertex(vertex: PlanVertex, defaultParallelism: number): JobVertex {
  return {
    id: vertex.id,
    name: vertex.name,
    parallelism: vertex.parallelism >= 1 ? vertex.parallelism : defaultParallelism,
    maxParallelism: vertex.maxParallelism,
    slotSharingGroup: vertex.slotSharingGroup,
    operators: vertex.operators.map((operator) => ({ id: operator.id, name: operator.name, configJson: JSON.stringify({ kind: operator.kind }) })),
    invokable: STREAM_INVOKABLE,
    inputSplits: [...vertex.inputSplits],
    splitEnumerator: vertex.splitEnumerator ?? '',
  };
}
