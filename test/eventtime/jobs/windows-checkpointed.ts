// Windows with checkpoints, for the failover test: args [records, output directory, checkpoint
// directory, checkpoint interval ms, records per second, marker directory].
//
// The events of jobs/windows.ts (out of order by less than 1 s, forBoundedOutOfOrderness(1000)),
// from a checkpointed source over parallelism 2 (subtask s emits the events i with i % 2 == s, at a
// bounded rate; its position is its operator state). Halfway, each subtask writes
// markerDir/halfway-<s> and waits for markerDir/release, so the test kills a TaskManager while the
// job surely runs. The events go into tumbling 1 s windows (aggregate) and
// session windows with a 500 ms gap (reduce + ProcessWindowFunction); the results are written by
// the exactly-once file sink as JSON arrays ["tumbling" | "session", key, start, end, count, sum].
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  EventTimeSessionWindows,
  ListStateDescriptor,
  ProcessWindowFunction,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type AggregateFunction,
  type CheckpointedFunction,
  type Collector,
  type FunctionInitializationContext,
  type ListState,
  type RuntimeContext,
  type Source,
  type SourceContext,
  type JobMain,
  type ProcessWindowContext,
  type TimeWindow,
} from '@eddy/api';
import { event, type Event } from './windows.js';

type Row = [kind: string, key: string, start: number, end: number, count: number, sum: number];

const countAndSum: AggregateFunction<Event, [number, number], [number, number]> = {
  createAccumulator: () => [0, 0],
  add: (e, acc) => [acc[0] + 1, acc[1] + e.value],
  getResult: (acc) => acc,
  merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
};

class Rows<V> extends ProcessWindowFunction<V, Row, string, TimeWindow> {
  constructor(
    private readonly kind: string,
    private readonly countAndSumOf: (value: V) => [number, number],
  ) {
    super();
  }
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<V>, out: Collector<Row>): void {
    for (const value of elements) out.collect([this.kind, key, ctx.window().start, ctx.window().end, ...this.countAndSumOf(value)]);
  }
}

/** Events i % parallelism == subtask, from the restored position on, paced; pauses halfway until released. */
class PausingEvents implements Source<Event>, CheckpointedFunction {
  private subtask = 0;
  private parallelism = 1;
  private next: number | undefined;
  private position!: ListState<number>;

  constructor(
    private readonly records: number,
    private readonly perSecond: number,
    private readonly markerDir: string,
  ) {}

  initializeState(context: FunctionInitializationContext): void {
    this.position = context.getOperatorStateStore().getListState(new ListStateDescriptor<number>('position'));
    this.next = this.position.get()[0];
  }

  snapshotState(): void {
    this.position.update(this.next === undefined ? [] : [this.next]);
  }

  open(context: RuntimeContext): void {
    this.subtask = context.indexOfThisSubtask;
    this.parallelism = context.numberOfParallelSubtasks;
  }

  async run(ctx: SourceContext<Event>): Promise<void> {
    const halfway = Math.floor(this.records / 2);
    const started = Date.now();
    let emitted = 0;
    for (let i = this.next ?? this.subtask; i < this.records && !ctx.isCanceled; i += this.parallelism) {
      if (i >= halfway && i - this.parallelism < halfway) await this.pause(ctx);
      ctx.collect(event(i));
      this.next = i + this.parallelism;
      emitted++;
      // Paced: at most perSecond / parallelism records per second, in steps of 20.
      if (emitted % 20 === 0) {
        const due = started + (emitted * 1000 * this.parallelism) / this.perSecond;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
      }
    }
  }

  private async pause(ctx: SourceContext<Event>): Promise<void> {
    writeFileSync(join(this.markerDir, `halfway-${this.subtask}`), '');
    const deadline = Date.now() + 30_000;
    while (!ctx.isCanceled && !existsSync(join(this.markerDir, 'release')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const main: JobMain = (env, args) => {
  const [records = '4000', output = 'out', checkpoints = 'chk', interval = '200', rate = '2000', markerDir = '.'] = args;
  env.setParallelism(2);
  env.enableCheckpointing(Number(interval));
  env.getCheckpointConfig().setCheckpointStorage(checkpoints);
  const strategy = WatermarkStrategy.forBoundedOutOfOrderness<Event>(1000).withTimestampAssigner((e) => e.ts);
  const events = env.fromSource(new PausingEvents(Number(records), Number(rate), markerDir), strategy, 'Events').uid('events');
  const tumbling = events.keyBy((e) => e.key).window(TumblingEventTimeWindows.of(1000)).aggregate(countAndSum, new Rows<[number, number]>('tumbling', (acc) => acc)).uid('tumbling');
  // The reduce keeps the count in the field ts (the record's timestamp rides beside it, unchanged).
  const sessions = events
    .map((e): Event => ({ key: e.key, value: e.value, ts: 1 }))
    .uid('one')
    .keyBy((e) => e.key)
    .window(EventTimeSessionWindows.withGap(500))
    .reduce((a: Event, b: Event) => ({ key: a.key, value: a.value + b.value, ts: a.ts + b.ts }), new Rows<Event>('session', (e) => [e.ts, e.value]))
    .uid('sessions');
  tumbling.union(sessions).writeAsText(output).uid('sink');
};
export default main;
