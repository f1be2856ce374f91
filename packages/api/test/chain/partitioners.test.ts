import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyGroupFor, operatorIndexForKeyGroup, type JobMain } from '../../src/index.js';
import { buildChain } from '../fixtures/build-chain.js';

/** A source vertex of parallelism 4 whose records go through the given partitioning to a sink of parallelism 3. */
const partitioned = (how: 'rebalance' | 'rescale' | 'broadcast' | 'shuffle' | 'keyBy'): JobMain => (env) => {
  env.setParallelism(4);
  const s = env.fromSequence(0, 399);
  const next = how === 'keyBy' ? s.keyBy((x) => `k${x % 10}`) : s[how]();
  next.print().setParallelism(3);
};

describe('partitioners', () => {
  it('forwards subtask i to channel 0, the one the runtime wires to subtask i', async () => {
    const { chain, outputs, plan } = await buildChain((env) => {
      env.setParallelism(2);
      env.fromSequence(0, 9).map((x) => x).disableChaining().print();
    }, 0, { subtaskIndex: 1 });
    assert.equal(plan.edges[0]?.partitioner, 'forward');
    await chain.open();
    await chain.runSource();
    await chain.finish();
    assert.equal(outputs[0]?.numberOfChannels, 1);
    assert.deepEqual(outputs[0]?.channels, [[5, 6, 7, 8, 9]]);
  });

  it('rebalances round robin over all channels, each subtask starting at its own offset', async () => {
    const { chain, outputs } = await buildChain(partitioned('rebalance'), 0, { subtaskIndex: 1 });
    await chain.open();
    await chain.runSource();
    await chain.finish();
    const channels = outputs[0]?.channels ?? [];
    assert.deepEqual(channels.map((c) => c.slice(0, 2)), [[102, 105], [100, 103], [101, 104]], 'subtask 1 starts at channel 1');
    assert.deepEqual(channels.map((c) => c.length), [33, 34, 33]);
  });

  it('rescales round robin over the subtask’s own channels, from the first', async () => {
    const { chain, outputs, plan } = await buildChain(partitioned('rescale'), 0, { subtaskIndex: 2, channels: [2] });
    assert.equal(plan.edges[0]?.distributionPattern, 'POINTWISE');
    await chain.open();
    await chain.runSource();
    await chain.finish();
    assert.deepEqual(outputs[0]?.channels.map((c) => c.slice(0, 3)), [[200, 202, 204], [201, 203, 205]]);
  });

  it('broadcasts every record to every channel', async () => {
    const { chain, outputs } = await buildChain(partitioned('broadcast'), 0, { subtaskIndex: 0 });
    await chain.open();
    await chain.runSource();
    await chain.finish();
    assert.equal(outputs[0]?.broadcasts, 100);
    for (const channel of outputs[0]?.channels ?? []) assert.equal(channel.length, 100);
  });

  it('shuffles to random channels, spreading the records over all of them', async () => {
    const { chain, outputs, plan } = await buildChain(partitioned('shuffle'), 0, { subtaskIndex: 0 });
    assert.equal(plan.edges[0]?.partitioner, 'rebalance');
    await chain.open();
    await chain.runSource();
    await chain.finish();
    const sizes = (outputs[0]?.channels ?? []).map((c) => c.length);
    assert.equal(sizes.reduce((a, b) => a + b, 0), 100);
    assert.ok(sizes.every((n) => n > 10), `sizes ${sizes.join(', ')}`);
    const inOrder = (outputs[0]?.channels ?? []).flat();
    assert.notDeepEqual(inOrder, Array.from({ length: 100 }, (_, i) => i), 'not round robin');
  });

  it('hashes each key to the subtask that owns its key group in the target', async () => {
    const { chain, outputs, plan } = await buildChain(partitioned('keyBy'), 0, { subtaskIndex: 3 });
    assert.equal(plan.edges[0]?.partitioner, 'hash');
    await chain.open();
    await chain.runSource();
    await chain.finish();
    const channels = outputs[0]?.channels ?? [];
    assert.equal(channels.flat().length, 100);
    channels.forEach((records, channel) => {
      for (const x of records as number[]) assert.equal(operatorIndexForKeyGroup(128, 3, keyGroupFor(`k${x % 10}`, 128)), channel);
    });
  });

  it('uses the key groups of the target vertex’s effective max parallelism', async () => {
    const { chain, outputs } = await buildChain(partitioned('keyBy'), 0, { subtaskIndex: 0, targetMaxParallelism: [4096] });
    await chain.open();
    await chain.runSource();
    await chain.finish();
    let differs = 0;
    (outputs[0]?.channels ?? []).forEach((records, channel) => {
      for (const x of records as number[]) {
        assert.equal(operatorIndexForKeyGroup(4096, 3, keyGroupFor(`k${x % 10}`, 4096)), channel);
        if (operatorIndexForKeyGroup(128, 3, keyGroupFor(`k${x % 10}`, 128)) !== channel) differs++;
      }
    });
    assert.ok(differs > 0, 'some keys land elsewhere than with 128 key groups');
  });

  it('sends every record to the only channel when the keyed operator has one subtask', async () => {
    const { chain, outputs } = await buildChain((env) => {
      env.setParallelism(2);
      env.fromSequence(0, 99).keyBy((x) => x % 7).sum().setParallelism(1).print();
    }, 0, { subtaskIndex: 0 });
    await chain.open();
    await chain.runSource();
    await chain.finish();
    assert.deepEqual(outputs[0]?.channels, [Array.from({ length: 50 }, (_, i) => i)]);
  });
});
