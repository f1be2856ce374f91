/**
 * Chains taking snapshots and starting again from them, in process: a source resumes at the record
 * after its snapshot, keyed state and timers come back, and the file sink commits exactly what
 * completed checkpoints cover.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  KeyedProcessFunction,
  ListStateDescriptor,
  ProcessFunction,
  ValueStateDescriptor,
  type CheckpointedFunction,
  type CheckpointListener,
  type Collector,
  type FunctionInitializationContext,
  type JobMain,
  type KeyedOnTimerContext,
  type KeyedProcessContext,
  type ListState,
  type ProcessContext,
  type ValueState,
} from '../../src/index.js';
import type { ChainSnapshot, RestoredOperatorStateHandle, RestoredTaskState, TaskChain } from '../../src/internal/contract.js';
import { buildChain } from '../fixtures/build-chain.js';

/** Writes a chain snapshot into memory and turns it into what a restore is given, as the runtime does with inline state. */
async function toRestoredState(checkpointId: number, snapshot: ChainSnapshot): Promise<RestoredTaskState> {
  const entries = new Map<string, { keyed: { keyGroupStart: number; keyGroupEnd: number; offsets: number[]; bytes: Uint8Array; where: string }[]; operatorState: { bytes: Uint8Array; states: { name: string; mode: string; offsets: number[] }[]; where: string }[] }>();
  for (const view of snapshot.operators) {
    const entry = { keyed: [] as { keyGroupStart: number; keyGroupEnd: number; offsets: number[]; bytes: Uint8Array; where: string }[], operatorState: [] as { bytes: Uint8Array; states: { name: string; mode: string; offsets: number[] }[]; where: string }[] };
    if (view.keyed !== undefined) {
      const chunks: Uint8Array[] = [];
      const { offsets } = await view.keyed.write((chunk) => void chunks.push(chunk));
      entry.keyed.push({ keyGroupStart: view.keyed.keyGroupStart, keyGroupEnd: view.keyed.keyGroupEnd, offsets, bytes: Buffer.concat(chunks), where: `keyed state of ${view.operatorId}` });
    }
    if (view.operatorState !== undefined) {
      entry.operatorState.push({ bytes: view.operatorState.bytes, states: view.operatorState.states.map((s) => ({ ...s })), where: `operator state of ${view.operatorId}` });
    }
    entries.set(view.operatorId, entry);
  }
  snapshot.release();
  return { checkpointId, operators: entries };
}

async function start(chain: TaskChain, restored?: RestoredTaskState): Promise<TaskChain> {
  await chain.initializeState(restored);
  await chain.open();
  return chain;
}

/** Polls (one event-loop turn at a time) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let turns = 0; !condition(); turns++) {
    if (turns > 100_000) throw new Error('condition never held');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('source snapshots', () => {
  for (const [name, job] of [
    ['fromSequence', ((env) => env.fromSequence(1, 5000).map((n) => n).forward().map((n) => n)) as (env: Parameters<JobMain>[0]) => { addSink(s: { invoke(v: unknown): void }): unknown }],
    ['fromGenerator', (env: Parameters<JobMain>[0]) => env.fromGenerator(5000, (i) => ({ i }))],
    ['fromCollection', (env: Parameters<JobMain>[0]) => env.fromCollection(Array.from({ length: 5000 }, (_, i) => `v${i}`))],
  ] as const) {
    it(`${name} resumes at the record after its snapshot, whatever records it had emitted`, async () => {
      const expected: unknown[] = [];
      const full = await buildChain((env) => void job(env).addSink({ invoke: (v) => expected.push(v) }), 0);
      await start(full.chain);
      await full.chain.runSource();

      const before: unknown[] = [];
      const first = await buildChain((env) => void job(env).addSink({ invoke: (v) => before.push(v) }), 0);
      await start(first.chain);
      first.ctx.backPressured = true;
      const running = first.chain.runSource();
      await until(() => first.ctx.waiting > 0);
      const snapshot = first.chain.snapshotState(1, Date.now());
      const emittedAtSnapshot = before.length;
      assert.ok(emittedAtSnapshot > 0 && emittedAtSnapshot < expected.length, `the source stopped part way (${emittedAtSnapshot})`);
      const restored = await toRestoredState(1, snapshot);
      first.ctx.abortController.abort();
      first.ctx.release();
      await running.catch(() => undefined);
      await first.chain.close();

      const after: unknown[] = [];
      const second = await buildChain((env) => void job(env).addSink({ invoke: (v) => after.push(v) }), 0, { splits: [] });
      await start(second.chain, restored);
      await second.chain.runSource();
      assert.deepEqual([...before.slice(0, emittedAtSnapshot), ...after], expected);
    });
  }

  it('fromGenerator without end, resumed at a lower parallelism, reads every split it was handed in turn from its position', async () => {
    let stopAt = Number.POSITIVE_INFINITY;
    let stop = (): void => {};
    const job = (sink: unknown[]): JobMain => (env) => {
      env.setParallelism(2);
      env.fromGenerator(Number.POSITIVE_INFINITY, (i) => i).addSink({ invoke: (v) => void (sink.push(v) >= stopAt && stop()) });
    };
    const restoredHandles: RestoredOperatorStateHandle[] = [];
    const positions: number[] = [];
    let sourceId = '';
    for (const subtask of [0, 1]) {
      const emitted: unknown[] = [];
      const { chain, ctx } = await buildChain(job(emitted), 0, { subtaskIndex: subtask });
      await start(chain);
      ctx.backPressured = true;
      const running = chain.runSource();
      await until(() => ctx.waiting > 0);
      const restored = await toRestoredState(1, chain.snapshotState(1, Date.now()));
      positions.push((emitted.at(-1) as number) + 2);
      ctx.abortController.abort();
      ctx.release();
      await running.catch(() => undefined);
      await chain.close();
      for (const [id, entry] of restored.operators) {
        if (entry.operatorState.length > 0) sourceId = id;
        restoredHandles.push(...entry.operatorState);
      }
    }
    const after: number[] = [];
    const { chain, ctx } = await buildChain(job(after as unknown[]), 0, { splits: [] });
    // Parallelism 1 now: both held splits come to this subtask (the even split of the list).
    await start(chain, { checkpointId: 1, operators: new Map([[sourceId, { keyed: [], operatorState: restoredHandles }]]) });
    stopAt = 8000;
    stop = () => ctx.abortController.abort();
    await chain.runSource().catch(() => undefined);
    await chain.close();
    for (const parity of [0, 1]) {
      const mine = after.filter((n) => n % 2 === parity);
      assert.ok(mine.length >= 3000, `split ${parity} had its turns: ${mine.length} of ${after.length} records`);
      assert.equal(mine[0], positions[parity], `split ${parity} resumes at its position`);
      assert.ok(mine.every((n, i) => i === 0 || n === (mine[i - 1] as number) + 2), `split ${parity} skips nothing and repeats nothing`);
    }
  });

  it('readTextFile resumes at the line after its snapshot, within a split', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eddy-source-snap-'));
    try {
      const lines = Array.from({ length: 4000 }, (_, i) => `line ${i} ${'z'.repeat(i % 17)}`);
      const path = join(dir, 'in.txt');
      writeFileSync(path, `${lines.join('\n')}\n`);
      const size = readFileSync(path).byteLength;
      const splits = [JSON.stringify({ path, start: 0, length: Math.floor(size / 2) }), JSON.stringify({ path, start: Math.floor(size / 2), length: size - Math.floor(size / 2) })];
      const before: unknown[] = [];
      const first = await buildChain((env) => void env.readTextFile(path).addSink({ invoke: (v) => before.push(v) }), 0, { splits: [...splits] });
      await start(first.chain);
      first.ctx.backPressured = true;
      const running = first.chain.runSource();
      await until(() => first.ctx.waiting > 0);
      const at = before.length;
      const restored = await toRestoredState(1, first.chain.snapshotState(1, Date.now()));
      first.ctx.abortController.abort();
      first.ctx.release();
      await running.catch(() => undefined);
      // The split that was being read comes back with the restored state; the next one from the enumerator.
      const after: unknown[] = [];
      const second = await buildChain((env) => void env.readTextFile(path).addSink({ invoke: (v) => after.push(v) }), 0, { splits: [splits[1] as string] });
      await start(second.chain, restored);
      await second.chain.runSource();
      assert.deepEqual([...before.slice(0, at), ...after], lines);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

class CountWithTimer extends KeyedProcessFunction<string, string, string> {
  private count!: ValueState<number>;
  override open(): void {
    this.count = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('count', 0));
  }
  processElement(value: string, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    const next = (this.count.value() ?? 0) + 1;
    this.count.update(next);
    out.collect(`${value}=${next}`);
    if (next === 2) ctx.timerService().registerProcessingTimeTimer(Date.now() + 50);
  }
  override onTimer(_time: number, ctx: KeyedOnTimerContext<string>, out: Collector<string>): void {
    out.collect(`timer ${ctx.getCurrentKey()} at ${this.count.value()}`);
  }
}

describe('keyed state and timers across a restore', () => {
  it('keeps counting where the snapshot was, and fires the timers it held', async () => {
    const job: JobMain = (env) => {
      env.fromElements<string>().keyBy((w) => w).process(new CountWithTimer()).print();
    };
    const first = await buildChain(job, 1);
    await start(first.chain);
    first.chain.processBatch(0, ['a', 'b', 'a', 'c']);
    const restored = await toRestoredState(3, first.chain.snapshotState(3, Date.now()));
    first.chain.processBatch(0, ['a', 'a']); // after the snapshot: gone after the restore
    await first.chain.close();

    const second = await buildChain(job, 1);
    await start(second.chain, restored);
    second.chain.processBatch(0, ['a', 'c', 'b']);
    await until(() => second.ctx.stdout.join('').includes('timer a'));
    await second.chain.finish();
    await second.chain.close();
    const lines = second.ctx.stdout.join('').trim().split('\n');
    assert.deepEqual(lines.slice(0, 3), ['a=3', 'c=2', 'b=2']);
    assert.ok(lines.includes('timer a at 3'), `the restored timer fired: ${lines.join(' | ')}`);
  });
});

/**
 * A user function with operator state: it holds records back until a checkpoint completes, keeps
 * them in a split list state, and the highest id it saw in a union list state.
 */
class BatchUntilCheckpoint extends ProcessFunction<string, string> implements CheckpointedFunction, CheckpointListener {
  private held: string[] = [];
  private pending!: ListState<string>;
  private seen!: ListState<string>;
  restoredFrom: number | undefined;
  readonly completed: number[] = [];
  initializeState(context: FunctionInitializationContext): void {
    this.restoredFrom = context.isRestored() ? context.getRestoredCheckpointId() : undefined;
    this.pending = context.getOperatorStateStore().getListState(new ListStateDescriptor<string>('pending'));
    this.seen = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<string>('seen'));
    this.held = [...this.pending.get()];
  }
  processElement(value: string, _ctx: ProcessContext, _out: Collector<string>): void {
    this.held.push(value);
    this.seen.add(value);
  }
  snapshotState(): void {
    this.pending.update(this.held);
  }
  notifyCheckpointComplete(checkpointId: number): void {
    this.completed.push(checkpointId);
  }
  heldRecords(): readonly string[] {
    return this.held;
  }
  seenRecords(): readonly string[] {
    return this.seen.get();
  }
}

describe('a CheckpointedFunction across a restore', () => {
  it("gets its split list back as it was at the snapshot, the union of every subtask's union list, and the checkpoints that complete", async () => {
    const functions: BatchUntilCheckpoint[] = [];
    const job: JobMain = (env) => {
      const fn = new BatchUntilCheckpoint();
      functions.push(fn);
      env.fromElements<string>().rebalance().process(fn).print();
    };
    const first = await buildChain(job, 1);
    await start(first.chain);
    first.chain.processBatch(0, ['a', 'b']);
    const snapshot = first.chain.snapshotState(4, Date.now());
    first.chain.processBatch(0, ['c']); // after the snapshot: not in it
    await first.chain.notifyCheckpointComplete(4);
    const restored = await toRestoredState(4, snapshot);
    await first.chain.close();
    const firstFunction = functions.at(-1) as BatchUntilCheckpoint;
    assert.deepEqual(firstFunction.completed, [4]);
    assert.equal(firstFunction.restoredFrom, undefined, 'a fresh start is not restored');

    // Another subtask's snapshot of the same operator: its union list is added, its split list is not.
    const other = await buildChain(job, 1);
    await start(other.chain);
    other.chain.processBatch(0, ['x']);
    const otherState = await toRestoredState(4, other.chain.snapshotState(4, Date.now()));
    await other.chain.close();
    const withUnion: RestoredTaskState = {
      checkpointId: 4,
      operators: new Map(
        [...restored.operators].map(([id, entry]) => [id, { ...entry, operatorState: [...entry.operatorState, ...(otherState.operators.get(id)?.operatorState ?? []).map((handle) => ({ ...handle, unionOnly: true }))] }]),
      ),
    };

    const second = await buildChain(job, 1);
    await start(second.chain, withUnion);
    const restoredFunction = functions.at(-1) as BatchUntilCheckpoint;
    assert.equal(restoredFunction.restoredFrom, 4);
    assert.deepEqual(restoredFunction.heldRecords(), ['a', 'b'], 'the split list as it was at the snapshot, without the other subtask\'s');
    assert.deepEqual([...restoredFunction.seenRecords()].sort(), ['a', 'b', 'x'], 'the union list of both subtasks');
    await second.chain.close();
  });
});

describe('exactly-once file sink', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'eddy-file-sink-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const visible = (path: string): string => {
    return readdirSync(path)
      .filter((name) => !name.startsWith('.'))
      .sort()
      .map((name) => readFileSync(join(path, name), 'utf8'))
      .join('');
  };

  it('makes records visible only when the checkpoint covering them completes, and commits a restored checkpoint’s pending part', async () => {
    const path = join(dir, 'out');
    const job: JobMain = (env) => {
      env.fromElements<string>().rebalance().writeAsText(path);
    };
    const first = await buildChain(job, 1, { checkpointingEnabled: true });
    await start(first.chain);
    first.chain.processBatch(0, ['r1', 'r2']);
    const snapshot1 = first.chain.snapshotState(1, Date.now());
    first.chain.processBatch(0, ['r3']);
    assert.equal(visible(path), '', 'nothing visible before checkpoint 1 completes');
    await first.chain.notifyCheckpointComplete(1);
    assert.equal(visible(path), 'r1\nr2\n');
    const snapshot2 = first.chain.snapshotState(2, Date.now());
    const restored = await toRestoredState(2, snapshot2);
    snapshot1.release();
    first.chain.processBatch(0, ['r4-lost']);
    const snapshot3 = first.chain.snapshotState(3, Date.now()); // never completes: the task dies
    snapshot3.release();
    first.chain.processBatch(0, ['r5-lost']);
    // The task dies here: no close, no commit of checkpoint 2 either.

    const second = await buildChain(job, 1, { checkpointingEnabled: true });
    await start(second.chain, restored);
    assert.equal(visible(path), 'r1\nr2\nr3\n', 'checkpoint 2’s part is committed on restore; what came after it is not');
    assert.deepEqual(
      readdirSync(path).filter((name) => name.startsWith('.')),
      [],
      'the hidden files written after checkpoint 2 are gone',
    );
    second.chain.processBatch(0, ['r4']);
    second.chain.endInput(0);
    await second.chain.finish();
    const final = second.chain.snapshotState(4, Date.now());
    final.release();
    await second.chain.notifyCheckpointComplete(4);
    await second.chain.close();
    assert.equal(visible(path), 'r1\nr2\nr3\nr4\n');
  });

  it('commits every part a checkpoint of parallelism 3 prepared exactly once when it resumes at parallelism 2, whichever subtask starts first', async () => {
    const path = join(dir, 'rescaled');
    const jobAt = (parallelism: number): JobMain => (env) => {
      env.setParallelism(parallelism);
      env.fromElements<string>().rebalance().writeAsText(path);
    };
    // Parallelism 3: checkpoint 1 completes but its notification never arrives (the job is
    // canceled), so its parts are still pending; what follows it is never committed.
    const snapshots: ChainSnapshot[] = [];
    for (const subtask of [0, 1, 2]) {
      const { chain } = await buildChain(jobAt(3), 1, { checkpointingEnabled: true, subtaskIndex: subtask });
      await start(chain);
      chain.processBatch(0, [`s${subtask}-a`, `s${subtask}-b`]);
      snapshots.push(chain.snapshotState(1, Date.now()));
      chain.processBatch(0, [`s${subtask}-lost`]);
      chain.snapshotState(2, Date.now()).release(); // never completes
      chain.processBatch(0, [`s${subtask}-lost-too`]);
    }
    const old = await Promise.all(snapshots.map((snapshot) => toRestoredState(1, snapshot)));
    assert.equal(visible(path), '', 'nothing committed yet');

    // The JobMaster's assignment at parallelism 2 (state-assignment.ts): a UNION list goes whole to
    // every subtask (old subtask j's as the own list of j % 2), a SPLIT_DISTRIBUTE list's
    // elements are split contiguously (here: old 0 and 1 to new 0, old 2 to new 1).
    const restoredAt = (subtask: number): RestoredTaskState => {
      const operators = new Map<string, { keyed: []; operatorState: RestoredOperatorStateHandle[] }>();
      old.forEach((state, j) => {
        for (const [id, entry] of state.operators) {
          const target = operators.get(id) ?? { keyed: [], operatorState: [] };
          for (const handle of entry.operatorState) {
            const union = handle.states.every((e) => e.mode === 'UNION');
            if (union) target.operatorState.push(j % 2 === subtask ? handle : { ...handle, unionOnly: true });
            else if ((j < 2 ? 0 : 1) === subtask) target.operatorState.push(handle);
          }
          operators.set(id, target);
        }
      });
      return { checkpointId: 1, operators };
    };
    const second = await buildChain(jobAt(2), 1, { checkpointingEnabled: true, subtaskIndex: 1 });
    await start(second.chain, restoredAt(1));
    const first = await buildChain(jobAt(2), 1, { checkpointingEnabled: true, subtaskIndex: 0 });
    await start(first.chain, restoredAt(0));
    const committed = (): string[] => visible(path).split('\n').filter((line) => line !== '').sort();
    assert.deepEqual(committed(), ['s0-a', 's0-b', 's1-a', 's1-b', 's2-a', 's2-b'], 'every prepared part once, nothing written after the checkpoint');
    assert.deepEqual(
      readdirSync(path).filter((name) => name.startsWith('.')),
      [],
      'the hidden files the old subtasks wrote after the checkpoint are gone',
    );
    for (const [subtask, built] of [first, second].entries()) {
      built.chain.processBatch(0, [`n${subtask}`]);
      built.chain.endInput(0);
      await built.chain.finish();
      built.chain.snapshotState(3, Date.now()).release();
      await built.chain.notifyCheckpointComplete(3);
      await built.chain.close();
    }
    assert.deepEqual(committed(), ['n0', 'n1', 's0-a', 's0-b', 's1-a', 's1-b', 's2-a', 's2-b'], 'new parts overwrite none of the restored ones');
  });
});
