import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedProcessFunction, MapStateDescriptor, ValueStateDescriptor, type Collector, type JobMain, type KeyedProcessContext, type ValueState } from '../../src/index.js';
import { keyHash } from '../../src/key-groups.js';
import { buildChain } from '../fixtures/build-chain.js';

interface Totals {
  count: number;
  items: string[];
}

/** Mutates the value state's value in place, as a Flink user may with a state's value before update(). */
class Accumulate extends KeyedProcessFunction<string, [string, string], [string, Totals]> {
  private totals!: ValueState<Totals>;
  override open(): void {
    this.totals = this.getRuntimeContext().getState(new ValueStateDescriptor<Totals>('totals', { count: 0, items: [] }));
  }
  processElement([, item]: [string, string], ctx: KeyedProcessContext<string>, out: Collector<[string, Totals]>): void {
    const totals = this.totals.value() as Totals;
    totals.count++;
    totals.items.push(item);
    this.totals.update(totals);
    out.collect([ctx.getCurrentKey(), structuredClone(totals)]);
  }
}

async function keyedChain<K>(keyBy: (record: [string, string]) => K, results: unknown[], fn: KeyedProcessFunction<K, [string, string], unknown>) {
  const job: JobMain = (env) => {
    env
      .fromElements<[string, string]>()
      .keyBy(keyBy)
      .process(fn)
      .addSink({ invoke: (value) => results.push(value) });
  };
  const { chain } = await buildChain(job, 1);
  await chain.open();
  return chain;
}

describe('keyed state and keys', () => {
  it('gives every key its own copy of an object default, so changing one key leaves the others alone', async () => {
    const results: unknown[] = [];
    const chain = await keyedChain(([key]) => key, results, new Accumulate());
    chain.processBatch(0, [
      ['ann', 'a1'],
      ['bob', 'b1'],
      ['ann', 'a2'],
      ['cid', 'c1'],
    ]);
    assert.deepEqual(results, [
      ['ann', { count: 1, items: ['a1'] }],
      ['bob', { count: 1, items: ['b1'] }],
      ['ann', { count: 2, items: ['a1', 'a2'] }],
      ['cid', { count: 1, items: ['c1'] }],
    ]);
  });

  it('copies the default on every read of a key without a value, even when the read value is changed without update()', async () => {
    let state!: ValueState<{ seen: string[] }>;
    class Peek extends KeyedProcessFunction<string, [string, string], string[]> {
      override open(): void {
        state = this.getRuntimeContext().getState(new ValueStateDescriptor('peek', { seen: [] as string[] }));
      }
      processElement([, item]: [string, string], _ctx: KeyedProcessContext<string>, out: Collector<string[]>): void {
        const value = state.value() as { seen: string[] };
        value.seen.push(item);
        out.collect(value.seen);
      }
    }
    const results: unknown[] = [];
    const chain = await keyedChain(([key]) => key, results, new Peek());
    chain.processBatch(0, [
      ['ann', 'x'],
      ['ann', 'y'],
    ]);
    assert.deepEqual(results, [['x'], ['y']]);
  });

  it('refuses a default that cannot be copied as plain data, naming the state', () => {
    class Stats {
      total = 0;
    }
    assert.throws(() => new ValueStateDescriptor('stats', new Stats()), /The default value of state 'stats' holds an instance of Stats; .*structuredClone/);
    assert.throws(() => new ValueStateDescriptor('fn', { callback: () => 1 }), /The default value of state 'fn' cannot be copied/);
    for (const plain of [{ a: [1, { b: new Date(0) }] }, [new Map([['k', new Set([1])]])], Object.create(null) as object]) {
      assert.doesNotThrow(() => new ValueStateDescriptor('plain', plain));
    }
  });

  it('fails at the first record whose key is, or holds, a Map or Set, naming the type and what to use', async () => {
    for (const [key, kind] of [
      [new Map([['a', 1]]), 'Map'],
      [new Set(['a']), 'Set'],
      [['user', new Set(['a'])], 'Set'],
    ] as const) {
      assert.throws(() => keyHash(key), new RegExp(`A key must not be or contain a ${kind}: .*every ${kind} is \\{\\}.*\\[\\.\\.\\.map\\.entries\\(\\)\\] for a Map or \\[\\.\\.\\.set\\]\\.sort\\(\\) for a Set`));
    }
    // Through a job: the keyBy partitioner (in the chain before the shuffle) refuses the key.
    const job: JobMain = (env) => {
      env
        .fromElements<string>()
        .rebalance()
        .keyBy((word) => new Set([word]))
        .sum()
        .print();
    };
    const { chain } = await buildChain(job, 1);
    await chain.open();
    assert.throws(() => chain.processBatch(0, ['a']), /A key must not be or contain a Set/);
  });

  it('refuses a Map or Set as a MapState key too', async () => {
    class PutSet extends KeyedProcessFunction<string, [string, string], string> {
      processElement([, item]: [string, string]): void {
        this.getRuntimeContext()
          .getMapState(new MapStateDescriptor<Set<string>, number>('by-set'))
          .put(new Set([item]), 1);
      }
    }
    const chain = await keyedChain(([key]) => key, [], new PutSet());
    assert.throws(() => chain.processBatch(0, [['ann', 'x']]), /A key must not be or contain a Set/);
  });
});
