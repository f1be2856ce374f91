import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  KeyedProcessFunction,
  ProcessFunction,
  type Collector,
  type JobMain,
  type KeyedOnTimerContext,
  type KeyedProcessContext,
  type Sink,
} from '../../src/index.js';
import { buildChain } from '../fixtures/build-chain.js';
import { runLocally } from '../fixtures/local-executor.js';

/** Counts words and, once the input has ended, emits the `n` most frequent (ties by word). */
class TopWords extends ProcessFunction<[string, number], [string, number]> {
  private readonly counts = new Map<string, number>();
  constructor(
    private readonly n: number,
    private readonly calls: string[] = [],
  ) {
    super();
  }
  processElement([word, count]: [string, number]): void {
    this.counts.set(word, Math.max(this.counts.get(word) ?? 0, count));
  }
  override finish(out: Collector<[string, number]>): void {
    this.calls.push('finish');
    const top = [...this.counts].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).slice(0, this.n);
    for (const entry of top) out.collect(entry);
  }
  override close(): void {
    this.calls.push('close');
  }
}

describe('finish(out) at the end of input', () => {
  it('lets a process function emit what it held back, once, after the last record and before close', async () => {
    const calls: string[] = [];
    const sink: Sink<[string, number]> = {
      invoke: (value) => void calls.push(`sink ${value.join(':')}`),
      close: () => void calls.push('sink close'),
    };
    const job: JobMain = (env) => {
      env
        .fromElements<[string, number]>()
        .rebalance()
        .process(new TopWords(2, calls))
        .addSink(sink);
    };
    const { chain } = await buildChain(job, 1);
    await chain.open();
    chain.processBatch(0, [
      ['b', 1],
      ['a', 1],
      ['b', 2],
      ['c', 1],
      ['b', 3],
      ['a', 2],
    ]);
    assert.deepEqual(calls, [], 'nothing before the end of input');
    chain.endInput(0);
    await chain.finish();
    assert.deepEqual(calls, ['finish', 'sink b:3', 'sink a:2', 'close', 'sink close']);
  });

  it('writes the top 3 words of a text at the end, through a keyed count', async () => {
    const text = ['the river runs', 'the river bends', 'the sea waits for the river'];
    const job: JobMain = (env) => {
      env
        .fromCollection(text)
        .flatMap((line: string) => line.split(' '))
        .map((word): [string, number] => [word, 1])
        .keyBy(([word]) => word)
        .sum(1)
        .process(new TopWords(3))
        .setParallelism(1)
        .collect();
    };
    const run = await runLocally(job);
    assert.deepEqual(run.collected, [
      ['the', 4],
      ['river', 3],
      ['bends', 1],
    ]);
  });

  it('calls finish of a keyed process function with no key current', async () => {
    let keyInFinish: unknown = 'not called';
    class LastPerKey extends KeyedProcessFunction<string, string, string> {
      private readonly last = new Map<string, string>();
      private ctx: KeyedProcessContext<string> | undefined;
      processElement(value: string, ctx: KeyedProcessContext<string>): void {
        this.ctx = ctx;
        this.last.set(ctx.getCurrentKey(), value);
      }
      override finish(out: Collector<string>): void {
        keyInFinish = this.ctx?.getCurrentKey();
        for (const [key, value] of this.last) out.collect(`${key}=${value}`);
      }
    }
    const results: unknown[] = [];
    const { chain } = await buildChain((env) => {
      env
        .fromElements<string>()
        .keyBy((value) => value[0] as string)
        .process(new LastPerKey())
        .addSink({ invoke: (value) => void results.push(value) });
    }, 1);
    await chain.open();
    chain.processBatch(0, ['a1', 'b1', 'a2']);
    chain.endInput(0);
    await chain.finish();
    assert.deepEqual(results, ['a=a2', 'b=b1']);
    assert.equal(keyInFinish, undefined);
  });

  it('drops the processing-time timers pending at the end of input without firing them, and logs how many, once', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const fired: string[] = [];
    class Later extends KeyedProcessFunction<string, string, string> {
      processElement(value: string, ctx: KeyedProcessContext<string>): void {
        ctx.timerService().registerProcessingTimeTimer(100 + value.length);
      }
      override onTimer(timestamp: number, ctx: KeyedOnTimerContext<string>): void {
        fired.push(`${ctx.getCurrentKey()}@${timestamp}`);
      }
    }
    const { chain, ctx } = await buildChain((env) => {
      env
        .fromElements<string>()
        .keyBy((value) => value)
        .process(new Later())
        .name('Later')
        .print();
    }, 1);
    await chain.open();
    chain.processBatch(0, ['a', 'bb', 'ccc']);
    chain.endInput(0);
    await chain.finish();
    t.mock.timers.tick(1000);
    assert.deepEqual(fired, []);
    const dropped = ctx.logs.filter((line) => line.message === 'Dropped processing-time timers still pending at the end of input');
    assert.deepEqual(
      dropped.map((line) => ({ ...line.fields, operatorId: undefined })),
      [{ operator: 'Later', operatorId: undefined, timers: 3 }],
    );
  });

  it('does not call finish when the task fails or is canceled', async () => {
    const calls: string[] = [];
    const { chain } = await buildChain((env) => {
      env
        .fromElements<[string, number]>()
        .rebalance()
        .process(new TopWords(1, calls))
        .print();
    }, 1);
    await chain.open();
    chain.processBatch(0, [['a', 1]]);
    await chain.close();
    assert.deepEqual(calls, []);
  });
});
