/**
 * User sessions in event time: session windows that close after a gap of inactivity (Flink's
 * EventTimeSessionWindows).
 *
 * A generator plays the clicks of ten users. Each user clicks in bursts: eight clicks five
 * seconds apart, then nothing for a while, then the next burst; the clicks of all users are
 * interleaved and arrive up to a second out of order. A session window with a gap of 30 seconds
 * puts each burst in a session of its own: it starts at the burst's first click and ends 30 s after
 * its last, and it fires once the watermark passes that end. A ProcessWindowFunction sees the
 * session's clicks and emits, per session,
 *   { user: 'user-3', start: '2026-01-01T00:02:03.000Z', end: '2026-01-01T00:03:08.000Z', clicks: 8, pages: 5 }
 * (pages: how many different pages the session visited). Session windows merge as clicks arrive:
 * a late click that falls between two open sessions joins them into one, as in Flink.
 *
 * Arguments: [output] [clicks] [gapMs]
 *   output   'print' (default) or 'collect' (results sent back to the submitting client)
 *   clicks   how many clicks in all, default 800 (ten bursts per user)
 *   gapMs    the session gap, default 30000
 *
 * Run, from the repository root after `npm run build`:
 *   npx eddy run --local examples/session-windows.ts
 */
import { EventTimeSessionWindows, ProcessWindowFunction, WatermarkStrategy, type Collector, type JobMain, type ProcessWindowContext, type TimeWindow } from '@eddy/api';

export interface Click {
  readonly user: string;
  readonly page: string;
  /** When the click happened, epoch milliseconds. */
  readonly timestamp: number;
}

export interface Session {
  readonly user: string;
  readonly start: string;
  readonly end: string;
  readonly clicks: number;
  readonly pages: number;
}

const USERS = 10;
const CLICKS_PER_BURST = 8;
const START = Date.UTC(2026, 0, 1);
/** How late a click may arrive; the watermark strategy's bound. */
export const MAX_LATENESS_MS = 1000;

/**
 * Click `index`: users take turns; a user's k-th click is click k % 8 of burst k / 8, five seconds
 * after the one before in its burst; bursts start two minutes apart (shifted by a second per
 * user); up to MAX_LATENESS_MS late in the stream.
 */
export function click(index: number): Click {
  const user = index % USERS;
  const k = Math.floor(index / USERS);
  const burst = Math.floor(k / CLICKS_PER_BURST);
  const jitter = (Math.imul(index + 1, 0x9e3779b1) >>> 0) % MAX_LATENESS_MS;
  return {
    user: `user-${user}`,
    page: ['home', 'search', 'product', 'cart', 'checkout'][(k * 7 + user) % 5] as string,
    timestamp: START + burst * 120_000 + (k % CLICKS_PER_BURST) * 5_000 + user * 1_000 - jitter,
  };
}

class SessionSummary extends ProcessWindowFunction<Click, Session, string, TimeWindow> {
  process(user: string, context: ProcessWindowContext<TimeWindow>, clicks: Iterable<Click>, out: Collector<Session>): void {
    const pages = new Set<string>();
    let count = 0;
    for (const c of clicks) {
      pages.add(c.page);
      count++;
    }
    const window = context.window();
    out.collect({ user, start: new Date(window.start).toISOString(), end: new Date(window.end).toISOString(), clicks: count, pages: pages.size });
  }
}

const userSessions: JobMain = (env, args) => {
  const [output = 'print', clicks = '800', gap = '30000'] = args;
  if (output !== 'print' && output !== 'collect') throw new Error(`The output must be 'print' or 'collect', got '${output}'`);
  env.setJobName('User sessions').setParallelism(2);

  const sessions = env
    .fromGenerator(Number(clicks), click)
    .name('Clicks')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Click>(MAX_LATENESS_MS).withTimestampAssigner((c) => c.timestamp))
    .keyBy((c) => c.user)
    .window(EventTimeSessionWindows.withGap(Number(gap)))
    .process(new SessionSummary())
    .name('Sessions');

  if (output === 'print') sessions.print();
  else sessions.collect();
};
export default userSessions;
