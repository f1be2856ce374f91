import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ProcessJoinFunction,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type Collector,
  type JobMain,
  type ProcessJoinContext,
  type StreamExecutionEnvironment,
} from '../../src/index.js';
import { random } from '../codec/seeded-random.js';
import { runLocally } from '../fixtures/local-executor.js';
import { TwoInputHarness } from './two-input-harness.js';

type Ev = { readonly key: string; readonly ts: number; readonly id: string };

/** Out-of-order events: each timestamp is behind the largest before it by at most `disorder`. */
function events(seed: number, side: string, count: number, keys: number, disorder: number): Ev[] {
  const next = random(seed);
  const out: Ev[] = [];
  let clock = 0;
  for (let i = 0; i < count; i++) {
    clock += Math.floor(next() * 4);
    out.push({ key: `k${Math.floor(next() * keys)}`, ts: clock - Math.floor(next() * (disorder + 1)), id: `${side}${i}` });
  }
  return out;
}

class Pair extends ProcessJoinFunction<Ev, Ev, string> {
  processElement(left: Ev, right: Ev, ctx: ProcessJoinContext, out: Collector<string>): void {
    assert.equal(ctx.getTimestamp(), Math.max(left.ts, right.ts));
    out.collect(`${left.id}+${right.id}`);
  }
}

/** The interval join's pairs, computed directly. */
function expectedIntervalJoin(left: Ev[], right: Ev[], lower: number, upper: number): { value: string; timestamp: number }[] {
  const out: { value: string; timestamp: number }[] = [];
  for (const l of left) for (const r of right) if (l.key === r.key && r.ts >= l.ts + lower && r.ts <= l.ts + upper) out.push({ value: `${l.id}+${r.id}`, timestamp: Math.max(l.ts, r.ts) });
  return out.sort((a, b) => a.value.localeCompare(b.value));
}

describe('the interval join', () => {
  for (const [lower, upper] of [
    [-5, 5],
    [0, 10],
    [-10, -2],
    [3, 3],
  ] as const) {
    it(`joins every pair in [t${lower >= 0 ? '+' : ''}${lower}, t+${upper}] of out-of-order input, with the larger timestamp, and leaves no state once the watermark passed`, async () => {
      const disorder = 6;
      const left = events(1 + lower, 'L', 400, 7, disorder);
      const right = events(2 + upper, 'R', 400, 7, disorder);
      const h = await TwoInputHarness.open<Ev, Ev>((a, b) => a.keyBy((e) => e.key).intervalJoin(b.keyBy((e) => e.key)).between(lower, upper).process(new Pair()));
      // Interleaved as they arrive, with bounded-out-of-orderness watermarks (max - disorder - 1) on each input.
      let maxL = Number.NEGATIVE_INFINITY;
      let maxR = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < left.length; i++) {
        const l = left[i] as Ev;
        const r = right[i] as Ev;
        h.element1(l, l.ts).element2(r, r.ts);
        maxL = Math.max(maxL, l.ts);
        maxR = Math.max(maxR, r.ts);
        if (i % 10 === 9) h.watermark1(maxL - disorder - 1).watermark2(maxR - disorder - 1);
      }
      await h.end();
      const actual = [...h.output.records].sort((a, b) => String(a.value).localeCompare(String(b.value)));
      const expected = expectedIntervalJoin(left, right, lower, upper);
      assert.ok(expected.length > 20, `the test input joins (${expected.length} pairs)`);
      assert.deepEqual(actual, expected);
      assert.equal((h.operator as unknown as { numLateRecordsDropped: number }).numLateRecordsDropped, 0);
      assert.deepEqual(h.stateSizes(), {}, 'the buffers are empty after the end of input');
      await h.close();
    });
  }

  it('drops a buffered record once the watermark shows nothing can join it any more', async () => {
    const h = await TwoInputHarness.open<Ev, Ev>((a, b) => a.keyBy((e) => e.key).intervalJoin(b.keyBy((e) => e.key)).between(-5, 5).process(new Pair()));
    h.element1({ key: 'k', ts: 100, id: 'L' }, 100);
    h.watermark1(200).watermark2(104);
    assert.equal(h.stateSizes().LEFT_BUFFER, 1, 'a right record at 105 could still join');
    h.watermark2(105);
    assert.deepEqual(h.stateSizes(), {});
    await h.close();
  });

  it('drops and counts records behind the watermark', async () => {
    const h = await TwoInputHarness.open<Ev, Ev>((a, b) => a.keyBy((e) => e.key).intervalJoin(b.keyBy((e) => e.key)).between(-50, 50).process(new Pair()));
    h.element2({ key: 'k', ts: 100, id: 'R' }, 100);
    h.watermark1(90).watermark2(90);
    h.element1({ key: 'k', ts: 89, id: 'late' }, 89).element1({ key: 'k', ts: 90, id: 'L' }, 90);
    assert.deepEqual(h.take(), ['L+R']);
    assert.equal((h.operator as unknown as { numLateRecordsDropped: number }).numLateRecordsDropped, 1);
    assert.match(JSON.stringify(h.chain.logs), /Dropping late records of an interval join/);
    await h.close();
  });

  it('moves exclusive bounds in by one millisecond', async () => {
    const h = await TwoInputHarness.open<Ev, Ev>((a, b) => a.keyBy((e) => e.key).intervalJoin(b.keyBy((e) => e.key)).between(-2, 2).lowerBoundExclusive().upperBoundExclusive().process(new Pair()));
    h.element1({ key: 'k', ts: 10, id: 'L' }, 10);
    for (const ts of [7, 8, 9, 10, 11, 12, 13]) h.element2({ key: 'k', ts, id: `R${ts}` }, ts);
    assert.deepEqual(h.take(), ['L+R9', 'L+R10', 'L+R11']);
    await h.close();
  });

  it('fails the task on a record without a timestamp, naming what to do', async () => {
    const h = await TwoInputHarness.open<Ev, Ev>((a, b) => a.keyBy((e) => e.key).intervalJoin(b.keyBy((e) => e.key)).between(0, 1).process(new Pair()));
    assert.throws(() => h.element1({ key: 'k', ts: 0, id: 'L' }), /Interval Join.*without a timestamp.*assignTimestampsAndWatermarks/);
    await h.close();
  });

  it('refuses bad bounds and non-keyed streams when the job is built, naming the parameter', async () => {
    await assert.rejects(
      () => TwoInputHarness.open<Ev, Ev>((a, b) => a.keyBy((e) => e.key).intervalJoin(b.keyBy((e) => e.key)).between(5, -5).process(new Pair())),
      /between: lowerBound \(5\) must be <= upperBound \(-5\)/,
    );
    await assert.rejects(() => TwoInputHarness.open<Ev, Ev>((a, b) => a.keyBy((e) => e.key).intervalJoin(b.keyBy((e) => e.key)).between(0.5, 1).process(new Pair())), /lowerBound must be a whole number/);
    await assert.rejects(
      () => TwoInputHarness.open<Ev, Ev>((a, b) => a.keyBy((e) => e.key).intervalJoin(b.keyBy((e) => e.key)).between(3, 3).lowerBoundExclusive().process(new Pair())),
      /the interval between 3 \(exclusive\) and 3 ms holds no time/,
    );
    await assert.rejects(() => TwoInputHarness.open<Ev, Ev>((a, b) => a.keyBy((e) => e.key).intervalJoin(b as never).between(0, 1).process(new Pair())), /intervalJoin needs a keyed stream on both sides/);
  });
});

/** Two timestamped sources in a job, at parallelism 2. */
function sources(env: StreamExecutionEnvironment, left: Ev[], right: Ev[]) {
  env.setParallelism(2);
  const strategy = WatermarkStrategy.forBoundedOutOfOrderness<Ev>(10).withTimestampAssigner((e) => e.ts);
  return [env.fromElements(...left).assignTimestampsAndWatermarks(strategy), env.fromElements(...right).assignTimestampsAndWatermarks(strategy)] as const;
}

describe('window join and coGroup (Flink: a tagged union into a keyed window)', () => {
  const left = events(11, 'L', 150, 5, 4);
  const right = events(12, 'R', 150, 5, 4);
  const windowOf = (ts: number): number => Math.floor(ts / 20) * 20;

  it('joins every pair of equal keys in the same window, with the window maxTimestamp, through JoinFunction and FlatJoinFunction', async () => {
    const run = async (flat: boolean): Promise<string[]> => {
      const job: JobMain = (env) => {
        const [a, b] = sources(env, left, right);
        const joined = a.join(b).where((e) => e.key).equalTo((e) => e.key).window(TumblingEventTimeWindows.of(20));
        const result = flat ? joined.apply((x: Ev, y: Ev, out: Collector<string>) => out.collect(`${x.id}+${y.id}`)) : joined.apply((x: Ev, y: Ev) => `${x.id}+${y.id}`);
        result.collect();
      };
      return ((await runLocally(job)).collected as string[]).sort();
    };
    const expected: string[] = [];
    for (const l of left) for (const r of right) if (l.key === r.key && windowOf(l.ts) === windowOf(r.ts)) expected.push(`${l.id}+${r.id}`);
    expected.sort();
    assert.ok(expected.length > 100);
    assert.deepEqual(await run(false), expected);
    assert.deepEqual(await run(true), expected);
  });

  it('hands coGroup both sides of each key and window, one possibly empty', async () => {
    const job: JobMain = (env) => {
      const [a, b] = sources(env, left, right);
      a.coGroup(b)
        .where((e) => e.key)
        .equalTo((e) => e.key)
        .window(TumblingEventTimeWindows.of(20))
        .apply((xs: Iterable<Ev>, ys: Iterable<Ev>, out: Collector<string>) => {
          const l = [...xs];
          const r = [...ys];
          const key = (l[0] ?? r[0]) as Ev;
          out.collect(`${key.key}@${windowOf(key.ts)}:${l.length}/${r.length}`);
        })
        .collect();
    };
    const counts = new Map<string, [number, number]>();
    for (const [side, list] of [[0, left], [1, right]] as const) {
      for (const e of list) {
        const id = `${e.key}@${windowOf(e.ts)}`;
        const entry = counts.get(id) ?? [0, 0];
        entry[side]++;
        counts.set(id, entry);
      }
    }
    const expected = [...counts].map(([id, [l, r]]) => `${id}:${l}/${r}`).sort();
    assert.ok(expected.some((e) => e.endsWith('/0')) || expected.some((e) => e.includes(':0/')), 'some windows have one side only');
    assert.deepEqual(((await runLocally(job)).collected as string[]).sort(), expected);
  });

  it('names the join in the plan as Flink does, and refuses a window join without an assigner', async () => {
    const job: JobMain = (env) => {
      const [a, b] = sources(env, left, right);
      a.join(b).where((e) => e.key).equalTo((e) => e.key).window(TumblingEventTimeWindows.of(20)).apply((x: Ev, y: Ev) => x.id + y.id).collect();
    };
    const { plan } = await runLocally(job);
    assert.ok(plan.vertices.some((v) => /Window\(TumblingEventTimeWindows\(20\).*JoinFunction\)/.test(v.name)), plan.vertices.map((v) => v.name).join('; '));
    await assert.rejects(
      () =>
        runLocally((env) => {
          const [a, b] = sources(env, left, right);
          a.join(b).where((e) => e.key).equalTo((e) => e.key).window(undefined as never);
        }),
      /join\(\.\.\.\)\.window needs a WindowAssigner/,
    );
  });
});

describe('two-input chains', () => {
  it('route records of input 1 to the second input, end after both inputs ended, and compute the same as running both sides directly', async () => {
    const job: JobMain = (env) => {
      env.setParallelism(2);
      const numbers = env.fromElements(1, 2, 3, 4, 5, 6);
      const words = env.fromElements('a', 'bb', 'ccc');
      numbers
        .connect(words)
        .keyBy((n: number) => n % 3, (w: string) => w.length % 3)
        .flatMap({ flatMap1: (n: number, out: Collector<string>) => out.collect(`n${n}`), flatMap2: (w: string, out: Collector<string>) => out.collect(`w${w}`) })
        .collect();
    };
    const run = await runLocally(job);
    assert.deepEqual((run.collected as string[]).sort(), ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'wa', 'wbb', 'wccc']);
  });
});
