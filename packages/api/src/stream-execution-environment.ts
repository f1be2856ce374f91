import { CheckpointConfig, type CheckpointingMode } from './checkpoint.js';
import { DataStreamSource } from './data-stream.js';
import { BUFFER_TIMEOUT_KEY, DEFAULT_BUFFER_TIMEOUT_MS, DEFAULT_PARALLELISM_KEY, formatDurationMs, parseDurationMs } from './internal/config.js';
import type { OperatorContext } from './internal/operators/stream-operator.js';
import { CollectionSource, rangeSplits, SequenceSource } from './internal/sources/collection-sources.js';
import { GeneratorSource, generatorSplits, type GeneratorOptions } from './internal/sources/generator-source.js';
import { SocketTextSource } from './internal/sources/socket-text-source.js';
import { createFileInputSplits, TextFileSource } from './internal/sources/text-file-source.js';
import { checkMaxParallelism, checkParallelism, TransformationGraph } from './internal/transformation.js';
import type { RestartStrategyConfiguration } from './restart-strategies.js';
import type { Source } from './source.js';
import type { WatermarkStrategy } from './watermark-strategy.js';

/** Where the plan builder finds what a job's main set up. Not part of the public API. */
export const TRANSFORMATION_GRAPH = Symbol('eddy.transformationGraph');

export type { GeneratorOptions };

/**
 * What a job's main builds its pipeline on (Flink's StreamExecutionEnvironment). The runtime
 * creates it and runs the pipeline after main returns: a job never calls execute().
 *
 *   export default (env: StreamExecutionEnvironment, args: string[]) => {
 *     env.fromElements('a b', 'b c').flatMap((line, out) => line.split(' ').forEach((w) => out.collect(w))).print();
 *   };
 */
export class StreamExecutionEnvironment {
  readonly [TRANSFORMATION_GRAPH] = new TransformationGraph();

  /** Default parallelism of every operator that sets none. Default: configuration 'parallelism.default', else 1. */
  setParallelism(parallelism: number): this {
    this[TRANSFORMATION_GRAPH].parallelism = checkParallelism(parallelism, 'the parallelism of the environment');
    return this;
  }

  getParallelism(): number {
    const graph = this[TRANSFORMATION_GRAPH];
    if (graph.parallelism !== undefined) return graph.parallelism;
    const configured = graph.configuration.get(DEFAULT_PARALLELISM_KEY);
    return configured === undefined ? 1 : checkParallelism(Number(configured), `configuration '${DEFAULT_PARALLELISM_KEY}'`);
  }

  /** Default number of key groups; unset means the runtime applies Flink's default (see defaultMaxParallelism). */
  setMaxParallelism(maxParallelism: number): this {
    this[TRANSFORMATION_GRAPH].maxParallelism = checkMaxParallelism(maxParallelism, 'the max parallelism of the environment');
    return this;
  }

  /** The max parallelism set, or 0 when none is. */
  getMaxParallelism(): number {
    return this[TRANSFORMATION_GRAPH].maxParallelism ?? 0;
  }

  /** How long records may wait in an output buffer before it is sent (-1: only when full; 0: after every record). */
  setBufferTimeout(timeoutMs: number): this {
    if (!Number.isFinite(timeoutMs) || timeoutMs < -1) throw new RangeError(`the buffer timeout must be -1 or at least 0 ms, got ${timeoutMs}`);
    return this.configure(BUFFER_TIMEOUT_KEY, formatDurationMs(timeoutMs));
  }

  getBufferTimeout(): number {
    const value = this[TRANSFORMATION_GRAPH].configuration.get(BUFFER_TIMEOUT_KEY);
    return value === undefined ? DEFAULT_BUFFER_TIMEOUT_MS : parseDurationMs(value, BUFFER_TIMEOUT_KEY);
  }

  /**
   * Takes a checkpoint every `intervalMs` (execution.checkpointing.interval), EXACTLY_ONCE unless
   * told otherwise: after a failure every operator's state, every source's position and every
   * exactly-once sink's output resume from the latest completed checkpoint.
   */
  enableCheckpointing(intervalMs: number, mode: CheckpointingMode = 'EXACTLY_ONCE'): this {
    this.getCheckpointConfig().setCheckpointInterval(intervalMs).setCheckpointingMode(mode);
    return this;
  }

  /** The job's checkpointing settings, to change (Flink's CheckpointConfig). */
  getCheckpointConfig(): CheckpointConfig {
    return new CheckpointConfig(this[TRANSFORMATION_GRAPH].configuration);
  }

  /** Replaces the job's restart-strategy.* settings: `env.setRestartStrategy(RestartStrategies.fixedDelayRestart(3, 1000))`. */
  setRestartStrategy(strategy: RestartStrategyConfiguration): this {
    const configuration = this[TRANSFORMATION_GRAPH].configuration;
    for (const key of [...configuration.keys()]) if (key.startsWith('restart-strategy.')) configuration.delete(key);
    for (const [key, value] of Object.entries(strategy)) this.configure(key, value);
    return this;
  }

  /** Sets any job configuration entry by its Flink-style key ('restart-strategy.type', 'execution.buffer-timeout', ...). */
  configure(key: string, value: string | number | boolean): this {
    if (typeof key !== 'string' || key.trim().length === 0) throw new TypeError('a configuration key must be a non-empty string');
    this[TRANSFORMATION_GRAPH].configuration.set(key, String(value));
    return this;
  }

  getConfiguration(): Readonly<Record<string, string>> {
    return Object.fromEntries(this[TRANSFORMATION_GRAPH].configuration);
  }

  setJobName(name: string): this {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('a job name must be a non-empty string');
    this[TRANSFORMATION_GRAPH].jobName = name;
    return this;
  }

  getJobName(): string {
    return this[TRANSFORMATION_GRAPH].jobName;
  }

  /** No operator chains with another: every operator is its own task. */
  disableOperatorChaining(): this {
    this[TRANSFORMATION_GRAPH].chainingEnabled = false;
    return this;
  }

  isChainingEnabled(): boolean {
    return this[TRANSFORMATION_GRAPH].chainingEnabled;
  }

  /** The given values, in order, from a source of parallelism 1. */
  fromElements<T>(...values: T[]): DataStreamSource<T> {
    return this.fromCollection(values);
  }

  /** The collection's values, in order, from a source of parallelism 1. The collection is read while main runs. */
  fromCollection<T>(collection: Iterable<T>): DataStreamSource<T> {
    if (collection === null || typeof (collection as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
      throw new TypeError('fromCollection needs an array or another iterable');
    }
    const values = Array.from(collection);
    return this.source<T>(
      'Collection Source',
      true,
      (context) => new CollectionSource(values, () => context.chain.nextInputSplit()),
      () => rangeSplits(values.length, 1),
    );
  }

  /** The numbers from..to (both included); each subtask emits its contiguous share. */
  fromSequence(from: number, to: number): DataStreamSource<number> {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to < from) {
      throw new RangeError(`fromSequence needs whole numbers with from <= to, got ${from} and ${to}`);
    }
    return this.source<number>(
      'Sequence Source',
      false,
      (context) => new SequenceSource(from, () => context.chain.nextInputSplit()),
      (parallelism) => rangeSplits(to - from + 1, parallelism),
    );
  }

  /**
   * The lines of a text file (UTF-8, without line terminators), read in parallel by byte ranges
   * computed when the job is submitted. The file must be readable where the tasks run.
   */
  readTextFile(path: string): DataStreamSource<string> {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('readTextFile needs a path');
    return this.source<string>('Text File', false, (context) => new TextFileSource(() => context.chain.nextInputSplit()), (parallelism) =>
      createFileInputSplits(path, parallelism),
    );
  }

  /** The text a server sends, split at `delimiter`; ends when the server closes the connection. Parallelism 1. */
  socketTextStream(host: string, port: number, delimiter = '\n'): DataStreamSource<string> {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`socketTextStream needs a port from 1 to 65535, got ${port}`);
    if (delimiter.length === 0) throw new TypeError('socketTextStream needs a non-empty delimiter');
    // Its own kind: it cannot be read again after a failure, which the JobMaster warns about.
    return this.source<string>('Socket Stream', true, () => new SocketTextSource(host, port, delimiter), undefined, 'socketSource');
  }

  /**
   * generator(0), generator(1), ... up to count - 1 (Infinity: forever), optionally at a rate of
   * recordsPerSecond over all subtasks (Flink's DataGeneratorSource).
   */
  fromGenerator<T>(count: number, generator: (index: number) => T, options: GeneratorOptions = {}): DataStreamSource<T> {
    if (!(count === Number.POSITIVE_INFINITY || (Number.isSafeInteger(count) && count >= 0))) {
      throw new RangeError(`fromGenerator needs a count of at least 0 or Infinity, got ${count}`);
    }
    if (typeof generator !== 'function') throw new TypeError('fromGenerator needs a function from index to record');
    const rate = options.recordsPerSecond;
    if (rate !== undefined && !(rate > 0 && Number.isFinite(rate))) throw new RangeError(`recordsPerSecond must be above 0, got ${rate}`);
    return this.source<T>(
      'Generator',
      false,
      (context) => new GeneratorSource(generator, options, context.chain.parallelism, () => context.chain.nextInputSplit()),
      (parallelism) => generatorSplits(count, parallelism),
    );
  }

  /**
   * A user Source, running in every subtask of its parallelism. With a WatermarkStrategy (Flink's
   * `fromSource(source, strategy, name)`), the source's records get their timestamps and
   * watermarks in the source, per subtask (the built-in sources do it per split: call
   * assignTimestampsAndWatermarks on their stream).
   */
  fromSource<T>(source: Source<T>, sourceName?: string): DataStreamSource<T>;
  fromSource<T>(source: Source<T>, watermarkStrategy: WatermarkStrategy<T>, sourceName?: string): DataStreamSource<T>;
  fromSource<T>(source: Source<T>, strategyOrName?: WatermarkStrategy<T> | string, name?: string): DataStreamSource<T> {
    if (source === null || typeof source !== 'object' || typeof source.run !== 'function') throw new TypeError('fromSource needs an object with a run(ctx) method');
    const sourceName = typeof strategyOrName === 'string' ? strategyOrName : (name ?? 'Custom Source');
    const enumerator = source.splitEnumerator?.();
    const stream = this.source<T>(sourceName, false, () => source as Source<unknown>, undefined, 'source', enumerator === undefined ? undefined : JSON.stringify(enumerator));
    if (strategyOrName !== undefined && typeof strategyOrName !== 'string') stream.assignTimestampsAndWatermarks(strategyOrName);
    return stream;
  }

  private source<T>(
    name: string,
    nonParallel: boolean,
    createSource: (context: OperatorContext) => Source<unknown>,
    createInputSplits?: (parallelism: number) => string[],
    kind = 'source',
    splitEnumerator?: string,
  ): DataStreamSource<T> {
    const graph = this[TRANSFORMATION_GRAPH];
    const transformation = graph.add(kind, `Source: ${name}`, [], {
      type: 'source',
      nonParallel,
      createSource,
      ...(createInputSplits === undefined ? {} : { createInputSplits }),
      ...(splitEnumerator === undefined ? {} : { splitEnumerator }),
    });
    if (nonParallel) transformation.parallelism = 1;
    return new DataStreamSource<T>(graph, transformation);
  }
}
