/**
 * Inactivity alerts per user, with keyed state and processing-time timers (Flink's
 * KeyedProcessFunction pattern for sessions).
 *
 * A generator plays a website's click stream: one click every 1/rate seconds, in rounds of 40
 * clicks. In each round ann and bob take turns for the first 20 clicks, then cid clicks alone for
 * the other 20, so each of them is active for a while and then quiet while the others click. For
 * every user, a KeyedProcessFunction keeps
 *   - ValueState 'clicks'      clicks in the current session,
 *   - MapState   'pages'       clicks per page in the current session,
 *   - ValueState 'last-click'  when the last click arrived, and
 *   - ValueState 'timer'       the pending inactivity timer,
 * and moves the user's processing-time timer to "last click + gap" on every click. When a user has
 * been quiet for the gap, the timer fires: the function emits an alert with that session's clicks
 * and pages and clears the user's state, so the next click starts a new session. With the default
 * rate and gap, every 4 seconds brings three alerts, for example
 *   { user: 'ann', clicks: 10, pages: { home: 2, search: 2, product: 2, cart: 2, checkout: 2 }, idleMs: 1001 }
 * (idleMs: how long the user had been quiet when the timer fired, at least the gap).
 *
 * Arguments: [output] [gapMs] [clicksPerSecond]
 *   output            'print' (default) or 'collect' (alerts sent back to the submitting client)
 *   gapMs             inactivity that ends a session; default 1000. Keep it well under the
 *                     time a user is quiet (20 clicks) and well over the time between two of
 *                     a user's clicks (2 clicks).
 *   clicksPerSecond   default 10
 * The job runs until it is canceled (`eddy cancel <jobId>`).
 *
 * Run, from the repository root after `npm run build`:
 *   npx eddy run --local examples/keyed-state-timers.ts
 *   npx eddy run -m localhost:6123 examples/keyed-state-timers.ts
 */
import {
  KeyedProcessFunction,
  MapStateDescriptor,
  ValueStateDescriptor,
  type Collector,
  type JobMain,
  type KeyedOnTimerContext,
  type KeyedProcessContext,
  type MapState,
  type ValueState,
} from '@eddy/api';

interface Click {
  readonly user: string;
  readonly page: string;
}

interface InactivityAlert {
  readonly user: string;
  readonly clicks: number;
  readonly pages: Record<string, number>;
  readonly idleMs: number;
}

const PAGES = ['home', 'search', 'product', 'cart', 'checkout'];
const ROUND = 40;

/** Click number `index` of the stream: see the file comment for the schedule. */
function click(index: number): Click {
  const position = index % ROUND;
  const user = position < ROUND / 2 ? (position % 2 === 0 ? 'ann' : 'bob') : 'cid';
  return { user, page: PAGES[Math.floor(position / 4) % PAGES.length] as string };
}

/** Ends a user's session after `gapMs` without a click, and reports it. */
class InactivityDetector extends KeyedProcessFunction<string, Click, InactivityAlert> {
  private clicks!: ValueState<number>;
  private pages!: MapState<string, number>;
  private lastClick!: ValueState<number>;
  private timer!: ValueState<number>;

  constructor(private readonly gapMs: number) {
    super();
  }

  override open(): void {
    const context = this.getRuntimeContext();
    this.clicks = context.getState(new ValueStateDescriptor<number>('clicks', 0));
    this.pages = context.getMapState(new MapStateDescriptor<string, number>('pages'));
    this.lastClick = context.getState(new ValueStateDescriptor<number>('last-click'));
    this.timer = context.getState(new ValueStateDescriptor<number>('timer'));
  }

  processElement(click: Click, ctx: KeyedProcessContext<string>): void {
    this.clicks.update((this.clicks.value() ?? 0) + 1);
    this.pages.put(click.page, (this.pages.get(click.page) ?? 0) + 1);

    // One pending timer per user: a click moves it to "now + gap".
    const timers = ctx.timerService();
    const now = timers.currentProcessingTime();
    const pending = this.timer.value();
    if (pending !== undefined) timers.deleteProcessingTimeTimer(pending);
    timers.registerProcessingTimeTimer(now + this.gapMs);
    this.timer.update(now + this.gapMs);
    this.lastClick.update(now);
  }

  override onTimer(_timestamp: number, ctx: KeyedOnTimerContext<string>, out: Collector<InactivityAlert>): void {
    // The timer's key is the current key: the state read here is this user's.
    out.collect({
      user: ctx.getCurrentKey(),
      clicks: this.clicks.value() ?? 0,
      pages: Object.fromEntries(this.pages.entries()),
      idleMs: ctx.timerService().currentProcessingTime() - (this.lastClick.value() ?? 0),
    });
    this.clicks.clear();
    this.pages.clear();
    this.lastClick.clear();
    this.timer.clear();
  }
}

const inactivityAlerts: JobMain = (env, args) => {
  const [output = 'print', gap = '1000', rate = '10'] = args;
  const gapMs = Number(gap);
  const clicksPerSecond = Number(rate);
  if (output !== 'print' && output !== 'collect') throw new Error(`The output must be 'print' or 'collect', got '${output}'`);
  if (!(gapMs > 0)) throw new Error(`gapMs must be a number of milliseconds above 0, got '${gap}'`);
  if (!(clicksPerSecond > 0)) throw new Error(`clicksPerSecond must be a number above 0, got '${rate}'`);
  env.setJobName('Inactivity alerts').setParallelism(2);

  const alerts = env
    .fromGenerator(Infinity, click, { recordsPerSecond: clicksPerSecond })
    .setParallelism(1) // one ordered click stream
    .name('Clicks')
    .keyBy((c) => c.user)
    .process(new InactivityDetector(gapMs))
    .name('Inactivity detector');

  if (output === 'print') alerts.print();
  else alerts.collect();
};
export default inactivityAlerts;
