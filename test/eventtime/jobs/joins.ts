// Two-input streams and joins at parallelism 2 over out-of-order events:
// args [modes (comma-separated, of MODES), output directory, events per side, checkpoint directory ('' for none),
// records per second per source subtask (0: unthrottled)].
//
// Left event i has key `k${i % 5}` and timestamp 100 * floor(i / 10) + ((i * 37) % 10) * 13; right
// event i has key `k${i % 3}` and timestamp 100 * floor(i / 10) + ((i * 53) % 10) * 11 + 5. Each side is
// out of order by less than 120 ms, so with forBoundedOutOfOrderness(200) no record is late. The
// sources are generators of parallelism 2 with the strategy set on them (per split). Every result
// is written as "<result>|<timestamp it carries>" by one sink per mode (parallelism 1), to outDir/<mode>.
//
// modes: window-join, cogroup (tumbling 500 ms windows), interval-join (between -50 and 30 ms),
// connect (a KeyedCoProcessFunction counting both sides per key and 1 s window with event-time
// timers), broadcast (events on the keyed side, versioned thresholds on the broadcast side,
// evaluated at event-time timers).
import {
  KeyedBroadcastProcessFunction,
  KeyedCoProcessFunction,
  ListStateDescriptor,
  MapStateDescriptor,
  ProcessFunction,
  ProcessJoinFunction,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type Collector,
  type DataStream,
  type JobMain,
  type KeyedBroadcastContext,
  type KeyedBroadcastOnTimerContext,
  type KeyedOnTimerContext,
  type KeyedProcessContext,
  type KeyedReadOnlyBroadcastContext,
  type ListState,
  type MapState,
  type ProcessContext,
  type ProcessJoinContext,
} from '@eddy/api';

export interface Ev {
  readonly side: 'L' | 'R';
  readonly id: number;
  readonly key: string;
  readonly ts: number;
}

export const left = (i: number): Ev => ({ side: 'L', id: i, key: `k${i % 5}`, ts: 100 * Math.floor(i / 10) + ((i * 37) % 10) * 13 });
export const right = (i: number): Ev => ({ side: 'R', id: i, key: `k${i % 3}`, ts: 100 * Math.floor(i / 10) + ((i * 53) % 10) * 11 + 5 });
/** A rule version of the broadcast mode: right event i is read as "threshold of rule r<i % 2> from ts on". */
export const threshold = (e: Ev): number => (e.id * 7) % 10;
export const value = (e: Ev): number => (e.id * 3) % 10;

export const WINDOW = 500;
export const LOWER = -50;
export const UPPER = 30;
export const CONNECT_WINDOW = 1000;

class WithTimestamp extends ProcessFunction<string, string> {
  processElement(result: string, ctx: ProcessContext, out: Collector<string>): void {
    out.collect(`${result}|${ctx.timestamp()}`);
  }
}

class Pairs extends ProcessJoinFunction<Ev, Ev, string> {
  processElement(l: Ev, r: Ev, _ctx: ProcessJoinContext, out: Collector<string>): void {
    out.collect(`L${l.id}+R${r.id}`);
  }
}

/** Per key and 1 s window: how many records each side had; emitted at the window's end by an event-time timer. */
class CountBothSides extends KeyedCoProcessFunction<string, Ev, Ev, string> {
  private counts!: MapState<number, [number, number]>;
  override open(): void {
    this.counts = this.getRuntimeContext().getMapState(new MapStateDescriptor<number, [number, number]>('counts'));
  }
  private add(e: Ev, ctx: KeyedProcessContext<string>, side: 0 | 1): void {
    if (ctx.timestamp() !== e.ts) throw new Error(`ctx.timestamp() is ${ctx.timestamp()}, the event's is ${e.ts}`);
    if (e.ts <= ctx.timerService().currentWatermark()) throw new Error(`event ${JSON.stringify(e)} is behind the watermark ${ctx.timerService().currentWatermark()}`);
    const end = e.ts - (e.ts % CONNECT_WINDOW) + CONNECT_WINDOW - 1;
    const counts = this.counts.get(end) ?? [0, 0];
    this.counts.put(end, side === 0 ? [counts[0] + 1, counts[1]] : [counts[0], counts[1] + 1]);
    ctx.timerService().registerEventTimeTimer(end);
  }
  processElement1(e: Ev, ctx: KeyedProcessContext<string>, _out: Collector<string>): void {
    this.add(e, ctx, 0);
  }
  processElement2(e: Ev, ctx: KeyedProcessContext<string>, _out: Collector<string>): void {
    this.add(e, ctx, 1);
  }
  override onTimer(timestamp: number, ctx: KeyedOnTimerContext<string>, out: Collector<string>): void {
    const [l, r] = this.counts.get(timestamp) ?? [0, 0];
    out.collect(`${ctx.getCurrentKey()},${timestamp},${l},${r},${ctx.timeDomain()}`);
    this.counts.remove(timestamp);
  }
}

const rules = new MapStateDescriptor<string, number>('rule-versions');

/**
 * Events wait in keyed state until the watermark passes them; then each rule's latest version at
 * or before the event's time decides. The watermark guarantees every such version has arrived, so
 * the result does not depend on how the two streams interleave.
 */
class ApplyRules extends KeyedBroadcastProcessFunction<string, Ev, Ev, string> {
  private pending!: ListState<Ev>;
  override open(): void {
    this.pending = this.getRuntimeContext().getListState(new ListStateDescriptor<Ev>('pending'));
  }
  processElement(e: Ev, ctx: KeyedReadOnlyBroadcastContext<string>, _out: Collector<string>): void {
    this.pending.add(e);
    ctx.timerService().registerEventTimeTimer(e.ts);
  }
  processBroadcastElement(rule: Ev, ctx: KeyedBroadcastContext<string>, _out: Collector<string>): void {
    ctx.getBroadcastState(rules).put(`r${rule.id % 2}@${rule.ts}`, threshold(rule));
  }
  override onTimer(timestamp: number, ctx: KeyedBroadcastOnTimerContext<string>, out: Collector<string>): void {
    const latest = new Map<string, { ts: number; threshold: number }>();
    for (const [version, limit] of ctx.getBroadcastState(rules).immutableEntries()) {
      const [name, at] = version.split('@') as [string, string];
      const ts = Number(at);
      if (ts <= timestamp && ts >= (latest.get(name)?.ts ?? Number.NEGATIVE_INFINITY)) latest.set(name, { ts, threshold: limit });
    }
    const keep: Ev[] = [];
    for (const e of this.pending.get()) {
      if (e.ts !== timestamp) {
        keep.push(e);
        continue;
      }
      for (const [name, { threshold: limit }] of [...latest].sort()) if (value(e) > limit) out.collect(`L${e.id}>${name}`);
    }
    this.pending.update(keep);
  }
}

export const MODES = ['window-join', 'cogroup', 'interval-join', 'connect', 'broadcast'] as const;
export type JoinMode = (typeof MODES)[number];

function pipeline(mode: JoinMode, a: DataStream<Ev>, b: DataStream<Ev>): DataStream<string> {
  switch (mode) {
    case 'window-join':
      return a
        .join(b)
        .where((e) => e.key)
        .equalTo((e) => e.key)
        .window(TumblingEventTimeWindows.of(WINDOW))
        .apply((l: Ev, r: Ev) => `L${l.id}+R${r.id}`);
    case 'cogroup':
      return a
        .coGroup(b)
        .where((e) => e.key)
        .equalTo((e) => e.key)
        .window(TumblingEventTimeWindows.of(WINDOW))
        .apply((ls: Iterable<Ev>, rs: Iterable<Ev>, out: Collector<string>) => {
          const l = [...ls];
          const r = [...rs];
          const first = (l[0] ?? r[0]) as Ev;
          out.collect(`${first.key},${first.ts - (first.ts % WINDOW)},${l.length},${r.length}`);
        });
    case 'interval-join':
      return a
        .keyBy((e) => e.key)
        .intervalJoin(b.keyBy((e) => e.key))
        .between(LOWER, UPPER)
        .process(new Pairs())
        .uid('interval-join');
    case 'connect':
      return a
        .connect(b)
        .keyBy((e) => e.key, (e) => e.key)
        .process(new CountBothSides())
        .uid('connect');
    case 'broadcast':
      return a
        .keyBy((e) => e.key)
        .connect(b.broadcast(rules))
        .process(new ApplyRules())
        .uid('rules');
  }
}

/** Several modes (comma-separated) run on the same two sources, each to its own sink (outDir/<mode>). */
const main: JobMain = (env, args) => {
  const [mode = MODES.join(','), outDir = 'out', events = '1000', checkpoints = '', rate = '0'] = args;
  const modes = mode.split(',') as JoinMode[];
  const unknown = modes.find((m) => !MODES.includes(m));
  if (unknown !== undefined) throw new Error(`unknown mode '${unknown}': modes are ${MODES.join(', ')}`);
  env.setParallelism(2);
  if (checkpoints !== '') {
    env.enableCheckpointing(300);
    env.getCheckpointConfig().setCheckpointStorage(checkpoints);
  }
  const strategy = WatermarkStrategy.forBoundedOutOfOrderness<Ev>(200).withTimestampAssigner((e) => e.ts);
  const options = Number(rate) > 0 ? { recordsPerSecond: Number(rate) } : {};
  const a = env.fromGenerator(Number(events), left, options).uid('left').assignTimestampsAndWatermarks(strategy);
  const b = env.fromGenerator(Number(events), right, options).uid('right').assignTimestampsAndWatermarks(strategy);
  for (const m of modes) {
    pipeline(m, a, b).rebalance().process(new WithTimestamp()).uid(`${m}-with-timestamp`).writeAsText(`${outDir}/${m}`).setParallelism(1).uid(`${m}-sink`);
  }
};
export default main;
