import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Collector, JobMain } from '../../src/index.js';
import { runLocally } from '../fixtures/local-executor.js';

const TEXT = [
  'To be, or not to be, that is the question:',
  "Whether 'tis nobler in the mind to suffer",
  'The slings and arrows of outrageous fortune,',
  'Or to take arms against a sea of troubles',
  'And by opposing end them. To die-to sleep,',
];

function expectedCounts(lines: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) for (const word of line.toLowerCase().split(/\W+/)) if (word) counts.set(word, (counts.get(word) ?? 0) + 1);
  return counts;
}

const wordCount: JobMain = (env) => {
  env.setParallelism(2);
  env
    .fromCollection(TEXT)
    .flatMap((line: string, out: Collector<[string, number]>) => {
      for (const word of line.toLowerCase().split(/\W+/)) if (word) out.collect([word, 1]);
    })
    .keyBy(([word]) => word)
    .sum(1)
    .collect();
};

describe('running chains', () => {
  it('counts words: flatMap, keyBy and sum give the right count for every word', async () => {
    const run = await runLocally(wordCount);
    assert.deepEqual(
      run.plan.vertices.map((v) => [v.name, v.parallelism]),
      [
        ['Source: Collection Source', 1],
        ['Flat Map', 2],
        ['Keyed Aggregation', 2],
        ['Sink: Collect Sink', 1],
      ],
    );
    const finalCounts = new Map<string, number>();
    for (const [word, count] of run.collected as [string, number][]) finalCounts.set(word, Math.max(finalCounts.get(word) ?? 0, count));
    assert.deepEqual(finalCounts, expectedCounts(TEXT));
    // One running count per word occurrence, as Flink's sum emits.
    assert.equal(run.collected.length, [...expectedCounts(TEXT).values()].reduce((a, b) => a + b, 0));
  });

  it('emits running aggregates with reduce, sum, min, max, minBy and maxBy', async () => {
    const readings: [string, number, string][] = [
      ['a', 3, 'first'],
      ['b', 10, 'b1'],
      ['a', 1, 'second'],
      ['a', 5, 'third'],
      ['b', 7, 'b2'],
    ];
    const results = new Map<string, unknown[]>();
    const job: JobMain = (env) => {
      const keyed = env.fromCollection(readings).keyBy(([k]) => k);
      keyed.sum(1).addSink({ invoke: (v) => push('sum', v) });
      keyed.min(1).addSink({ invoke: (v) => push('min', v) });
      keyed.max(1).addSink({ invoke: (v) => push('max', v) });
      keyed.minBy(1).addSink({ invoke: (v) => push('minBy', v) });
      keyed.maxBy(1).addSink({ invoke: (v) => push('maxBy', v) });
      keyed.reduce((a, b) => [a[0], a[1] * b[1], `${a[2]}+${b[2]}`]).addSink({ invoke: (v) => push('reduce', v) });
      env.fromElements({ user: 'x', amount: 2 }, { user: 'x', amount: 5 }).keyBy((r) => r.user).sum('amount').addSink({ invoke: (v) => push('objects', v) });
      env.fromElements(4, 9, 2).keyBy(() => 'all').max().addSink({ invoke: (v) => push('numbers', v) });
    };
    function push(what: string, value: unknown): void {
      results.set(what, [...(results.get(what) ?? []), value]);
    }
    await runLocally(job);
    assert.deepEqual(results.get('sum'), [['a', 3, 'first'], ['b', 10, 'b1'], ['a', 4, 'first'], ['a', 9, 'first'], ['b', 17, 'b1']]);
    assert.deepEqual(results.get('min'), [['a', 3, 'first'], ['b', 10, 'b1'], ['a', 1, 'first'], ['a', 1, 'first'], ['b', 7, 'b1']]);
    assert.deepEqual(results.get('max'), [['a', 3, 'first'], ['b', 10, 'b1'], ['a', 3, 'first'], ['a', 5, 'first'], ['b', 10, 'b1']]);
    assert.deepEqual(results.get('minBy'), [['a', 3, 'first'], ['b', 10, 'b1'], ['a', 1, 'second'], ['a', 1, 'second'], ['b', 7, 'b2']]);
    assert.deepEqual(results.get('maxBy'), [['a', 3, 'first'], ['b', 10, 'b1'], ['a', 3, 'first'], ['a', 5, 'third'], ['b', 10, 'b1']]);
    assert.deepEqual(results.get('reduce'), [['a', 3, 'first'], ['b', 10, 'b1'], ['a', 3, 'first+second'], ['a', 15, 'first+second+third'], ['b', 70, 'b1+b2']]);
    assert.deepEqual(results.get('objects'), [{ user: 'x', amount: 2 }, { user: 'x', amount: 7 }]);
    assert.deepEqual(results.get('numbers'), [4, 9, 9]);
  });

  it('refuses to sum a field that holds no number, naming the field', async () => {
    await assert.rejects(
      runLocally((env) => {
        env.fromElements({ k: 'a', v: 'x' }, { k: 'a', v: 'y' }).keyBy((r) => r.k).sum('v').print();
      }),
      /sum\("v"\): field "v" holds string, not a number/,
    );
  });

  it('merges the streams of a union', async () => {
    const run = await runLocally((env) => {
      env.setParallelism(2);
      const evens = env.fromSequence(0, 9).filter((x) => x % 2 === 0);
      const odds = env.fromSequence(0, 9).filter((x) => x % 2 === 1).map((x) => x * 100);
      evens.union(odds).collect();
    });
    assert.deepEqual(
      (run.collected as number[]).sort((a, b) => a - b),
      [0, 2, 4, 6, 8, 100, 300, 500, 700, 900],
    );
  });

  it('splits fromSequence over the subtasks, each taking a contiguous share', async () => {
    const run = await runLocally((env) => {
      env.setParallelism(3);
      env.fromSequence(1, 10).print();
    });
    const bySubtask = new Map<string, number[]>();
    for (const line of run.stdout.trim().split('\n')) {
      const [subtask, value] = line.split('> ') as [string, string];
      bySubtask.set(subtask, [...(bySubtask.get(subtask) ?? []), Number(value)]);
    }
    assert.deepEqual([...bySubtask], [
      ['1', [1, 2, 3]],
      ['2', [4, 5, 6]],
      ['3', [7, 8, 9, 10]],
    ]);
  });

  it('generates a finite number of records, split over the subtasks', async () => {
    const run = await runLocally((env) => {
      env.setParallelism(2);
      env.fromGenerator(5, (i) => `event-${i}`).collect();
    });
    assert.deepEqual(run.collected, ['event-0', 'event-1', 'event-2', 'event-3', 'event-4']);
  });
});
