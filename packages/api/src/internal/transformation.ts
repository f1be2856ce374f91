import type { Source } from '../source.js';
import type { WatermarkStrategy } from '../watermark-strategy.js';
import type { OperatorContext, Output, StreamOperator } from './operators/stream-operator.js';

/**
 * The transformations a job's main builds through the DataStream API (Flink's Transformation):
 * a DAG of operators plus virtual nodes (union, partitioning) that only shape the edges. The plan
 * builder turns it into stream nodes and edges, then chains; a task worker rebuilds the same DAG
 * and instantiates its vertex's operators from the factories kept here.
 */

export type ChainingStrategy = 'always' | 'never' | 'head';

/** The contract's partitioners plus shuffle, which the plan shows as 'rebalance'. */
export type Partitioner = 'forward' | 'rebalance' | 'rescale' | 'hash' | 'broadcast' | 'shuffle';

export type KeyFunction = (value: unknown) => unknown;

export type TransformationSpec =
  | {
      readonly type: 'source';
      /** Fixed parallelism 1 (a collection, a socket), like Flink's non-parallel sources. */
      readonly nonParallel: boolean;
      createSource(context: OperatorContext): Source<unknown>;
      /** Plan-time input splits (file sources), JSON each. */
      createInputSplits?(parallelism: number): string[];
      /** A SplitEnumerator of the runtime that assigns the splits (Source.splitEnumerator()), JSON. */
      splitEnumerator?: string;
      /** Timestamps and watermarks generated in the source, per split (fromSource with a strategy). */
      watermarkStrategy?: WatermarkStrategy<unknown>;
    }
  | {
      readonly type: 'operator';
      /** Fixed parallelism 1 (windowAll), like Flink's non-parallel operators. */
      readonly nonParallel?: boolean;
      /** A two-input operator (connect, broadcast state, interval join): inputs[0] feeds its input 0, inputs[1] its input 1. */
      readonly twoInput?: boolean;
      createOperator(output: Output): StreamOperator;
    }
  | {
      readonly type: 'sink';
      createOperator(output: Output): StreamOperator;
    }
  | { readonly type: 'union' }
  /** The records an operator emits to side output `tag` (getSideOutput). */
  | { readonly type: 'sideOutput'; readonly tag: string }
  | { readonly type: 'partition'; readonly partitioner: Partitioner; readonly keySelector?: KeyFunction };

export class Transformation {
  uid: string | undefined;
  parallelism: number | undefined;
  maxParallelism: number | undefined;
  slotSharingGroup: string | undefined;
  chaining: ChainingStrategy;

  constructor(
    readonly index: number,
    /** 'source', 'map', 'flatMap', 'filter', 'process', 'keyedReduce', 'keyedProcess', 'sink', 'union', 'partition'. */
    readonly kind: string,
    public name: string,
    readonly inputs: readonly Transformation[],
    readonly spec: TransformationSpec,
  ) {
    this.chaining = spec.type === 'source' ? 'head' : 'always';
  }

  get isVirtual(): boolean {
    return this.spec.type === 'union' || this.spec.type === 'partition' || this.spec.type === 'sideOutput';
  }
}

/** Everything a job's main sets up on its environment; read by the plan builder. */
export class TransformationGraph {
  readonly transformations: Transformation[] = [];
  parallelism: number | undefined;
  maxParallelism: number | undefined;
  jobName = 'Eddy Streaming Job';
  chainingEnabled = true;
  readonly configuration = new Map<string, string>();

  add(kind: string, name: string, inputs: readonly Transformation[], spec: TransformationSpec): Transformation {
    for (const input of inputs) {
      if (this.transformations[input.index] !== input) {
        throw new Error(`a stream of another StreamExecutionEnvironment was used in '${name}'; a job has one environment`);
      }
    }
    const transformation = new Transformation(this.transformations.length, kind, name, inputs, spec);
    this.transformations.push(transformation);
    return transformation;
  }
}

export function checkParallelism(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${what} must be a whole number of at least 1, got ${value}`);
  return value;
}

export function checkMaxParallelism(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 32768) {
    throw new RangeError(`${what} must be a whole number from 1 to 32768, got ${value}`);
  }
  return value;
}
