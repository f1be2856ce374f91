/**
 * bench:windows's jobs: Nexmark q5 and q7 over the bids of nexmark-bids.ts, written the way a
 * Flink DataStream job writes them. Results go to a sink that drops them (the bench measures the
 * windows, not a file system); how many there were is logged at the end, per subtask.
 *
 *   q5 (hot items): the number of bids per auction in sliding windows of 10 s every 2 s, and per
 *      window the auction(s) with the most bids.
 *   q7 (highest bid): per tumbling window of 10 s the highest bid, first per auction (in
 *      parallel), then over all of them.
 *
 * args [query q5|q7, events, parallelism, checkpointIntervalMs (0: none), checkpointDir]
 */
import {
  KeyedProcessFunction,
  ProcessWindowFunction,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  WatermarkStrategy,
  type AggregateFunction,
  type Collector,
  type JobMain,
  type KeyedOnTimerContext,
  type KeyedProcessContext,
  type ProcessWindowContext,
  type TimeWindow,
  type ValueState,
} from '@eddy/api';
import { bid, MAX_DELAY_MS, type Bid } from './nexmark-bids.js';

interface AuctionCount {
  readonly auction: number;
  readonly count: number;
  readonly windowEnd: number;
}

class CountBids implements AggregateFunction<Bid, number, number> {
  createAccumulator(): number {
    return 0;
  }
  add(_bid: Bid, count: number): number {
    return count + 1;
  }
  getResult(count: number): number {
    return count;
  }
  merge(a: number, b: number): number {
    return a + b;
  }
}

class WithWindowEnd extends ProcessWindowFunction<number, AuctionCount, number, TimeWindow> {
  process(auction: number, context: ProcessWindowContext<TimeWindow>, counts: Iterable<number>, out: Collector<AuctionCount>): void {
    for (const count of counts) out.collect({ auction, count, windowEnd: context.window().end });
  }
}

/** Per window (keyed by its end): the auctions with the most bids, emitted once the window is complete. */
class HottestPerWindow extends KeyedProcessFunction<number, AuctionCount, { windowEnd: number; auctions: number[]; count: number }> {
  private best!: ValueState<{ count: number; auctions: number[] }>;
  override open(): void {
    this.best = this.getRuntimeContext().getState(new ValueStateDescriptor<{ count: number; auctions: number[] }>('best'));
  }
  processElement(value: AuctionCount, ctx: KeyedProcessContext<number>, _out: Collector<{ windowEnd: number; auctions: number[]; count: number }>): void {
    const best = this.best.value();
    if (best === undefined || value.count > best.count) {
      if (best === undefined) ctx.timerService().registerEventTimeTimer(value.windowEnd);
      this.best.update({ count: value.count, auctions: [value.auction] });
    } else if (value.count === best.count) {
      this.best.update({ count: best.count, auctions: [...best.auctions, value.auction] });
    }
  }
  override onTimer(_timestamp: number, ctx: KeyedOnTimerContext<number>, out: Collector<{ windowEnd: number; auctions: number[]; count: number }>): void {
    const best = this.best.value();
    if (best !== undefined) out.collect({ windowEnd: ctx.getCurrentKey(), auctions: best.auctions, count: best.count });
    this.best.clear();
  }
}

const higher = (a: Bid, b: Bid): Bid => (b.price > a.price || (b.price === a.price && b.dateTime < a.dateTime) ? b : a);

const main: JobMain = (env, args) => {
  const [query = 'q5', events = '1000000', parallelism = '2', interval = '0', checkpoints = 'checkpoints'] = args;
  env.setParallelism(Number(parallelism));
  if (Number(interval) > 0) {
    env.enableCheckpointing(Number(interval));
    env.getCheckpointConfig().setCheckpointStorage(checkpoints);
  }
  const bids = env
    .fromGenerator(Number(events), bid)
    .name('Bids')
    .uid('bids')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Bid>(MAX_DELAY_MS).withTimestampAssigner((b) => b.dateTime));
  let results = 0;
  const drop = {
    invoke(): void {
      results++;
    },
    close(): void {
      console.log(`${query} results: ${results}`);
    },
  };
  if (query === 'q5') {
    bids
      .keyBy((b) => b.auction)
      .window(SlidingEventTimeWindows.of(10_000, 2_000))
      .aggregate(new CountBids(), new WithWindowEnd())
      .uid('bids-per-auction')
      .keyBy((count) => (count as AuctionCount).windowEnd)
      .process(new HottestPerWindow())
      .uid('hottest')
      .addSink(drop)
      .uid('results');
  } else if (query === 'q7') {
    bids
      .keyBy((b) => b.auction)
      .window(TumblingEventTimeWindows.of(10_000))
      .reduce(higher)
      .uid('highest-per-auction')
      .windowAll(TumblingEventTimeWindows.of(10_000))
      .reduce(higher)
      .uid('highest')
      .addSink(drop)
      .uid('results');
  } else {
    throw new Error(`unknown query '${query}': q5 or q7`);
  }
};
export default main;
