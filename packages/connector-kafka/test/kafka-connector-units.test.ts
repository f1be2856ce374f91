import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FunctionInitializationContext, ListState, RuntimeContext } from '@eddy/api';
import { AbortedTransactions, DeliveryGuarantee, KafkaRecordSerializationSchema, KafkaSink, KafkaSource, ownerOf, serializer, SimpleStringSchema } from '../src/index.js';

describe('KafkaSource partition assignment', () => {
  it('gives each partition the subtask Flink\'s KafkaSourceEnumerator gives it (values from Java\'s String.hashCode)', () => {
    // Computed with the JDK: ((topic.hashCode() * 31) & 0x7FFFFFFF) % 3, plus the partition, mod 3.
    const expected: [string, number[]][] = [
      ['eo-in', [2, 0, 1]],
      ['orders', [0, 1, 2]],
      ['a-much-longer-topic-name-for-hashing', [2, 0, 1]],
    ];
    for (const [topic, owners] of expected) assert.deepEqual([0, 1, 2].map((partition) => ownerOf(topic, partition, 3)), owners, topic);
  });
});

describe('KafkaSource offsets in checkpoints', () => {
  it('keeps the restored offsets of its partitions in a checkpoint taken before it lists them (a restore from it must not start them over)', () => {
    const restored = [0, 1, 2, 3].map((partition) => ({ topic: 'in', partition, offset: 100 + partition }));
    for (const subtask of [0, 1]) {
      let list: unknown[] = [...restored];
      const state: ListState<unknown> = { get: () => list, add: (value) => void list.push(value), addAll: (values) => void list.push(...values), update: (values) => void (list = [...values]), clear: () => void (list = []) };
      const store = { getListState: () => state, getUnionListState: () => state, getRegisteredStateNames: () => [] };
      const source = KafkaSource.builder<string>().setBootstrapServers('127.0.0.1:9092').setTopics('in').setValueOnlyDeserializer(new SimpleStringSchema()).build();
      source.initializeState({ isRestored: () => true, getRestoredCheckpointId: () => 1, getOperatorStateStore: () => store, getKeyedStateStore: () => undefined } as unknown as FunctionInitializationContext);
      source.open({ indexOfThisSubtask: subtask, numberOfParallelSubtasks: 2 } as RuntimeContext);
      // Checkpoint 2, before run() listed the partitions: each subtask keeps the offsets of the partitions it owns, no other.
      source.snapshotState({ getCheckpointId: () => 2 });
      assert.deepEqual(list, restored.filter(({ partition }) => ownerOf('in', partition, 2) === subtask), `subtask ${subtask}`);
    }
  });
});

describe('read_committed filtering (AbortedTransactions)', () => {
  it('skips the batches of an aborted transaction from its first offset up to its abort marker, and nothing of other producers', () => {
    const aborted = new AbortedTransactions([{ producerId: 7n, firstOffset: 10n }]);
    assert.equal(aborted.isAborted(7n, 5n), false, 'before the aborted transaction began');
    assert.equal(aborted.isAborted(7n, 10n), true);
    assert.equal(aborted.isAborted(8n, 11n), false, 'another producer');
    aborted.onControl(7n, 15n);
    assert.equal(aborted.isAborted(7n, 20n), false, 'after its abort marker');
  });

  it('ends an aborted transaction at its marker when the fetch starts after its first record (no batch of it before the marker)', () => {
    // The broker lists the transaction (its marker is in range) but the fetch holds only the marker of it.
    const aborted = new AbortedTransactions([{ producerId: 7n, firstOffset: 10n }]);
    aborted.onControl(7n, 15n);
    assert.equal(aborted.isAborted(7n, 16n), false, 'the producer\'s next transaction is not aborted');
  });

  it('takes an abort marker of a producer the broker did not list (an aborted transaction without records here) in its stride', () => {
    const aborted = new AbortedTransactions([{ producerId: 7n, firstOffset: 10n }]);
    assert.equal(aborted.isAborted(7n, 10n), true);
    aborted.onControl(9n, 12n);
    assert.equal(aborted.isAborted(7n, 13n), true, 'still inside 7\'s aborted transaction');
    aborted.onControl(7n, 14n);
    assert.equal(aborted.isAborted(9n, 15n), false);
  });
});

describe('the builders', () => {
  it('refuse a source without topics or deserializer, and an exactly-once sink without a transactional id prefix, saying what to call', () => {
    assert.throws(() => KafkaSource.builder<string>().setBootstrapServers('127.0.0.1:9092').setValueOnlyDeserializer(new SimpleStringSchema()).build(), /setTopics/);
    assert.throws(() => KafkaSource.builder<string>().setBootstrapServers('127.0.0.1:9092').setTopics('in').build(), /setValueOnlyDeserializer/);
    const records = KafkaRecordSerializationSchema.builder<string>().setTopic('out').setValueSerializationSchema(new SimpleStringSchema()).build();
    assert.throws(() => KafkaSink.builder<string>().setBootstrapServers('127.0.0.1:9092').setRecordSerializer(records).setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE).build(), /setTransactionalIdPrefix/);
    assert.throws(() => KafkaSink.builder<string>().setRecordSerializer(records).build(), /setBootstrapServers/);
  });

  it('serializes a record to its topic, key and value', () => {
    const schema = KafkaRecordSerializationSchema.builder<[string, number]>()
      .setTopic('out')
      .setKeySerializationSchema(serializer(([key]) => key))
      .setValueSerializationSchema(serializer(([key, n]) => `${key}=${n}`))
      .build();
    const record = schema.serialize(['k', 3]);
    assert.equal(record.topic, 'out');
    assert.equal(record.key?.toString(), 'k');
    assert.equal(record.value?.toString(), 'k=3');
  });
});
