import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { DISCOVERY_ATTEMPTS, KafkaSourceEnumerator, type KafkaEnumeratorContext } from '../src/kafka-source-enumerator.js';
import { KafkaSplitAssignment, ownerOf, splitId, type KafkaPartitionSplit } from '../src/kafka-split-assignment.js';
import { KafkaSource, SimpleStringSchema } from '../src/index.js';

const split = (topic: string, partition: number, start = 0): KafkaPartitionSplit => ({ topic, partition, start });

/** Every split each subtask is handed, asking until none is left. */
function drain(assignment: KafkaSplitAssignment): string[][] {
  return Array.from({ length: assignment.parallelism }, (_, subtask) => {
    const ids: string[] = [];
    for (let next = assignment.nextSplit(subtask); next !== undefined; next = assignment.nextSplit(subtask)) ids.push(splitId(next.topic, next.partition));
    return ids;
  });
}

describe('KafkaSplitAssignment (the KafkaSourceEnumerator\'s assignment)', () => {
  it('hands each discovered partition to the one subtask of Flink\'s owner rule, once, however often it is discovered again', () => {
    const assignment = new KafkaSplitAssignment(2);
    const first = [0, 1, 2, 3].map((partition) => split('in', partition));
    assert.equal(assignment.addDiscovered(first).length, 4);
    // A discovery that finds the same partitions and two new ones (a topic grew, a new topic matched).
    const added = assignment.addDiscovered([...first, split('in', 4), split('in-2', 0)]);
    assert.deepEqual(added.map((s) => splitId(s.topic, s.partition)), ['in-4', 'in-2-0']);
    const handed = drain(assignment);
    assert.deepEqual(handed.flat().sort(), ['in-0', 'in-1', 'in-2', 'in-2-0', 'in-3', 'in-4']);
    for (const [subtask, ids] of handed.entries()) {
      for (const id of ids) {
        const known = [...first, split('in', 4), split('in-2', 0)].find((s) => splitId(s.topic, s.partition) === id) as KafkaPartitionSplit;
        assert.equal(ownerOf(known.topic, known.partition, 2), subtask, `${id} goes to its owner`);
      }
    }
    assert.deepEqual(drain(assignment), [[], []], 'nothing is handed out twice');
  });

  it('restored at another parallelism, queues every known partition again for one subtask at the new parallelism, with its starting offset', () => {
    const before = new KafkaSplitAssignment(2);
    before.addDiscovered([0, 1, 2, 3, 4].map((partition) => split('in', partition, 10 * partition)));
    drain(before);
    const state = before.snapshot();
    assert.equal(state.initialDiscoveryFinished, true);
    const after = new KafkaSplitAssignment(3, state);
    const handed = drain(after);
    assert.deepEqual(handed.flat().sort(), ['in-0', 'in-1', 'in-2', 'in-3', 'in-4']);
    for (const [subtask, ids] of handed.entries()) for (const id of ids) assert.equal(ownerOf('in', Number(id.slice(3)), 3), subtask);
    // Known partitions are not new again; their split keeps the offset it was found with.
    assert.deepEqual(after.addDiscovered([split('in', 4, 999)]), []);
    assert.deepEqual(after.snapshot().splits.find((s) => s.partition === 4), split('in', 4, 40));
    assert.equal(new KafkaSplitAssignment(3).initialDiscoveryFinished, false);
  });
});

describe('KafkaSourceEnumerator', () => {
  it('describes the source for the plan: servers, topics or pattern, properties, starting offsets, bounded', () => {
    const source = KafkaSource.builder<string>().setBootstrapServers('127.0.0.1:9').setTopicPattern(/in-.*/).setGroupId('g').setProperty('partition.discovery.interval.ms', '500').setValueOnlyDeserializer(new SimpleStringSchema()).build();
    const descriptor = source.splitEnumerator();
    assert.equal(descriptor.kind, 'kafka');
    assert.deepEqual(JSON.parse(JSON.stringify(descriptor.settings)), {
      properties: { 'bootstrap.servers': '127.0.0.1:9', 'partition.discovery.interval.ms': '500' },
      topicPattern: { source: '^(?:in-.*)$', flags: '' },
      groupId: 'g',
      startingOffsets: { kind: 'earliest' },
      bounded: false,
    });
  });

  it('fails the job naming the bootstrap servers and the cause after its attempts, each retry logged with its wait, and leaves no timer behind', async () => {
    // A port that refuses connections: listen, note the port, close.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address() as { port: number };
        server.close(() => resolve(address.port));
      });
    });
    const servers = `127.0.0.1:${port}`;
    const warnings: object[] = [];
    const timers = new Set<NodeJS.Timeout>();
    let failed: (cause: Error) => void = () => undefined;
    const failure = new Promise<Error>((resolve) => (failed = resolve));
    const context: KafkaEnumeratorContext = {
      runInMainThread: (fn) => setImmediate(fn),
      schedule: (fn, delayMs) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          fn();
        }, delayMs);
        timers.add(timer);
        return { cancel: () => (clearTimeout(timer), timers.delete(timer)) };
      },
      info: () => undefined,
      warn: (fields) => void warnings.push(fields),
      splitsAvailable: () => assert.fail('no split without a broker'),
      failJob: (cause) => failed(cause),
    };
    const enumerator = new KafkaSourceEnumerator(
      { properties: { 'bootstrap.servers': servers, 'request.timeout.ms': '2000', retries: '0' }, topics: ['in'], groupId: 'g', startingOffsets: { kind: 'earliest' }, bounded: false },
      2,
      context,
    );
    enumerator.start();
    assert.deepEqual(enumerator.nextSplit(0), { split: undefined, moreMayCome: true });
    const cause = await failure;
    assert.match(cause.message, new RegExp(`KafkaSourceEnumerator could not read the partitions of topic\\(s\\) in from the Kafka brokers at ${servers}: `));
    assert.match(cause.message, /ECONNREFUSED|connect/i);
    assert.equal(warnings.length, DISCOVERY_ATTEMPTS - 1);
    for (const [index, fields] of warnings.entries()) {
      const { attempt, delayMs, bootstrapServers } = fields as { attempt: number; delayMs: number; bootstrapServers: string };
      assert.equal(attempt, index + 1);
      assert.equal(bootstrapServers, servers);
      assert.ok(delayMs > 0 && delayMs <= 5_000, `a jittered delay, got ${delayMs}`);
    }
    await enumerator.close();
    assert.equal(timers.size, 0, 'no timer left');
  });
});
