/**
 * KafkaPartitionLister: the Kafka calls of a KafkaSourceEnumerator's discovery, with their own
 * clients. It runs in a worker thread of the JobManager (kafka-discovery-worker.ts), so whatever
 * the Kafka client does wrong (an error event nobody listens to, a call that never returns) ends
 * that thread, not the JobManager: the enumerator sees a failed discovery and retries or fails the
 * job.
 */
import { Admin, Consumer, type ClusterMetadata } from '@platformatic/kafka';
import { clientOptions, describeError } from './kafka-client-options.js';
import { splitId, type KafkaEnumeratorSettings, type KafkaPartitionSplit } from './kafka-split-assignment.js';
import type { OffsetsInitializer } from './offsets-initializer.js';

/** A discovery failure that trying again cannot help (a topic that does not exist, a group without committed offsets). */
export class DiscoveryError extends Error {
  override readonly name = 'KafkaDiscoveryError';
}

export class KafkaPartitionLister {
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private readonly properties: ReadonlyMap<string, string>;
  private readonly pattern: RegExp | undefined;

  constructor(private readonly settings: KafkaEnumeratorSettings) {
    this.properties = new Map(Object.entries(settings.properties));
    this.pattern = settings.topicPattern === undefined ? undefined : new RegExp(settings.topicPattern.source, settings.topicPattern.flags);
  }

  /** The partitions of the source's topics that `known` does not have, with where they start (and stop). */
  async listNewPartitions(known: ReadonlySet<string>, initial: boolean): Promise<KafkaPartitionSplit[]> {
    const { consumer, admin } = this.clients();
    const topics = this.pattern === undefined ? [...(this.settings.topics ?? [])] : (await admin.listTopics()).filter((topic) => (this.pattern as RegExp).test(topic) && !topic.startsWith('__')).sort();
    if (topics.length === 0) return [];
    const metadata = await this.metadataOf(consumer, topics);
    const fresh: { topic: string; partition: number }[] = [];
    for (const topic of topics) {
      const described = metadata.topics.get(topic);
      if (described === undefined) continue;
      for (let partition = 0; partition < described.partitionsCount; partition++) if (!known.has(splitId(topic, partition))) fresh.push({ topic, partition });
    }
    if (fresh.length === 0) return [];
    // Partitions found after the first discovery start at their beginning (Flink's default for new partitions).
    const starts = await this.startingOffsets(consumer, fresh, initial ? this.settings.startingOffsets : { kind: 'earliest' });
    // Bounded: where each stops, resolved as a starting offset would be (the offset it stops before).
    const stops = this.settings.bounded ? await this.startingOffsets(consumer, fresh, this.settings.stoppingOffsets ?? { kind: 'latest' }) : undefined;
    return fresh.map(({ topic, partition }) => {
      const id = splitId(topic, partition);
      const stop = stops?.get(id);
      return { topic, partition, start: starts.get(id) ?? 0, ...(stop === undefined ? {} : { stop }) };
    });
  }

  private clients(): { consumer: Consumer; admin: Admin } {
    if (this.consumer === undefined || this.admin === undefined) {
      const options = clientOptions(this.properties, 'eddy-source-enumerator');
      this.consumer = new Consumer({ ...options, groupId: this.settings.groupId });
      this.admin = new Admin(options);
    }
    return { consumer: this.consumer, admin: this.admin };
  }

  private async metadataOf(consumer: Consumer, topics: string[]): Promise<ClusterMetadata> {
    try {
      return await consumer.metadata({ topics, forceUpdate: true });
    } catch (error) {
      if (/unknown topic|UNKNOWN_TOPIC/i.test(describeError(error))) {
        throw new DiscoveryError(`a topic of ${topics.join(', ')} does not exist; create it first (auto.create.topics.enable is for producers), or use setTopicPattern to follow topics as they appear`, { cause: error });
      }
      throw error;
    }
  }

  private async startingOffsets(consumer: Consumer, partitions: { topic: string; partition: number }[], start: OffsetsInitializer): Promise<Map<string, number>> {
    switch (start.kind) {
      case 'earliest':
        return listOffsets(consumer, partitions, -2n);
      case 'latest':
        return listOffsets(consumer, partitions, -1n);
      case 'timestamp':
        return listOffsets(consumer, partitions, BigInt(start.timestampMs));
      case 'committed': {
        const committed = await committedOffsets(consumer, partitions);
        const missing = partitions.filter(({ topic, partition }) => !committed.has(splitId(topic, partition)));
        if (missing.length === 0) return committed;
        if (start.reset === 'NONE') {
          throw new DiscoveryError(`the group ${this.settings.groupId} has no committed offset for ${missing.map(({ topic, partition }) => splitId(topic, partition)).join(', ')}; use committedOffsets('EARLIEST') or ('LATEST') to start there`);
        }
        const reset = await listOffsets(consumer, missing, start.reset === 'EARLIEST' ? -2n : -1n);
        return new Map([...committed, ...reset]);
      }
    }
  }

  async close(): Promise<void> {
    const clients = [this.consumer?.close(), this.admin?.close()];
    this.consumer = undefined;
    this.admin = undefined;
    await Promise.all(clients.map((closing) => closing?.catch(() => undefined)));
  }
}

async function listOffsets(consumer: Consumer, partitions: { topic: string; partition: number }[], timestamp: bigint): Promise<Map<string, number>> {
  const byTopic: Record<string, number[]> = {};
  for (const { topic, partition } of partitions) (byTopic[topic] ??= []).push(partition);
  const offsets = await consumer.listOffsets({ topics: Object.keys(byTopic), partitions: byTopic, timestamp });
  const result = new Map<string, number>();
  for (const { topic, partition } of partitions) {
    const offset = offsets.get(topic)?.[partition];
    // A timestamp past the last record: start at the end (-1 from the broker).
    result.set(splitId(topic, partition), offset === undefined || offset < 0n ? 0 : Number(offset));
  }
  if (timestamp >= 0n) {
    const ends = await listOffsets(consumer, partitions.filter(({ topic, partition }) => (offsets.get(topic)?.[partition] ?? -1n) < 0n), -1n);
    for (const [id, end] of ends) result.set(id, end);
  }
  return result;
}

async function committedOffsets(consumer: Consumer, partitions: { topic: string; partition: number }[]): Promise<Map<string, number>> {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  const committed = await consumer.listCommittedOffsets({ topics: Array.from(byTopic, ([topic, list]) => ({ topic, partitions: list })) });
  const result = new Map<string, number>();
  for (const { topic, partition } of partitions) {
    const offset = committed.get(topic)?.[partition];
    if (offset !== undefined && offset >= 0n) result.set(splitId(topic, partition), Number(offset));
  }
  return result;
}
