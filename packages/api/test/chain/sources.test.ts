import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ProcessFunction, WatermarkStrategy, type Collector, type JobMain, type ProcessContext, type RuntimeContext, type Source, type SourceContext } from '../../src/index.js';
import { buildChain, flushMicrotasks } from '../fixtures/build-chain.js';
import { runLocally } from '../fixtures/local-executor.js';

/** A job whose single source chain ends in a sink that appends to `into`. */
function sourceJob<T>(into: unknown[], source: (env: Parameters<JobMain>[0]) => { addSink(sink: { invoke(v: T): void }): unknown }): JobMain {
  return (env) => {
    source(env).addSink({ invoke: (v) => into.push(v) });
  };
}

function byteSplits(path: string, size: number, splitBytes: number): string[] {
  const splits: string[] = [];
  for (let start = 0; start < size; start += splitBytes) splits.push(JSON.stringify({ path, start, length: Math.min(splitBytes, size - start) }));
  return splits;
}

/** Polls (one event-loop turn at a time) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let turns = 0; !condition(); turns++) {
    if (turns > 100_000) throw new Error('condition never held');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('readTextFile', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'eddy-read-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every line exactly once whatever the splits, with lines crossing split boundaries', async () => {
    const lines = ['first line', '', 'ünïcödé ✓ line', 'crlf line', 'x', '', 'a somewhat longer line that crosses several small splits', 'last without newline'];
    const text = lines.map((l, i) => (i === 3 ? `${l}\r\n` : i === lines.length - 1 ? l : `${l}\n`)).join('');
    const path = join(dir, 'lines.txt');
    writeFileSync(path, text);
    const size = Buffer.byteLength(text);
    for (const splitBytes of [1, 2, 3, 5, 7, 11, 64, size, 10 * size]) {
      const read: unknown[] = [];
      const { chain } = await buildChain(sourceJob(read, (env) => env.readTextFile(path)), 0, { splits: byteSplits(path, size, splitBytes) });
      await chain.open();
      await chain.runSource();
      await chain.finish();
      assert.deepEqual(read, lines, `splits of ${splitBytes} bytes`);
    }
  });

  it('reads a file larger than its read buffer in parallel subtasks, each line once', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `${i}:${'y'.repeat(i % 300)}`);
    const path = join(dir, 'big.txt');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const run = await runLocally((env) => {
      env.setParallelism(3);
      env.readTextFile(path).collect();
    });
    assert.equal(run.plan.vertices[0]?.inputSplits.length, 3);
    assert.deepEqual([...(run.collected as string[])].sort(), [...lines].sort());
  });

  it('fails the task with the cause when the file is missing', async () => {
    const path = join(dir, 'missing.txt');
    const { chain } = await buildChain(sourceJob([], (env) => env.readTextFile(path)), 0);
    await chain.open();
    await assert.rejects(chain.runSource(), (error: Error) => {
      assert.match(error.message, /^readTextFile could not open .*missing\.txt: ENOENT/);
      assert.equal((error.cause as NodeJS.ErrnoException).code, 'ENOENT');
      return true;
    });
    await chain.close();
  });
});

describe('source backpressure and cancellation', () => {
  it('pauses a source while its outputs are back-pressured and resumes once waitForOutputs resolves', async () => {
    const emitted: unknown[] = [];
    const { chain, ctx } = await buildChain(sourceJob(emitted, (env) => env.fromSequence(1, 10_000)), 0);
    await chain.open();
    ctx.backPressured = true;
    const running = chain.runSource();
    await flushMicrotasks();
    assert.equal(emitted.length, 256, 'stops at the first check');
    assert.equal(ctx.waiting, 1);
    await flushMicrotasks();
    assert.equal(emitted.length, 256, 'stays paused');
    ctx.release();
    await running;
    assert.equal(emitted.length, 10_000);
    assert.equal(ctx.backPressureChecks >= 10_000 / 256 - 1, true);
    await chain.finish();
  });

  it('stops an unbounded source when the task is canceled', async () => {
    const emitted: unknown[] = [];
    const { chain, ctx } = await buildChain(sourceJob(emitted, (env) => env.fromGenerator(Number.POSITIVE_INFINITY, (i) => i)), 0);
    await chain.open();
    const running = chain.runSource();
    await until(() => emitted.length > 5000);
    ctx.abortController.abort();
    await running;
    const count = emitted.length;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(emitted.length, count);
    assert.deepEqual(emitted.slice(0, 3), [0, 1, 2]);
    await chain.close();
  });

  it('keeps a generator at its rate by sleeping between records', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const emitted: unknown[] = [];
    const { chain, ctx } = await buildChain(sourceJob(emitted, (env) => env.fromGenerator(Number.POSITIVE_INFINITY, (i) => `e${i}`, { recordsPerSecond: 10 })), 0);
    await chain.open();
    const running = chain.runSource();
    await flushMicrotasks();
    assert.deepEqual(emitted, ['e0']);
    for (let i = 0; i < 5; i++) {
      t.mock.timers.tick(100);
      await flushMicrotasks();
    }
    assert.deepEqual(emitted, ['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
    ctx.abortController.abort();
    await running;
    await chain.close();
  });

  it('runs a user source with its runtime context, collect() backpressure and collectBatch', async () => {
    const emitted: unknown[] = [];
    const seen: { subtask?: number; parallelism?: number } = {};
    class Counter implements Source<number> {
      open(context: RuntimeContext): void {
        seen.subtask = context.indexOfThisSubtask;
        seen.parallelism = context.numberOfParallelSubtasks;
      }
      async run(ctx: SourceContext<number>): Promise<void> {
        for (let i = 0; i < 600 && !ctx.isCanceled; i++) {
          if (!ctx.collect(i)) await ctx.waitForOutputs();
        }
        await ctx.collectBatch([1000, 1001]);
      }
    }
    const { chain, ctx } = await buildChain(sourceJob(emitted, (env) => env.setParallelism(2).fromSource(new Counter(), 'Counter')), 0, { subtaskIndex: 1 });
    await chain.open();
    assert.deepEqual(seen, { subtask: 1, parallelism: 2 });
    ctx.backPressured = true;
    const running = chain.runSource();
    await flushMicrotasks();
    assert.equal(emitted.length, 256);
    ctx.release();
    await running;
    assert.equal(emitted.length, 602);
    assert.deepEqual(emitted.slice(-2), [1000, 1001]);
    await chain.finish();
  });
});

describe('fromSource with collectWithTimestamp', () => {
  it('gives each record the timestamp the source read with it, as event time and as the assigner\'s recordTimestamp', async () => {
    const stamped: Source<string> = {
      run: (ctx) => {
        ctx.collectWithTimestamp('a', 1_000);
        ctx.collectWithTimestamp('b', 2_000);
      },
    };
    const run = await runLocally((env) => {
      env.setParallelism(1);
      env
        .fromSource(stamped, WatermarkStrategy.forMonotonousTimestamps<string>().withTimestampAssigner((value, recordTimestamp) => recordTimestamp + (value === 'b' ? 5 : 0)), 'Stamped')
        .process(
          new (class extends ProcessFunction<string, string> {
            processElement(value: string, context: ProcessContext, out: Collector<string>): void {
              out.collect(`${value}@${context.timestamp()}`);
            }
          })(),
        )
        .collect();
    });
    assert.deepEqual(run.collected, ['a@1000', 'b@2005']);
  });
});

describe('socketTextStream', () => {
  let server: Server | undefined;
  after(() => server?.close());

  it('emits the text between delimiters and ends when the server closes the connection', async () => {
    server = createServer((socket) => {
      socket.write('alpha\nbe');
      setImmediate(() => socket.end('ta\r\ngamma\n\ndelta'));
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const emitted: unknown[] = [];
    const { chain, vertex } = await buildChain(sourceJob(emitted, (env) => env.socketTextStream('127.0.0.1', port)), 0);
    assert.equal(vertex.parallelism, 1);
    await chain.open();
    await chain.runSource();
    await chain.finish();
    assert.deepEqual(emitted, ['alpha', 'beta', 'gamma', '', 'delta']);
  });

  it('fails the task with the cause when it cannot connect', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { chain } = await buildChain(sourceJob([], (env) => env.socketTextStream('127.0.0.1', port)), 0);
    await chain.open();
    await assert.rejects(chain.runSource(), (error: Error) => {
      assert.equal(error.message, `socketTextStream could not connect to 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`);
      assert.equal((error.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
      return true;
    });
    await chain.close();
  });
});
