import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  KeyedProcessFunction,
  ListStateDescriptor,
  MapStateDescriptor,
  ProcessFunction,
  ValueStateDescriptor,
  keyGroupFor,
  type Collector,
  type JobMain,
  type KeyedOnTimerContext,
  type KeyedProcessContext,
  type ListState,
  type MapState,
  type OnTimerContext,
  type ProcessContext,
  type ValueState,
} from '../../src/index.js';
import { HeapKeyedStateBackend } from '../../src/internal/state/keyed-state-backend.js';
import { buildChain } from '../fixtures/build-chain.js';

interface Click {
  readonly user: string;
  readonly page: string;
}

/** Per user: a click count (value), the pages in order (list) and clicks per page (map). */
class ClickTracker extends KeyedProcessFunction<string, Click, unknown> {
  private count!: ValueState<number>;
  private pages!: ListState<string>;
  private perPage!: MapState<string, number>;

  override open(): void {
    const context = this.getRuntimeContext();
    this.count = context.getState(new ValueStateDescriptor<number>('count', 0));
    this.pages = context.getListState(new ListStateDescriptor<string>('pages'));
    this.perPage = context.getMapState(new MapStateDescriptor<string, number>('per-page'));
  }

  processElement(click: Click, ctx: KeyedProcessContext<string>, out: Collector<unknown>): void {
    this.count.update((this.count.value() ?? 0) + 1);
    this.pages.add(click.page);
    this.perPage.put(click.page, (this.perPage.get(click.page) ?? 0) + 1);
    if (click.page === 'logout') {
      out.collect({ user: ctx.getCurrentKey(), count: this.count.value(), pages: [...this.pages.get()], perPage: Object.fromEntries(this.perPage.entries()) });
      this.count.clear();
      this.pages.clear();
      this.perPage.clear();
    }
  }
}

function collectingJob(results: unknown[], build: (env: Parameters<JobMain>[0]) => { addSink(sink: { invoke(v: unknown): void }): unknown }): JobMain {
  return (env) => {
    build(env).addSink({ invoke: (v) => results.push(v) });
  };
}

describe('keyed process functions', () => {
  it('keeps value, list and map state per key', async () => {
    const results: unknown[] = [];
    const job = collectingJob(results, (env) => env.fromElements<Click>().keyBy((c) => c.user).process(new ClickTracker()));
    const { chain, vertex } = await buildChain(job, 1);
    assert.equal(vertex.name, 'KeyedProcess -> Sink: Unnamed');
    await chain.open();
    const clicks: Click[] = [
      { user: 'ann', page: 'home' },
      { user: 'bob', page: 'home' },
      { user: 'ann', page: 'cart' },
      { user: 'ann', page: 'home' },
      { user: 'bob', page: 'logout' },
      { user: 'ann', page: 'logout' },
      { user: 'ann', page: 'home' },
      { user: 'ann', page: 'logout' },
    ];
    chain.processBatch(0, clicks.slice(0, 3));
    chain.processBatch(0, clicks.slice(3));
    chain.endInput(0);
    await chain.finish();
    assert.deepEqual(results, [
      { user: 'bob', count: 2, pages: ['home', 'logout'], perPage: { home: 1, logout: 1 } },
      { user: 'ann', count: 4, pages: ['home', 'cart', 'home', 'logout'], perPage: { home: 2, cart: 1, logout: 1 } },
      { user: 'ann', count: 2, pages: ['home', 'logout'], perPage: { home: 1, logout: 1 } },
    ]);
  });

  it('fires processing-time timers per key, with that key current and its state visible', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const fired: unknown[] = [];
    class Sessions extends KeyedProcessFunction<string, Click, string> {
      private last!: ValueState<string>;
      override open(): void {
        this.last = this.getRuntimeContext().getState(new ValueStateDescriptor<string>('last-page'));
      }
      processElement(click: Click, ctx: KeyedProcessContext<string>): void {
        this.last.update(click.page);
        const timers = ctx.timerService();
        timers.registerProcessingTimeTimer(timers.currentProcessingTime() + 1000);
        timers.registerProcessingTimeTimer(timers.currentProcessingTime() + 1000); // the same timer: fires once
        if (click.page === 'cancel') timers.deleteProcessingTimeTimer(timers.currentProcessingTime() + 1000);
      }
      override onTimer(timestamp: number, ctx: KeyedOnTimerContext<string>, out: Collector<string>): void {
        out.collect(`${ctx.getCurrentKey()} idle at ${timestamp} after ${this.last.value()} (${ctx.timeDomain()})`);
      }
    }
    const job = collectingJob(fired, (env) => env.fromElements<Click>().keyBy((c) => c.user).process(new Sessions()));
    const { chain } = await buildChain(job, 1);
    await chain.open();
    chain.processBatch(0, [{ user: 'ann', page: 'home' }]);
    t.mock.timers.tick(400);
    chain.processBatch(0, [{ user: 'bob', page: 'cart' }, { user: 'ann', page: 'about' }]);
    t.mock.timers.tick(400);
    chain.processBatch(0, [{ user: 'cid', page: 'cancel' }]);
    t.mock.timers.tick(200);
    assert.deepEqual(fired, ['ann idle at 1000 after about (PROCESSING_TIME)']);
    t.mock.timers.tick(400);
    assert.deepEqual(fired, [
      'ann idle at 1000 after about (PROCESSING_TIME)',
      'bob idle at 1400 after cart (PROCESSING_TIME)',
      'ann idle at 1400 after about (PROCESSING_TIME)',
    ]);
    t.mock.timers.tick(5000);
    assert.equal(fired.length, 3, 'the deleted timer of cid never fires');
    chain.endInput(0);
    await chain.finish();
  });

  it('drops pending timers at the end of input, as Flink does', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const fired: unknown[] = [];
    class Later extends KeyedProcessFunction<string, string, string> {
      processElement(_value: string, ctx: KeyedProcessContext<string>): void {
        ctx.timerService().registerProcessingTimeTimer(100);
      }
      override onTimer(timestamp: number, _ctx: KeyedOnTimerContext<string>, out: Collector<string>): void {
        out.collect(`fired ${timestamp}`);
      }
    }
    const { chain } = await buildChain(collectingJob(fired, (env) => env.fromElements<string>().keyBy((s) => s).process(new Later())), 1);
    await chain.open();
    chain.processBatch(0, ['a']);
    chain.endInput(0);
    await chain.finish();
    t.mock.timers.tick(1000);
    assert.deepEqual(fired, []);
  });

  it('fails the task with the error a timer throws, and throws it again on the next batch', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    class Faulty extends KeyedProcessFunction<string, string, string> {
      processElement(_value: string, ctx: KeyedProcessContext<string>): void {
        ctx.timerService().registerProcessingTimeTimer(10);
      }
      override onTimer(): void {
        throw new Error('timer exploded');
      }
    }
    const { chain, ctx } = await buildChain(collectingJob([], (env) => env.fromElements<string>().keyBy((s) => s).process(new Faulty())), 1);
    await chain.open();
    chain.processBatch(0, ['a']);
    t.mock.timers.tick(10);
    assert.equal(ctx.failures.length, 1);
    assert.match(String(ctx.failures[0]), /timer exploded/);
    assert.throws(() => chain.processBatch(0, ['b']), /timer exploded/);
    await chain.close();
  });

  it('refuses keyed state outside a keyed stream', async () => {
    class Stateful extends ProcessFunction<number, number> {
      override open(): void {
        this.getRuntimeContext().getState(new ValueStateDescriptor<number>('x'));
      }
      processElement(): void {}
    }
    const { chain } = await buildChain((env) => {
      env.fromElements(1).process(new Stateful()).print();
    }, 0);
    await assert.rejects(chain.open(), /Keyed state can only be used on a 'keyed stream', i.e., after a 'keyBy\(\)' operation/);
    await chain.close();
  });
});

describe('process functions', () => {
  it('fires processing-time timers of a non-keyed process function, which may register the next one', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 10_000 });
    const out: unknown[] = [];
    class Ticker extends ProcessFunction<string, string> {
      private seen = 0;
      processElement(value: string, ctx: ProcessContext, collector: Collector<string>): void {
        this.seen++;
        collector.collect(`got ${value} at ${ctx.timerService().currentProcessingTime()} (timestamp ${String(ctx.timestamp())})`);
        if (this.seen === 1) ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 100);
      }
      override onTimer(timestamp: number, ctx: OnTimerContext, collector: Collector<string>): void {
        collector.collect(`tick ${timestamp} after ${this.seen}`);
        if (timestamp < 10_300) ctx.timerService().registerProcessingTimeTimer(timestamp + 100);
      }
    }
    const { chain } = await buildChain(collectingJob(out, (env) => env.fromElements<string>().rebalance().process(new Ticker())), 1);
    await chain.open();
    chain.processBatch(0, ['a', 'b']);
    t.mock.timers.tick(150);
    chain.processBatch(0, ['c']);
    t.mock.timers.tick(1000);
    assert.deepEqual(out, [
      'got a at 10000 (timestamp undefined)',
      'got b at 10000 (timestamp undefined)',
      'tick 10100 after 2',
      'got c at 10150 (timestamp undefined)',
      'tick 10200 after 3',
      'tick 10300 after 3',
    ]);
    chain.endInput(0);
    await chain.finish();
  });
});

describe('HeapKeyedStateBackend', () => {
  it('walks every entry by key group in ascending order, for snapshots', () => {
    const backend = new HeapKeyedStateBackend(128, { startKeyGroup: 0, endKeyGroup: 127 });
    const counts = backend.getValueState(new ValueStateDescriptor<number>('count'));
    const tags = backend.getListState(new ListStateDescriptor<string>('tags'));
    const keys: unknown[] = ['a', 'b', 'c', 7, ['x', 1], { id: 3 }];
    keys.forEach((key, i) => {
      backend.setCurrentKey(key);
      counts.update(i);
      tags.add(`t${i}`);
    });
    backend.setCurrentKey({ id: 3 });
    assert.equal(counts.value(), 5, 'an equal object finds the same entry');
    const walked: [number, string, unknown, unknown][] = [];
    backend.forEachEntryByKeyGroup((group, state, key, value) => walked.push([group, state, key, value]));
    assert.equal(walked.length, 12);
    const groups = walked.map(([g]) => g);
    assert.deepEqual(groups, [...groups].sort((a, b) => a - b));
    for (const [group, , key] of walked) assert.equal(group, keyGroupFor(key, 128));
    assert.deepEqual(backend.stateNames(), ['count', 'tags']);
    assert.throws(() => backend.getListState(new ListStateDescriptor<number>('count')), /state 'count' is already registered as value state/);
  });
});
