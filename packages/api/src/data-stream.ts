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
import { aggregation, fieldAggregator, type AggregationField, type AggregationKind } from './aggregations.js';
import { TimestampsAndWatermarksOperator } from './internal/operators/timestamps-and-watermarks.js';
import { WindowOperator, type WindowContents, type WindowOperatorSpec, type WindowProcessFunction } from './internal/operators/window-operator.js';
import { OutputTag } from './output-tag.js';
import { WatermarkStrategy } from './watermark-strategy.js';
import { GlobalWindows, MergingWindowAssigner, type WindowAssigner } from './windowing/assigners.js';
import { CountEvictor, type Evictor } from './windowing/evictors.js';
import { checkPositiveCount, CountTrigger, PurgingTrigger, Trigger } from './windowing/triggers.js';
import { ProcessAllWindowFunction, ProcessWindowFunction, type AggregateFunction } from './windowing/window-functions.js';
import type { GlobalWindow, Window } from './windowing/windows.js';
import { KeyedBroadcastProcessFunction, type BroadcastProcessFunction } from './broadcast-state.js';
import { KeyedCoProcessFunction, type CoFlatMapFunction, type CoGroupFunction, type CoMapFunction, type CoProcessFunction, type FlatJoinFunction, type JoinFunction, type ProcessJoinFunction } from './co-functions.js';
import { MapStateDescriptor } from './state.js';
import { CoProcessOperator, CoStreamFlatMap, CoStreamMap, KeyedCoProcessOperator } from './internal/operators/co-operators.js';
import { CoBroadcastWithKeyedOperator, CoBroadcastWithNonKeyedOperator } from './internal/operators/broadcast-operators.js';
import { IntervalJoinOperator } from './internal/operators/interval-join-operator.js';

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

  /**
   * Every record to every subtask of the next operator. With MapStateDescriptors, the broadcast
   * state pattern: a BroadcastStream to connect a stream to (`events.connect(rules.broadcast(d))`),
   * whose function keeps broadcast state under those descriptors.
   */
  broadcast(): DataStream<T>;
  broadcast(...descriptors: [MapStateDescriptor<any, any>, ...MapStateDescriptor<any, any>[]]): BroadcastStream<T>;
  broadcast(...descriptors: MapStateDescriptor<unknown, unknown>[]): DataStream<T> | BroadcastStream<T> {
    const stream = this.partition('broadcast', 'Broadcast');
    if (descriptors.length === 0) return stream;
    descriptors.forEach((descriptor, i) => {
      if (!(descriptor instanceof MapStateDescriptor)) {
        throw new TypeError(`broadcast: descriptor ${i + 1} must be a MapStateDescriptor (broadcast state is a map), got ${descriptor === null ? 'null' : typeof descriptor === 'object' ? (descriptor as object).constructor.name : typeof descriptor}`);
      }
    });
    const names = descriptors.map((d) => d.name);
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate !== undefined) throw new TypeError(`broadcast: two descriptors are named '${duplicate}'; each broadcast state needs its own name`);
    return new BroadcastStream<T>(this.graph, stream.transformation, descriptors);
  }

  /**
   * Connects this stream (input 1) with another (input 2), of any type, for a two-input function
   * that may share state between them (Flink's connect): `.map(CoMapFunction)`,
   * `.flatMap(CoFlatMapFunction)`, `.process(CoProcessFunction)`, or `.keyBy(k1, k2)` first for
   * keyed state and timers. Connecting a BroadcastStream gives a BroadcastConnectedStream.
   */
  connect<R>(other: BroadcastStream<R>): BroadcastConnectedStream<T, R>;
  connect<R>(other: DataStream<R>): ConnectedStreams<T, R>;
  connect<R>(other: DataStream<R> | BroadcastStream<R>): ConnectedStreams<T, R> | BroadcastConnectedStream<T, R> {
    if (other instanceof BroadcastStream) return new BroadcastConnectedStream<T, R>(this.graph, this, other);
    if (!(other instanceof DataStream)) throw new TypeError(`connect needs a DataStream or a BroadcastStream, got ${other === null ? 'null' : typeof other}`);
    return new ConnectedStreams<T, R>(this.graph, this, other);
  }

  /**
   * Joins this stream with another in windows (Flink's window join): every pair of records with
   * equal keys in the same window: `a.join(b).where(ka).equalTo(kb).window(assigner).apply(fn)`.
   */
  join<R>(other: DataStream<R>): JoinedStreams<T, R> {
    checkStream(other, 'join');
    return new JoinedStreams<T, R>(this, other);
  }

  /**
   * Groups this stream and another by key and window and hands both groups of each key and window
   * to a CoGroupFunction (Flink's coGroup): `a.coGroup(b).where(ka).equalTo(kb).window(assigner).apply(fn)`.
   */
  coGroup<R>(other: DataStream<R>): CoGroupedStreams<T, R> {
    checkStream(other, 'coGroup');
    return new CoGroupedStreams<T, R>(this, other);
  }

  /** Each record to a random subtask of the next operator (shown as 'rebalance' in the plan). */
  shuffle(): DataStream<T> {
    return this.partition('shuffle', 'Shuffle');
  }

  /** Subtask i to subtask i; the next operator must have the same parallelism. */
  forward(): DataStream<T> {
    return this.partition('forward', 'Forward');
  }

  /**
   * Cuts the whole stream into windows (Flink's windowAll): one window operator with parallelism 1
   * sees every record. On a keyed stream, window(assigner) evaluates each key on its own, in parallel.
   */
  windowAll<W extends Window>(assigner: WindowAssigner<T, W>): AllWindowedStream<T, W> {
    checkAssigner(assigner, 'windowAll');
    const keyed = this.keyBy(allWindowKey);
    return new AllWindowedStream<T, W>(assigner, allWindowKey, keyed.windowOperatorFactory(true));
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

  /** Flink's name for a connector's sink (`stream.sinkTo(KafkaSink.builder()...build())`): addSink, named after the sink when it says its name. */
  sinkTo(sink: Sink<T> & { readonly sinkName?: string }): DataStreamSink<T> {
    const added = this.addSink(sink);
    return typeof sink.sinkName === 'string' ? added.name(sink.sinkName) : added;
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
  if ((spec.type === 'source' || spec.type === 'operator') && spec.nonParallel === true && parallelism !== 1) {
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

  /** Cuts each key's records into windows (Flink's window): set trigger, evictor, lateness, then a window function. */
  window<W extends Window>(assigner: WindowAssigner<T, W>): WindowedStream<T, K, W> {
    checkAssigner(assigner, 'window');
    return new WindowedStream<T, K, W>(assigner, this.keySelector as KeyFunction, this.windowOperatorFactory(false));
  }

  /**
   * Windows of `size` records per key (Flink's countWindow): tumbling, firing and purging every
   * `size` records; with `slide`, the last `size` records every `slide` records.
   */
  countWindow(size: number, slide?: number): WindowedStream<T, K, GlobalWindow> {
    checkPositiveCount(size, 'countWindow', 'size');
    if (slide === undefined) return this.window(GlobalWindows.create()).trigger(PurgingTrigger.of(CountTrigger.of(size)));
    checkPositiveCount(slide, 'countWindow', 'slide');
    return this.window(GlobalWindows.create()).evictor(CountEvictor.of(size)).trigger(CountTrigger.of(slide));
  }

  /**
   * Connects a BroadcastStream to this keyed stream: its function is a KeyedBroadcastProcessFunction
   * with keyed state and timers on this side.
   */
  override connect<R>(other: BroadcastStream<R>): BroadcastConnectedStream<T, R>;
  override connect<R>(other: DataStream<R>): ConnectedStreams<T, R>;
  override connect<R>(other: DataStream<R> | BroadcastStream<R>): ConnectedStreams<T, R> | BroadcastConnectedStream<T, R> {
    return other instanceof BroadcastStream ? super.connect(other) : super.connect(other as DataStream<R>);
  }

  /**
   * Joins each record of this keyed stream (the left) with the records of `other` (the right) of
   * the same key whose timestamps lie within an interval of the left record's (Flink's interval
   * join): `.between(lowerMs, upperMs).process(ProcessJoinFunction)`. Event time only.
   */
  intervalJoin<R>(other: KeyedStream<R, K>): IntervalJoin<T, R, K> {
    if (!(other instanceof KeyedStream)) {
      throw new TypeError('intervalJoin needs a keyed stream on both sides: left.keyBy(keyA).intervalJoin(right.keyBy(keyB))');
    }
    return new IntervalJoin<T, R, K>(this, other);
  }

  /** @internal How windowed streams make their operator; windowAll's runs with parallelism 1 only. */
  windowOperatorFactory(nonParallel: boolean): WindowOperatorFactory {
    return (name: string, spec: WindowOperatorSpec) => {
      const transformation = this.graph.add('window', name, [this.transformation], { type: 'operator', nonParallel, createOperator: (out) => new WindowOperator(spec, out) });
      if (nonParallel) transformation.parallelism = 1;
      return new SingleOutputStreamOperator<unknown>(this.graph, transformation);
    };
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

/** windowAll's key: every record in one key, as Flink's NullByteKeySelector. */
const allWindowKey = (): number => 0;

function checkAssigner(assigner: unknown, operation: string): void {
  if (typeof assigner !== 'object' || assigner === null || typeof (assigner as WindowAssigner<unknown, Window>).assignWindows !== 'function') {
    throw new TypeError(`${operation} needs a WindowAssigner, for example TumblingEventTimeWindows.of(10_000), got ${assigner === null ? 'null' : typeof assigner}`);
  }
}

function checkStream(stream: unknown, operation: string): void {
  if (!(stream instanceof DataStream)) throw new TypeError(`${operation} needs a DataStream, got ${stream === null ? 'null' : typeof stream}`);
}

function checkFunction(fn: unknown, operation: string): void {
  if (typeof fn !== 'function') throw new TypeError(`${operation} needs a function, got ${fn === null ? 'null' : typeof fn}`);
}

function checkProcessFunction(fn: unknown): void {
  if (fn === null || typeof fn !== 'object' || typeof (fn as { processElement?: unknown }).processElement !== 'function') {
    throw new TypeError('process needs a ProcessFunction (an object with processElement(value, ctx, out))');
  }
}

// ---- Windowed streams (Flink's WindowedStream and AllWindowedStream): what keyedStream.window(...)
// and stream.windowAll(...) return. They collect the window's settings, check them while the job is
// built, and end in a window function that makes the window operator.

/** Makes the window operator's stream; given by the stream that was windowed. */
export type WindowOperatorFactory = (name: string, spec: WindowOperatorSpec) => SingleOutputStreamOperator<unknown>;

/**
 * What both windowed streams share: the settings, checked as they are set, and the field
 * aggregations. Not for user code: see WindowedStream and AllWindowedStream.
 */
abstract class BaseWindowedStream<T, W extends Window> {
  private trigger_: Trigger<unknown, Window>;
  private evictor_: Evictor<unknown, Window> | undefined;
  private allowedLateness_ = 0;
  private lateDataTag: OutputTag<unknown> | undefined;
  private readonly assigner: WindowAssigner<unknown, Window>;

  constructor(
    assigner: WindowAssigner<T, W>,
    private readonly keySelector: KeyFunction,
    private readonly create: WindowOperatorFactory,
  ) {
    this.assigner = assigner as unknown as WindowAssigner<unknown, Window>;
    this.trigger_ = this.assigner.getDefaultTrigger();
  }

  /** Replaces the assigner's default trigger. With session windows the trigger must support merging. */
  trigger(trigger: Trigger<T, W>): this {
    if (!(trigger instanceof Trigger)) throw new TypeError('trigger needs a Trigger (for example CountTrigger.of(100) or EventTimeTrigger.create())');
    if (this.assigner instanceof MergingWindowAssigner && !trigger.canMerge()) {
      throw new TypeError(`A merging window assigner cannot be used with a trigger that does not support merging: ${this.assigner.toString()} with ${trigger.toString()}`);
    }
    this.trigger_ = trigger as unknown as Trigger<unknown, Window>;
    return this;
  }

  /** Removes records from windows before or after the function runs; the window then keeps every record (no incremental aggregation). */
  evictor(evictor: Evictor<T, W>): this {
    const candidate = evictor as Partial<Evictor<T, W>> | null;
    if (candidate === null || typeof candidate !== 'object' || typeof candidate.evictBefore !== 'function' || typeof candidate.evictAfter !== 'function') {
      throw new TypeError('evictor needs an Evictor (an object with evictBefore and evictAfter, for example CountEvictor.of(100))');
    }
    this.evictor_ = evictor as unknown as Evictor<unknown, Window>;
    return this;
  }

  /**
   * Keeps each event-time window `lateness` ms past its end: a late record within that time fires
   * the window again with the updated contents (default 0). Refused on processing-time windows.
   */
  allowedLateness(lateness: number): this {
    if (typeof lateness !== 'number' || !Number.isSafeInteger(lateness) || lateness < 0) {
      throw new RangeError(`allowedLateness: lateness must be a whole number of milliseconds >= 0, got ${String(lateness)}`);
    }
    if (lateness > 0 && !this.assigner.isEventTime()) {
      throw new RangeError(`allowedLateness: ${this.assigner.toString()} is a processing-time window, which has no late records; allowed lateness is for event-time windows`);
    }
    this.allowedLateness_ = lateness;
    return this;
  }

  /** Records too late for all their windows go to the side output `tag` (read it with getSideOutput(tag)) instead of being dropped. */
  sideOutputLateData(tag: OutputTag<T>): this {
    if (!(tag instanceof OutputTag)) throw new TypeError("sideOutputLateData needs an OutputTag (new OutputTag<T>('late'))");
    this.lateDataTag = tag as OutputTag<unknown>;
    return this;
  }

  /** Sum of a field per window (other fields from the window's first record), as KeyedStream.sum. */
  sum(field?: AggregationField<T>): SingleOutputStreamOperator<T> {
    return this.build({ kind: 'reduce', reduce: fieldAggregation('sum', field) }, undefined, 'sum');
  }

  /** Minimum of a field per window (other fields from the window's first record). */
  min(field?: AggregationField<T>): SingleOutputStreamOperator<T> {
    return this.build({ kind: 'reduce', reduce: fieldAggregation('min', field) }, undefined, 'min');
  }

  /** Maximum of a field per window (other fields from the window's first record). */
  max(field?: AggregationField<T>): SingleOutputStreamOperator<T> {
    return this.build({ kind: 'reduce', reduce: fieldAggregation('max', field) }, undefined, 'max');
  }

  /** The record with the smallest value of a field per window (the first on ties). */
  minBy(field?: AggregationField<T>): SingleOutputStreamOperator<T> {
    return this.build({ kind: 'reduce', reduce: fieldAggregation('minBy', field) }, undefined, 'minBy');
  }

  /** The record with the largest value of a field per window (the first on ties). */
  maxBy(field?: AggregationField<T>): SingleOutputStreamOperator<T> {
    return this.build({ kind: 'reduce', reduce: fieldAggregation('maxBy', field) }, undefined, 'maxBy');
  }

  protected build<R>(contents: WindowContents, process: WindowProcessFunction | undefined, functionName: string): SingleOutputStreamOperator<R> {
    const spec: WindowOperatorSpec = {
      keySelector: this.keySelector,
      assigner: this.assigner,
      trigger: this.trigger_,
      evictor: this.evictor_,
      allowedLateness: this.allowedLateness_,
      lateDataTag: this.lateDataTag,
      contents,
      process,
    };
    const evicting = this.evictor_ === undefined ? '' : 'Evicting';
    const name = `${evicting}Window(${this.assigner.toString()}, ${this.trigger_.toString()}, ${functionName})`;
    return this.create(name, spec) as SingleOutputStreamOperator<R>;
  }
}

function checkReduce(fn: unknown): ReduceFunction<unknown> {
  if (typeof fn !== 'function') throw new TypeError(`reduce needs a function (accumulated, value) => value, got ${fn === null ? 'null' : typeof fn}`);
  return fn as ReduceFunction<unknown>;
}

function checkAggregate(fn: unknown): AggregateFunction<unknown, unknown, unknown> {
  const candidate = fn as Partial<AggregateFunction<unknown, unknown, unknown>> | null;
  const missing = ['createAccumulator', 'add', 'getResult', 'merge'].filter((name) => typeof (candidate as Record<string, unknown> | null)?.[name] !== 'function');
  if (candidate === null || typeof candidate !== 'object' || missing.length > 0) {
    throw new TypeError(`aggregate needs an AggregateFunction (an object with createAccumulator, add, getResult and merge); ${missing.length > 0 ? `missing: ${missing.join(', ')}` : 'got none'}`);
  }
  return candidate as AggregateFunction<unknown, unknown, unknown>;
}

function keyedProcess(fn: unknown): WindowProcessFunction {
  if (!(fn instanceof ProcessWindowFunction)) throw new TypeError('a keyed window needs a ProcessWindowFunction (a class extending ProcessWindowFunction with process(key, context, elements, out))');
  return { keyed: true, fn: fn as ProcessWindowFunction<unknown, unknown, unknown, Window> };
}

function allProcess(fn: unknown): WindowProcessFunction {
  if (!(fn instanceof ProcessAllWindowFunction)) throw new TypeError('windowAll needs a ProcessAllWindowFunction (a class extending ProcessAllWindowFunction with process(context, elements, out))');
  return { keyed: false, fn: fn as ProcessAllWindowFunction<unknown, unknown, Window> };
}

function fieldAggregation(kind: AggregationKind, field: unknown): ReduceFunction<unknown> {
  return aggregation(kind, field as string | number | undefined);
}

/**
 * A keyed stream cut into windows (Flink's WindowedStream): set the trigger, evictor and lateness,
 * then apply a window function. Each window of each key is evaluated on its own.
 */
export class WindowedStream<T, K, W extends Window> extends BaseWindowedStream<T, W> {
  /**
   * Reduces each window incrementally, emitting the reduction when it fires; with a
   * ProcessWindowFunction, that function gets the one reduced value and the window.
   */
  reduce(reducer: ReduceFunction<T>): SingleOutputStreamOperator<T>;
  reduce<R>(reducer: ReduceFunction<T>, fn: ProcessWindowFunction<T, R, K, W>): SingleOutputStreamOperator<R>;
  reduce<R>(reducer: ReduceFunction<T>, fn?: ProcessWindowFunction<T, R, K, W>): SingleOutputStreamOperator<T | R> {
    const reduce = checkReduce(reducer);
    return this.build({ kind: 'reduce', reduce }, fn === undefined ? undefined : keyedProcess(fn), fn === undefined ? 'reduce' : `reduce, ${fn.constructor.name}`);
  }

  /**
   * Aggregates each window incrementally with an accumulator, emitting getResult when it fires;
   * with a ProcessWindowFunction, that function gets the one result and the window.
   */
  aggregate<ACC, R>(fn: AggregateFunction<T, ACC, R>): SingleOutputStreamOperator<R>;
  aggregate<ACC, V, R>(fn: AggregateFunction<T, ACC, V>, windowFn: ProcessWindowFunction<V, R, K, W>): SingleOutputStreamOperator<R>;
  aggregate<ACC, V, R>(fn: AggregateFunction<T, ACC, V>, windowFn?: ProcessWindowFunction<V, R, K, W>): SingleOutputStreamOperator<V | R> {
    const aggregate = checkAggregate(fn);
    const name = windowFn === undefined ? 'aggregate' : `aggregate, ${windowFn.constructor.name}`;
    return this.build({ kind: 'aggregate', aggregate }, windowFn === undefined ? undefined : keyedProcess(windowFn), name);
  }

  /** Runs `fn` over all records of each window when it fires (the window keeps every record). */
  process<R>(fn: ProcessWindowFunction<T, R, K, W>): SingleOutputStreamOperator<R> {
    return this.build({ kind: 'list' }, keyedProcess(fn), fn.constructor.name);
  }
}

/**
 * A whole (non-keyed) stream cut into windows (Flink's AllWindowedStream); its window operator
 * runs with parallelism 1, as in Flink.
 */
export class AllWindowedStream<T, W extends Window> extends BaseWindowedStream<T, W> {
  /** Reduces each window incrementally; with a ProcessAllWindowFunction, it gets the reduced value and the window. */
  reduce(reducer: ReduceFunction<T>): SingleOutputStreamOperator<T>;
  reduce<R>(reducer: ReduceFunction<T>, fn: ProcessAllWindowFunction<T, R, W>): SingleOutputStreamOperator<R>;
  reduce<R>(reducer: ReduceFunction<T>, fn?: ProcessAllWindowFunction<T, R, W>): SingleOutputStreamOperator<T | R> {
    const reduce = checkReduce(reducer);
    return this.build({ kind: 'reduce', reduce }, fn === undefined ? undefined : allProcess(fn), fn === undefined ? 'reduce' : `reduce, ${fn.constructor.name}`);
  }

  /** Aggregates each window with an accumulator; with a ProcessAllWindowFunction, it gets the result and the window. */
  aggregate<ACC, R>(fn: AggregateFunction<T, ACC, R>): SingleOutputStreamOperator<R>;
  aggregate<ACC, V, R>(fn: AggregateFunction<T, ACC, V>, windowFn: ProcessAllWindowFunction<V, R, W>): SingleOutputStreamOperator<R>;
  aggregate<ACC, V, R>(fn: AggregateFunction<T, ACC, V>, windowFn?: ProcessAllWindowFunction<V, R, W>): SingleOutputStreamOperator<V | R> {
    const aggregate = checkAggregate(fn);
    const name = windowFn === undefined ? 'aggregate' : `aggregate, ${windowFn.constructor.name}`;
    return this.build({ kind: 'aggregate', aggregate }, windowFn === undefined ? undefined : allProcess(windowFn), name);
  }

  /** Runs `fn` over all records of each window when it fires. */
  process<R>(fn: ProcessAllWindowFunction<T, R, W>): SingleOutputStreamOperator<R> {
    return this.build({ kind: 'list' }, allProcess(fn), fn.constructor.name);
  }
}

// ---- Two-input streams (Flink's ConnectedStreams, BroadcastStream, BroadcastConnectedStream) and
// joins (JoinedStreams, CoGroupedStreams, KeyedStream.IntervalJoin).

/** Adds a two-input operator on `first` (its input 1) and `second` (its input 2). */
function twoInputTransform<R>(
  first: DataStream<any>,
  second: { readonly transformation: Transformation },
  kind: string,
  name: string,
  createOperator: (output: Output) => StreamOperator,
): SingleOutputStreamOperator<R> {
  const graph = graphOf(first);
  const transformation = graph.add(kind, name, [first.transformation, second.transformation], { type: 'operator', twoInput: true, createOperator });
  return new SingleOutputStreamOperator<R>(graph, transformation);
}

function graphOf(stream: DataStream<any>): TransformationGraph {
  return (stream as unknown as { graph: TransformationGraph }).graph;
}

function checkMethods(fn: unknown, methods: readonly string[], what: string, operation: string): void {
  const missing = methods.filter((m) => typeof (fn as Record<string, unknown> | null)?.[m] !== 'function');
  if (fn === null || typeof fn !== 'object' || missing.length > 0) {
    throw new TypeError(`${operation} needs a ${what} (an object with ${methods.join(' and ')})${fn !== null && typeof fn === 'object' ? `; missing: ${missing.join(', ')}` : `, got ${fn === null ? 'null' : typeof fn}`}`);
  }
}

/**
 * Two streams connected for a two-input function (Flink's ConnectedStreams): the first stream's
 * records go to the function's methods for input 1, the second's to those for input 2; one
 * function instance per subtask sees both, so it may share state between them. The operator's
 * watermark is the minimum of both inputs'.
 */
export class ConnectedStreams<IN1, IN2> {
  /** Not for user code: `a.connect(b)`. */
  constructor(
    private readonly graph: TransformationGraph,
    private readonly first: DataStream<IN1>,
    private readonly second: DataStream<IN2>,
  ) {}

  getFirstInput(): DataStream<IN1> {
    return this.first;
  }

  getSecondInput(): DataStream<IN2> {
    return this.second;
  }

  /**
   * Keys both inputs, `keySelector1` on the first and `keySelector2` on the second, so that records
   * of equal keys meet in one subtask: process() then gets keyed state and timers. The two key
   * functions must give keys of the same kind for records that belong together.
   */
  keyBy<K>(keySelector1: KeySelector<IN1, K>, keySelector2: KeySelector<IN2, K>): ConnectedStreams<IN1, IN2> {
    checkFunction(keySelector1, 'keyBy (keySelector1, of the first input)');
    checkFunction(keySelector2, 'keyBy (keySelector2, of the second input)');
    return new ConnectedStreams<IN1, IN2>(this.graph, this.first.keyBy(keySelector1), this.second.keyBy(keySelector2));
  }

  /** Applies map1 to the first input's records and map2 to the second's. */
  map<R>(fn: CoMapFunction<IN1, IN2, R>): SingleOutputStreamOperator<R> {
    checkMethods(fn, ['map1', 'map2'], 'CoMapFunction', 'ConnectedStreams.map');
    return twoInputTransform<R>(this.first, this.second, 'coMap', 'Co-Map', (out) => new CoStreamMap(fn as CoMapFunction<unknown, unknown, unknown>, out));
  }

  /** Applies flatMap1 to the first input's records and flatMap2 to the second's; each emits through its collector. */
  flatMap<R>(fn: CoFlatMapFunction<IN1, IN2, R>): SingleOutputStreamOperator<R> {
    checkMethods(fn, ['flatMap1', 'flatMap2'], 'CoFlatMapFunction', 'ConnectedStreams.flatMap');
    return twoInputTransform<R>(this.first, this.second, 'coFlatMap', 'Co-Flat Map', (out) => new CoStreamFlatMap(fn as CoFlatMapFunction<unknown, unknown, unknown>, out));
  }

  /**
   * Runs a CoProcessFunction, or, when both inputs are keyed (keyBy(k1, k2), or two KeyedStreams
   * connected), a KeyedCoProcessFunction with per-key state and timers of both domains. A
   * KeyedCoProcessFunction on inputs that are not both keyed is refused, as in Flink.
   */
  process<R>(fn: CoProcessFunction<IN1, IN2, R>): SingleOutputStreamOperator<R>;
  process<K, R>(fn: KeyedCoProcessFunction<K, IN1, IN2, R>): SingleOutputStreamOperator<R>;
  process<K, R>(fn: CoProcessFunction<IN1, IN2, R> | KeyedCoProcessFunction<K, IN1, IN2, R>): SingleOutputStreamOperator<R> {
    checkMethods(fn, ['processElement1', 'processElement2'], 'CoProcessFunction or KeyedCoProcessFunction', 'ConnectedStreams.process');
    const first = this.first;
    const second = this.second;
    const keyed = first instanceof KeyedStream && second instanceof KeyedStream;
    if (!keyed) {
      if (fn instanceof KeyedCoProcessFunction) {
        throw new TypeError('ConnectedStreams.process: a KeyedCoProcessFunction can only be used when both input streams are keyed: a.connect(b).keyBy(keyA, keyB).process(fn)');
      }
      return twoInputTransform<R>(first, second, 'coProcess', 'Co-Process', (out) => new CoProcessOperator(fn as CoProcessFunction<unknown, unknown, unknown>, out));
    }
    const key1 = (first as KeyedStream<IN1, unknown>).getKeySelector() as KeyFunction;
    const key2 = (second as KeyedStream<IN2, unknown>).getKeySelector() as KeyFunction;
    return twoInputTransform<R>(first, second, 'keyedCoProcess', 'KeyedCoProcess', (out) => new KeyedCoProcessOperator(key1, key2, fn as KeyedCoProcessFunction<unknown, unknown, unknown, unknown>, out));
  }
}

/**
 * A stream broadcast with broadcast state descriptors (Flink's BroadcastStream): connect another
 * stream to it (`events.connect(rules)` or `events.keyBy(k).connect(rules)`) and process both with
 * a BroadcastProcessFunction or KeyedBroadcastProcessFunction.
 */
export class BroadcastStream<T> {
  declare readonly __record?: T;

  /** Not for user code: `stream.broadcast(descriptor, ...)`. */
  constructor(
    private readonly graph: TransformationGraph,
    /** @internal */
    readonly transformation: Transformation,
    private readonly descriptors: readonly MapStateDescriptor<unknown, unknown>[],
  ) {}

  /** The descriptors of the broadcast states this stream's functions keep. */
  getBroadcastStateDescriptors(): readonly MapStateDescriptor<unknown, unknown>[] {
    return this.descriptors;
  }

  /** @internal */
  get environmentGraph(): TransformationGraph {
    return this.graph;
  }
}

/**
 * A stream connected to a BroadcastStream (Flink's BroadcastConnectedStream): process() with a
 * BroadcastProcessFunction when the stream is not keyed, a KeyedBroadcastProcessFunction when it is.
 */
export class BroadcastConnectedStream<IN1, IN2> {
  /** Not for user code: `stream.connect(broadcastStream)`. */
  constructor(
    private readonly graph: TransformationGraph,
    private readonly first: DataStream<IN1>,
    private readonly broadcastStream: BroadcastStream<IN2>,
  ) {
    if (broadcastStream.environmentGraph !== graph) throw new Error('a stream of another StreamExecutionEnvironment was used in connect; a job has one environment');
  }

  getFirstInput(): DataStream<IN1> {
    return this.first;
  }

  getSecondInput(): BroadcastStream<IN2> {
    return this.broadcastStream;
  }

  /**
   * Runs a BroadcastProcessFunction (non-keyed stream) or a KeyedBroadcastProcessFunction (keyed
   * stream); the other combinations are refused, as in Flink.
   */
  process<R>(fn: BroadcastProcessFunction<IN1, IN2, R>): SingleOutputStreamOperator<R>;
  process<K, R>(fn: KeyedBroadcastProcessFunction<K, IN1, IN2, R>): SingleOutputStreamOperator<R>;
  process<K, R>(fn: BroadcastProcessFunction<IN1, IN2, R> | KeyedBroadcastProcessFunction<K, IN1, IN2, R>): SingleOutputStreamOperator<R> {
    checkMethods(fn, ['processElement', 'processBroadcastElement'], 'BroadcastProcessFunction or KeyedBroadcastProcessFunction', 'BroadcastConnectedStream.process');
    const descriptors = this.broadcastStream.getBroadcastStateDescriptors();
    const first = this.first;
    const keyedFunction = fn instanceof KeyedBroadcastProcessFunction;
    if (first instanceof KeyedStream) {
      if (!keyedFunction) {
        throw new TypeError('BroadcastConnectedStream.process: the stream is keyed, so its function must be a KeyedBroadcastProcessFunction (a BroadcastProcessFunction is for non-keyed streams)');
      }
      const key = first.getKeySelector() as KeyFunction;
      return twoInputTransform<R>(first, this.broadcastStream, 'keyedBroadcastProcess', 'Co-Process-Broadcast-Keyed', (out) =>
        new CoBroadcastWithKeyedOperator(key, fn as KeyedBroadcastProcessFunction<unknown, unknown, unknown, unknown>, descriptors, out),
      );
    }
    if (keyedFunction) {
      throw new TypeError('BroadcastConnectedStream.process: a KeyedBroadcastProcessFunction can only be used on a keyed stream: a.keyBy(key).connect(broadcastStream).process(fn)');
    }
    return twoInputTransform<R>(first, this.broadcastStream, 'broadcastProcess', 'Co-Process-Broadcast', (out) =>
      new CoBroadcastWithNonKeyedOperator(fn as BroadcastProcessFunction<unknown, unknown, unknown>, descriptors, out),
    );
  }
}

/** A record of either input of a window join or coGroup, tagged with its input (Flink's TaggedUnion). */
type TaggedUnion = readonly [0 | 1, unknown];

/** Calls a CoGroupFunction with the two inputs' records of a window (Flink's CoGroupWindowFunction). */
class CoGroupWindowFunction extends ProcessWindowFunction<TaggedUnion, unknown, unknown, Window> {
  constructor(private readonly fn: CoGroupFunction<unknown, unknown, unknown>) {
    super();
  }
  process(_key: unknown, _context: unknown, elements: Iterable<TaggedUnion>, out: Collector<unknown>): void {
    const first: unknown[] = [];
    const second: unknown[] = [];
    for (const [input, value] of elements) (input === 0 ? first : second).push(value);
    const fn = this.fn;
    fn(first, second, out);
  }
}

/** Window settings of a join or coGroup, applied to the tagged union's windowed stream. */
interface JoinWindowSettings {
  trigger?: Trigger<unknown, Window>;
  evictor?: Evictor<unknown, Window>;
  allowedLateness?: number;
}

/**
 * Builds a window join or coGroup as Flink does: each input mapped to a tagged union, the two
 * unioned, keyed by the input's key function, windowed, and a CoGroupWindowFunction over each window.
 */
function buildCoGroup<R>(
  first: DataStream<any>,
  second: DataStream<any>,
  key1: KeyFunction,
  key2: KeyFunction,
  assigner: WindowAssigner<unknown, Window>,
  settings: JoinWindowSettings,
  fn: CoGroupFunction<unknown, unknown, unknown>,
  functionName: string,
): SingleOutputStreamOperator<R> {
  const tagged1 = first.map((value: unknown): TaggedUnion => [0, value]).name('Map');
  const tagged2 = second.map((value: unknown): TaggedUnion => [1, value]).name('Map');
  const unionKey = (record: TaggedUnion): unknown => (record[0] === 0 ? key1(record[1]) : key2(record[1]));
  let windowed = tagged1.union(tagged2).keyBy(unionKey).window(assigner as WindowAssigner<TaggedUnion, Window>);
  if (settings.trigger !== undefined) windowed = windowed.trigger(settings.trigger as Trigger<TaggedUnion, Window>);
  if (settings.evictor !== undefined) windowed = windowed.evictor(settings.evictor as Evictor<TaggedUnion, Window>);
  if (settings.allowedLateness !== undefined) windowed = windowed.allowedLateness(settings.allowedLateness);
  const windowFunction = new CoGroupWindowFunction(fn);
  const result = windowed.process(windowFunction) as SingleOutputStreamOperator<R>;
  return result.name(result.getName().replace(/, CoGroupWindowFunction\)$/, `, ${functionName})`));
}

/** The inputs and key functions a join or coGroup collects on its way to apply(). Not for user code. */
abstract class TwoInputKeys<IN1, IN2> {
  /** Not for user code: `a.join(b)`, `a.coGroup(b)`. */
  constructor(
    protected readonly first: DataStream<IN1>,
    protected readonly second: DataStream<IN2>,
    protected readonly key1: KeyFunction = () => undefined,
    protected readonly key2: KeyFunction = () => undefined,
  ) {}
}

/** The settings a windowed join or coGroup shares: trigger, evictor, allowed lateness. */
abstract class TwoInputWindowedStreams<IN1, IN2, W extends Window> extends TwoInputKeys<IN1, IN2> {
  protected readonly settings: JoinWindowSettings = {};
  protected assigner!: WindowAssigner<unknown, Window>;

  /** @internal */
  withAssigner(assigner: WindowAssigner<unknown, W>, operation: string): this {
    checkAssigner(assigner, operation);
    this.assigner = assigner as unknown as WindowAssigner<unknown, Window>;
    return this;
  }

  /** Replaces the assigner's default trigger (as WindowedStream.trigger). */
  trigger(trigger: Trigger<unknown, W>): this {
    if (!(trigger instanceof Trigger)) throw new TypeError('trigger needs a Trigger (for example CountTrigger.of(100) or EventTimeTrigger.create())');
    if (this.assigner instanceof MergingWindowAssigner && !trigger.canMerge()) {
      throw new TypeError(`A merging window assigner cannot be used with a trigger that does not support merging: ${this.assigner.toString()} with ${trigger.toString()}`);
    }
    this.settings.trigger = trigger as unknown as Trigger<unknown, Window>;
    return this;
  }

  /** Removes records from windows before or after the function runs (as WindowedStream.evictor). */
  evictor(evictor: Evictor<unknown, W>): this {
    this.settings.evictor = evictor as unknown as Evictor<unknown, Window>;
    return this;
  }

  /** Keeps each event-time window `lateness` ms past its end, firing again for late records (as WindowedStream.allowedLateness). */
  allowedLateness(lateness: number): this {
    if (typeof lateness !== 'number' || !Number.isSafeInteger(lateness) || lateness < 0) {
      throw new RangeError(`allowedLateness: lateness must be a whole number of milliseconds >= 0, got ${String(lateness)}`);
    }
    if (lateness > 0 && !this.assigner.isEventTime()) {
      throw new RangeError(`allowedLateness: ${this.assigner.toString()} is a processing-time window, which has no late records; allowed lateness is for event-time windows`);
    }
    this.settings.allowedLateness = lateness;
    return this;
  }
}

/** `a.join(b)`: name the first input's key next (Flink's JoinedStreams). */
export class JoinedStreams<IN1, IN2> extends TwoInputKeys<IN1, IN2> {
  /** The key of the first input's records. */
  where<K>(keySelector: KeySelector<IN1, K>): JoinedStreamsWhere<IN1, IN2, K> {
    checkFunction(keySelector, 'join(...).where');
    return new JoinedStreamsWhere<IN1, IN2, K>(this.first, this.second, keySelector as KeyFunction);
  }
}

/** `a.join(b).where(ka)`: name the second input's key next (Flink's JoinedStreams.Where). */
export class JoinedStreamsWhere<IN1, IN2, K> extends TwoInputKeys<IN1, IN2> {
  declare readonly __key?: K;
  /** The key of the second input's records; pairs with equal keys join. */
  equalTo(keySelector: KeySelector<IN2, K>): JoinedStreamsEqualTo<IN1, IN2, K> {
    checkFunction(keySelector, 'join(...).where(...).equalTo');
    return new JoinedStreamsEqualTo<IN1, IN2, K>(this.first, this.second, this.key1, keySelector as KeyFunction);
  }
}

/** `a.join(b).where(ka).equalTo(kb)`: the windows next (Flink's JoinedStreams.Where.EqualTo). */
export class JoinedStreamsEqualTo<IN1, IN2, K> extends TwoInputKeys<IN1, IN2> {
  declare readonly __key?: K;
  /** The windows both inputs are cut into (any WindowAssigner; event-time ones join in event time). */
  window<W extends Window>(assigner: WindowAssigner<unknown, W>): JoinedWindowedStreams<IN1, IN2, K, W> {
    return new JoinedWindowedStreams<IN1, IN2, K, W>(this.first, this.second, this.key1, this.key2).withAssigner(assigner, 'join(...).window');
  }
}

/**
 * A window join with its windows (Flink's JoinedStreams.WithWindow): apply() emits, when a window
 * fires, the function's result for every pair of the window's records with equal keys (an inner
 * join; use coGroup for outer joins). Results carry the window's maxTimestamp(). Before apply,
 * trigger(trigger), evictor(evictor) and allowedLateness(ms) work as on a WindowedStream.
 */
export class JoinedWindowedStreams<IN1, IN2, K, W extends Window> extends TwoInputWindowedStreams<IN1, IN2, W> {
  declare readonly __key?: K;

  /**
   * A JoinFunction `(first, second) => result`, or a FlatJoinFunction `(first, second, out) => void`
   * that emits any number of results: a function declared with three parameters is taken as a
   * FlatJoinFunction.
   */
  apply<R>(fn: JoinFunction<IN1, IN2, R>): SingleOutputStreamOperator<R>;
  apply<R>(fn: FlatJoinFunction<IN1, IN2, R>): SingleOutputStreamOperator<R>;
  apply<R>(fn: JoinFunction<IN1, IN2, R> | FlatJoinFunction<IN1, IN2, R>): SingleOutputStreamOperator<R> {
    checkFunction(fn, 'join(...).apply');
    const flat = fn.length >= 3;
    const join = fn as (first: unknown, second: unknown, out?: Collector<unknown>) => unknown;
    const coGroup: CoGroupFunction<unknown, unknown, unknown> = flat
      ? (first, second, out) => {
          for (const a of first) for (const b of second) join(a, b, out);
        }
      : (first, second, out) => {
          for (const a of first) for (const b of second) out.collect(join(a, b));
        };
    return buildCoGroup<R>(this.first, this.second, this.key1, this.key2, this.assigner, this.settings, coGroup, flat ? 'FlatJoinFunction' : 'JoinFunction');
  }
}

/** `a.coGroup(b)`: name the first input's key next (Flink's CoGroupedStreams). */
export class CoGroupedStreams<IN1, IN2> extends TwoInputKeys<IN1, IN2> {
  /** The key of the first input's records. */
  where<K>(keySelector: KeySelector<IN1, K>): CoGroupedStreamsWhere<IN1, IN2, K> {
    checkFunction(keySelector, 'coGroup(...).where');
    return new CoGroupedStreamsWhere<IN1, IN2, K>(this.first, this.second, keySelector as KeyFunction);
  }
}

/** `a.coGroup(b).where(ka)`: name the second input's key next (Flink's CoGroupedStreams.Where). */
export class CoGroupedStreamsWhere<IN1, IN2, K> extends TwoInputKeys<IN1, IN2> {
  declare readonly __key?: K;
  /** The key of the second input's records. */
  equalTo(keySelector: KeySelector<IN2, K>): CoGroupedStreamsEqualTo<IN1, IN2, K> {
    checkFunction(keySelector, 'coGroup(...).where(...).equalTo');
    return new CoGroupedStreamsEqualTo<IN1, IN2, K>(this.first, this.second, this.key1, keySelector as KeyFunction);
  }
}

/** `a.coGroup(b).where(ka).equalTo(kb)`: the windows next (Flink's CoGroupedStreams.Where.EqualTo). */
export class CoGroupedStreamsEqualTo<IN1, IN2, K> extends TwoInputKeys<IN1, IN2> {
  declare readonly __key?: K;
  /** The windows both inputs are cut into. */
  window<W extends Window>(assigner: WindowAssigner<unknown, W>): CoGroupedWindowedStreams<IN1, IN2, K, W> {
    return new CoGroupedWindowedStreams<IN1, IN2, K, W>(this.first, this.second, this.key1, this.key2).withAssigner(assigner, 'coGroup(...).window');
  }
}

/**
 * A coGroup with its windows (Flink's CoGroupedStreams.WithWindow): apply() calls the function
 * once per key and window that has records on either side, with both sides' records (one side
 * may be empty). Results carry the window's maxTimestamp(). Before apply, trigger(trigger),
 * evictor(evictor) and allowedLateness(ms) work as on a WindowedStream.
 */
export class CoGroupedWindowedStreams<IN1, IN2, K, W extends Window> extends TwoInputWindowedStreams<IN1, IN2, W> {
  declare readonly __key?: K;

  apply<R>(fn: CoGroupFunction<IN1, IN2, R>): SingleOutputStreamOperator<R> {
    checkFunction(fn, 'coGroup(...).apply');
    return buildCoGroup<R>(this.first, this.second, this.key1, this.key2, this.assigner, this.settings, fn as CoGroupFunction<unknown, unknown, unknown>, 'CoGroupFunction');
  }
}

/** `left.intervalJoin(right)`: the interval next (Flink's KeyedStream.IntervalJoin). */
export class IntervalJoin<IN1, IN2, K> {
  /** Not for user code: `left.keyBy(ka).intervalJoin(right.keyBy(kb))`. */
  constructor(
    private readonly left: KeyedStream<IN1, K>,
    private readonly right: KeyedStream<IN2, K>,
  ) {}

  /**
   * Joins a left record at time t with the right records of its key at times in
   * [t + lowerBound, t + upperBound] (milliseconds, both inclusive unless made exclusive; negative
   * values reach back in time). Refused when lowerBound > upperBound.
   */
  between(lowerBound: number, upperBound: number): IntervalJoined<IN1, IN2, K> {
    for (const [name, value] of [['lowerBound', lowerBound], ['upperBound', upperBound]] as const) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new RangeError(`intervalJoin(...).between: ${name} must be a whole number of milliseconds, got ${String(value)}`);
    }
    if (lowerBound > upperBound) {
      throw new RangeError(`intervalJoin(...).between: lowerBound (${lowerBound}) must be <= upperBound (${upperBound}); the interval [t + lowerBound, t + upperBound] is empty`);
    }
    return new IntervalJoined<IN1, IN2, K>(this.left, this.right, lowerBound, upperBound);
  }
}

/** An interval join with its bounds (Flink's KeyedStream.IntervalJoined). */
export class IntervalJoined<IN1, IN2, K> {
  private lowerExclusive = false;
  private upperExclusive = false;

  /** Not for user code. */
  constructor(
    private readonly left: KeyedStream<IN1, K>,
    private readonly right: KeyedStream<IN2, K>,
    private readonly lowerBound: number,
    private readonly upperBound: number,
  ) {}

  /** Right records at exactly t + lowerBound do not join. */
  lowerBoundExclusive(): this {
    this.lowerExclusive = true;
    return this;
  }

  /** Right records at exactly t + upperBound do not join. */
  upperBoundExclusive(): this {
    this.upperExclusive = true;
    return this;
  }

  /**
   * Runs `fn` for every joined pair; its results carry the larger of the two timestamps. Both
   * inputs need timestamps (event time); a record behind the watermark is late and dropped.
   */
  process<R>(fn: ProcessJoinFunction<IN1, IN2, R>): SingleOutputStreamOperator<R> {
    checkMethods(fn, ['processElement'], 'ProcessJoinFunction', 'intervalJoin(...).process');
    const lower = this.lowerExclusive ? this.lowerBound + 1 : this.lowerBound;
    const upper = this.upperExclusive ? this.upperBound - 1 : this.upperBound;
    if (lower > upper) {
      throw new RangeError(
        `intervalJoin(...).process: the interval between ${this.lowerBound}${this.lowerExclusive ? ' (exclusive)' : ''} and ${this.upperBound}${this.upperExclusive ? ' (exclusive)' : ''} ms holds no time; widen the bounds or make them inclusive`,
      );
    }
    const key1 = this.left.getKeySelector() as KeyFunction;
    const key2 = this.right.getKeySelector() as KeyFunction;
    return twoInputTransform<R>(this.left, this.right, 'intervalJoin', 'Interval Join', (out) =>
      new IntervalJoinOperator(key1, key2, lower, upper, fn as ProcessJoinFunction<unknown, unknown, unknown>, out),
    );
  }
}
