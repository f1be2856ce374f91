/**
 * A fluent way to write a JobGraph, for tests and for the client:
 *
 *   new JobGraphBuilder('WordCount')
 *     .vertex({ id: 'source', name: 'Source', parallelism: 2, invokable: 'source' })
 *     .vertex({ id: 'count', name: 'Count', parallelism: 4, invokable: 'count' })
 *     .edge('source', 'count', 'hash')
 *     .build();
 *
 * Every proto field of the result is filled ('' / 0 / [] when not given). The builder does not
 * validate, so tests can build broken graphs on purpose; validateJobGraph does that.
 */
import type { eddy_jobgraph_v1 } from '@eddy/proto';
import { newJobId } from './job-graph-defaults.js';

type JobGraph = eddy_jobgraph_v1.JobGraph;
type JobVertex = eddy_jobgraph_v1.JobVertex;
type JobEdge = eddy_jobgraph_v1.JobEdge;

export interface OperatorSpec {
  readonly id: string;
  readonly name: string;
  /** Defaults to ''. */
  readonly configJson?: string;
}

export interface VertexSpec {
  readonly id: string;
  /** Defaults to the id. */
  readonly name?: string;
  readonly parallelism: number;
  /** Defaults to ''. */
  readonly invokable?: string;
  /** Defaults to 0: derived from the parallelism (see effectiveMaxParallelism). */
  readonly maxParallelism?: number;
  /** Defaults to '': the default group. */
  readonly slotSharingGroup?: string;
  readonly operators?: readonly OperatorSpec[];
  readonly inputSplits?: readonly string[];
  /** Defaults to '': the source has no SplitEnumerator of the runtime (see JobVertex.splitEnumerator). */
  readonly splitEnumerator?: string;
}

/** The pattern Flink gives each partitioner: forward and rescale are pointwise, the rest all-to-all. */
export function defaultDistributionPattern(partitioner: string): 'POINTWISE' | 'ALL_TO_ALL' {
  return partitioner === 'forward' || partitioner === 'rescale' ? 'POINTWISE' : 'ALL_TO_ALL';
}

export class JobGraphBuilder {
  private id: string | undefined;
  private readonly vertices: JobVertex[] = [];
  private readonly edges: JobEdge[] = [];
  private readonly config: Record<string, string> = {};
  private key = '';

  constructor(private readonly name: string) {}

  /** Sets the job id; without it, build() makes a fresh one each time. */
  jobId(id: string): this {
    this.id = id;
    return this;
  }

  vertex(spec: VertexSpec): this {
    this.vertices.push({
      id: spec.id,
      name: spec.name ?? spec.id,
      parallelism: spec.parallelism,
      maxParallelism: spec.maxParallelism ?? 0,
      slotSharingGroup: spec.slotSharingGroup ?? '',
      operators: (spec.operators ?? []).map((op) => ({ id: op.id, name: op.name, configJson: op.configJson ?? '' })),
      invokable: spec.invokable ?? '',
      inputSplits: [...(spec.inputSplits ?? [])],
      splitEnumerator: spec.splitEnumerator ?? '',
    });
    return this;
  }

  /** Connects two vertices by id; the pattern defaults to the one the partitioner implies. */
  edge(sourceVertexId: string, targetVertexId: string, partitioner: string, distributionPattern?: string): this {
    this.edges.push({
      sourceVertexId,
      targetVertexId,
      partitioner,
      distributionPattern: distributionPattern ?? defaultDistributionPattern(partitioner),
    });
    return this;
  }

  /** Adds job-level configuration entries (later calls override earlier keys). */
  configuration(entries: Readonly<Record<string, string>>): this {
    Object.assign(this.config, entries);
    return this;
  }

  blobKey(key: string): this {
    this.key = key;
    return this;
  }

  /** A new JobGraph sharing nothing with the builder, so the builder can be reused. */
  build(): JobGraph {
    return {
      jobId: this.id ?? newJobId(),
      name: this.name,
      vertices: this.vertices.map((v) => ({
        ...v,
        operators: v.operators.map((op) => ({ ...op })),
        inputSplits: [...v.inputSplits],
      })),
      edges: this.edges.map((e) => ({ ...e })),
      configuration: { ...this.config },
      blobKey: this.key,
      contractVersion: 0,
    };
  }
}
