/**
 * The event-time examples give exactly the windows computed here from their events: each on a
 * JobManager and two TaskManagers as child processes, results sent back through collect(); the
 * tumbling count once more on an in-process MiniCluster (what `eddy run --local` runs).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JobClient } from '@eddy/client';
import { Configuration, silentLogger } from '@eddy/common';
import { MiniCluster } from '@eddy/runtime';
import { startJobManager, startTaskManager, stopClusterProcesses } from '../cluster/cluster-harness.js';

after(stopClusterProcesses);

const inRepository = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const example = (name: string): string => inRepository(`examples/${name}.ts`);
/** The event generator an example exports, from its compiled copy (the test computes the windows itself). */
const generatorOf = async <T>(name: string, exported: string): Promise<(index: number) => T> =>
  ((await import(new URL(`../../../examples/dist/${name}.js`, import.meta.url).href)) as Record<string, (index: number) => T>)[exported] as (index: number) => T;

interface PageView {
  page: string;
  timestamp: number;
}
interface Click {
  user: string;
  page: string;
  timestamp: number;
}

/** Views per page and tumbling window, as `${page} ${start}` -> views. */
function expectedViews(views: PageView[], windowMs: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const view of views) {
    const start = view.timestamp - (((view.timestamp % windowMs) + windowMs) % windowMs);
    const key = `${view.page} ${new Date(start).toISOString()}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Sessions per user: sorted clicks cut where the next is `gapMs` or more after the one before. */
function expectedSessions(clicks: Click[], gapMs: number): string[] {
  const byUser = new Map<string, Click[]>();
  for (const c of clicks) byUser.set(c.user, [...(byUser.get(c.user) ?? []), c]);
  const sessions: string[] = [];
  for (const [user, own] of byUser) {
    own.sort((a, b) => a.timestamp - b.timestamp);
    let session: Click[] = [];
    const close = (): void => {
      const first = session[0]!.timestamp;
      const last = session.at(-1)!.timestamp;
      sessions.push(JSON.stringify({ user, start: new Date(first).toISOString(), end: new Date(last + gapMs).toISOString(), clicks: session.length, pages: new Set(session.map((c) => c.page)).size }));
    };
    for (const c of own) {
      if (session.length > 0 && c.timestamp - session.at(-1)!.timestamp >= gapMs) {
        close();
        session = [];
      }
      session.push(c);
    }
    close();
  }
  return sessions.sort();
}

async function run(client: JobClient, name: string, args: string[]): Promise<unknown[]> {
  const { jobId } = await client.submitJobFile(example(name), { args });
  const records: unknown[] = [];
  const ended = (async () => {
    for await (const batch of client.collectResults(jobId)) records.push(...batch.records);
  })();
  const terminal = await client.followJob(jobId);
  assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
  await ended;
  return records;
}

function assertViews(records: unknown[], expected: Map<string, number>): void {
  const got = new Map<string, number>();
  for (const r of records as { page: string; windowStart: string; views: number }[]) {
    const key = `${r.page} ${r.windowStart}`;
    assert.ok(!got.has(key), `window ${key} fired once`);
    got.set(key, r.views);
  }
  assert.deepEqual([...got].sort(), [...expected].sort());
}

describe('the event-time examples on a JobManager and two TaskManagers', () => {
  let client: JobClient;

  before(async () => {
    const jobManager = await startJobManager();
    await Promise.all([startTaskManager(jobManager.address, { slots: 2 }), startTaskManager(jobManager.address, { slots: 2 })]);
    client = await JobClient.connect(jobManager.address);
  });
  after(() => client?.close());

  it('tumbling-window-count.ts counts every page view in the minute it happened, each window once, late and out-of-order views included', async () => {
    const pageView = await generatorOf<PageView>('tumbling-window-count', 'pageView');
    const views = Array.from({ length: 6000 }, (_, i) => pageView(i));
    assert.ok(views.some((view, i) => i > 0 && view.timestamp < views[i - 1]!.timestamp), 'the views arrive out of order');
    const expected = expectedViews(views, 60_000);
    assert.ok(expected.size >= 50, 'ten minutes of five pages');
    assertViews(await run(client, 'tumbling-window-count', ['collect', '6000', '60000']), expected);
  });

  it('session-windows.ts closes a session after 30 s without a click, with every click of the burst in it', async () => {
    const click = await generatorOf<Click>('session-windows', 'click');
    const clicks = Array.from({ length: 800 }, (_, i) => click(i));
    const expected = expectedSessions(clicks, 30_000);
    assert.equal(expected.length, 100, 'ten sessions of ten users');
    const got = (await run(client, 'session-windows', ['collect', '800', '30000'])).map((r) => JSON.stringify(r)).sort();
    assert.deepEqual(got, expected);
  });

  it('interval-join.ts pairs each order with its payment made within 30 s after it, and nothing else', async () => {
    const order = await generatorOf<{ orderId: number; amount: number; timestamp: number }>('interval-join', 'order');
    const payment = await generatorOf<{ orderId: number; timestamp: number } | undefined>('interval-join', 'payment');
    const expected: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const placed = order(i);
      const paid = payment(i);
      if (paid === undefined) continue;
      const after = paid.timestamp - placed.timestamp;
      if (after >= 0 && after <= 30_000) expected.push(JSON.stringify({ orderId: i, amount: placed.amount, paidAfterMs: after }));
    }
    assert.ok(expected.length > 500 && expected.length < 900, `most orders paid in time, not all: ${expected.length}`);
    const got = (await run(client, 'interval-join', ['collect', '1000'])).map((r) => JSON.stringify(r)).sort();
    assert.deepEqual(got, expected.sort());
  });
});

describe('an event-time example in one process', () => {
  it('tumbling-window-count.ts gives the same windows on an in-process MiniCluster', async () => {
    const pageView = await generatorOf<PageView>('tumbling-window-count', 'pageView');
    const cluster = await MiniCluster.start({ taskManagers: 1, slotsPerTaskManager: 2, logger: silentLogger(), configuration: Configuration.empty() });
    const client = await JobClient.connect(cluster.address);
    try {
      assertViews(await run(client, 'tumbling-window-count', ['collect', '3000', '30000']), expectedViews(Array.from({ length: 3000 }, (_, i) => pageView(i)), 30_000));
    } finally {
      await client.close();
      await cluster.stop();
    }
  });
});
