import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RuntimeContext, Sink } from '../../src/index.js';
import { buildChain } from '../fixtures/build-chain.js';
import { runLocally } from '../fixtures/local-executor.js';

describe('print', () => {
  it('prefixes each line with the subtask number when the sink runs in several subtasks', async () => {
    const { chain, ctx } = await buildChain((env) => {
      env.setParallelism(3);
      env.fromSequence(1, 6).map((x) => (x % 2 === 0 ? { n: x, even: true } : `odd ${x}`)).print();
    }, 0, { subtaskIndex: 1 });
    await chain.open();
    await chain.runSource();
    await chain.finish();
    assert.equal(ctx.stdout.join(''), '2> odd 3\n2> {"n":4,"even":true}\n');
  });

  it('prints just the text when the sink runs in one subtask, and names the sink when given an identifier', async () => {
    const run = await runLocally((env) => {
      env.fromElements('a', 'b').print();
      env.fromElements<unknown>(1.5, null, [1, 'x']).print('debug');
    });
    assert.equal(run.stdout, 'a\nb\ndebug> 1.5\ndebug> null\ndebug> [1,"x"]\n');
  });

  it('hands buffered output to the task once the buffer timeout passes', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const { chain, ctx } = await buildChain((env) => {
      env.setBufferTimeout(50);
      env.fromElements<string>().rebalance().print();
    }, 1);
    await chain.open();
    chain.processBatch(0, ['one', 'two']);
    chain.processBatch(0, ['three']);
    assert.deepEqual(ctx.stdout, []);
    t.mock.timers.tick(50);
    assert.deepEqual(ctx.stdout, ['one\ntwo\nthree\n'], 'one write for the three records');
    chain.endInput(0);
    await chain.finish();
  });
});

describe('writeAsText', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'eddy-write-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the file only once it is complete, at close', async () => {
    const path = join(dir, 'single', 'out.txt');
    const { chain } = await buildChain((env) => {
      env.fromElements<unknown>().rebalance().writeAsText(path);
    }, 1);
    await chain.open();
    chain.processBatch(0, ['plain', { a: 1 }, 42, ['x', 2]]);
    chain.endInput(0);
    assert.equal(existsSync(path), false);
    assert.equal(readdirSync(join(dir, 'single')).length, 1, 'one hidden in-progress file');
    await chain.finish();
    assert.equal(readFileSync(path, 'utf8'), 'plain\n{"a":1}\n42\n["x",2]\n');
    assert.deepEqual(readdirSync(join(dir, 'single')), ['out.txt']);
    await chain.close();
    assert.equal(readFileSync(path, 'utf8'), 'plain\n{"a":1}\n42\n["x",2]\n', 'dispose after close keeps the committed file');
  });

  it('leaves no file behind when disposed after a failure', async () => {
    const path = join(dir, 'failed', 'out.txt');
    const { chain } = await buildChain((env) => {
      env.fromElements<string>().rebalance().writeAsText(path);
    }, 1);
    await chain.open();
    chain.processBatch(0, ['x'.repeat(100_000)]);
    await chain.close();
    assert.deepEqual(readdirSync(join(dir, 'failed')), []);
  });

  it('writes part-<subtask> files into a directory when the sink is parallel, replacing a crashed attempt’s leftovers', async () => {
    const path = join(dir, 'parts');
    const job = (env: Parameters<Parameters<typeof runLocally>[0]>[0]): void => {
      env.setParallelism(2);
      env.fromSequence(1, 6).writeAsText(path);
    };
    await runLocally(job);
    writeFileSync(join(path, '.part-0.inprogress.0.deadbeef'), 'left by a crashed attempt\n');
    await runLocally(job);
    assert.deepEqual(readdirSync(path).sort(), ['part-0', 'part-1']);
    assert.equal(readFileSync(join(path, 'part-0'), 'utf8'), '1\n2\n3\n');
    assert.equal(readFileSync(join(path, 'part-1'), 'utf8'), '4\n5\n6\n');
  });
});

describe('collect and user sinks', () => {
  it('sends collected records to the client in batches of 1,000 and the rest at close', async () => {
    const { chain, ctx } = await buildChain((env) => {
      // No flush by time: on a loaded machine the buffer timeout could pass while the source runs.
      env.setBufferTimeout(-1);
      env.fromSequence(1, 2500).collect();
    }, 0);
    await chain.open();
    await chain.runSource();
    assert.deepEqual(ctx.collected.map((b) => b.length), [1000, 1000]);
    await chain.finish();
    assert.deepEqual(ctx.collected.map((b) => b.length), [1000, 1000, 500]);
    assert.deepEqual(ctx.collected.flat(), Array.from({ length: 2500 }, (_, i) => i + 1));
  });

  it('calls a user sink’s open, invoke and close in order, and dispose after a failure', async () => {
    const calls: string[] = [];
    const sink: Sink<number> = {
      open: (context: RuntimeContext) => void calls.push(`open ${context.indexOfThisSubtask}/${context.numberOfParallelSubtasks}`),
      invoke: (value) => void calls.push(`invoke ${value}`),
      close: () => void calls.push('close'),
      dispose: () => void calls.push('dispose'),
    };
    const { chain } = await buildChain((env) => {
      env.fromElements(1, 2).addSink(sink);
    }, 0);
    await chain.open();
    await chain.runSource();
    await chain.finish();
    assert.deepEqual(calls, ['open 0/1', 'invoke 1', 'invoke 2', 'close']);
    const failing = await buildChain((env) => {
      env.fromElements(1, 2).map(() => {
        throw new Error('map failed');
      }).addSink(sink);
    }, 0);
    calls.length = 0;
    await failing.chain.open();
    await assert.rejects(failing.chain.runSource(), /map failed/);
    await failing.chain.close();
    assert.deepEqual(calls, ['open 0/1', 'dispose']);
  });
});
