/**
 * What the Kafka tests do to a broker besides running jobs: create topics, produce numbered
 * records, and read a topic whole as a read_committed (or read_uncommitted) consumer would,
 * aborted transactions filtered out. Every call has a deadline.
 */
import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { AbortedTransactions } from '@eddy/connector-kafka';

const TIMEOUTS = { timeout: 10_000, connectTimeout: 5_000, retries: 3, retryDelay: 200 };

export async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const admin = new Admin({ clientId: 'eddy-test-admin', bootstrapBrokers: [bootstrap], ...TIMEOUTS });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
}

/** Produces the numbers from..to-1 as text, spread over the partitions (no key: round robin). */
export async function produceNumbers(bootstrap: string, topic: string, from: number, to: number): Promise<void> {
  const producer = new Producer({ clientId: 'eddy-test-producer', bootstrapBrokers: [bootstrap], serializers: stringSerializers, ...TIMEOUTS });
  try {
    for (let start = from; start < to; start += 1000) {
      const messages = [];
      for (let n = start; n < Math.min(to, start + 1000); n++) messages.push({ topic, value: String(n), partition: n % 4 });
      await producer.send({ messages });
    }
  } finally {
    await producer.close();
  }
}

/** Every value of `topic` up to its current end, partition by partition, as text. */
export async function readTopic(bootstrap: string, topic: string, readCommitted = true): Promise<string[]> {
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
      let next = 0n;
      const deadline = Date.now() + 30_000;
      while (next < end) {
        if (Date.now() > deadline) throw new Error(`reading ${topic}-${partition} did not reach offset ${end} within 30 s (at ${next})`);
        const response = await consumer.fetch({
          node: described.partitions[partition]!.leader,
          topics: [{ topicId: described.id, partitions: [{ partition, fetchOffset: next, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }],
          maxWaitTime: 100,
          minBytes: 1,
          maxBytes: 1 << 22,
          isolationLevel: readCommitted ? 1 : 0,
        } as Parameters<Consumer['fetch']>[0]);
        for (const partitionResponse of response.responses[0]?.partitions ?? []) {
          const aborted = new AbortedTransactions(partitionResponse.abortedTransactions);
          for (const batch of partitionResponse.records ?? []) {
            const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
            if ((batch.attributes & 0x20) !== 0) aborted.onControl(batch.producerId);
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
