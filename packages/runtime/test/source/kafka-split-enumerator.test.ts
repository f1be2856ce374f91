import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '@eddy/common';
import { ownerOf, type KafkaEnumeratorSettings } from '@eddy/connector-kafka/enumerator';
import type { ScheduledTask } from '@eddy/rpc';
import { decodeMetadata, encodeMetadata, type SplitEnumeratorState } from '../../src/checkpoint/checkpoint-metadata.js';
import { KafkaSplitEnumerator } from '../../src/source/kafka-split-enumerator.js';

/** A KafkaSplitEnumerator whose broker never answers: what it hands out comes from the restored state. */
function enumerator(bounded: boolean, parallelism: number): { enumerator: KafkaSplitEnumerator; failures: Error[] } {
  const failures: Error[] = [];
  const settings: KafkaEnumeratorSettings = {
    // A port nothing listens on (discovery of an unbounded source fails there; these tests end before).
    properties: { 'bootstrap.servers': '127.0.0.1:1', 'request.timeout.ms': '1000', retries: '0' },
    topics: ['in'],
    groupId: 'g',
    startingOffsets: { kind: 'earliest' },
    bounded,
  };
  const created = new KafkaSplitEnumerator('source', settings, parallelism, {
    logger: silentLogger(),
    maxWaitMs: 5_000,
    runInMainThread: (fn) => setImmediate(fn),
    scheduleInMainThread: (fn, delayMs): ScheduledTask => {
      const timer = setTimeout(fn, delayMs);
      return { cancel: () => clearTimeout(timer) };
    },
    failJob: (cause) => void failures.push(cause),
  });
  return { enumerator: created, failures };
}

const restored = (partitions: number, initialDiscoveryFinished = true): SplitEnumeratorState => ({
  kind: 'kafka',
  splits: Array.from({ length: partitions }, (_, partition) => JSON.stringify({ topic: 'in', partition, start: 100 * partition })),
  cutForParallelism: 2,
  initialDiscoveryFinished,
});

describe('KafkaSplitEnumerator (the JobMaster side of a KafkaSource)', () => {
  it("restored at parallelism 3, hands each partition of the checkpoint's state to its one owner, then says no more come (bounded)", async () => {
    const { enumerator: bounded } = enumerator(true, 3);
    bounded.start(restored(5));
    const handed: string[][] = [[], [], []];
    for (let subtask = 0; subtask < 3; subtask++) {
      for (;;) {
        const response = await bounded.request(subtask, 1_000);
        if (!response.hasSplit) {
          assert.equal(response.moreMayCome, false, 'a bounded source with its partitions known answers at once that none come');
          break;
        }
        handed[subtask]?.push(response.splitId);
        const split = JSON.parse(response.split) as { partition: number; start: number };
        assert.equal(ownerOf('in', split.partition, 3), subtask);
        assert.equal(split.start, 100 * split.partition, 'the split keeps its starting offset');
      }
    }
    assert.deepEqual(handed.flat().sort(), ['in-0', 'in-1', 'in-2', 'in-3', 'in-4']);
    await bounded.close();
  });

  it('holds a request while no partition is there for the subtask and answers it "none yet" after its wait, at a stop or a restart at once', async () => {
    const { enumerator: unbounded } = enumerator(false, 2);
    unbounded.start(restored(0));
    const started = Date.now();
    const waited = await unbounded.request(0, 200);
    assert.ok(Date.now() - started >= 150, 'held for its wait');
    assert.deepEqual(waited, { hasSplit: false, split: '', splitId: '', moreMayCome: true });
    const held = unbounded.request(1, 60_000);
    unbounded.stop();
    assert.deepEqual(await held, { hasSplit: false, split: '', splitId: '', moreMayCome: true }, 'answered when the job fails over');
    const heldAgain = unbounded.request(1, 60_000);
    unbounded.start(restored(4));
    assert.deepEqual(await heldAgain, { hasSplit: false, split: '', splitId: '', moreMayCome: true }, "a request of the attempts before is answered when it restarts");
    const first = await unbounded.request(ownerOf('in', 0, 2), 60_000);
    assert.equal(first.hasSplit, true);
    await unbounded.close();
  });

  it('goes into the checkpoint metadata as kind kafka with its partitions and comes back from it; a static enumerator\'s state is not taken for its own', async () => {
    const { enumerator: kafka } = enumerator(true, 2);
    kafka.start(restored(3));
    const state = kafka.checkpointState;
    assert.equal(state.kind, 'kafka');
    assert.equal(state.initialDiscoveryFinished, true);
    assert.deepEqual(state.splits.map((split) => JSON.parse(split) as unknown), [0, 1, 2].map((partition) => ({ topic: 'in', partition, start: 100 * partition })));
    const vertex = { vertexId: 'source', name: 'Source', parallelism: 2, maxParallelism: 128, operatorIds: ['source'], finishedSplitIds: [], subtasks: [], enumerator: state };
    const decoded = decodeMetadata(encodeMetadata({ jobId: 'j', jobName: 'job', checkpointId: 1, triggeredAt: 1, completedAt: 2, vertices: [vertex] }), 'test', '');
    assert.deepEqual(decoded.vertices[0]?.enumerator, state);
    // A state the plan-time enumerator wrote (the vertex did not read Kafka then): nothing known, so nothing handed out.
    kafka.start({ splits: ['{"path":"/in"}'], cutForParallelism: 2 });
    assert.equal((await kafka.request(0, 0)).hasSplit, false);
    assert.equal((await kafka.request(1, 0)).hasSplit, false);
    await kafka.close();
  });
});
