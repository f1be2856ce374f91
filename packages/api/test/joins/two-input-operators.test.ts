import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BroadcastProcessFunction,
  CoProcessFunction,
  KeyedBroadcastProcessFunction,
  KeyedCoProcessFunction,
  MapStateDescriptor,
  OutputTag,
  ValueStateDescriptor,
  type BroadcastContext,
  type Collector,
  type DataStream,
  type KeyedBroadcastContext,
  type KeyedBroadcastOnTimerContext,
  type KeyedOnTimerContext,
  type KeyedProcessContext,
  type KeyedReadOnlyBroadcastContext,
  type ProcessContext,
  type ReadOnlyBroadcastContext,
  type ValueState,
} from '../../src/index.js';
import { buildPlan } from '../../src/internal/bundle-entry-points.js';
import { TwoInputHarness } from './two-input-harness.js';

type Order = { readonly user: string; readonly amount: number };
type Payment = { readonly user: string; readonly paid: number };

/** Per user: the amount ordered minus the amount paid; at each event-time timer (10 ms after a record) the balance. */
class Balance extends KeyedCoProcessFunction<string, Order, Payment, string> {
  private balance!: ValueState<number>;
  constructor(private readonly overpaid: OutputTag<string>) {
    super();
  }
  override open(): void {
    this.balance = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('balance', 0));
  }
  processElement1(order: Order, ctx: KeyedProcessContext<string>, _out: Collector<string>): void {
    this.balance.update((this.balance.value() ?? 0) + order.amount);
    ctx.timerService().registerEventTimeTimer((ctx.timestamp() ?? 0) + 10);
  }
  processElement2(payment: Payment, ctx: KeyedProcessContext<string>, _out: Collector<string>): void {
    const next = (this.balance.value() ?? 0) - payment.paid;
    this.balance.update(next);
    if (next < 0) ctx.output(this.overpaid, `${ctx.getCurrentKey()}@${ctx.timestamp()}`);
    ctx.timerService().registerEventTimeTimer((ctx.timestamp() ?? 0) + 10);
  }
  override onTimer(timestamp: number, ctx: KeyedOnTimerContext<string>, out: Collector<string>): void {
    out.collect(`${ctx.getCurrentKey()} ${this.balance.value()} at ${timestamp} (${ctx.timeDomain()})`);
  }
}

const overpaid = new OutputTag<string>('overpaid');
const balanceJob = (orders: DataStream<Order>, payments: DataStream<Payment>): object =>
  orders.connect(payments).keyBy((o) => o.user, (p) => p.user).process(new Balance(overpaid));

describe('two-input operators: the plan', () => {
  it('feeds the first stream to input 0 and the second to input 1, and never chains a two-input operator to its inputs', async () => {
    const plan = await buildPlan((env) => {
      const a = env.fromElements(1, 2).map((x) => x * 2);
      const b = env.fromElements('x').map((s) => s.toUpperCase());
      a.connect(b).map({ map1: (x: number) => `n${x}`, map2: (s: string) => s }).print();
    }, []);
    const coMap = plan.vertices.find((v) => v.operators[0]?.kind === 'coMap');
    assert.ok(coMap, JSON.stringify(plan.vertices));
    assert.equal(coMap.operators.length, 2, 'the sink chains after the Co-Map');
    const into = plan.edges.filter((e) => e.target === coMap.id);
    assert.deepEqual(into.map((e) => e.targetInput).sort(), [0, 1]);
    const first = plan.vertices.find((v) => v.id === into.find((e) => e.targetInput === 0)?.source);
    assert.match(first?.name ?? '', /Map/);
    assert.ok(first?.operators.some((o) => o.kind === 'map'));
  });

  it('gives a.connect(b) and b.connect(a) different operator ids', async () => {
    const ids = async (swap: boolean): Promise<string[]> => {
      const plan = await buildPlan((env) => {
        const a = env.fromElements(1);
        const b = env.fromElements(2);
        const [x, y] = swap ? [b, a] : [a, b];
        x.connect(y).map({ map1: (v: number) => v, map2: (v: number) => v }).print();
      }, []);
      return plan.vertices.filter((v) => v.operators[0]?.kind === 'coMap').map((v) => v.id);
    };
    assert.notDeepEqual(await ids(false), await ids(true));
  });
});

describe('two-input operators: watermarks', () => {
  it("takes the minimum of both inputs' watermarks, never goes backwards, and leaves an idle input out", async () => {
    const h = await TwoInputHarness.open<Order, Payment>(balanceJob);
    h.watermark1(10);
    assert.deepEqual(h.output.watermarks, [], 'input 2 has no watermark yet');
    h.watermark2(5);
    assert.deepEqual(h.output.watermarks, [5]);
    h.watermark2(20);
    assert.deepEqual(h.output.watermarks, [5, 10]);
    h.watermark1(15);
    assert.deepEqual(h.output.watermarks, [5, 10, 15]);
    h.watermark1(12); // backwards on one input: ignored
    assert.deepEqual(h.output.watermarks, [5, 10, 15]);
    h.operator.inputs[0].emitWatermarkStatus(true);
    assert.deepEqual(h.output.watermarks, [5, 10, 15, 20], 'the idle input no longer holds the other back');
    await h.close();
  });

  it('is idle only when both inputs are', async () => {
    const statuses: boolean[] = [];
    const h = await TwoInputHarness.open<Order, Payment>(balanceJob);
    (h.output as { emitWatermarkStatus(idle: boolean): void }).emitWatermarkStatus = (idle: boolean) => void statuses.push(idle);
    h.operator.inputs[0].emitWatermarkStatus(true);
    assert.deepEqual(statuses, []);
    h.operator.inputs[1].emitWatermarkStatus(true);
    assert.deepEqual(statuses, [true]);
    h.operator.inputs[0].emitWatermarkStatus(false);
    assert.deepEqual(statuses, [true, false]);
    await h.close();
  });
});

describe('KeyedCoProcessFunction', () => {
  it('shares keyed state between both inputs and fires event-time timers at the combined watermark', async () => {
    const h = await TwoInputHarness.open<Order, Payment>(balanceJob);
    h.element1({ user: 'ann', amount: 30 }, 100).element2({ user: 'ann', paid: 10 }, 102).element1({ user: 'bob', amount: 5 }, 101);
    h.watermark1(200);
    assert.deepEqual(h.take(), [], 'input 2 still at -Infinity');
    h.watermark2(111);
    assert.deepEqual(h.take(), ['ann 20 at 110 (EVENT_TIME)', 'bob 5 at 111 (EVENT_TIME)']);
    assert.deepEqual(h.output.records, []);
    h.element2({ user: 'bob', paid: 7 }, 150);
    assert.deepEqual(h.output.side.get('overpaid'), [{ value: 'bob@150', timestamp: 150 }]);
    await h.end();
    assert.deepEqual(h.output.records, [
      { value: 'ann 20 at 112 (EVENT_TIME)', timestamp: 112 },
      { value: 'bob -2 at 160 (EVENT_TIME)', timestamp: 160 },
    ]);
    await h.close();
  });

  it('keeps its state and timers in the snapshot: a restored operator fires them once', async () => {
    const h = await TwoInputHarness.open<Order, Payment>(balanceJob);
    h.element1({ user: 'ann', amount: 30 }, 100).element2({ user: 'ann', paid: 10 }, 105);
    const snapshot = await h.snapshot();
    await h.close();
    const restored = await TwoInputHarness.open<Order, Payment>(balanceJob, snapshot);
    restored.watermark1(1000).watermark2(1000);
    assert.deepEqual(restored.take(), ['ann 20 at 110 (EVENT_TIME)', 'ann 20 at 115 (EVENT_TIME)']);
    await restored.end();
    assert.deepEqual(restored.take(), []);
    await restored.close();
  });

  it('is refused on inputs that are not both keyed, as in Flink', async () => {
    await assert.rejects(
      () =>
        TwoInputHarness.open<Order, Payment>((a, b) => a.keyBy((o) => o.user).connect(b).process(new Balance(overpaid))),
      /KeyedCoProcessFunction can only be used when both input streams are keyed/,
    );
  });
});

describe('CoProcessFunction on non-keyed streams', () => {
  class Tagger extends CoProcessFunction<number, string, string> {
    processElement1(value: number, ctx: ProcessContext, out: Collector<string>): void {
      out.collect(`1:${value}@${ctx.timestamp()}`);
    }
    processElement2(value: string, ctx: ProcessContext, out: Collector<string>): void {
      if (value === 'timer') ctx.timerService().registerEventTimeTimer(5);
      out.collect(`2:${value}`);
    }
  }

  it('calls processElement1 and processElement2 with the record timestamps, and refuses timers, as Flink', async () => {
    const h = await TwoInputHarness.open<number, string>((a, b) => a.connect(b).process(new Tagger()));
    h.element1(7, 70).element2('x');
    assert.deepEqual(h.output.records, [
      { value: '1:7@70', timestamp: 70 },
      { value: '2:x', timestamp: Number.NEGATIVE_INFINITY },
    ]);
    assert.throws(() => h.element2('timer'), /setting timers is only supported on keyed streams/);
    await h.close();
  });

  it('runs CoMapFunction and CoFlatMapFunction on their inputs', async () => {
    const map = await TwoInputHarness.open<number, string>((a, b) => a.connect(b).map({ map1: (n: number) => n + 1, map2: (s: string) => s.length }));
    map.element1(1, 10).element2('abc', 20);
    assert.deepEqual(map.output.records, [
      { value: 2, timestamp: 10 },
      { value: 3, timestamp: 20 },
    ]);
    const flat = await TwoInputHarness.open<number, string>((a, b) =>
      a.connect(b).flatMap({
        flatMap1: (n: number, out: Collector<string>) => {
          for (let i = 0; i < n; i++) out.collect(`n${i}`);
        },
        flatMap2: (s: string, out: Collector<string>) => out.collect(s),
      }),
    );
    flat.element1(2, 5).element2('s', 6);
    assert.deepEqual(flat.output.records, [
      { value: 'n0', timestamp: 5 },
      { value: 'n1', timestamp: 5 },
      { value: 's', timestamp: 6 },
    ]);
  });
});

type Rule = { readonly name: string; readonly threshold: number } | { readonly remove: string };
type Event = { readonly user: string; readonly value: number };
const rulesDescriptor = new MapStateDescriptor<string, number>('rules');

/** Emits "user>rule" for each event above a rule's threshold; the broadcast side adds and removes rules. */
class MatchRules extends BroadcastProcessFunction<Event, Rule, string> {
  processElement(event: Event, ctx: ReadOnlyBroadcastContext, out: Collector<string>): void {
    for (const [name, threshold] of ctx.getBroadcastState(rulesDescriptor).immutableEntries()) if (event.value > threshold) out.collect(`${event.user}>${name}`);
  }
  processBroadcastElement(rule: Rule, ctx: BroadcastContext, _out: Collector<string>): void {
    const state = ctx.getBroadcastState(rulesDescriptor);
    if ('remove' in rule) state.remove(rule.remove);
    else state.put(rule.name, rule.threshold);
  }
}

describe('broadcast state', () => {
  const job = (events: DataStream<Event>, rules: DataStream<Rule>): object => events.connect(rules.broadcast(rulesDescriptor)).process(new MatchRules());

  it('is read-write on the broadcast side and applies to the element side', async () => {
    const h = await TwoInputHarness.open<Event, Rule>(job);
    h.element1({ user: 'a', value: 5 });
    h.element2({ name: 'big', threshold: 3 }).element2({ name: 'huge', threshold: 10 });
    h.element1({ user: 'b', value: 5 }).element1({ user: 'c', value: 11 });
    h.element2({ remove: 'big' });
    h.element1({ user: 'd', value: 11 });
    assert.deepEqual(h.take(), ['b>big', 'c>big', 'c>huge', 'd>huge']);
    await h.close();
  });

  it('is read only on the element side', async () => {
    class Writer extends BroadcastProcessFunction<Event, Rule, string> {
      processElement(_event: Event, ctx: ReadOnlyBroadcastContext): void {
        (ctx.getBroadcastState(rulesDescriptor) as unknown as { put(k: string, v: number): void }).put('x', 1);
      }
      processBroadcastElement(): void {}
    }
    const h = await TwoInputHarness.open<Event, Rule>((events, rules) => events.connect(rules.broadcast(rulesDescriptor)).process(new Writer()));
    assert.throws(() => h.element1({ user: 'a', value: 1 }), /put is not a function/);
    await h.close();
  });

  it('names the broadcast states there are when a function asks for another', async () => {
    class Wrong extends BroadcastProcessFunction<Event, Rule, string> {
      processElement(_event: Event, ctx: ReadOnlyBroadcastContext): void {
        ctx.getBroadcastState(new MapStateDescriptor<string, number>('rulez'));
      }
      processBroadcastElement(): void {}
    }
    const h = await TwoInputHarness.open<Event, Rule>((events, rules) => events.connect(rules.broadcast(rulesDescriptor)).process(new Wrong()));
    assert.throws(() => h.element1({ user: 'a', value: 1 }), /no broadcast state 'rulez': this stream was broadcast with 'rules'/);
    await h.close();
  });

  it("is in the subtask's snapshot, and every subtask of a restore gets it back from the union of the copies", async () => {
    const subtasks = [await TwoInputHarness.open<Event, Rule>(job), await TwoInputHarness.open<Event, Rule>(job)];
    for (const h of subtasks) h.element2({ name: 'big', threshold: 3 }).element2({ name: 'huge', threshold: 10 }).element2({ remove: 'huge' });
    const snapshots = await Promise.all(subtasks.map((h) => h.snapshot()));
    // As the runtime restores: a subtask gets its own handle and the others' with only their UNION lists.
    const restoredOf = (own: number) => snapshots.flatMap((s, i) => s.operatorState.map((handle) => (i === own ? handle : { ...handle, unionOnly: true })));
    for (const own of [0, 1, 2]) {
      const h = await TwoInputHarness.open<Event, Rule>(job, { operatorState: restoredOf(own % 2) });
      h.element1({ user: 'u', value: 20 });
      assert.deepEqual(h.take(), ['u>big'], `restored subtask ${own}`);
      h.element2({ name: 'more', threshold: 1 });
      const again = await h.snapshot();
      const count = await TwoInputHarness.open<Event, Rule>(job, { operatorState: again.operatorState });
      count.element1({ user: 'v', value: 2 });
      assert.deepEqual(count.take(), ['v>more'], 'a snapshot of a restored subtask holds one copy, not the union of all');
    }
  });

  it('gives the keyed side keyed state and timers, and the broadcast side applyToKeyedState over every key', async () => {
    const sums = new ValueStateDescriptor<number>('sum', 0);
    class Totals extends KeyedBroadcastProcessFunction<string, Event, Rule, string> {
      private sum!: ValueState<number>;
      override open(): void {
        this.sum = this.getRuntimeContext().getState(sums);
      }
      processElement(event: Event, ctx: KeyedReadOnlyBroadcastContext<string>, _out: Collector<string>): void {
        const factor = ctx.getBroadcastState(rulesDescriptor).get('factor') ?? 1;
        this.sum.update((this.sum.value() ?? 0) + event.value * factor);
        ctx.timerService().registerEventTimeTimer(100);
      }
      processBroadcastElement(rule: Rule, ctx: KeyedBroadcastContext<string>, out: Collector<string>): void {
        if ('remove' in rule) {
          ctx.applyToKeyedState(sums, (key, state) => {
            out.collect(`reset ${key} from ${state.value()}`);
            if (key === rule.remove) state.clear();
          });
        } else ctx.getBroadcastState(rulesDescriptor).put(rule.name, rule.threshold);
      }
      override onTimer(timestamp: number, ctx: KeyedBroadcastOnTimerContext<string>, out: Collector<string>): void {
        out.collect(`${ctx.getCurrentKey()}=${this.sum.value()} at ${timestamp}`);
      }
    }
    const h = await TwoInputHarness.open<Event, Rule>((events, rules) => events.keyBy((e) => e.user).connect(rules.broadcast(rulesDescriptor)).process(new Totals()));
    h.element1({ user: 'a', value: 1 }, 1).element2({ name: 'factor', threshold: 10 }).element1({ user: 'a', value: 2 }, 2).element1({ user: 'b', value: 3 }, 3);
    h.element2({ remove: 'a' });
    assert.deepEqual(h.take().sort(), ['reset a from 21', 'reset b from 30']);
    await h.end();
    assert.deepEqual(h.take().sort(), ['a=0 at 100', 'b=30 at 100']);
    await h.close();
  });
});

describe('two-input streams: bad input refused when the job is built', () => {
  it('refuses a BroadcastProcessFunction on a keyed stream and a KeyedBroadcastProcessFunction on a non-keyed one', async () => {
    class Keyed extends KeyedBroadcastProcessFunction<string, Event, Rule, string> {
      processElement(): void {}
      processBroadcastElement(): void {}
    }
    await assert.rejects(
      () => TwoInputHarness.open<Event, Rule>((events, rules) => events.keyBy((e) => e.user).connect(rules.broadcast(rulesDescriptor)).process(new MatchRules())),
      /the stream is keyed, so its function must be a KeyedBroadcastProcessFunction/,
    );
    await assert.rejects(
      () => TwoInputHarness.open<Event, Rule>((events, rules) => events.connect(rules.broadcast(rulesDescriptor)).process(new Keyed())),
      /KeyedBroadcastProcessFunction can only be used on a keyed stream/,
    );
  });

  it('refuses broadcast state descriptors that are not MapStateDescriptors, or two of one name', async () => {
    await assert.rejects(
      () => TwoInputHarness.open<Event, Rule>((events, rules) => events.connect(rules.broadcast(new ValueStateDescriptor('x') as unknown as MapStateDescriptor<string, number>)).process(new MatchRules())),
      /broadcast: descriptor 1 must be a MapStateDescriptor/,
    );
    await assert.rejects(() => TwoInputHarness.open<Event, Rule>((events, rules) => events.connect(rules.broadcast(rulesDescriptor, new MapStateDescriptor('rules'))).process(new MatchRules())), /two descriptors are named 'rules'/);
  });

  it('refuses a CoMapFunction without map2', async () => {
    await assert.rejects(() => TwoInputHarness.open<number, number>((a, b) => a.connect(b).map({ map1: (x: number) => x } as never)), /CoMapFunction.*missing: map2/);
  });
});
