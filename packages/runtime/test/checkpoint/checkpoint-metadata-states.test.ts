import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { eddy_checkpoint_v1 as cp } from '@eddy/proto';
import { KeyedProcessFunction, Types, ValueStateDescriptor, type Collector, type KeyedProcessContext } from '@eddy/api';
import { buildPlan, checkJobAgainstState } from '@eddy/api/internal';
import { decodeMetadata, encodeMetadata, type CompletedCheckpoint } from '../../src/checkpoint/checkpoint-metadata.js';

const state: cp.TaskStateSnapshot = {
  operators: [
    {
      operatorId: 'counter',
      keyedState: [{ keyGroupStart: 0, keyGroupEnd: 127, keyGroupOffsets: new Array(128).fill(10), handle: { path: '/chk/a', inlineBytes: new Uint8Array(0), size: 10 } }],
      operatorState: [{ handle: { path: '/chk/b', inlineBytes: new Uint8Array(0), size: 3 }, states: [{ name: 'buffer', mode: 'SPLIT_DISTRIBUTE', offsets: [0], type: '{"list":"NUMBER"}', ends: [] }] }],
      unionOperatorState: [],
      states: [
        { name: 'count', kind: 'value', type: '{"object":{"count":"NUMBER"}}' },
        { name: 'buffer', kind: 'operator-list', type: '{"list":"NUMBER"}' },
        { name: 'scratch', kind: 'map', type: '' },
      ],
    },
  ],
  heldSplitIds: [],
  finishedSplitIds: [],
  endOfInput: false,
};
const checkpoint: Omit<CompletedCheckpoint, 'metadataPath'> = {
  jobId: 'j',
  jobName: 'typed',
  checkpointId: 3,
  triggeredAt: 1,
  completedAt: 2,
  vertices: [{ vertexId: 'counter', name: 'Counter', parallelism: 1, maxParallelism: 128, operatorIds: ['counter'], finishedSplitIds: [], subtasks: [{ subtask: 0, state }] }],
};

class Counting extends KeyedProcessFunction<string, string, number> {
  readonly count = new ValueStateDescriptor('count', Types.OBJECT({ count: Types.STRING }));
  processElement(_value: string, _ctx: KeyedProcessContext<string>, _out: Collector<number>): void {}
}

describe('state types in checkpoint metadata', () => {
  it('reads back each operator state list type and the per-operator list of states', () => {
    const read = decodeMetadata(encodeMetadata(checkpoint), 'test', '/chk/_metadata');
    const operator = read.vertices[0]!.subtasks[0]!.state.operators[0]!;
    assert.deepEqual(operator.states, state.operators[0]!.states);
    assert.equal(operator.operatorState[0]!.states[0]!.type, '{"list":"NUMBER"}');
  });

  it('reads a file written before state types as one whose states are unknown', () => {
    const file = JSON.parse(encodeMetadata(checkpoint).toString()) as { checkpoint: { vertices: { subtasks: { state: { operators: Record<string, unknown>[] } }[] }[] } };
    for (const operator of file.checkpoint.vertices[0]!.subtasks[0]!.state.operators) delete operator['states'];
    const body = JSON.stringify(file.checkpoint);
    const old = Buffer.from(`{"format":"eddy-checkpoint","version":1,"sha256":"${createHash('sha256').update(body).digest('hex')}","checkpoint":${body}}\n`);
    assert.deepEqual(decodeMetadata(old, 'test', '/chk/_metadata').vertices[0]!.subtasks[0]!.state.operators[0]!.states, []);
  });

  it('is what checkJobAgainstState reads: a changed type is found from the metadata alone', async () => {
    const plan = await buildPlan((env) => {
      env.fromElements('a').keyBy((word) => word).process(new Counting()).uid('counter').print();
    }, []);
    const result = checkJobAgainstState(plan, decodeMetadata(encodeMetadata(checkpoint), 'test', '/chk/_metadata'));
    assert.deepEqual(result.incompatibilities.map((i) => i.message), ["state 'count' of operator 'counter': field 'count' was NUMBER, is STRING"]);
    assert.deepEqual(result.checkedAtRestore, ["state 'buffer' of operator 'counter'", "state 'scratch' of operator 'counter'"]);
  });
});
