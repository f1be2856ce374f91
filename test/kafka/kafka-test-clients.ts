/**
 * What the Kafka tests do to a broker besides running jobs: create topics, produce numbered
 * records, and read a topic whole as a read_committed (or read_uncommitted) consumer would,
 * aborted transactions filtered out. Every call has a deadline.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { addPartitionsToTxnV3, Admin, Connection, Consumer, endTxnV4, initProducerIdV4, Producer, stringSerializers } from '@platformatic/kafka';
import { AbortedTransactions, fetchRaw } from '@eddy/connector-kafka';
import { waitFor } from '../cluster/cluster-harness.js';
import { KafkaBroker } from './kafka-broker.js';

const TIMEOUTS = { timeout: 10_000, connectTimeout: 5_000, retries: 3, retryDelay: 200 };

export async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const admin = new Admin({ clientId: 'eddy-test-admin', bootstrapBrokers: [bootstrap], ...TIMEOUTS });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
}

/** The topics of a count job: `<name>-in` (4 partitions, holding the numbers 0..records-1) and `<name>-out` (2). */
export async function countTopics(bootstrap: string, name: string, records: number): Promise<void> {
  await createTopic(bootstrap, `${name}-in`, 4);
  await createTopic(bootstrap, `${name}-out`, 2);
  await produceNumbers(bootstrap, `${name}-in`, 0, records);
}

/** Produces the numbers from..to-1 as text, number n to partition n % partitions. */
export async function produceNumbers(bootstrap: string, topic: string, from: number, to: number, partitions = 4): Promise<void> {
  const producer = new Producer({ clientId: 'eddy-test-producer', bootstrapBrokers: [bootstrap], serializers: stringSerializers, idempotent: true, ...TIMEOUTS });
  try {
    for (let start = from; start < to; start += 1000) {
      const messages = [];
      for (let n = start; n < Math.min(to, start + 1000); n++) messages.push({ topic, value: String(n), partition: n % partitions });
      await producer.send({ messages });
    }
  } finally {
    await producer.close();
  }
}

/** Produces `records`, each to its partition with its timestamp (epoch ms), in one send. */
export async function produceTimestampedRecords(bootstrap: string, topic: string, records: readonly { partition: number; value: string; timestamp: number }[]): Promise<void> {
  const producer = new Producer({ clientId: 'eddy-test-producer', bootstrapBrokers: [bootstrap], serializers: stringSerializers, idempotent: true, ...TIMEOUTS });
  try {
    await producer.send({ messages: records.map(({ partition, value, timestamp }) => ({ topic, value, partition, timestamp: BigInt(timestamp) })) });
  } finally {
    await producer.close();
  }
}

/** Produces raw values (bad records, for instance) to partition 0. */
export async function produceValues(bootstrap: string, topic: string, values: string[]): Promise<void> {
  const producer = new Producer({ clientId: 'eddy-test-producer', bootstrapBrokers: [bootstrap], serializers: stringSerializers, idempotent: true, ...TIMEOUTS });
  try {
    await producer.send({ messages: values.map((value) => ({ topic, value, partition: 0 })) });
  } finally {
    await producer.close();
  }
}

/**
 * Writes to partition 0 of `topic`, in this order: `aborted` in a transaction that is aborted (the
 * broker lists it in a fetch's abortedTransactions); an aborted transaction that added the
 * partition but wrote nothing to it (its ABORT marker's producer is not listed: what an
 * exactly-once sink's transaction leaves when its TaskManager is killed between AddPartitionsToTxn
 * and the records, and a restore fences it); `committed` in a committed transaction of the first
 * producer. Answers the offset of the first transaction's ABORT marker.
 */
export async function produceAbortedTransactions(bootstrap: string, topic: string, aborted: string[], committed: string[]): Promise<bigint> {
  const producer = new Producer({ clientId: 'eddy-test-producer', bootstrapBrokers: [bootstrap], serializers: stringSerializers, transactionalId: `${topic}-writer`, idempotent: true, ...TIMEOUTS });
  const connection = new Connection('eddy-test-txn', { connectTimeout: 5_000, requestTimeout: 10_000 });
  try {
    const first = await producer.beginTransaction();
    await first.send({ messages: aborted.map((value) => ({ topic, value, partition: 0 })) });
    await first.abort();
    const [host, port] = bootstrap.split(':') as [string, string];
    await connection.connect(host, Number(port));
    const transactionalId = `${topic}-empty`;
    const { producerId, producerEpoch } = await initProducerIdV4.api.async(connection, transactionalId, 60_000, -1n, -1);
    await addPartitionsToTxnV3.api.async(connection, [{ transactionalId, producerId, producerEpoch, verifyOnly: false, topics: [{ name: topic, partitions: [0] }] }]);
    await endTxnV4.api.async(connection, transactionalId, producerId, producerEpoch, false);
    const second = await producer.beginTransaction();
    await second.send({ messages: committed.map((value) => ({ topic, value, partition: 0 })) });
    await second.commit();
    // The coordinator writes markers after EndTxn answers: find the first one in the log.
    return await abortMarkerOffset(bootstrap, topic, producer.producerId as bigint);
  } finally {
    await connection.close().catch(() => undefined);
    await producer.close();
  }
}

/** The offset of `producerId`'s first control marker in partition 0 of `topic` (waits for it). */
async function abortMarkerOffset(bootstrap: string, topic: string, producerId: bigint): Promise<bigint> {
  const consumer = new Consumer({ clientId: 'eddy-test-reader', groupId: 'eddy-test-reader', bootstrapBrokers: [bootstrap], ...TIMEOUTS });
  try {
    const described = (await consumer.metadata({ topics: [topic], forceUpdate: true })).topics.get(topic);
    if (described === undefined) throw new Error(`no topic ${topic}`);
    let marker: bigint | undefined;
    await waitFor(
      async () => {
        const response = await fetchRaw(consumer, {
          node: described.partitions[0]!.leader,
          topics: [{ topicId: described.id, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
          maxWaitTime: 100,
          minBytes: 1,
          maxBytes: 1 << 22,
          isolationLevel: 0,
        });
        const batches = response.responses[0]?.partitions[0]?.records ?? [];
        marker = batches.find((batch) => (batch.attributes & 0x20) !== 0 && batch.producerId === producerId)?.firstOffset;
        return marker !== undefined;
      },
      `the abort marker of producer ${producerId} in ${topic}-0`,
      10_000,
    );
    return marker as bigint;
  } finally {
    await consumer.close();
  }
}

/** Grows `topic` to `partitions` partitions. */
export async function addPartitions(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const admin = new Admin({ clientId: 'eddy-test-admin', bootstrapBrokers: [bootstrap], ...TIMEOUTS });
  try {
    await admin.createPartitions({ topics: [{ name: topic, count: partitions }] });
  } finally {
    await admin.close();
  }
}

/**
 * Every value of `topic` up to its current end, partition by partition, as text, from offset
 * `from` on (of every partition). Fetches as the KafkaSource does (fetchRaw and AbortedTransactions:
 * the client's own read_committed filter fails on some abort markers).
 */
export async function readTopic(bootstrap: string, topic: string, readCommitted = true, from = 0n): Promise<string[]> {
  const consumer = new Consumer({ clientId: 'eddy-test-reader', groupId: 'eddy-test-reader', bootstrapBrokers: [bootstrap], ...TIMEOUTS });
  try {
    const metadata = await consumer.metadata({ topics: [topic], forceUpdate: true });
    const described = metadata.topics.get(topic);
    if (described === undefined) throw new Error(`no topic ${topic}`);
    const partitions = Array.from({ length: described.partitionsCount }, (_, i) => i);
    const ends = await consumer.listOffsets({ topics: [topic], partitions: { [topic]: partitions }, timestamp: -1n, isolationLevel: readCommitted ? 1 : 0 });
    const values: string[] = [];
    for (const partition of partitions) {
      const end = ends.get(topic)?.[partition] ?? 0n;
      let next = from;
      const deadline = Date.now() + 30_000;
      while (next < end) {
        if (Date.now() > deadline) throw new Error(`reading ${topic}-${partition} did not reach offset ${end} within 30 s (at ${next})`);
        const response = await fetchRaw(consumer, {
          node: described.partitions[partition]!.leader,
          topics: [{ topicId: described.id, partitions: [{ partition, fetchOffset: next, partitionMaxBytes: 1 << 20 }] }],
          maxWaitTime: 100,
          minBytes: 1,
          maxBytes: 1 << 22,
          isolationLevel: readCommitted ? 1 : 0,
        });
        for (const partitionResponse of response.responses[0]?.partitions ?? []) {
          const aborted = new AbortedTransactions(partitionResponse.abortedTransactions);
          for (const batch of partitionResponse.records ?? []) {
            const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
            if ((batch.attributes & 0x20) !== 0) aborted.onControl(batch.producerId, batch.firstOffset);
            else if (!((batch.attributes & 0x10) !== 0 && aborted.isAborted(batch.producerId, batch.firstOffset))) {
              for (const record of batch.records) {
                const offset = batch.firstOffset + BigInt(record.offsetDelta);
                if (offset >= next && offset < end) values.push(record.value?.toString('utf8') ?? '');
              }
            }
            if (last + 1n > next) next = last + 1n;
          }
        }
      }
    }
    return values;
  } finally {
    await consumer.close();
  }
}

/** The broker of a test file: started before its tests, closed after them. */
export function useKafkaBroker(): { readonly broker: KafkaBroker } {
  const shared = {} as { broker: KafkaBroker };
  before(async () => {
    shared.broker = await KafkaBroker.start();
  });
  after(async () => {
    await shared.broker?.close();
  });
  return shared;
}

/** The output of the count jobs: "k3 17" -> ["k3", 17]. */
export const pairs = (values: string[]): [string, number][] => values.map((value) => value.split(' ')).map(([key, count]) => [key as string, Number(count)]);

/** True once every key's highest running count adds up to `records`. */
export function complete(output: [string, number][], records: number): boolean {
  const highest = new Map<string, number>();
  for (const [key, count] of output) highest.set(key, Math.max(highest.get(key) ?? 0, count));
  return [...highest.values()].reduce((a, b) => a + b, 0) >= records;
}

/** Waits until the committed counts of `topic` add up to `records` (read_committed); answers them. */
export async function waitForCounts(bootstrap: string, topic: string, records: number, timeoutMs = 60_000): Promise<[string, number][]> {
  let output: [string, number][] = [];
  await waitFor(
    async () => complete((output = pairs(await readTopic(bootstrap, topic))), records),
    () => `the committed counts of ${topic} to add up to ${records} records (has ${output.length} updates)`,
    timeoutMs,
    500,
  );
  return output;
}

/** Waits until `topic` holds at least `count` committed values (read_committed); answers them. */
export async function waitForValues(bootstrap: string, topic: string, count: number, timeoutMs = 60_000): Promise<string[]> {
  let values: string[] = [];
  await waitFor(async () => (values = await readTopic(bootstrap, topic)).length >= count, () => `${count} committed values in ${topic} (has ${values.length})`, timeoutMs, 500);
  return values;
}

/** Asserts that `values` are the numbers from..to-1, each exactly once (in any order), naming what is missing or twice. */
export function assertEachNumberOnce(values: string[], from: number, to: number): void {
  const seen = new Map<string, number>();
  for (const value of values) seen.set(value, (seen.get(value) ?? 0) + 1);
  const twice = [...seen].filter(([, n]) => n > 1).map(([value]) => value);
  const missing: number[] = [];
  for (let n = from; n < to; n++) if (!seen.has(String(n))) missing.push(n);
  const extra = [...seen.keys()].filter((value) => !(Number(value) >= from && Number(value) < to && String(Number(value)) === value));
  assert.deepEqual({ twice: twice.slice(0, 20), missing: missing.slice(0, 20), extra: extra.slice(0, 20) }, { twice: [], missing: [], extra: [] }, `${values.length} values for ${to - from} records`);
}
