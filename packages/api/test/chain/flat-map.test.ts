import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Collector, DataStream, JobMain } from '../../src/index.js';
import { buildChain } from '../fixtures/build-chain.js';
import { runLocally } from '../fixtures/local-executor.js';

/** The flatMap chain of a job `lines -> flatMap(fn) -> sink`, and what reaches the sink. */
async function flatMapChain<R>(apply: (lines: DataStream<string>) => DataStream<R>) {
  const results: unknown[] = [];
  const job: JobMain = (env) => {
    apply(env.fromElements<string>().rebalance()).addSink({ invoke: (value) => results.push(value) });
  };
  const { chain, vertex } = await buildChain(job, 1);
  await chain.open();
  return { chain, vertex, results };
}

describe('flatMap', () => {
  it('emits the elements of an array, a Set or a generator the function returns, in order', async () => {
    const forms: [string, (lines: DataStream<string>) => DataStream<string>][] = [
      ['array', (lines) => lines.flatMap((line) => line.split(' '))],
      ['Set', (lines) => lines.flatMap((line) => new Set(line.split(' ')))],
      [
        'generator',
        (lines) =>
          lines.flatMap(function* (line) {
            yield* line.split(' ');
          }),
      ],
      ['iterator of a Map', (lines) => lines.flatMap((line) => new Map(line.split(' ').map((word) => [word, word])).keys())],
    ];
    for (const [form, apply] of forms) {
      const { chain, results } = await flatMapChain(apply);
      chain.processBatch(0, ['to be', 'or not']);
      chain.processBatch(0, ['']);
      assert.deepEqual(results, ['to', 'be', 'or', 'not', ''], form);
    }
  });

  it('keeps emitting what a function hands its collector, and emits what it returns as well', async () => {
    const { chain, results } = await flatMapChain((lines) =>
      lines.flatMap((line: string, out: Collector<string>) => {
        for (const word of line.split(' ')) out.collect(word.toUpperCase());
      }),
    );
    chain.processBatch(0, ['to be']);
    assert.deepEqual(results, ['TO', 'BE']);

    const both = await flatMapChain((lines) =>
      lines.flatMap((line: string, out: Collector<string>) => {
        out.collect(`collected ${line}`);
        return [`returned ${line}`] as unknown as undefined;
      }),
    );
    both.chain.processBatch(0, ['x']);
    assert.deepEqual(both.results, ['collected x', 'returned x']);
  });

  it('fails naming the operator when the function returns something that is neither undefined nor iterable', async () => {
    const cases: [unknown, RegExp][] = [
      [42, /The function of 'Tokenizer' returned a number \(42\), which is neither undefined nor iterable/],
      [null, /returned null, which is neither undefined nor iterable/],
      [{ word: 'x' }, /returned an object \(\[object Object\]\)/],
      [Promise.resolve(['x']), /returned a promise \(operator functions run synchronously/],
      ['to be', /The function of 'Tokenizer' returned a string \("to be"\); .*Return \[s\] to emit the string as one record, or \[\.\.\.s\] for its characters/],
    ];
    for (const [returned, message] of cases) {
      const { chain, results } = await flatMapChain((lines) => lines.flatMap(((_line: string) => returned) as unknown as (line: string) => string[]).name('Tokenizer'));
      assert.throws(() => chain.processBatch(0, ['to be']), (error: unknown) => error instanceof TypeError && message.test(error.message));
      assert.deepEqual(results, []);
    }
  });

  it('counts words with the TypeScript idiom: flatMap((line) => line.split(" "))', async () => {
    const job: JobMain = (env) => {
      env
        .fromCollection(['a b a', 'c a'])
        .flatMap((line: string) => line.split(' '))
        .map((word): [string, number] => [word, 1])
        .keyBy(([word]) => word)
        .sum(1)
        .collect();
    };
    const run = await runLocally(job);
    const counts = new Map<string, number>();
    for (const [word, count] of run.collected as [string, number][]) counts.set(word, Math.max(counts.get(word) ?? 0, count));
    assert.deepEqual(counts, new Map([['a', 3], ['b', 1], ['c', 1]]));
  });
});
