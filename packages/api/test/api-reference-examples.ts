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
  type StateDescriptor,
  type StreamExecutionEnvironment,
  type TimerService,
  type ValueState,
  OutputTag,
  WatermarkStrategy,
  type WatermarkGenerator,
  type WatermarkOutput,
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
  // #region DataStream.broadcast
  lines.broadcast().map((rule) => rule.length);
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

  // ---- Keyed state ----

  // #region StateDescriptor
  const stateName = descriptor.name;
  // #endregion
  shown.push(stateName);
  // #region ValueStateDescriptor
  const countDescriptor = new ValueStateDescriptor<number>('count', 0);
  // #endregion
  // #region ValueStateDescriptor.constructor
  const lastSeen = new ValueStateDescriptor<number | undefined>('last-seen');
  // #endregion
  // #region ListStateDescriptor
  const eventsDescriptor = new ListStateDescriptor<string>('events');
  // #endregion
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
  shown.push(opened, counting, polling, closing);

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
  shown.push(BufferingSink, commitUpTo, discard, restored, restoredFrom, store, keyedStore, checkpointId, checkpointTime, offsets, everyOffset, names, lastVisit, visits, perPage);

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
