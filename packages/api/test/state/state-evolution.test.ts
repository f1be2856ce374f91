import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedProcessFunction, ListStateDescriptor, MapStateDescriptor, TumblingEventTimeWindows, Types, ValueStateDescriptor, type Collector, type KeyedProcessContext } from '../../src/index.js';
import { buildPlan, checkJobAgainstState, checkPlan, JobGraphMismatchError, StateMigrationError, type CheckpointStateSummary } from '../../src/internal.js';
import { HeapKeyedStateBackend } from '../../src/internal/state/keyed-state-backend.js';
import { KeyedStateSnapshot, restoreKeyedState, type RestoredKeyedState } from '../../src/internal/state/keyed-state-snapshot.js';
import { DefaultOperatorStateStore } from '../../src/internal/state/operator-state-store.js';
import { WindowStateStore } from '../../src/internal/operators/window-state.js';

const Counter = Types.OBJECT({ count: Types.NUMBER });
const CounterWithNote = Types.OBJECT({ count: Types.NUMBER, note: Types.OPTIONAL(Types.STRING) });
const CounterAsText = Types.OBJECT({ count: Types.STRING });

async function snapshotOf(backend: HeapKeyedStateBackend): Promise<RestoredKeyedState> {
  const chunks: Uint8Array[] = [];
  const snapshot = new KeyedStateSnapshot(backend, []);
  const result = await snapshot.write((chunk) => void chunks.push(chunk), async () => undefined);
  snapshot.release();
  return { keyGroupStart: result.keyGroupStart, keyGroupEnd: result.keyGroupEnd, offsets: result.offsets, bytes: Buffer.concat(chunks), where: 'test snapshot' };
}

async function countersSnapshot(): Promise<RestoredKeyedState> {
  const backend = new HeapKeyedStateBackend(128, { startKeyGroup: 0, endKeyGroup: 127 }, 'counter');
  const state = backend.getValueState(new ValueStateDescriptor('count', Counter));
  for (const key of ['a', 'b']) {
    backend.setCurrentKey(key);
    state.update({ count: key === 'a' ? 1 : 2 });
  }
  return snapshotOf(backend);
}

function restored(snapshot: RestoredKeyedState): HeapKeyedStateBackend {
  const backend = new HeapKeyedStateBackend(128, { startKeyGroup: 0, endKeyGroup: 127 }, 'counter');
  restoreKeyedState(backend, [snapshot], () => undefined);
  return backend;
}

describe('keyed state restored with new types', () => {
  it('records each state type in the snapshot header', async () => {
    const { bytes } = await countersSnapshot();
    const header = JSON.parse(Buffer.from(bytes).toString('utf8', 8, 8 + Buffer.from(bytes).readUInt32LE(4))) as { typeFormat: number; states: unknown[] };
    assert.equal(header.typeFormat, 1);
    assert.deepEqual(header.states, [{ name: 'count', kind: 'value', type: { object: { count: 'NUMBER' } } }]);
  });

  it('restores the values as they are when the object gained an optional field, and records the new type from then on', async () => {
    const backend = restored(await countersSnapshot());
    const state = backend.getValueState(new ValueStateDescriptor('count', CounterWithNote));
    backend.setCurrentKey('b');
    assert.deepEqual(state.value(), { count: 2 });
    assert.deepEqual(backend.stateMetaInfos(), [{ name: 'count', kind: 'value', type: CounterWithNote.toJSON() }]);
  });

  it('fails the registration with the state, the operator and the change when a field changed its type, and keeps the restored values', async () => {
    const backend = restored(await countersSnapshot());
    assert.throws(
      () => backend.getValueState(new ValueStateDescriptor('count', CounterAsText)),
      (error: unknown) =>
        error instanceof StateMigrationError && /^The restored state 'count' of operator 'counter': field 'count' was NUMBER, is STRING\. The state cannot be read by this code/.test(error.message),
    );
    assert.throws(() => backend.getMapState(new MapStateDescriptor('count', Types.STRING, Types.NUMBER)), /state 'count' of operator 'counter': kind changed from value to map/);
    assert.deepEqual(backend.stateMetaInfos(), [{ name: 'count', kind: 'value', type: Counter.toJSON() }], 'a later snapshot still records the old type with the old values');
  });

  it('takes an untyped descriptor for typed state, as before', async () => {
    const backend = restored(await countersSnapshot());
    const state = backend.getValueState(new ValueStateDescriptor<{ count: number }>('count'));
    backend.setCurrentKey('a');
    assert.deepEqual(state.value(), { count: 1 });
  });
});

describe('per-window state restored with new types', () => {
  it("records a typed window state as a MAP from window to its type, and checks it like any keyed state", async () => {
    const backend = new HeapKeyedStateBackend(128, { startKeyGroup: 0, endKeyGroup: 127 }, 'window');
    const store = new WindowStateStore(backend, { windowId: 't0,10' }, '_window_state_');
    backend.setCurrentKey('a');
    store.getState(new ValueStateDescriptor('seen', Types.NUMBER)).update(3);
    assert.deepEqual(backend.stateMetaInfos(), [{ name: '_window_state_seen', kind: 'map', type: { map: ['STRING', 'NUMBER'] } }]);
    const next = restored(await snapshotOf(backend));
    const nextStore = new WindowStateStore(next, { windowId: 't0,10' }, '_window_state_');
    assert.throws(() => nextStore.getListState(new ListStateDescriptor('seen', Types.NUMBER)), /state '_window_state_seen' of operator 'counter': the map value was NUMBER, is LIST<NUMBER>/);
  });
});

describe('operator state restored with new types', () => {
  it('records the list type and refuses an element type that changed', () => {
    const store = new DefaultOperatorStateStore();
    store.getListState(new ListStateDescriptor('buffer', Types.NUMBER)).add(1);
    const snapshot = store.snapshot();
    assert.ok(snapshot);
    assert.deepEqual(snapshot.states[0]?.type, { list: 'NUMBER' });
    const next = new DefaultOperatorStateStore();
    next.operatorUid = 'buffering';
    next.restore([{ bytes: snapshot.bytes, states: snapshot.states, where: 'test' }]);
    assert.throws(() => next.getListState(new ListStateDescriptor('buffer', Types.STRING)), /The restored state 'buffer' of operator 'buffering': the list element was NUMBER, is STRING/);
    assert.deepEqual(next.getListState(new ListStateDescriptor('buffer', Types.ANY)).get(), [1]);
  });
});

class Counting extends KeyedProcessFunction<string, string, number> {
  constructor(readonly countDescriptor: ValueStateDescriptor<unknown>) {
    super();
  }
  processElement(_value: string, _ctx: KeyedProcessContext<string>, _out: Collector<number>): void {}
}

const countingJob =
  (descriptor: ValueStateDescriptor<unknown>, options: { maxParallelism?: number; uid?: string } = {}) =>
  (env: import('../../src/index.js').StreamExecutionEnvironment): void => {
    const counted = env
      .fromElements('a', 'b')
      .keyBy((word) => word)
      .process(new Counting(descriptor))
      .uid(options.uid ?? 'counter');
    if (options.maxParallelism !== undefined) counted.setMaxParallelism(options.maxParallelism);
    counted.print();
  };

describe('declared states in the plan', () => {
  it("lists a function's descriptor fields with their types, and built-in operators' internal states", async () => {
    const plan = await buildPlan((env) => {
      const words = env.fromElements('a', 'b').keyBy((word) => word);
      words.process(new Counting(new ValueStateDescriptor('count', Counter))).uid('counter').print();
      words.reduce((a, b) => a + b).uid('reduce').print();
      words
        .window(TumblingEventTimeWindows.of(1000))
        .reduce((a, b) => a + b)
        .uid('window')
        .print();
    }, []);
    const states = new Map(plan.vertices.flatMap((v) => v.operators).map((o) => [o.id, o.states]));
    assert.deepEqual(states.get('counter'), [
      { name: 'user-timers', kind: 'timers' },
      { name: 'count', kind: 'value', type: { object: { count: 'NUMBER' } } },
    ]);
    assert.deepEqual(states.get('reduce'), [{ name: '_op_state', kind: 'value' }]);
    assert.deepEqual(states.get('window'), [
      { name: '_window_contents', kind: 'map' },
      { name: 'window-timers', kind: 'timers' },
    ]);
  });
});

describe('declared states when a task rebuilds the plan', () => {
  it('names an operator whose declared states differ from the submitted plan', async () => {
    const submitted = await buildPlan(countingJob(new ValueStateDescriptor('count', Counter)), []);
    await assert.rejects(checkPlan(countingJob(new ValueStateDescriptor('count', CounterAsText)), [], submitted), (error: unknown) => {
      assert.ok(error instanceof JobGraphMismatchError);
      assert.match(error.message, /operator 'counter' declares the states .*"count":"STRING".*, was .*"count":"NUMBER"/);
      return true;
    });
  });
});

describe('checkJobAgainstState', () => {
  const checkpoint = (states: { name: string; kind: string; type: string }[], uid = 'counter', maxParallelism = 128): CheckpointStateSummary => ({
    vertices: [
      {
        vertexId: uid,
        maxParallelism,
        subtasks: [{ state: { operators: [{ operatorId: uid, keyedState: [{}], operatorState: [], states }] } }],
      },
    ],
  });
  const counted = checkpoint([{ name: 'count', kind: 'value', type: JSON.stringify(Counter) }]);

  it('accepts compatible code and lists the migrations', async () => {
    const plan = await buildPlan(countingJob(new ValueStateDescriptor('count', CounterWithNote)), []);
    const result = checkJobAgainstState(plan, counted);
    assert.deepEqual(result.incompatibilities, []);
    assert.deepEqual(result.migrations, ["state 'count' of operator 'counter': field 'note' is new and optional: restored values lack it"]);
  });

  it('lists a changed type, a changed max parallelism and a missing uid, each naming the operator', async () => {
    const changed = checkJobAgainstState(await buildPlan(countingJob(new ValueStateDescriptor('count', CounterAsText), { maxParallelism: 256 }), []), counted);
    assert.deepEqual(
      changed.incompatibilities.map((i) => i.message),
      [
        "operator 'counter' has max parallelism 256 in the new job and 128 in the state: the max parallelism of a stateful operator cannot change (set setMaxParallelism(128) on it)",
        "state 'count' of operator 'counter': field 'count' was NUMBER, is STRING",
      ],
    );
    const renamed = await buildPlan(countingJob(new ValueStateDescriptor('count', Counter), { uid: 'renamed' }), []);
    assert.match(checkJobAgainstState(renamed, counted).incompatibilities[0]?.message ?? '', /the state has operator 'counter', which the new job lacks: .*--allowNonRestoredState/);
    const allowed = checkJobAgainstState(renamed, counted, { allowNonRestoredState: true });
    assert.deepEqual([allowed.incompatibilities, allowed.droppedOperators], [[], ['counter']]);
  });

  it('accepts a job that sets no max parallelism against state cut into other key groups: the restore takes the state\'s (as Flink)', async () => {
    const plan = await buildPlan(countingJob(new ValueStateDescriptor('count', Counter)), []);
    assert.deepEqual(checkJobAgainstState(plan, checkpoint([{ name: 'count', kind: 'value', type: JSON.stringify(Counter) }], 'counter', 64)).incompatibilities, []);
  });

  it('leaves states the plan cannot see to the restore', async () => {
    const plan = await buildPlan(countingJob(new ValueStateDescriptor('other', Counter)), []);
    const result = checkJobAgainstState(plan, counted);
    assert.deepEqual([result.incompatibilities, result.checkedAtRestore], [[], ["state 'count' of operator 'counter'"]]);
  });
});
