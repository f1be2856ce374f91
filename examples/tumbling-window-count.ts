/**
 * Page views per page and minute of event time: a tumbling event-time window count over a stream
 * whose events arrive out of order (Flink's classic windowed count).
 *
 * A generator plays a website's page views: ten per second of event time, each stamped with the
 * moment it happened and up to two seconds late in the stream (events of the same second arrive
 * shuffled). A WatermarkStrategy with a bounded out-of-orderness of two seconds tells Eddy how late
 * events can be, so each minute's window fires once the watermark passes its end, with every view
 * of that minute in it and none lost. An AggregateFunction counts as the views come (one number of
 * state per page and window), and a ProcessWindowFunction adds the window's bounds to the count:
 *   { page: 'search', windowStart: '2026-01-01T00:03:00.000Z', windowEnd: '2026-01-01T00:04:00.000Z', views: 118 }
 * At the end of the input every remaining window fires, so the last minute is counted too.
 *
 * Arguments: [output] [views] [windowMs]
 *   output     'print' (default) or 'collect' (results sent back to the submitting client)
 *   views      how many page views, default 6000 (ten minutes of event time)
 *   windowMs   the window size, default 60000 (one minute)
 *
 * Run, from the repository root after `npm run build`:
 *   npx eddy run --local examples/tumbling-window-count.ts
 *   npx eddy run -m localhost:6123 examples/tumbling-window-count.ts
 */
import {
  ProcessWindowFunction,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type AggregateFunction,
  type Collector,
  type JobMain,
  type ProcessWindowContext,
  type TimeWindow,
} from '@eddy/api';

export interface PageView {
  readonly page: string;
  readonly user: number;
  /** When the view happened, epoch milliseconds. */
  readonly timestamp: number;
}

export interface PageViewsPerWindow {
  readonly page: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly views: number;
}

const PAGES = ['home', 'search', 'product', 'cart', 'checkout'];
const START = Date.UTC(2026, 0, 1);
/** How late a view may arrive; the watermark strategy's bound. */
export const MAX_LATENESS_MS = 2000;

/** View `index`: ten per second of event time, up to MAX_LATENESS_MS late in the stream (a hash of the index, so every run is the same). */
export function pageView(index: number): PageView {
  let h = Math.imul(index ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 0;
  return { page: PAGES[h % PAGES.length] as string, user: (h >>> 4) % 100, timestamp: START + index * 100 - ((h >>> 12) % MAX_LATENESS_MS) };
}

class CountViews implements AggregateFunction<PageView, number, number> {
  createAccumulator(): number {
    return 0;
  }
  add(_view: PageView, count: number): number {
    return count + 1;
  }
  getResult(count: number): number {
    return count;
  }
  merge(a: number, b: number): number {
    return a + b;
  }
}

class WithWindowBounds extends ProcessWindowFunction<number, PageViewsPerWindow, string, TimeWindow> {
  process(page: string, context: ProcessWindowContext<TimeWindow>, counts: Iterable<number>, out: Collector<PageViewsPerWindow>): void {
    const window = context.window();
    for (const views of counts) out.collect({ page, windowStart: new Date(window.start).toISOString(), windowEnd: new Date(window.end).toISOString(), views });
  }
}

const pageViewsPerMinute: JobMain = (env, args) => {
  const [output = 'print', views = '6000', window = '60000'] = args;
  if (output !== 'print' && output !== 'collect') throw new Error(`The output must be 'print' or 'collect', got '${output}'`);
  env.setJobName('Page views per minute').setParallelism(2);

  const counts = env
    .fromGenerator(Number(views), pageView)
    .name('Page views')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<PageView>(MAX_LATENESS_MS).withTimestampAssigner((view) => view.timestamp))
    .keyBy((view) => view.page)
    .window(TumblingEventTimeWindows.of(Number(window)))
    .aggregate(new CountViews(), new WithWindowBounds())
    .name('Views per page and window');

  if (output === 'print') counts.print();
  else counts.collect();
};
export default pageViewsPerMinute;
