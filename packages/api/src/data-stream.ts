import type { Collector, FilterFunction, FlatMapFunction, IterableFlatMapFunction, KeySelector, MapFunction, ReduceFunction } from './functions.js';
import { StreamFilter, StreamFlatMap, StreamMap, type FlatMapOrIterable } from './internal/operators/basic-operators.js';
import { KeyedProcessOperator, ProcessOperator, StreamGroupedFieldAggregation, StreamGroupedReduce } from './internal/operators/keyed-operators.js';
import { FileSinkOperator } from './internal/operators/file-sink-operator.js';
import { CollectSinkOperator, PrintSinkOperator, UserSinkOperator } from './internal/operators/sink-operators.js';
import type { Output, StreamOperator } from './internal/operators/stream-operator.js';
import {
  checkMaxParallelism,
  checkParallelism,
  type KeyFunction,
  type Partitioner,
  type Transformation,
  type TransformationGraph,
} from './internal/transformation.js';
import type { KeyedProcessFunction, ProcessFunction } from './process-function.js';
import type { Sink } from './sink.js';
import { aggregation, fieldAggregator, type AggregationField } from './aggregations.js';
import { TimestampsAndWatermarksOperator } from './internal/operators/timestamps-and-watermarks.js';
import { OutputTag } from './output-tag.js';
import { WatermarkStrategy } from './watermark-strategy.js';

/**
 * A stream of records of type T (Flink's DataStream). Operations return new streams; nothing runs
 * while the job's main builds them. DataStream, its operator subclasses and KeyedStream live in one
 * module because they construct each other.
 */
export class DataStream<T> {
  /** Not for user code: streams come from the environment and from other streams. */
  constructor(
    protected readonly graph: TransformationGraph,
    /** @internal */
    readonly transformation: Transformation,
  ) {}

  /** Applies `mapper` to every record. */
  map<R>(mapper: MapFunction<T, R>): SingleOutputStreamOperator<R> {
    checkFunction(mapper, 'map');
    return this.transform<R>('map', 'Map', (out) => new StreamMap(mapper as MapFunction<unknown, unknown>, out));
  }

  /**
   * Emits any number of records per input record, in either of two forms: return them as an
   * iterable (`flatMap((line: string) => line.split(' '))`; an array, a Set, a generator), or hand
   * them to the collector (`flatMap((line: string, out: Collector<string>) => { for (const w of
   * line.split(' ')) out.collect(w); })`). Returning anything else but undefined fails the task,
   * naming the operator; so does returning a string (return `[s]` or `[...s]`).
   */
  flatMap<R>(flatMapper: IterableFlatMapFunction<T, R>): SingleOutputStreamOperator<R>;
  flatMap<R>(flatMapper: (value: T, out: Collector<R>) => void | undefined): SingleOutputStreamOperator<R>;
  flatMap<R>(flatMapper: IterableFlatMapFunction<T, R> | FlatMapFunction<T, R>): SingleOutputStreamOperator<R> {
    checkFunction(flatMapper, 'flatMap');
    return this.transform<R>('flatMap', 'Flat Map', (out) => new StreamFlatMap(flatMapper as FlatMapOrIterable, out));
  }

  /** Keeps the records for which `predicate` returns true. */
  filter(predicate: FilterFunction<T>): SingleOutputStreamOperator<T> {
    checkFunction(predicate, 'filter');
    return this.transform<T>('filter', 'Filter', (out) => new StreamFilter(predicate as FilterFunction<unknown>, out));
  }

  /** Runs a ProcessFunction over every record, with timers. */
  process<R>(fn: ProcessFunction<T, R>): SingleOutputStreamOperator<R> {
    checkProcessFunction(fn);
    return this.transform<R>('process', 'Process', (out) => new ProcessOperator(fn as ProcessFunction<unknown, unknown>, out));
  }

  /**
   * Gives every record an event timestamp and derives watermarks from them (Flink's
   * assignTimestampsAndWatermarks): a chained operator that runs the strategy's timestamp assigner
   * on each record and its watermark generator on each record and every
   * `pipeline.auto-watermark-interval`. Watermarks from before it are replaced by its own (except
   * the end of input's). On a source stream (`env.fromGenerator(...)`, `readTextFile`, `fromSource`)
   * the source itself runs the strategy, one generator per split, so a split that lags or idles is
   * seen as such.
   */
  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>): SingleOutputStreamOperator<T> {
    if (!(strategy instanceof WatermarkStrategy)) throw new TypeError('assignTimestampsAndWatermarks needs a WatermarkStrategy (WatermarkStrategy.forBoundedOutOfOrderness(ms), ...)');
    const watermarkStrategy = strategy as WatermarkStrategy<unknown>;
    const spec = this.transformation.spec;
    if (this instanceof DataStreamSource && spec.type === 'source' && spec.watermarkStrategy === undefined) {
      spec.watermarkStrategy = watermarkStrategy;
      return this as SingleOutputStreamOperator<T>;
    }
    return this.transform<T>('timestampsAndWatermarks', 'Timestamps/Watermarks', (out) => new TimestampsAndWatermarksOperator(watermarkStrategy, out));
  }

  /**
   * Partitions the stream by key: every record of a key goes to the same subtask of the next
   * operator, through its key group (see keyGroupFor). Keyed state and aggregations follow.
   */
  keyBy<K>(keySelector: KeySelector<T, K>): KeyedStream<T, K> {
    checkFunction(keySelector, 'keyBy');
    const partition = this.graph.add('partition', 'Key By', [this.transformation], {
      type: 'partition',
      partitioner: 'hash',
      keySelector: keySelector as KeyFunction,
    });
    return new KeyedStream<T, K>(this.graph, partition, keySelector);
  }

  /** Merges this stream with others of the same type. The next operator then has several inputs and does not chain. */
  union(...others: DataStream<T>[]): DataStream<T> {
    if (others.length === 0) return this;
    const union = this.graph.add('union', 'Union', [this.transformation, ...others.map((s) => s.transformation)], { type: 'union' });
    return new DataStream<T>(this.graph, union);
  }

  /** Round robin over all subtasks of the next operator. */
  rebalance(): DataStream<T> {
    return this.partition('rebalance', 'Rebalance');
  }

  /** Round robin over a subset of the next operator's subtasks (pointwise), cheaper than rebalance. */
  rescale(): DataStream<T> {
    return this.partition('rescale', 'Rescale');
  }

  /** Every record to every subtask of the next operator. */
  broadcast(): DataStream<T> {
    return this.partition('broadcast', 'Broadcast');
  }

  /** Each record to a random subtask of the next operator (shown as 'rebalance' in the plan). */
  shuffle(): DataStream<T> {
    return this.partition('shuffle', 'Shuffle');
  }

  /** Subtask i to subtask i; the next operator must have the same parallelism. */
  forward(): DataStream<T> {
    return this.partition('forward', 'Forward');
  }

  /** Prints every record to the task's stdout: strings as they are, others as JSON; "n> " names the subtask when there are several. */
  print(sinkIdentifier?: string): DataStreamSink<T> {
    return this.sink('Print to Std. Out', () => new PrintSinkOperator(sinkIdentifier));
  }

  /**
   * Writes one line per record (strings as they are, others as JSON).
   *
   * With checkpointing on, exactly once (Flink's FileSink): `path` is a directory of
   * `part-<subtask>-<n>` files, one per subtask and checkpoint, each appearing complete once the
   * checkpoint that covers it completed; a failure never leaves a record twice or loses one.
   * Without checkpointing: with parallelism 1 `path` is the file, otherwise a directory of
   * `part-<subtask>` files; they appear, complete, when the job finishes, and an existing file is
   * replaced.
   */
  writeAsText(path: string): DataStreamSink<T> {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('writeAsText needs a path');
    return this.sink('Text File Sink', () => new FileSinkOperator(path));
  }

  /** Sends the records to the client that submitted the job (Flink's executeAndCollect). Parallelism 1 unless set. */
  collect(): DataStreamSink<T> {
    const sink = this.sink('Collect Sink', () => new CollectSinkOperator());
    return sink.setParallelism(1);
  }

  /** Hands every record to a user Sink. */
  addSink(sink: Sink<T>): DataStreamSink<T> {
    if (sink === null || typeof sink !== 'object' || typeof sink.invoke !== 'function') throw new TypeError('addSink needs an object with an invoke(value) method');
    return this.sink('Unnamed', () => new UserSinkOperator(sink as Sink<unknown>));
  }

  protected transform<R>(kind: string, name: string, createOperator: (output: Output) => StreamOperator): SingleOutputStreamOperator<R> {
    const transformation = this.graph.add(kind, name, [this.transformation], { type: 'operator', createOperator });
    return new SingleOutputStreamOperator<R>(this.graph, transformation);
  }

  private partition(partitioner: Partitioner, name: string): DataStream<T> {
    const transformation = this.graph.add('partition', name, [this.transformation], { type: 'partition', partitioner });
    return new DataStream<T>(this.graph, transformation);
  }

  private sink(name: string, createOperator: (output: Output) => StreamOperator): DataStreamSink<T> {
    const transformation = this.graph.add('sink', `Sink: ${name}`, [this.transformation], { type: 'sink', createOperator });
    return new DataStreamSink<T>(transformation);
  }
}

/** Settings of one operator (shared by SingleOutputStreamOperator and DataStreamSink). */
function applyParallelism(transformation: Transformation, parallelism: number): void {
  checkParallelism(parallelism, `the parallelism of '${transformation.name}'`);
  const spec = transformation.spec;
  if (spec.type === 'source' && spec.nonParallel && parallelism !== 1) {
    throw new RangeError(`The parallelism of non parallel operator must be 1: '${transformation.name}' cannot run with parallelism ${parallelism}`);
  }
  transformation.parallelism = parallelism;
}

function applyUid(transformation: Transformation, uid: string): void {
  if (typeof uid !== 'string' || uid.length === 0) throw new TypeError(`the uid of '${transformation.name}' must be a non-empty string`);
  transformation.uid = uid;
}

function applySlotSharingGroup(transformation: Transformation, group: string): void {
  if (typeof group !== 'string' || group.length === 0) throw new TypeError(`the slot sharing group of '${transformation.name}' must be a non-empty string`);
  transformation.slotSharingGroup = group;
}

/** The stream an operator produces, with that operator's settings (Flink's SingleOutputStreamOperator). */
export class SingleOutputStreamOperator<T> extends DataStream<T> {
  /** The operator's name, shown in the vertex name and logs. */
  name(name: string): this {
    this.transformation.name = name;
    return this;
  }

  getName(): string {
    return this.transformation.name;
  }

  /** A stable operator id, unique in the job; without one, the id derives from the operator's place in the pipeline. */
  uid(uid: string): this {
    applyUid(this.transformation, uid);
    return this;
  }

  setParallelism(parallelism: number): this {
    applyParallelism(this.transformation, parallelism);
    return this;
  }

  /** Number of key groups of this operator (at least its parallelism, at most 32768). */
  setMaxParallelism(maxParallelism: number): this {
    this.transformation.maxParallelism = checkMaxParallelism(maxParallelism, `the max parallelism of '${this.transformation.name}'`);
    return this;
  }

  /** Operators of different groups never share a slot (nor chain). Default: the inputs' group if they agree, else 'default'. */
  slotSharingGroup(group: string): this {
    applySlotSharingGroup(this.transformation, group);
    return this;
  }

  /** Neither chains to its predecessor nor lets its successors chain to it. */
  disableChaining(): this {
    this.transformation.chaining = 'never';
    return this;
  }

  /** Starts a new chain here; successors may still chain to it. */
  startNewChain(): this {
    if (this.transformation.spec.type !== 'source') this.transformation.chaining = 'head';
    return this;
  }

  /**
   * The records this operator's function emitted to side output `tag` with `ctx.output(tag, value)`,
   * with their timestamps; the operator's watermarks too.
   */
  getSideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    if (!(tag instanceof OutputTag)) throw new TypeError(`getSideOutput needs an OutputTag (new OutputTag<T>('id')), got ${String(tag)}`);
    const transformation = this.graph.add('sideOutput', `Side Output ${tag.id}`, [this.transformation], { type: 'sideOutput', tag: tag.id });
    return new DataStream<X>(this.graph, transformation);
  }
}

/** A stream partitioned by key (Flink's KeyedStream). */
export class KeyedStream<T, K> extends DataStream<T> {
  constructor(
    graph: TransformationGraph,
    transformation: Transformation,
    private readonly keySelector: KeySelector<T, K>,
  ) {
    super(graph, transformation);
  }

  getKeySelector(): KeySelector<T, K> {
    return this.keySelector;
  }

  /** Emits, for every record, the running reduction of its key (the first record of a key as it is). */
  reduce(reducer: ReduceFunction<T>): SingleOutputStreamOperator<T> {
    checkFunction(reducer, 'reduce');
    return this.keyedReduce('Keyed Reduce', reducer as ReduceFunction<unknown>);
  }

  /**
   * Running sum of a field per key: `field` is a property name, a tuple index, or omitted for a
   * stream of numbers. Other fields keep the values of the key's first record (as in Flink).
   */
  sum(field?: AggregationField<T>): SingleOutputStreamOperator<T> {
    return this.fieldAggregation('sum', field);
  }

  /** Running minimum of a field per key; other fields keep the values of the key's first record. */
  min(field?: AggregationField<T>): SingleOutputStreamOperator<T> {
    return this.fieldAggregation('min', field);
  }

  /** Running maximum of a field per key; other fields keep the values of the key's first record. */
  max(field?: AggregationField<T>): SingleOutputStreamOperator<T> {
    return this.fieldAggregation('max', field);
  }

  /** The record with the smallest value of a field so far, per key (the first on ties). */
  minBy(field?: AggregationField<T>): SingleOutputStreamOperator<T> {
    return this.keyedReduce('Keyed Aggregation', aggregation('minBy', field));
  }

  /** The record with the largest value of a field so far, per key (the first on ties). */
  maxBy(field?: AggregationField<T>): SingleOutputStreamOperator<T> {
    return this.keyedReduce('Keyed Aggregation', aggregation('maxBy', field));
  }

  /** Runs a KeyedProcessFunction: per-key state (getRuntimeContext().getState(...)) and per-key timers. */
  override process<R>(fn: KeyedProcessFunction<K, T, R>): SingleOutputStreamOperator<R> {
    checkProcessFunction(fn);
    const keySelector = this.keySelector as KeyFunction;
    return this.transform<R>('keyedProcess', 'KeyedProcess', (out) => new KeyedProcessOperator(keySelector, fn as KeyedProcessFunction<unknown, unknown, unknown>, out));
  }

  private fieldAggregation(kind: 'sum' | 'min' | 'max', field: string | number | undefined): SingleOutputStreamOperator<T> {
    // A stream of numbers has nothing to update in place: plain reduce.
    if (field === undefined) return this.keyedReduce('Keyed Aggregation', aggregation(kind, field));
    const aggregator = fieldAggregator(kind, field);
    const keySelector = this.keySelector as KeyFunction;
    return this.transform<T>('keyedReduce', 'Keyed Aggregation', (out) => new StreamGroupedFieldAggregation(keySelector, aggregator, out));
  }

  private keyedReduce(name: string, reducer: ReduceFunction<unknown>): SingleOutputStreamOperator<T> {
    const keySelector = this.keySelector as KeyFunction;
    return this.transform<T>('keyedReduce', name, (out) => new StreamGroupedReduce(keySelector, reducer, out));
  }
}

/** The end of a stream (Flink's DataStreamSink), with the sink operator's settings. */
export class DataStreamSink<T> {
  declare readonly __record?: T;

  constructor(
    /** @internal */
    readonly transformation: Transformation,
  ) {}

  name(name: string): this {
    this.transformation.name = name;
    return this;
  }

  uid(uid: string): this {
    applyUid(this.transformation, uid);
    return this;
  }

  setParallelism(parallelism: number): this {
    applyParallelism(this.transformation, parallelism);
    return this;
  }

  setMaxParallelism(maxParallelism: number): this {
    this.transformation.maxParallelism = checkMaxParallelism(maxParallelism, `the max parallelism of '${this.transformation.name}'`);
    return this;
  }

  slotSharingGroup(group: string): this {
    applySlotSharingGroup(this.transformation, group);
    return this;
  }

  disableChaining(): this {
    this.transformation.chaining = 'never';
    return this;
  }

  startNewChain(): this {
    this.transformation.chaining = 'head';
    return this;
  }
}

/** A source's stream (Flink's DataStreamSource). */
export class DataStreamSource<T> extends SingleOutputStreamOperator<T> {}

function checkFunction(fn: unknown, operation: string): void {
  if (typeof fn !== 'function') throw new TypeError(`${operation} needs a function, got ${fn === null ? 'null' : typeof fn}`);
}

function checkProcessFunction(fn: unknown): void {
  if (fn === null || typeof fn !== 'object' || typeof (fn as { processElement?: unknown }).processElement !== 'function') {
    throw new TypeError('process needs a ProcessFunction (an object with processElement(value, ctx, out))');
  }
}
