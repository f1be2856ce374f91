/**
 * The examples of the API reference in packages/api/README.md, one per class and method, each in a
 * `// #region Name.member` block; scripts/gen-api-docs.mjs puts each under its declaration and
 * fails when a public class or method has none. This file is compiled with the package's tests, so
 * every example type-checks against the API as it is; it is never run.
 */
import {
  AbstractRichFunction,
  CheckpointConfig,
  type CheckpointedFunction,
  type CheckpointListener,
  type FlushingFunction,
  type FunctionInitializationContext,
  type FunctionSnapshotContext,
  type KeyedStateStore,
  type OperatorStateStore,
  EddyApiError,
  JobDefinitionError,
  JobGraphMismatchError,
  KeyedProcessFunction,
  ListStateDescriptor,
  MapStateDescriptor,
  ProcessFunction,
  RestartStrategies,
  Types,
  type StateType,
  type TypeOf,
  ValueStateDescriptor,
  defaultMaxParallelism,
  keyGroupFor,
  keyGroupRangeForOperatorIndex,
  operatorIndexForKey,
  operatorIndexForKeyGroup,
  type Collector,
  type DataStream,
  type DataStreamSink,
  type DataStreamSource,
  type JobMain,
  type KeyedOnTimerContext,
  type KeyedProcessContext,
  type KeyedStream,
  type ListState,
  type MapState,
  type OnTimerContext,
  type ProcessContext,
  type RuntimeContext,
  type SingleOutputStreamOperator,
  type Sink,
  type Source,
  type SourceContext,
  type SplitRequestingSourceContext,
  type StateDescriptor,
  type StreamExecutionEnvironment,
  type TimerService,
  type ValueState,
  OutputTag,
  WatermarkStrategy,
  type WatermarkGenerator,
  type WatermarkOutput,
  AllWindowedStream,
  CountEvictor,
  CountTrigger,
  EventTimeSessionWindows,
  EventTimeTrigger,
  GlobalWindow,
  GlobalWindows,
  MergingWindowAssigner,
  ProcessAllWindowFunction,
  ProcessingTimeSessionWindows,
  ProcessingTimeTrigger,
  ProcessWindowFunction,
  PurgingTrigger,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  TimeEvictor,
  TimeWindow,
  Trigger,
  TriggerResult,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  Window,
  WindowAssigner,
  WindowedStream,
  type AggregateFunction,
  type Evictor,
  type EvictorContext,
  type OnMergeContext,
  type ProcessWindowContext,
  type TimestampedValue,
  type TriggerContext,
  type WindowAssignerContext,
  BroadcastConnectedStream,
  BroadcastProcessFunction,
  BroadcastStream,
  CoGroupedStreams,
  CoGroupedStreamsEqualTo,
  CoGroupedStreamsWhere,
  CoGroupedWindowedStreams,
  ConnectedStreams,
  CoProcessFunction,
  IntervalJoin,
  IntervalJoined,
  JoinedStreams,
  JoinedStreamsEqualTo,
  JoinedStreamsWhere,
  JoinedWindowedStreams,
  KeyedBroadcastProcessFunction,
  KeyedCoProcessFunction,
  ProcessJoinFunction,
  type BaseBroadcastContext,
  type BroadcastContext,
  type BroadcastState,
  type CoFlatMapFunction,
  type CoMapFunction,
  type KeyedBroadcastContext,
  type KeyedBroadcastOnTimerContext,
  type KeyedReadOnlyBroadcastContext,
  type ProcessJoinContext,
  type ReadOnlyBroadcastContext,
  type ReadOnlyBroadcastState,
} from '../src/index.js';

/** What the examples assume in scope. */
export interface ExampleScope {
  readonly env: StreamExecutionEnvironment;
  readonly lines: DataStream<string>;
  readonly numbers: DataStream<number>;
  readonly pairs: DataStream<[string, number]>;
  readonly byWord: KeyedStream<[string, number], string>;
  readonly source: DataStreamSource<string>;
  readonly lengths: SingleOutputStreamOperator<number>;
  readonly sink: DataStreamSink<number>;
  readonly out: Collector<string>;
  readonly ctx: ProcessContext;
  readonly keyedCtx: KeyedProcessContext<string>;
  readonly timerCtx: OnTimerContext;
  readonly keyedTimerCtx: KeyedOnTimerContext<string>;
  readonly timers: TimerService;
  readonly runtime: RuntimeContext;
  readonly count: ValueState<number>;
  readonly seen: ListState<string>;
  readonly totals: MapState<string, number>;
  readonly sourceCtx: SourceContext<number>;
  readonly descriptor: StateDescriptor;
  readonly error: unknown;
  readonly watermarkOutput: WatermarkOutput;
  readonly initContext: FunctionInitializationContext;
  readonly snapshotContext: FunctionSnapshotContext;
  readonly operatorState: OperatorStateStore;
  readonly keyedState: KeyedStateStore;
}

export function examples(scope: ExampleScope): unknown[] {
  const { env, lines, numbers, pairs, byWord, source, lengths, sink, out, ctx, keyedCtx, timerCtx, keyedTimerCtx, timers, runtime, count, seen, totals, sourceCtx, descriptor, error, watermarkOutput } = scope;
  const { initContext, snapshotContext, operatorState, keyedState } = scope;
  const shown: unknown[] = [];

  // ---- A job ----

  // #region JobMain
  const main: JobMain = (env, args) => void env.readTextFile(args[0] ?? 'input.txt').print();
  // #endregion
  shown.push(main);

  // ---- The environment ----

  // #region StreamExecutionEnvironment
  const job: JobMain = (env: StreamExecutionEnvironment) => void env.fromElements('a', 'b').print();
  // #endregion
  shown.push(job);
  // #region StreamExecutionEnvironment.setParallelism
  env.setParallelism(4);
  // #endregion
  // #region StreamExecutionEnvironment.getParallelism
  const parallelism = env.getParallelism();
  // #endregion
  // #region StreamExecutionEnvironment.setMaxParallelism
  env.setMaxParallelism(256);
  // #endregion
  // #region StreamExecutionEnvironment.getMaxParallelism
  const maxParallelism = env.getMaxParallelism();
  // #endregion
  // #region StreamExecutionEnvironment.setBufferTimeout
  env.setBufferTimeout(10);
  // #endregion
  // #region StreamExecutionEnvironment.getBufferTimeout
  const bufferTimeoutMs = env.getBufferTimeout();
  // #endregion
  // #region StreamExecutionEnvironment.enableCheckpointing
  env.enableCheckpointing(1_000); // every second, EXACTLY_ONCE
  // #endregion
  // #region StreamExecutionEnvironment.getCheckpointConfig
  env.getCheckpointConfig().setCheckpointStorage('/shared/checkpoints');
  // #endregion
  // #region CheckpointConfig
  const checkpointConfig: CheckpointConfig = env.getCheckpointConfig();
  // #endregion
  // #region CheckpointConfig.isCheckpointingEnabled
  const checkpointing = checkpointConfig.isCheckpointingEnabled();
  // #endregion
  // #region CheckpointConfig.getCheckpointInterval
  const intervalMs = checkpointConfig.getCheckpointInterval();
  // #endregion
  // #region CheckpointConfig.setCheckpointInterval
  checkpointConfig.setCheckpointInterval(5_000);
  // #endregion
  // #region CheckpointConfig.getCheckpointingMode
  const mode = checkpointConfig.getCheckpointingMode();
  // #endregion
  // #region CheckpointConfig.setCheckpointingMode
  checkpointConfig.setCheckpointingMode('AT_LEAST_ONCE');
  // #endregion
  // #region CheckpointConfig.setCheckpointTimeout
  checkpointConfig.setCheckpointTimeout(60_000);
  // #endregion
  // #region CheckpointConfig.setMinPauseBetweenCheckpoints
  checkpointConfig.setMinPauseBetweenCheckpoints(500);
  // #endregion
  // #region CheckpointConfig.setMaxConcurrentCheckpoints
  checkpointConfig.setMaxConcurrentCheckpoints(1);
  // #endregion
  // #region CheckpointConfig.setTolerableCheckpointFailureNumber
  checkpointConfig.setTolerableCheckpointFailureNumber(3);
  // #endregion
  // #region CheckpointConfig.setCheckpointStorage
  checkpointConfig.setCheckpointStorage('file:///mnt/shared/checkpoints');
  // #endregion
  // #region CheckpointConfig.setExternalizedCheckpointRetention
  checkpointConfig.setExternalizedCheckpointRetention('RETAIN_ON_CANCELLATION');
  // #endregion
  shown.push(checkpointing, intervalMs, mode);
  // #region StreamExecutionEnvironment.setRestartStrategy
  env.setRestartStrategy(RestartStrategies.fixedDelayRestart(3, 1_000));
  // #endregion
  // #region StreamExecutionEnvironment.configure
  env.configure('execution.buffer-timeout', '50 ms');
  // #endregion
  // #region StreamExecutionEnvironment.getConfiguration
  const restartType = env.getConfiguration()['restart-strategy.type'];
  // #endregion
  // #region StreamExecutionEnvironment.setJobName
  env.setJobName('WordCount');
  // #endregion
  // #region StreamExecutionEnvironment.getJobName
  const jobName = env.getJobName();
  // #endregion
  // #region StreamExecutionEnvironment.disableOperatorChaining
  env.disableOperatorChaining();
  // #endregion
  // #region StreamExecutionEnvironment.isChainingEnabled
  const chaining = env.isChainingEnabled();
  // #endregion
  shown.push(parallelism, maxParallelism, bufferTimeoutMs, restartType, jobName, chaining);
  // #region StreamExecutionEnvironment.fromElements
  env.fromElements('to be', 'or not to be');
  // #endregion
  // #region StreamExecutionEnvironment.fromCollection
  env.fromCollection(new Set([1, 2, 3]));
  // #endregion
  // #region StreamExecutionEnvironment.fromSequence
  env.fromSequence(1, 1_000_000);
  // #endregion
  // #region StreamExecutionEnvironment.readTextFile
  env.readTextFile('/data/book.txt');
  // #endregion
  // #region StreamExecutionEnvironment.socketTextStream
  env.socketTextStream('localhost', 9999);
  // #endregion
  // #region StreamExecutionEnvironment.fromGenerator
  env.fromGenerator(Infinity, (i) => ({ id: i, at: Date.now() }), { recordsPerSecond: 1_000 });
  // #endregion
  // #region StreamExecutionEnvironment.fromSource
  env.fromSource<number>({ run: (ctx) => void ctx.collect(42) }, 'Answer');
  // #endregion

  // ---- Streams ----

  // #region DataStream
  const words: DataStream<string> = env.fromElements('a', 'b', 'a');
  // #endregion
  shown.push(words);
  // #region DataStream.map
  lines.map((line) => line.length);
  // #endregion
  // #region DataStream.flatMap
  lines.flatMap((line: string, out: Collector<string>) => line.split(' ').forEach((word) => out.collect(word)));
  // #endregion
  // #region DataStream.filter
  numbers.filter((n) => n % 2 === 0);
  // #endregion
  // #region DataStream.process
  lines.process(new Tag());
  // #endregion
  // #region DataStream.keyBy
  pairs.keyBy(([word]) => word);
  // #endregion
  // #region DataStream.union
  lines.union(env.fromElements('one more line'));
  // #endregion
  // #region DataStream.rebalance
  lines.rebalance().map((line) => line.toUpperCase());
  // #endregion
  // #region DataStream.rescale
  lines.rescale().map((line) => line.trim());
  // #endregion
  // #region DataStream.shuffle
  lines.shuffle().map((line) => line.length);
  // #endregion
  // #region DataStream.forward
  lines.forward().map((line) => line.length);
  // #endregion
  // #region DataStream.print
  numbers.print('numbers');
  // #endregion
  // #region DataStream.writeAsText
  lines.writeAsText('/tmp/out');
  // #endregion
  // #region DataStream.collect
  numbers.collect();
  // #endregion
  // #region DataStream.addSink
  numbers.addSink({ invoke: (n) => console.log(n) });
  // #endregion
  // #region DataStream.sinkTo
  numbers.sinkTo({ sinkName: 'Console Sink', invoke: (n) => console.log(n) });
  // #endregion

  // #region SingleOutputStreamOperator
  const doubled: SingleOutputStreamOperator<number> = numbers.map((n) => n * 2).name('Double');
  // #endregion
  shown.push(doubled);
  // #region SingleOutputStreamOperator.name
  lines.map((line) => line.length).name('Line length');
  // #endregion
  // #region SingleOutputStreamOperator.getName
  const name = lengths.getName();
  // #endregion
  shown.push(name);
  // #region SingleOutputStreamOperator.uid
  lengths.uid('line-length');
  // #endregion
  // #region SingleOutputStreamOperator.setParallelism
  lengths.setParallelism(4);
  // #endregion
  // #region SingleOutputStreamOperator.setMaxParallelism
  lengths.setMaxParallelism(512);
  // #endregion
  // #region SingleOutputStreamOperator.slotSharingGroup
  lengths.slotSharingGroup('heavy');
  // #endregion
  // #region SingleOutputStreamOperator.disableChaining
  lengths.disableChaining();
  // #endregion
  // #region SingleOutputStreamOperator.startNewChain
  lengths.startNewChain();
  // #endregion

  // #region DataStreamSource
  const input: DataStreamSource<string> = env.readTextFile('input.txt').setParallelism(2);
  // #endregion
  shown.push(input, source);

  // #region KeyedStream
  const perWord: KeyedStream<[string, number], string> = pairs.keyBy(([word]) => word);
  // #endregion
  shown.push(perWord);
  // #region KeyedStream.getKeySelector
  const keyOf = byWord.getKeySelector();
  // #endregion
  shown.push(keyOf);
  // #region KeyedStream.reduce
  byWord.reduce(([word, a], [, b]) => [word, a + b]);
  // #endregion
  // #region KeyedStream.sum
  byWord.sum(1);
  // #endregion
  // #region KeyedStream.min
  byWord.min(1);
  // #endregion
  // #region KeyedStream.max
  byWord.max(1);
  // #endregion
  // #region KeyedStream.minBy
  byWord.minBy(1);
  // #endregion
  // #region KeyedStream.maxBy
  byWord.maxBy(1);
  // #endregion
  // #region KeyedStream.process
  byWord.process(new CountPerWord());
  // #endregion

  // #region DataStreamSink
  const printed: DataStreamSink<number> = numbers.print().name('Print numbers');
  // #endregion
  shown.push(printed);
  // #region DataStreamSink.name
  numbers.collect().name('Results');
  // #endregion
  // #region DataStreamSink.uid
  sink.uid('results-sink');
  // #endregion
  // #region DataStreamSink.setParallelism
  sink.setParallelism(1);
  // #endregion
  // #region DataStreamSink.setMaxParallelism
  sink.setMaxParallelism(128);
  // #endregion
  // #region DataStreamSink.slotSharingGroup
  sink.slotSharingGroup('sinks');
  // #endregion
  // #region DataStreamSink.disableChaining
  sink.disableChaining();
  // #endregion
  // #region DataStreamSink.startNewChain
  sink.startNewChain();
  // #endregion

  // ---- Functions ----

  // #region Collector.collect
  out.collect('word');
  // #endregion

  // ---- Process functions, contexts and timers ----

  // #region AbstractRichFunction.open
  class Opens extends ProcessFunction<string, string> {
    override open(): void {
      console.log('subtask', this.getRuntimeContext().indexOfThisSubtask);
    }
    processElement(line: string, _ctx: ProcessContext, out: Collector<string>): void {
      out.collect(line);
    }
  }
  // #endregion
  // #region AbstractRichFunction.close
  class Closes extends ProcessFunction<string, string> {
    override close(): void {
      console.log('done');
    }
    processElement(line: string, _ctx: ProcessContext, out: Collector<string>): void {
      out.collect(line);
    }
  }
  // #endregion
  // #region AbstractRichFunction.getRuntimeContext
  class Where extends AbstractRichFunction {
    override open(): void {
      console.log(this.getRuntimeContext().taskName);
    }
  }
  // #endregion
  // #region AbstractRichFunction
  class Lifecycle extends AbstractRichFunction {
    override open(): void {}
  }
  // #endregion
  shown.push(Opens, Closes, Where, Lifecycle);
  // #region ProcessFunction
  class Shout extends ProcessFunction<string, string> {
    processElement(line: string, _ctx: ProcessContext, out: Collector<string>): void {
      out.collect(line.toUpperCase());
    }
  }
  // #endregion
  // #region ProcessFunction.processElement
  class Words extends ProcessFunction<string, string> {
    processElement(line: string, _ctx: ProcessContext, out: Collector<string>): void {
      for (const word of line.split(' ')) out.collect(word);
    }
  }
  // #endregion
  // #region ProcessFunction.onTimer
  class Ticks extends ProcessFunction<string, string> {
    processElement(_line: string, ctx: ProcessContext): void {
      ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 1_000);
    }
    override onTimer(timestamp: number, _ctx: OnTimerContext, out: Collector<string>): void {
      out.collect(`tick at ${timestamp}`);
    }
  }
  // #endregion
  // #region ProcessFunction.finish
  class CountLines extends ProcessFunction<string, number> {
    private lines = 0;
    processElement(): void {
      this.lines++;
    }
    override finish(out: Collector<number>): void {
      out.collect(this.lines);
    }
  }
  // #endregion
  shown.push(Shout, Words, Ticks, CountLines);
  // #region KeyedProcessFunction
  class Latest extends KeyedProcessFunction<string, [string, number], number> {
    processElement([, n]: [string, number], _ctx: KeyedProcessContext<string>, out: Collector<number>): void {
      out.collect(n);
    }
  }
  // #endregion
  // #region KeyedProcessFunction.processElement
  class Echo extends KeyedProcessFunction<string, [string, number], string> {
    processElement(_pair: [string, number], ctx: KeyedProcessContext<string>, out: Collector<string>): void {
      out.collect(ctx.getCurrentKey());
    }
  }
  // #endregion
  // #region KeyedProcessFunction.onTimer
  class Expire extends KeyedProcessFunction<string, [string, number], string> {
    processElement(_pair: [string, number], ctx: KeyedProcessContext<string>): void {
      ctx.timerService().registerProcessingTimeTimer(Date.now() + 60_000);
    }
    override onTimer(_timestamp: number, ctx: KeyedOnTimerContext<string>, out: Collector<string>): void {
      out.collect(`${ctx.getCurrentKey()} expired`);
    }
  }
  // #endregion
  // #region KeyedProcessFunction.finish
  class TopWord extends KeyedProcessFunction<string, [string, number], string> {
    private best: [string, number] = ['', 0];
    processElement([word, n]: [string, number]): void {
      if (n > this.best[1]) this.best = [word, n];
    }
    override finish(out: Collector<string>): void {
      out.collect(this.best[0]);
    }
  }
  // #endregion
  shown.push(Latest, Echo, Expire, TopWord);
  // #region ProcessContext.timestamp
  const timestamp = ctx.timestamp();
  // #endregion
  // #region ProcessContext.timerService
  ctx.timerService().registerProcessingTimeTimer(Date.now() + 1_000);
  // #endregion
  // #region OnTimerContext.timeDomain
  const domain = timerCtx.timeDomain();
  // #endregion
  // #region KeyedProcessContext.getCurrentKey
  const key = keyedCtx.getCurrentKey();
  // #endregion
  // #region KeyedOnTimerContext.timeDomain
  const keyedDomain = keyedTimerCtx.timeDomain();
  // #endregion
  shown.push(timestamp, domain, key, keyedDomain);
  // #region ProcessContext.output
  ctx.output(new OutputTag<string>('rejected'), 'a record that goes to the side output');
  // #endregion
  // #region TimerService.currentWatermark
  const eventTime = timers.currentWatermark();
  // #endregion
  // #region TimerService.registerEventTimeTimer
  timers.registerEventTimeTimer(eventTime + 60_000);
  // #endregion
  // #region TimerService.deleteEventTimeTimer
  timers.deleteEventTimeTimer(eventTime + 60_000);
  // #endregion

  // ---- Event time ----

  // #region OutputTag
  const late = new OutputTag<[string, number]>('late');
  // #endregion
  // #region WatermarkStrategy
  const strategy = WatermarkStrategy.forBoundedOutOfOrderness<[string, number]>(5_000).withTimestampAssigner(([, time]) => time);
  // #endregion
  // #region WatermarkStrategy.forBoundedOutOfOrderness
  const outOfOrder = WatermarkStrategy.forBoundedOutOfOrderness<{ at: number }>(2_000);
  // #endregion
  // #region WatermarkStrategy.forMonotonousTimestamps
  const ascending = WatermarkStrategy.forMonotonousTimestamps<{ at: number }>();
  // #endregion
  // #region WatermarkStrategy.noWatermarks
  const timestampsOnly = WatermarkStrategy.noWatermarks<{ at: number }>();
  // #endregion
  // #region WatermarkStrategy.forGenerator
  const custom = WatermarkStrategy.forGenerator<{ at: number }>(() => new PunctuatedWatermarks());
  // #endregion
  // #region WatermarkStrategy.withTimestampAssigner
  const byField = ascending.withTimestampAssigner((event) => event.at);
  // #endregion
  // #region WatermarkStrategy.withIdleness
  const quietSplitsIdle = outOfOrder.withIdleness(60_000);
  // #endregion
  // #region WatermarkGenerator.onEvent
  class PunctuatedWatermarks implements WatermarkGenerator<{ at: number }> {
    onEvent(event: { at: number }, eventTimestamp: number, output: WatermarkOutput): void {
      if (event.at % 60_000 === 0) output.emitWatermark(eventTimestamp);
    }
    onPeriodicEmit(): void {}
  }
  // #endregion
  // #region WatermarkGenerator.onPeriodicEmit
  class LatestMinusOne implements WatermarkGenerator<unknown> {
    private max = -Infinity;
    onEvent(_event: unknown, eventTimestamp: number): void {
      this.max = Math.max(this.max, eventTimestamp);
    }
    onPeriodicEmit(output: WatermarkOutput): void {
      if (this.max > -Infinity) output.emitWatermark(this.max - 1);
    }
  }
  // #endregion
  // #region WatermarkOutput.emitWatermark
  watermarkOutput.emitWatermark(Date.now() - 10_000);
  // #endregion
  // #region WatermarkOutput.markIdle
  watermarkOutput.markIdle();
  // #endregion
  // #region WatermarkOutput.markActive
  watermarkOutput.markActive();
  // #endregion
  // #region DataStream.assignTimestampsAndWatermarks
  const timed = pairs.assignTimestampsAndWatermarks(strategy);
  // #endregion
  // #region SingleOutputStreamOperator.getSideOutput
  const lateOnes = timed.keyBy(([word]) => word).process(new Expire()).getSideOutput(late);
  // #endregion
  shown.push(custom, byField, quietSplitsIdle, timestampsOnly, LatestMinusOne, lateOnes);
  // #region TimerService.currentProcessingTime
  const now = timers.currentProcessingTime();
  // #endregion
  // #region TimerService.registerProcessingTimeTimer
  timers.registerProcessingTimeTimer(now + 5_000);
  // #endregion
  // #region TimerService.deleteProcessingTimeTimer
  timers.deleteProcessingTimeTimer(now + 5_000);
  // #endregion
  // #region RuntimeContext.getState
  const counter = runtime.getState(new ValueStateDescriptor<number>('count', 0));
  // #endregion
  // #region RuntimeContext.getListState
  const history = runtime.getListState(new ListStateDescriptor<string>('history'));
  // #endregion
  // #region RuntimeContext.getMapState
  const perDay = runtime.getMapState(new MapStateDescriptor<string, number>('per-day'));
  // #endregion
  shown.push(counter, history, perDay);

  // ---- User metrics ----

  // #region RuntimeContext.getMetricGroup
  const metrics = runtime.getMetricGroup();
  // #endregion
  // #region MetricGroup.counter
  const parsed = metrics.counter('recordsParsed');
  // #endregion
  // #region Counter.inc
  parsed.inc();
  parsed.inc(10);
  // #endregion
  // #region Counter.dec
  parsed.dec();
  // #endregion
  // #region Counter.getCount
  const parsedSoFar = parsed.getCount();
  // #endregion
  // #region MetricGroup.gauge
  let queueLength = 0;
  const queued = metrics.gauge('queueLength', () => queueLength);
  // #endregion
  // #region Gauge.getValue
  queueLength = 3;
  const queuedNow = queued.getValue();
  // #endregion
  // #region MetricGroup.histogram
  const latency = metrics.histogram('lookupLatencyMs');
  // #endregion
  // #region Histogram.update
  latency.update(12.5);
  // #endregion
  // #region Histogram.getCount
  const lookups = latency.getCount();
  // #endregion
  // #region Histogram.getStatistics
  const statistics = latency.getStatistics();
  // #endregion
  // #region HistogramStatistics.getQuantile
  const p99 = statistics.getQuantile(0.99);
  // #endregion
  // #region MetricGroup.meter
  const events = metrics.meter('eventsPerSecond');
  // #endregion
  // #region Meter.markEvent
  events.markEvent();
  events.markEvent(5);
  // #endregion
  // #region Meter.getRate
  const perSecond = events.getRate();
  // #endregion
  // #region Meter.getCount
  const eventsSoFar = events.getCount();
  // #endregion
  shown.push(parsedSoFar, queuedNow, lookups, p99, perSecond, eventsSoFar);

  // ---- Keyed state ----

  const Visit = Types.OBJECT({ url: Types.STRING, at: Types.DATE, tags: Types.OPTIONAL(Types.LIST(Types.STRING)) });
  // #region Types.NUMBER
  const clicks = new ValueStateDescriptor('clicks', Types.NUMBER, 0);
  // #endregion
  // #region Types.STRING
  const lastUrl = new ValueStateDescriptor('last-url', Types.STRING);
  // #endregion
  // #region Types.BOOLEAN
  const flagged = new ValueStateDescriptor('flagged', Types.BOOLEAN);
  // #endregion
  // #region Types.BIGINT
  const bytesSeen = new ValueStateDescriptor('bytes', Types.BIGINT);
  // #endregion
  // #region Types.DATE
  const firstSeen = new ValueStateDescriptor('first-seen', Types.DATE);
  // #endregion
  // #region Types.ANY
  const anything = new ValueStateDescriptor('scratch', Types.ANY);
  // #endregion
  // #region Types.OBJECT
  const session = new ValueStateDescriptor('session', Types.OBJECT({ user: Types.STRING, clicks: Types.NUMBER }));
  // #endregion
  // #region Types.OPTIONAL
  const Profile = Types.OBJECT({ name: Types.STRING, email: Types.OPTIONAL(Types.STRING) });
  // #endregion
  // #region Types.LIST
  const recent = new ValueStateDescriptor('recent', Types.LIST(Visit));
  // #endregion
  // #region Types.MAP
  const perHost = new ValueStateDescriptor('per-host', Types.MAP(Types.STRING, Types.NUMBER));
  // #endregion
  // #region TypeOf
  type Visit = TypeOf<typeof Visit>; // { url: string; at: Date; tags?: string[] }
  const example: Visit = { url: '/', at: new Date() };
  // #endregion
  // #region StateType
  const visitState: StateType<Visit> = Visit;
  // #endregion
  // #region StateType.toJSON
  const canonical = JSON.stringify(Profile); // '{"object":{"email":{"optional":"STRING"},"name":"STRING"}}'
  // #endregion
  // #region StateType.toString
  const readable = String(Profile); // 'OBJECT{email?: STRING, name: STRING}'
  // #endregion
  shown.push(clicks, lastUrl, flagged, bytesSeen, firstSeen, anything, session, recent, perHost, example, visitState, canonical, readable);

  // #region StateDescriptor
  const stateName = descriptor.name;
  // #endregion
  shown.push(stateName);
  // #region ValueStateDescriptor
  const countDescriptor = new ValueStateDescriptor<number>('count', 0);
  // #endregion
  // #region ValueStateDescriptor.constructor
  const lastSeen = new ValueStateDescriptor('last-seen', Types.NUMBER); // typed: checked when restored
  const untypedHits = new ValueStateDescriptor<number>('hits', 0); // untyped, with a default: unchecked
  // #endregion
  shown.push(untypedHits);
  // #region ListStateDescriptor
  const eventsDescriptor = new ListStateDescriptor<string>('events');
  // #endregion
  // #region StateDescriptor.stateType
  const recorded = new ValueStateDescriptor('visits', Types.NUMBER).stateType(); // 'NUMBER'
  // #endregion
  // #region ValueStateDescriptor.stateType
  const visitType = new ValueStateDescriptor('last-visit', Types.OBJECT({ url: Types.STRING })).stateType(); // { object: { url: 'STRING' } }
  // #endregion
  // #region ListStateDescriptor.stateType
  const seenType = new ListStateDescriptor('seen', Types.STRING).stateType(); // { list: 'STRING' }
  // #endregion
  // #region MapStateDescriptor.stateType
  const totalsType = new MapStateDescriptor('totals', Types.STRING, Types.NUMBER).stateType(); // { map: ['STRING', 'NUMBER'] }
  // #endregion
  shown.push(recorded, visitType, seenType, totalsType);
  // #region MapStateDescriptor
  const totalsDescriptor = new MapStateDescriptor<string, number>('totals');
  // #endregion
  shown.push(countDescriptor, lastSeen, eventsDescriptor, totalsDescriptor);
  // #region ValueState.value
  const current = count.value() ?? 0;
  // #endregion
  // #region ValueState.update
  count.update(current + 1);
  // #endregion
  // #region ValueState.clear
  count.clear();
  // #endregion
  // #region ListState.get
  const earlier = seen.get();
  // #endregion
  shown.push(earlier);
  // #region ListState.add
  seen.add('login');
  // #endregion
  // #region ListState.addAll
  seen.addAll(['login', 'logout']);
  // #endregion
  // #region ListState.update
  seen.update(seen.get().slice(-10));
  // #endregion
  // #region ListState.clear
  seen.clear();
  // #endregion
  // #region MapState.get
  const today = totals.get('2026-12-03') ?? 0;
  // #endregion
  // #region MapState.put
  totals.put('2026-12-03', today + 1);
  // #endregion
  // #region MapState.putAll
  totals.putAll([['a', 1], ['b', 2]]);
  // #endregion
  // #region MapState.contains
  const known = totals.contains('a');
  // #endregion
  // #region MapState.remove
  totals.remove('a');
  // #endregion
  // #region MapState.entries
  for (const [day, total] of totals.entries()) console.log(day, total);
  // #endregion
  // #region MapState.keys
  const days = [...totals.keys()];
  // #endregion
  // #region MapState.values
  const sum = [...totals.values()].reduce((a, b) => a + b, 0);
  // #endregion
  // #region MapState.isEmpty
  const empty = totals.isEmpty();
  // #endregion
  // #region MapState.clear
  totals.clear();
  // #endregion
  shown.push(known, days, sum, empty);

  // ---- Sources ----

  // #region SourceContext.collect
  if (!sourceCtx.collect(1)) void sourceCtx.waitForOutputs();
  // #endregion
  // #region SourceContext.collectWithTimestamp
  if (!sourceCtx.collectWithTimestamp(1, Date.parse('2026-12-04T00:00:00Z'))) void sourceCtx.waitForOutputs();
  // #endregion
  // #region SourceContext.collectBatch
  void sourceCtx.collectBatch([1, 2, 3]);
  // #endregion
  // #region SourceContext.waitForOutputs
  void sourceCtx.waitForOutputs().then(() => sourceCtx.collect(2));
  // #endregion
  // #region Source.open
  const opened: Source<number> = { open: (context) => console.log(context.indexOfThisSubtask), run: (ctx) => void ctx.collect(1) };
  // #endregion
  // #region Source.run
  const counting: Source<number> = { run: async (ctx) => { for (let i = 0; !ctx.isCanceled; i++) if (!ctx.collect(i)) await ctx.waitForOutputs(); } };
  // #endregion
  // #region Source.cancel
  const polling: Source<string> = { run: async (ctx) => { while (!ctx.isCanceled) await ctx.collectBatch(['tick']); }, cancel: () => console.log('canceled') };
  // #endregion
  // #region Source.close
  const closing: Source<number> = { run: (ctx) => void ctx.collect(1), close: () => console.log('closed') };
  // #endregion
  // #region Source.splitEnumerator
  // What @eddy/connector-kafka's KafkaSource returns: the JobMaster runs its KafkaSourceEnumerator from these settings.
  const described: Source<string> = {
    splitEnumerator: () => ({ kind: 'kafka', settings: { properties: { 'bootstrap.servers': 'kafka:9092' }, topics: ['orders'], groupId: 'g', startingOffsets: { kind: 'earliest' }, bounded: false } }),
    run: () => undefined,
  };
  // #endregion
  // #region SplitRequestingSourceContext.requestSplit
  // Keep one request outstanding beside the reading; the JobMaster holds it up to 5 s while no split is there.
  const assigned: Source<string> = {
    splitEnumerator: () => ({ kind: 'kafka', settings: {} }),
    run: async (ctx) => {
      const answer = await (ctx as SplitRequestingSourceContext<string>).requestSplit(5_000);
      if (answer.split !== undefined) console.log(`reading ${answer.split.id}`);
    },
  };
  // #endregion
  shown.push(opened, counting, polling, closing, described, assigned);

  // ---- Sinks ----

  // #region Sink.open
  const openSink: Sink<number> = { open: (context) => console.log(context.taskName), invoke: (n) => console.log(n) };
  // #endregion
  // #region Sink.invoke
  const batch: number[] = [];
  const batching: Sink<number> = { invoke: (n) => void batch.push(n), close: () => console.log(batch.length) };
  // #endregion
  // #region Sink.close
  const flushing: Sink<string> = { invoke: (line) => void batch.push(line.length), close: async () => void (await Promise.resolve(batch.splice(0))) };
  // #endregion
  // #region Sink.dispose
  const cleaning: Sink<string> = { invoke: () => undefined, dispose: () => void batch.splice(0) };
  // #endregion
  shown.push(openSink, batching, flushing, cleaning);

  // ---- Restart strategies ----

  // #region RestartStrategies.noRestart
  env.setRestartStrategy(RestartStrategies.noRestart());
  // #endregion
  // #region RestartStrategies.fixedDelayRestart
  env.setRestartStrategy(RestartStrategies.fixedDelayRestart(5, 10_000));
  // #endregion
  // #region RestartStrategies.failureRateRestart
  env.setRestartStrategy(RestartStrategies.failureRateRestart(3, 5 * 60_000, 10_000));
  // #endregion
  // #region RestartStrategies.exponentialDelayRestart
  env.setRestartStrategy(RestartStrategies.exponentialDelayRestart({ initialBackoffMs: 1_000, maxBackoffMs: 60_000, backoffMultiplier: 2, resetBackoffThresholdMs: 3_600_000, jitterFactor: 0.1 }));
  // #endregion

  // ---- Keys and key groups ----

  // #region keyGroupFor
  const group = keyGroupFor('user-42', 128);
  // #endregion
  // #region operatorIndexForKeyGroup
  const owner = operatorIndexForKeyGroup(128, 4, group);
  // #endregion
  // #region operatorIndexForKey
  const subtask = operatorIndexForKey(['user-42', 'eu'], 128, 4);
  // #endregion
  // #region keyGroupRangeForOperatorIndex
  const { startKeyGroup, endKeyGroup } = keyGroupRangeForOperatorIndex(128, 4, 0);
  // #endregion
  // #region defaultMaxParallelism
  const keyGroups = defaultMaxParallelism(100);
  // #endregion
  shown.push(owner, subtask, startKeyGroup, endKeyGroup, keyGroups);

  // ---- Checkpointed functions ----

  // #region CheckpointedFunction.initializeState
  const buffered = initContext.getOperatorStateStore().getListState(new ListStateDescriptor<string>('buffered'));
  // #endregion
  // #region CheckpointedFunction.snapshotState
  buffered.update(['what', 'the', 'function', 'holds']);
  // #endregion
  // #region CheckpointListener.notifyCheckpointComplete
  const commitUpTo = (checkpointId: number): string => `commit the transactions of checkpoints up to ${checkpointId}`;
  // #endregion
  // #region FlushingFunction.flushForCheckpoint
  const pendingWrites: Promise<void>[] = [];
  const flushingSink: FlushingFunction = { flushForCheckpoint: () => Promise.all(pendingWrites).then(() => undefined) };
  // #endregion
  // #region CheckpointListener.notifyCheckpointAborted
  const discard = (checkpointId: number): string => `forget what checkpoint ${checkpointId} prepared`;
  // #endregion
  // #region FunctionInitializationContext.isRestored
  const restored = initContext.isRestored();
  // #endregion
  // #region FunctionInitializationContext.getRestoredCheckpointId
  const restoredFrom = initContext.getRestoredCheckpointId();
  // #endregion
  // #region FunctionInitializationContext.getOperatorStateStore
  const store = initContext.getOperatorStateStore();
  // #endregion
  // #region FunctionInitializationContext.getKeyedStateStore
  const keyedStore = initContext.getKeyedStateStore();
  // #endregion
  // #region FunctionSnapshotContext.getCheckpointId
  const checkpointId = snapshotContext.getCheckpointId();
  // #endregion
  // #region FunctionSnapshotContext.getCheckpointTimestamp
  const checkpointTime = snapshotContext.getCheckpointTimestamp();
  // #endregion
  // #region OperatorStateStore.getListState
  const offsets = operatorState.getListState(new ListStateDescriptor<number>('offsets'));
  // #endregion
  // #region OperatorStateStore.getUnionListState
  const everyOffset = operatorState.getUnionListState(new ListStateDescriptor<number>('all-offsets'));
  // #endregion
  // #region OperatorStateStore.getRegisteredStateNames
  const names = operatorState.getRegisteredStateNames();
  // #endregion
  // #region KeyedStateStore.getState
  const lastVisit = keyedState.getState(new ValueStateDescriptor<number>('last-seen'));
  // #endregion
  // #region KeyedStateStore.getListState
  const visits = keyedState.getListState(new ListStateDescriptor<string>('history'));
  // #endregion
  // #region KeyedStateStore.getMapState
  const perPage = keyedState.getMapState(new MapStateDescriptor<string, number>('per-page'));
  // #endregion
  shown.push(BufferingSink, commitUpTo, flushingSink, discard, restored, restoredFrom, store, keyedStore, checkpointId, checkpointTime, offsets, everyOffset, names, lastVisit, visits, perPage);

  // ---- Errors ----

  // #region EddyApiError
  const fromEddy = error instanceof EddyApiError;
  // #endregion
  // #region JobDefinitionError
  const badPipeline = error instanceof JobDefinitionError && error.message;
  // #endregion
  // #region JobGraphMismatchError
  const differences = error instanceof JobGraphMismatchError ? error.differences : [];
  // #endregion
  shown.push(fromEddy, badPipeline, differences);

  return shown;
}

/** The ProcessFunction the DataStream.process example runs. */
class Tag extends ProcessFunction<string, string> {
  processElement(line: string, _ctx: ProcessContext, out: Collector<string>): void {
    out.collect(`#${line}`);
  }
}

/** The KeyedProcessFunction the KeyedStream.process example runs: a count per word in keyed state. */
class CountPerWord extends KeyedProcessFunction<string, [string, number], [string, number]> {
  #count: ValueState<number> | undefined;

  override open(): void {
    this.#count = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('count', 0));
  }

  processElement([word]: [string, number], _ctx: KeyedProcessContext<string>, out: Collector<[string, number]>): void {
    const count = (this.#count?.value() ?? 0) + 1;
    this.#count?.update(count);
    out.collect([word, count]);
  }
}

/** A sink whose buffer survives failures (the CheckpointedFunction and CheckpointListener examples). */
class BufferingSink implements Sink<string>, CheckpointedFunction, CheckpointListener {
  private buffered: string[] = [];
  private state: ListState<string> | undefined;

  initializeState(context: FunctionInitializationContext): void {
    this.state = context.getOperatorStateStore().getListState(new ListStateDescriptor<string>('buffered'));
    this.buffered = [...this.state.get()];
  }

  snapshotState(_context: FunctionSnapshotContext): void {
    this.state?.update(this.buffered);
  }

  notifyCheckpointComplete(_checkpointId: number): void {
    this.buffered = [];
  }

  invoke(value: string): void {
    this.buffered.push(value);
  }
}

/** What the window examples assume in scope, besides ExampleScope's. */
export interface WindowExampleScope {
  readonly pairs: DataStream<[string, number]>;
  readonly byWord: KeyedStream<[string, number], string>;
  readonly window: TimeWindow;
  readonly triggerCtx: TriggerContext;
  readonly mergeCtx: OnMergeContext;
  readonly assignerCtx: WindowAssignerContext;
  readonly evictorCtx: EvictorContext;
  readonly windowCtx: ProcessWindowContext<TimeWindow>;
  readonly elements: TimestampedValue<[string, number]>[];
  readonly assigner: WindowAssigner<[string, number], TimeWindow>;
  readonly sessions: MergingWindowAssigner<[string, number], TimeWindow>;
  readonly evictor: Evictor<[string, number], TimeWindow>;
  readonly average: AggregateFunction<[string, number], [number, number], number>;
}

export function windowExamples(scope: WindowExampleScope): unknown[] {
  const { pairs, byWord, window, triggerCtx, mergeCtx, assignerCtx, evictorCtx, windowCtx, elements, assigner, sessions, evictor, average } = scope;
  const shown: unknown[] = [];
  const sum = (a: [string, number], b: [string, number]): [string, number] => [a[0], a[1] + b[1]];

  // ---- Windowed streams ----

  // #region KeyedStream.window
  const perMinute = byWord.window(TumblingEventTimeWindows.of(60_000));
  // #endregion
  // #region KeyedStream.countWindow
  const lastHundred = byWord.countWindow(100, 10).sum(1);
  // #endregion
  // #region DataStream.windowAll
  const everything = pairs.windowAll(TumblingEventTimeWindows.of(10_000)).sum(1);
  // #endregion
  // #region WindowedStream
  const windowed: WindowedStream<[string, number], string, TimeWindow> = byWord.window(SlidingEventTimeWindows.of(10_000, 2_000));
  // #endregion
  // #region WindowedStream.reduce
  const counts = perMinute.reduce(sum, new WithWindowEnd());
  // #endregion
  // #region WindowedStream.aggregate
  const averages = windowed.aggregate(average);
  // #endregion
  // #region WindowedStream.process
  const described = byWord.window(EventTimeSessionWindows.withGap(30_000)).process(new WithWindowEnd());
  // #endregion
  // #region AllWindowedStream
  const all: AllWindowedStream<[string, number], TimeWindow> = pairs.windowAll(TumblingEventTimeWindows.of(60_000));
  // #endregion
  // #region AllWindowedStream.reduce
  const total = all.reduce(sum);
  // #endregion
  // #region AllWindowedStream.aggregate
  const overallAverage = all.aggregate(average);
  // #endregion
  // #region AllWindowedStream.process
  const sizes = all.process(new WindowSize());
  // #endregion
  shown.push(lastHundred, everything, counts, averages, described, total, overallAverage, sizes);

  // ---- Windows ----

  // #region Window
  const last: number = (window as Window).maxTimestamp();
  // #endregion
  // #region Window.maxTimestamp
  const resultTimestamp = window.maxTimestamp(); // window.end - 1
  // #endregion
  // #region TimeWindow
  const firstMinute = new TimeWindow(0, 60_000);
  // #endregion
  // #region TimeWindow.maxTimestamp
  const endsAt = firstMinute.maxTimestamp(); // 59_999
  // #endregion
  // #region TimeWindow.intersects
  const touching = firstMinute.intersects(new TimeWindow(60_000, 120_000)); // true
  // #endregion
  // #region TimeWindow.cover
  const both = firstMinute.cover(new TimeWindow(60_000, 120_000)); // [0, 120_000)
  // #endregion
  // #region TimeWindow.equals
  const same = firstMinute.equals(new TimeWindow(0, 60_000));
  // #endregion
  // #region TimeWindow.getWindowStartWithOffset
  const start = TimeWindow.getWindowStartWithOffset(-1, 0, 1_000); // -1_000
  // #endregion
  // #region GlobalWindow
  const global: GlobalWindow = GlobalWindow.get();
  // #endregion
  // #region GlobalWindow.get
  const theOne = GlobalWindow.get();
  // #endregion
  // #region GlobalWindow.maxTimestamp
  const never = GlobalWindow.get().maxTimestamp(); // Infinity
  // #endregion
  shown.push(last, resultTimestamp, endsAt, touching, both, same, start, global, theOne, never);

  // ---- Window assigners ----

  // #region WindowAssigner
  const custom: WindowAssigner<[string, number], TimeWindow> = new ByKeyLength();
  // #endregion
  // #region WindowAssigner.assignWindows
  const windowsOf = assigner.assignWindows(['a', 1], 1_500, assignerCtx);
  // #endregion
  // #region WindowAssigner.getDefaultTrigger
  const defaultTrigger = assigner.getDefaultTrigger();
  // #endregion
  // #region WindowAssigner.isEventTime
  const needsWatermarks = assigner.isEventTime();
  // #endregion
  // #region WindowAssigner.toString
  const assignerName = assigner.toString(); // shown in the operator's name
  // #endregion
  // #region WindowAssignerContext.currentProcessingTime
  const now = assignerCtx.currentProcessingTime();
  // #endregion
  // #region MergingWindowAssigner
  const merging = assigner instanceof MergingWindowAssigner;
  // #endregion
  // #region MergingWindowAssigner.mergeWindows
  sessions.mergeWindows([new TimeWindow(0, 10), new TimeWindow(5, 15)], (merged, result) => void shown.push(merged, result));
  // #endregion
  // #region TumblingEventTimeWindows
  const tumbling: TumblingEventTimeWindows = TumblingEventTimeWindows.of(60_000);
  // #endregion
  // #region TumblingEventTimeWindows.of
  const daysInUtcPlus8 = TumblingEventTimeWindows.of(86_400_000, -8 * 3_600_000);
  // #endregion
  // #region SlidingEventTimeWindows
  const sliding: SlidingEventTimeWindows = SlidingEventTimeWindows.of(10_000, 2_000);
  // #endregion
  // #region SlidingEventTimeWindows.of
  const lastTenSecondsEveryTwo = SlidingEventTimeWindows.of(10_000, 2_000);
  // #endregion
  // #region EventTimeSessionWindows
  const sessionWindows: EventTimeSessionWindows = EventTimeSessionWindows.withGap(30_000);
  // #endregion
  // #region EventTimeSessionWindows.withGap
  const visits = EventTimeSessionWindows.withGap(30 * 60_000);
  // #endregion
  // #region EventTimeSessionWindows.withDynamicGap
  const perUserGap = EventTimeSessionWindows.withDynamicGap(([user]: [string, number]) => (user.startsWith('bot') ? 1_000 : 60_000));
  // #endregion
  // #region TumblingProcessingTimeWindows
  const wallClock: TumblingProcessingTimeWindows = TumblingProcessingTimeWindows.of(1_000);
  // #endregion
  // #region TumblingProcessingTimeWindows.of
  const everySecond = TumblingProcessingTimeWindows.of(1_000);
  // #endregion
  // #region SlidingProcessingTimeWindows
  const wallClockSliding: SlidingProcessingTimeWindows = SlidingProcessingTimeWindows.of(60_000, 10_000);
  // #endregion
  // #region SlidingProcessingTimeWindows.of
  const lastMinuteEveryTen = SlidingProcessingTimeWindows.of(60_000, 10_000);
  // #endregion
  // #region ProcessingTimeSessionWindows
  const wallClockSessions: ProcessingTimeSessionWindows = ProcessingTimeSessionWindows.withGap(5_000);
  // #endregion
  // #region ProcessingTimeSessionWindows.withGap
  const quietFiveSeconds = ProcessingTimeSessionWindows.withGap(5_000);
  // #endregion
  // #region ProcessingTimeSessionWindows.withDynamicGap
  const dynamicWallClock = ProcessingTimeSessionWindows.withDynamicGap(([, n]: [string, number]) => n * 1_000);
  // #endregion
  // #region GlobalWindows
  const oneWindowPerKey: GlobalWindows = GlobalWindows.create();
  // #endregion
  // #region GlobalWindows.create
  const everyHundred = byWord.window(GlobalWindows.create()).trigger(PurgingTrigger.of(CountTrigger.of(100)));
  // #endregion
  shown.push(custom, windowsOf, defaultTrigger, needsWatermarks, assignerName, now, merging, tumbling, daysInUtcPlus8, sliding, lastTenSecondsEveryTwo);
  shown.push(sessionWindows, visits, perUserGap, wallClock, everySecond, wallClockSliding, lastMinuteEveryTen, wallClockSessions, quietFiveSeconds, dynamicWallClock);
  shown.push(oneWindowPerKey, everyHundred);

  // ---- Triggers ----

  // #region Trigger
  const early = windowed.trigger(new EarlyEvery(100));
  // #endregion
  // #region Trigger.onElement
  const onRecord = new EarlyEvery(100).onElement(['a', 1], 0, window, triggerCtx);
  // #endregion
  // #region Trigger.onEventTime
  const onWatermark = new EarlyEvery(100).onEventTime(window.maxTimestamp(), window, triggerCtx); // FIRE
  // #endregion
  // #region Trigger.onProcessingTime
  const onClock = new EarlyEvery(100).onProcessingTime(Date.now(), window, triggerCtx);
  // #endregion
  // #region Trigger.canMerge
  const forSessions = new EarlyEvery(100).canMerge();
  // #endregion
  // #region Trigger.onMerge
  new EarlyEvery(100).onMerge(window, mergeCtx);
  // #endregion
  // #region Trigger.clear
  new EarlyEvery(100).clear(window, triggerCtx);
  // #endregion
  // #region Trigger.toString
  const triggerName = new EarlyEvery(100).toString();
  // #endregion
  // #region TriggerContext.currentProcessingTime
  const triggerNow = triggerCtx.currentProcessingTime();
  // #endregion
  // #region TriggerContext.currentWatermark
  const passed = window.maxTimestamp() <= triggerCtx.currentWatermark();
  // #endregion
  // #region TriggerContext.registerProcessingTimeTimer
  triggerCtx.registerProcessingTimeTimer(triggerCtx.currentProcessingTime() + 1_000);
  // #endregion
  // #region TriggerContext.registerEventTimeTimer
  triggerCtx.registerEventTimeTimer(window.maxTimestamp());
  // #endregion
  // #region TriggerContext.deleteProcessingTimeTimer
  triggerCtx.deleteProcessingTimeTimer(window.maxTimestamp());
  // #endregion
  // #region TriggerContext.deleteEventTimeTimer
  triggerCtx.deleteEventTimeTimer(window.maxTimestamp());
  // #endregion
  // #region TriggerContext.getPartitionedState
  const seenInWindow = triggerCtx.getPartitionedState(new ValueStateDescriptor<number>('seen', 0));
  // #endregion
  // #region OnMergeContext.mergePartitionedState
  mergeCtx.mergePartitionedState(new ValueStateDescriptor<number>('seen'), (a, b) => a + b);
  // #endregion
  // #region EventTimeTrigger
  const atWindowEnd: EventTimeTrigger = EventTimeTrigger.create();
  // #endregion
  // #region EventTimeTrigger.create
  const eventTimeDefault = byWord.window(GlobalWindows.create()).trigger(EventTimeTrigger.create());
  // #endregion
  // #region ProcessingTimeTrigger
  const atClockEnd: ProcessingTimeTrigger = ProcessingTimeTrigger.create();
  // #endregion
  // #region ProcessingTimeTrigger.create
  const byClock = byWord.window(TumblingEventTimeWindows.of(60_000)).trigger(ProcessingTimeTrigger.create());
  // #endregion
  // #region CountTrigger
  const countTrigger: CountTrigger = CountTrigger.of(1_000);
  // #endregion
  // #region CountTrigger.of
  const everyThousand = byWord.window(GlobalWindows.create()).trigger(CountTrigger.of(1_000));
  // #endregion
  // #region PurgingTrigger
  const purging: PurgingTrigger<unknown, Window> = PurgingTrigger.of(CountTrigger.of(10));
  // #endregion
  // #region PurgingTrigger.of
  const tumblingCount = byWord.window(GlobalWindows.create()).trigger(PurgingTrigger.of(CountTrigger.of(10)));
  // #endregion
  // #region PurgingTrigger.getNestedTrigger
  const nested = purging.getNestedTrigger();
  // #endregion
  shown.push(early, onRecord, onWatermark, onClock, forSessions, triggerName, triggerNow, passed, seenInWindow);
  shown.push(atWindowEnd, eventTimeDefault, atClockEnd, byClock, countTrigger, everyThousand, tumblingCount, nested);

  // ---- Evictors ----

  // #region CountEvictor
  const keepLast: CountEvictor = CountEvictor.of(100);
  // #endregion
  // #region CountEvictor.of
  const lastHundredOnly = byWord.window(GlobalWindows.create()).trigger(CountTrigger.of(10)).evictor(CountEvictor.of(100)).sum(1);
  // #endregion
  // #region TimeEvictor
  const keepRecent: TimeEvictor = TimeEvictor.of(5_000);
  // #endregion
  // #region TimeEvictor.of
  const lastFiveSeconds = byWord.window(TumblingEventTimeWindows.of(60_000)).evictor(TimeEvictor.of(5_000)).sum(1);
  // #endregion
  // #region Evictor.evictBefore
  evictor.evictBefore(elements, elements.length, window, evictorCtx);
  // #endregion
  // #region Evictor.evictAfter
  evictor.evictAfter(elements, elements.length, window, evictorCtx);
  // #endregion
  // #region EvictorContext.currentProcessingTime
  const evictNow = evictorCtx.currentProcessingTime();
  // #endregion
  // #region EvictorContext.currentWatermark
  const evictWatermark = evictorCtx.currentWatermark();
  // #endregion
  shown.push(keepLast, lastHundredOnly, keepRecent, lastFiveSeconds, evictNow, evictWatermark);

  // ---- Window functions ----

  // #region AggregateFunction.createAccumulator
  const accumulator = average.createAccumulator(); // [sum, count] = [0, 0]
  // #endregion
  // #region AggregateFunction.add
  const added = average.add(['a', 3], accumulator);
  // #endregion
  // #region AggregateFunction.getResult
  const mean = average.getResult(added);
  // #endregion
  // #region AggregateFunction.merge
  const mergedAccumulator = average.merge(added, average.add(['b', 5], average.createAccumulator()));
  // #endregion
  // #region ProcessWindowFunction
  const withEnds = byWord.window(TumblingEventTimeWindows.of(60_000)).process(new WithWindowEnd());
  // #endregion
  // #region ProcessWindowFunction.process
  new WithWindowEnd().process('a', windowCtx, [['a', 1]], { collect: (row) => void shown.push(row) });
  // #endregion
  // #region ProcessWindowFunction.clear
  new WithWindowEnd().clear(windowCtx);
  // #endregion
  // #region ProcessAllWindowFunction
  const windowSizes = pairs.windowAll(TumblingEventTimeWindows.of(60_000)).process(new WindowSize());
  // #endregion
  // #region ProcessAllWindowFunction.process
  new WindowSize().process(windowCtx, [['a', 1]], { collect: (n) => void shown.push(n) });
  // #endregion
  // #region ProcessAllWindowFunction.clear
  new WindowSize().clear(windowCtx);
  // #endregion
  // #region ProcessWindowContext.window
  const windowEnd = windowCtx.window().end;
  // #endregion
  // #region ProcessWindowContext.currentProcessingTime
  const firedAt = windowCtx.currentProcessingTime();
  // #endregion
  // #region ProcessWindowContext.currentWatermark
  const eventTimeNow = windowCtx.currentWatermark();
  // #endregion
  // #region ProcessWindowContext.windowState
  const firings = windowCtx.windowState().getState(new ValueStateDescriptor<number>('firings', 0));
  // #endregion
  // #region ProcessWindowContext.globalState
  const windowsSoFar = windowCtx.globalState().getState(new ValueStateDescriptor<number>('windows', 0));
  // #endregion
  // #region ProcessWindowContext.output
  windowCtx.output(new OutputTag<string>('empty-windows'), `${windowCtx.window().start}`);
  // #endregion
  shown.push(mergedAccumulator, mean, withEnds, windowSizes, windowEnd, firedAt, eventTimeNow, firings, windowsSoFar);
  return shown;
}

/** Emits [key, window end, sum] (the ProcessWindowFunction examples). */
class WithWindowEnd extends ProcessWindowFunction<[string, number], [string, number, number], string, TimeWindow> {
  process(key: string, context: ProcessWindowContext<TimeWindow>, elements: Iterable<[string, number]>, out: Collector<[string, number, number]>): void {
    let total = 0;
    for (const [, n] of elements) total += n;
    out.collect([key, context.window().end, total]);
  }
}

/** The number of records of each window of the whole stream. */
class WindowSize extends ProcessAllWindowFunction<[string, number], number, TimeWindow> {
  process(_context: ProcessWindowContext<TimeWindow>, elements: Iterable<[string, number]>, out: Collector<number>): void {
    out.collect([...elements].length);
  }
}

/** Fires every `n` records of a window and at its end (a custom Trigger). */
class EarlyEvery extends Trigger<[string, number], TimeWindow> {
  private readonly seen = new ValueStateDescriptor<number>('seen', 0);
  constructor(private readonly n: number) {
    super();
  }
  onElement(_element: [string, number], _timestamp: number, window: TimeWindow, ctx: TriggerContext): TriggerResult {
    ctx.registerEventTimeTimer(window.maxTimestamp());
    const seen = ctx.getPartitionedState(this.seen);
    const next = (seen.value() ?? 0) + 1;
    seen.update(next % this.n);
    return next === this.n ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }
  onEventTime(time: number, window: TimeWindow, _ctx: TriggerContext): TriggerResult {
    return time === window.maxTimestamp() ? TriggerResult.FIRE_AND_PURGE : TriggerResult.CONTINUE;
  }
  onProcessingTime(_time: number, _window: TimeWindow, _ctx: TriggerContext): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  override canMerge(): boolean {
    return true;
  }
  override onMerge(window: TimeWindow, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(this.seen, (a, b) => a + b);
    ctx.registerEventTimeTimer(window.maxTimestamp());
  }
  clear(window: TimeWindow, ctx: TriggerContext): void {
    ctx.getPartitionedState(this.seen).clear();
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }
}

/** Windows by the key's length: a custom WindowAssigner. */
class ByKeyLength extends WindowAssigner<[string, number], TimeWindow> {
  assignWindows([key]: [string, number], timestamp: number): TimeWindow[] {
    const size = 1_000 * key.length;
    const start = TimeWindow.getWindowStartWithOffset(timestamp, 0, size);
    return [new TimeWindow(start, start + size)];
  }
  getDefaultTrigger(): Trigger<[string, number], TimeWindow> {
    return EventTimeTrigger.create();
  }
  isEventTime(): boolean {
    return true;
  }
}

// ---- Two-input streams, joins and broadcast state ----

type Click = { readonly user: string; readonly page: string; readonly time: number };
type Buy = { readonly user: string; readonly item: string; readonly time: number };

/** What the two-input examples assume in scope. */
export interface TwoInputExampleScope {
  readonly clicks: DataStream<Click>;
  readonly buys: DataStream<Buy>;
  readonly words: DataStream<string>;
  readonly limits: DataStream<[string, number]>;
  readonly out: Collector<string>;
  readonly joinCtx: ProcessJoinContext;
  readonly baseCtx: BaseBroadcastContext;
  readonly readOnlyCtx: ReadOnlyBroadcastContext;
  readonly broadcastCtx: BroadcastContext;
  readonly keyedReadOnlyCtx: KeyedReadOnlyBroadcastContext<string>;
  readonly keyedBroadcastCtx: KeyedBroadcastContext<string>;
  readonly keyedTimerCtx: KeyedBroadcastOnTimerContext<string>;
  readonly state: BroadcastState<string, number>;
  readonly readOnly: ReadOnlyBroadcastState<string, number>;
}

const limitsDescriptor = new MapStateDescriptor<string, number>('limits');
const lateClicks = new OutputTag<string>('late-clicks');

/** Clicks followed by a buy of the same user within a minute (a ProcessJoinFunction). */
class ClickToBuy extends ProcessJoinFunction<Click, Buy, string> {
  processElement(click: Click, buy: Buy, ctx: ProcessJoinContext, out: Collector<string>): void {
    out.collect(`${click.user} bought ${buy.item} ${ctx.getRightTimestamp() - ctx.getLeftTimestamp()} ms after viewing ${click.page}`);
  }
}

/** Clicks and buys per user, reported a minute after each click (a KeyedCoProcessFunction). */
class ClicksAndBuys extends KeyedCoProcessFunction<string, Click, Buy, string> {
  private seen!: ValueState<number>;
  override open(): void {
    this.seen = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('seen', 0));
  }
  processElement1(click: Click, ctx: KeyedProcessContext<string>, _out: Collector<string>): void {
    this.seen.update((this.seen.value() ?? 0) + 1);
    ctx.timerService().registerEventTimeTimer(click.time + 60_000);
  }
  processElement2(buy: Buy, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    out.collect(`${ctx.getCurrentKey()} bought ${buy.item} after ${this.seen.value()} clicks`);
  }
  override onTimer(timestamp: number, ctx: KeyedOnTimerContext<string>, out: Collector<string>): void {
    out.collect(`${ctx.getCurrentKey()}: ${this.seen.value()} clicks by ${timestamp}`);
  }
}

/** Words of both streams, tagged (a CoProcessFunction, no timers on non-keyed streams). */
class TagWords extends CoProcessFunction<string, Click, string> {
  processElement1(word: string, _ctx: ProcessContext, out: Collector<string>): void {
    out.collect(`word ${word}`);
  }
  processElement2(click: Click, ctx: ProcessContext, out: Collector<string>): void {
    if (click.page === '') ctx.output(lateClicks, click.user);
    else out.collect(`page ${click.page}`);
  }
}

/** Words longer than the broadcast limit of their first letter. */
class LongWords extends BroadcastProcessFunction<string, [string, number], string> {
  processElement(word: string, ctx: ReadOnlyBroadcastContext, out: Collector<string>): void {
    const limit = ctx.getBroadcastState(limitsDescriptor).get(word.charAt(0));
    if (limit !== undefined && word.length > limit) out.collect(word);
  }
  processBroadcastElement([letter, limit]: [string, number], ctx: BroadcastContext, _out: Collector<string>): void {
    ctx.getBroadcastState(limitsDescriptor).put(letter, limit);
  }
}

/** Clicks per user above a broadcast limit; a new limit resets every user's count. */
class ClickLimit extends KeyedBroadcastProcessFunction<string, Click, [string, number], string> {
  private readonly clicks = new ValueStateDescriptor<number>('clicks', 0);
  processElement(click: Click, ctx: KeyedReadOnlyBroadcastContext<string>, out: Collector<string>): void {
    const state = this.getRuntimeContext().getState(this.clicks);
    state.update((state.value() ?? 0) + 1);
    if ((state.value() ?? 0) > (ctx.getBroadcastState(limitsDescriptor).get('clicks') ?? Infinity)) out.collect(click.user);
  }
  processBroadcastElement([name, limit]: [string, number], ctx: KeyedBroadcastContext<string>, _out: Collector<string>): void {
    ctx.getBroadcastState(limitsDescriptor).put(name, limit);
    ctx.applyToKeyedState(this.clicks, (_user, state) => state.clear());
  }
  override onTimer(_timestamp: number, ctx: KeyedBroadcastOnTimerContext<string>, out: Collector<string>): void {
    out.collect(`timer of ${ctx.getCurrentKey()}`);
  }
}

export function twoInputExamples(scope: TwoInputExampleScope): unknown[] {
  const { clicks, buys, words, limits, out, joinCtx, baseCtx, readOnlyCtx, broadcastCtx, keyedReadOnlyCtx, keyedBroadcastCtx, keyedTimerCtx, state, readOnly } = scope;
  const shown: unknown[] = [];

  // #region DataStream.connect
  const connected: ConnectedStreams<Click, Buy> = clicks.connect(buys);
  // #endregion
  // #region ConnectedStreams
  const both: ConnectedStreams<string, Click> = words.connect(clicks);
  // #endregion
  // #region ConnectedStreams.getFirstInput
  const first: DataStream<Click> = connected.getFirstInput();
  // #endregion
  // #region ConnectedStreams.getSecondInput
  const second: DataStream<Buy> = connected.getSecondInput();
  // #endregion
  // #region ConnectedStreams.keyBy
  const byUser = connected.keyBy((click) => click.user, (buy) => buy.user);
  // #endregion
  // #region ConnectedStreams.map
  const labels = connected.map({ map1: (click: Click) => `click ${click.page}`, map2: (buy: Buy) => `buy ${buy.item}` });
  // #endregion
  // #region CoMapFunction.map1
  const toText: CoMapFunction<Click, Buy, string> = { map1: (click) => click.page, map2: (buy) => buy.item };
  // #endregion
  // #region CoMapFunction.map2
  const items = connected.map({ map1: () => '', map2: (buy: Buy) => buy.item }).filter((item) => item !== '');
  // #endregion
  // #region ConnectedStreams.flatMap
  const tokens = both.flatMap({ flatMap1: (word: string, o: Collector<string>) => o.collect(word), flatMap2: (click: Click, o: Collector<string>) => click.page.split('/').forEach((p) => o.collect(p)) });
  // #endregion
  // #region CoFlatMapFunction.flatMap1
  const split: CoFlatMapFunction<string, Click, string> = { flatMap1: (word, o) => o.collect(word), flatMap2: (click, o) => o.collect(click.user) };
  // #endregion
  // #region CoFlatMapFunction.flatMap2
  const users = both.flatMap({ flatMap1: () => {}, flatMap2: (click: Click, o: Collector<string>) => o.collect(click.user) });
  // #endregion
  // #region ConnectedStreams.process
  const report = byUser.process(new ClicksAndBuys());
  // #endregion
  // #region CoProcessFunction
  const tagged = both.process(new TagWords());
  // #endregion
  // #region CoProcessFunction.processElement1
  new TagWords().processElement1('hello', baseCtx as unknown as ProcessContext, out);
  // #endregion
  // #region CoProcessFunction.processElement2
  tagged.getSideOutput(lateClicks).print(); // what processElement2 sent to ctx.output(lateClicks, ...)
  // #endregion
  // #region CoProcessFunction.onTimer
  // Timers need keyed streams: see KeyedCoProcessFunction.onTimer.
  // #endregion
  // #region KeyedCoProcessFunction
  const perUser = clicks.connect(buys).keyBy((c) => c.user, (b) => b.user).process(new ClicksAndBuys());
  // #endregion
  // #region KeyedCoProcessFunction.processElement1
  // processElement1(click, ctx, out) { this.seen.update(this.seen.value() + 1); ctx.timerService().registerEventTimeTimer(click.time + 60_000); }
  // #endregion
  // #region KeyedCoProcessFunction.processElement2
  // processElement2(buy, ctx, out) { out.collect(`${ctx.getCurrentKey()} bought ${buy.item}`); }
  // #endregion
  // #region KeyedCoProcessFunction.onTimer
  // onTimer(timestamp, ctx, out) { out.collect(`${ctx.getCurrentKey()}: ${this.seen.value()} clicks by ${timestamp}`); }
  // #endregion
  shown.push(first, second, labels, toText, items, tokens, split, users, report, perUser);

  // #region DataStream.broadcast
  words.broadcast().map((rule) => rule.length); // every record to every subtask
  const limitStream: BroadcastStream<[string, number]> = limits.broadcast(limitsDescriptor); // the broadcast state pattern
  // #endregion
  // #region BroadcastStream
  const rules = limits.broadcast(new MapStateDescriptor<string, number>('limits'));
  // #endregion
  // #region BroadcastStream.getBroadcastStateDescriptors
  const names = rules.getBroadcastStateDescriptors().map((d) => d.name); // ['limits']
  // #endregion
  // #region BroadcastConnectedStream
  const withLimits: BroadcastConnectedStream<string, [string, number]> = words.connect(limitStream);
  // #endregion
  // #region BroadcastConnectedStream.getFirstInput
  const wordStream = withLimits.getFirstInput();
  // #endregion
  // #region BroadcastConnectedStream.getSecondInput
  const limitSide = withLimits.getSecondInput();
  // #endregion
  // #region BroadcastConnectedStream.process
  const longWords = withLimits.process(new LongWords());
  // #endregion
  // #region KeyedStream.connect
  const overLimit = clicks.keyBy((c) => c.user).connect(limitStream).process(new ClickLimit());
  // #endregion
  // #region BroadcastProcessFunction
  const long = words.connect(limits.broadcast(limitsDescriptor)).process(new LongWords());
  // #endregion
  // #region BroadcastProcessFunction.processElement
  new LongWords().processElement('elephant', readOnlyCtx, out);
  // #endregion
  // #region BroadcastProcessFunction.processBroadcastElement
  new LongWords().processBroadcastElement(['e', 5], broadcastCtx, out);
  // #endregion
  // #region KeyedBroadcastProcessFunction
  const flagged = clicks.keyBy((c) => c.user).connect(limits.broadcast(limitsDescriptor)).process(new ClickLimit());
  // #endregion
  // #region KeyedBroadcastProcessFunction.processElement
  new ClickLimit().processElement({ user: 'ann', page: '/', time: 0 }, keyedReadOnlyCtx, out);
  // #endregion
  // #region KeyedBroadcastProcessFunction.processBroadcastElement
  new ClickLimit().processBroadcastElement(['clicks', 100], keyedBroadcastCtx, out);
  // #endregion
  // #region KeyedBroadcastProcessFunction.onTimer
  new ClickLimit().onTimer(60_000, keyedTimerCtx, out);
  // #endregion
  // #region BaseBroadcastContext.timestamp
  const at = baseCtx.timestamp() ?? Date.now();
  // #endregion
  // #region BaseBroadcastContext.output
  baseCtx.output(lateClicks, 'to the side output');
  // #endregion
  // #region BaseBroadcastContext.currentProcessingTime
  const now = baseCtx.currentProcessingTime();
  // #endregion
  // #region BaseBroadcastContext.currentWatermark
  const eventTime = baseCtx.currentWatermark();
  // #endregion
  // #region ReadOnlyBroadcastContext.getBroadcastState
  const limitOfA = readOnlyCtx.getBroadcastState(limitsDescriptor).get('a');
  // #endregion
  // #region BroadcastContext.getBroadcastState
  broadcastCtx.getBroadcastState(limitsDescriptor).put('a', 3);
  // #endregion
  // #region KeyedReadOnlyBroadcastContext.getCurrentKey
  const user = keyedReadOnlyCtx.getCurrentKey();
  // #endregion
  // #region KeyedReadOnlyBroadcastContext.timerService
  keyedReadOnlyCtx.timerService().registerEventTimeTimer(at + 60_000);
  // #endregion
  // #region KeyedBroadcastContext.applyToKeyedState
  keyedBroadcastCtx.applyToKeyedState(new ValueStateDescriptor<number>('clicks', 0), (_user, clickCount) => clickCount.clear());
  // #endregion
  // #region KeyedBroadcastOnTimerContext.timeDomain
  const fromEventTime = keyedTimerCtx.timeDomain() === 'EVENT_TIME';
  // #endregion
  // #region ReadOnlyBroadcastState.get
  const limitOfB = readOnly.get('b');
  // #endregion
  // #region ReadOnlyBroadcastState.contains
  const hasB = readOnly.contains('b');
  // #endregion
  // #region ReadOnlyBroadcastState.immutableEntries
  for (const [letter, limit] of readOnly.immutableEntries()) out.collect(`${letter}: ${limit}`);
  // #endregion
  // #region ReadOnlyBroadcastState.keys
  const letters = [...readOnly.keys()];
  // #endregion
  // #region ReadOnlyBroadcastState.values
  const largest = Math.max(...readOnly.values());
  // #endregion
  // #region ReadOnlyBroadcastState.isEmpty
  const noRules = readOnly.isEmpty();
  // #endregion
  // #region BroadcastState.put
  state.put('a', 3);
  // #endregion
  // #region BroadcastState.putAll
  state.putAll([['a', 3], ['b', 4]]);
  // #endregion
  // #region BroadcastState.remove
  state.remove('a');
  // #endregion
  // #region BroadcastState.entries
  const copy = new Map(state.entries());
  // #endregion
  // #region BroadcastState.clear
  state.clear();
  // #endregion
  shown.push(names, wordStream, limitSide, longWords, overLimit, long, flagged, now, eventTime, limitOfA, user, fromEventTime, limitOfB, hasB, letters, largest, noRules, copy);

  // #region DataStream.join
  const joined: JoinedStreams<Click, Buy> = clicks.join(buys);
  // #endregion
  // #region JoinedStreams
  const clicksAndBuys = clicks.join(buys);
  // #endregion
  // #region JoinedStreams.where
  const whereUser: JoinedStreamsWhere<Click, Buy, string> = joined.where((click) => click.user);
  // #endregion
  // #region JoinedStreamsWhere
  const keyed = clicksAndBuys.where((click) => click.user);
  // #endregion
  // #region JoinedStreamsWhere.equalTo
  const equalUser: JoinedStreamsEqualTo<Click, Buy, string> = whereUser.equalTo((buy) => buy.user);
  // #endregion
  // #region JoinedStreamsEqualTo
  const sameUser = keyed.equalTo((buy) => buy.user);
  // #endregion
  // #region JoinedStreamsEqualTo.window
  const perMinute: JoinedWindowedStreams<Click, Buy, string, TimeWindow> = equalUser.window(TumblingEventTimeWindows.of(60_000));
  // #endregion
  // #region JoinedWindowedStreams
  const joinedWindows = sameUser.window(TumblingEventTimeWindows.of(60_000)).allowedLateness(5_000);
  // #endregion
  // #region JoinedWindowedStreams.apply
  const pairsOut = perMinute.apply((click: Click, buy: Buy) => `${click.page} -> ${buy.item}`);
  const flat = joinedWindows.apply((click: Click, buy: Buy, o: Collector<string>) => {
    if (buy.time >= click.time) o.collect(click.page);
  });
  // #endregion
  // #region DataStream.coGroup
  const grouped: CoGroupedStreams<Click, Buy> = clicks.coGroup(buys);
  // #endregion
  // #region CoGroupedStreams
  const outer = clicks.coGroup(buys);
  // #endregion
  // #region CoGroupedStreams.where
  const groupWhere: CoGroupedStreamsWhere<Click, Buy, string> = grouped.where((click) => click.user);
  // #endregion
  // #region CoGroupedStreamsWhere
  const outerWhere = outer.where((click) => click.user);
  // #endregion
  // #region CoGroupedStreamsWhere.equalTo
  const groupEqual: CoGroupedStreamsEqualTo<Click, Buy, string> = groupWhere.equalTo((buy) => buy.user);
  // #endregion
  // #region CoGroupedStreamsEqualTo
  const outerEqual = outerWhere.equalTo((buy) => buy.user);
  // #endregion
  // #region CoGroupedStreamsEqualTo.window
  const groupWindows: CoGroupedWindowedStreams<Click, Buy, string, TimeWindow> = groupEqual.window(TumblingEventTimeWindows.of(60_000));
  // #endregion
  // #region CoGroupedWindowedStreams
  const outerWindows = outerEqual.window(EventTimeSessionWindows.withGap(30_000));
  // #endregion
  // #region CoGroupedWindowedStreams.apply
  const noBuy = groupWindows.apply((cs: Iterable<Click>, bs: Iterable<Buy>, o: Collector<string>) => {
    if ([...bs].length === 0) for (const click of cs) o.collect(click.user); // a left outer join's unmatched side
  });
  // #endregion
  // #region KeyedStream.intervalJoin
  const interval: IntervalJoin<Click, Buy, string> = clicks.keyBy((c) => c.user).intervalJoin(buys.keyBy((b) => b.user));
  // #endregion
  // #region IntervalJoin
  const clickThenBuy = clicks.keyBy((c) => c.user).intervalJoin(buys.keyBy((b) => b.user));
  // #endregion
  // #region IntervalJoin.between
  const withinAMinute: IntervalJoined<Click, Buy, string> = interval.between(0, 60_000);
  // #endregion
  // #region IntervalJoined
  const around = clickThenBuy.between(-5_000, 5_000);
  // #endregion
  // #region IntervalJoined.lowerBoundExclusive
  const strictlyAfter = interval.between(0, 60_000).lowerBoundExclusive();
  // #endregion
  // #region IntervalJoined.upperBoundExclusive
  const beforeTheMinute = interval.between(0, 60_000).upperBoundExclusive();
  // #endregion
  // #region IntervalJoined.process
  const conversions = withinAMinute.process(new ClickToBuy());
  // #endregion
  // #region ProcessJoinFunction
  const bought = clicks.keyBy((c) => c.user).intervalJoin(buys.keyBy((b) => b.user)).between(0, 60_000).process(new ClickToBuy());
  // #endregion
  // #region ProcessJoinFunction.processElement
  new ClickToBuy().processElement({ user: 'ann', page: '/shoes', time: 0 }, { user: 'ann', item: 'shoes', time: 30_000 }, joinCtx, out);
  // #endregion
  // #region ProcessJoinContext.getLeftTimestamp
  const clickedAt = joinCtx.getLeftTimestamp();
  // #endregion
  // #region ProcessJoinContext.getRightTimestamp
  const boughtAt = joinCtx.getRightTimestamp();
  // #endregion
  // #region ProcessJoinContext.getTimestamp
  const resultAt = joinCtx.getTimestamp(); // Math.max(clickedAt, boughtAt)
  // #endregion
  // #region ProcessJoinContext.output
  joinCtx.output(lateClicks, 'a pair to the side output');
  // #endregion
  shown.push(pairsOut, flat, outerWindows, noBuy, around, strictlyAfter, beforeTheMinute, conversions, bought, clickedAt, boughtAt, resultAt);
  return shown;
}
