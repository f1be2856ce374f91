/**
 * Eddy's DataStream API: what a job imports. A job is an ES module whose default export builds the
 * pipeline (it does not call execute(); the runtime runs it):
 *
 *   import type { Collector, JobMain } from '@eddy/api';
 *   const main: JobMain = (env, args) => {
 *     env.readTextFile(args[0] ?? 'input.txt')
 *       .flatMap((line: string, out: Collector<[string, number]>) => { for (const word of line.split(/\s+/)) if (word) out.collect([word, 1]); })
 *       .keyBy(([word]) => word)
 *       .sum(1)
 *       .print();
 *   };
 *   export default main;
 */
import type { StreamExecutionEnvironment } from './stream-execution-environment.js';

/** A job module's default export: builds the pipeline on `env`. */
export type JobMain = (env: StreamExecutionEnvironment, args: string[]) => void | Promise<void>;

export { StreamExecutionEnvironment, type GeneratorOptions } from './stream-execution-environment.js';
export {
  AllWindowedStream,
  BroadcastConnectedStream,
  BroadcastStream,
  CoGroupedStreams,
  CoGroupedStreamsEqualTo,
  CoGroupedStreamsWhere,
  CoGroupedWindowedStreams,
  ConnectedStreams,
  DataStream,
  DataStreamSink,
  DataStreamSource,
  IntervalJoin,
  IntervalJoined,
  JoinedStreams,
  JoinedStreamsEqualTo,
  JoinedStreamsWhere,
  JoinedWindowedStreams,
  KeyedStream,
  SingleOutputStreamOperator,
  WindowedStream,
} from './data-stream.js';
export {
  CoProcessFunction,
  KeyedCoProcessFunction,
  ProcessJoinFunction,
  type CoFlatMapFunction,
  type CoGroupFunction,
  type CoMapFunction,
  type FlatJoinFunction,
  type JoinFunction,
  type ProcessJoinContext,
} from './co-functions.js';
export {
  BroadcastProcessFunction,
  KeyedBroadcastProcessFunction,
  type BaseBroadcastContext,
  type BroadcastContext,
  type BroadcastState,
  type KeyedBroadcastContext,
  type KeyedBroadcastOnTimerContext,
  type KeyedReadOnlyBroadcastContext,
  type KeyedStateFunction,
  type ReadOnlyBroadcastContext,
  type ReadOnlyBroadcastState,
} from './broadcast-state.js';
export type { AggregationField } from './aggregations.js';
export type { Collector, FilterFunction, FlatMapFunction, IterableFlatMapFunction, KeySelector, MapFunction, ReduceFunction, TaskInfo } from './functions.js';
export {
  AbstractRichFunction,
  KeyedProcessFunction,
  ProcessFunction,
  type KeyedOnTimerContext,
  type KeyedProcessContext,
  type OnTimerContext,
  type ProcessContext,
  type RuntimeContext,
  type TimeDomain,
  type TimerService,
} from './process-function.js';
export {
  ListStateDescriptor,
  MapStateDescriptor,
  StateDescriptor,
  ValueStateDescriptor,
  type ListState,
  type MapState,
  type StateKind,
  type ValueState,
} from './state.js';
export { STATE_TYPE_FORMAT, Types, type OptionalField, type StateType, type StateTypeJson, type TypeOf } from './types.js';
export type { Source, SourceContext, SourceSplit, SplitEnumeratorDescriptor, SplitRequestingSourceContext, SplitRequestResult } from './source.js';
export {
  WatermarkStrategy,
  type TimestampAssigner,
  type WatermarkGenerator,
  type WatermarkOutput,
} from './watermark-strategy.js';
export { OutputTag } from './output-tag.js';
export type { Counter, Gauge, Histogram, HistogramStatistics, Meter, MetricGroup } from './metrics.js';
export {
  CheckpointConfig,
  type CheckpointedFunction,
  type CheckpointingMode,
  type CheckpointListener,
  type FlushingFunction,
  type ExternalizedCheckpointRetention,
  type FunctionInitializationContext,
  type FunctionSnapshotContext,
  type KeyedStateStore,
  type OperatorStateStore,
} from './checkpoint.js';
export type { Sink } from './sink.js';
export { RestartStrategies, type RestartStrategyConfiguration } from './restart-strategies.js';
export {
  defaultMaxParallelism,
  keyGroupFor,
  keyGroupRangeForOperatorIndex,
  operatorIndexForKey,
  operatorIndexForKeyGroup,
  type KeyGroupRange,
} from './key-groups.js';
export { EddyApiError, JobDefinitionError, JobGraphMismatchError } from './errors.js';
export { GlobalWindow, TimeWindow, Window } from './windowing/windows.js';
export {
  EventTimeSessionWindows,
  GlobalWindows,
  MergingWindowAssigner,
  ProcessingTimeSessionWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  WindowAssigner,
  type SessionWindowTimeGapExtractor,
  type WindowAssignerContext,
} from './windowing/assigners.js';
export { CountTrigger, EventTimeTrigger, ProcessingTimeTrigger, PurgingTrigger, Trigger, TriggerResult, type OnMergeContext, type TriggerContext } from './windowing/triggers.js';
export { CountEvictor, TimeEvictor, type Evictor, type EvictorContext, type TimestampedValue } from './windowing/evictors.js';
export { ProcessAllWindowFunction, ProcessWindowFunction, type AggregateFunction, type ProcessWindowContext } from './windowing/window-functions.js';

