/**
 * KafkaSource (Flink's, with its builder): reads topics (a list or a pattern) partition by
 * partition, each partition being a split of this source.
 *
 *   env.fromSource(
 *     KafkaSource.builder<string>().setBootstrapServers('127.0.0.1:9092').setTopics('in')
 *       .setGroupId('word-count').setStartingOffsets(OffsetsInitializer.earliest())
 *       .setValueOnlyDeserializer(new SimpleStringSchema()).build(),
 *     WatermarkStrategy.noWatermarks(), 'Kafka Source');
 *
 * Assignment: every subtask lists the partitions itself (at start, then every
 * `partition.discovery.interval.ms` when unbounded) and reads those it owns under Flink's rule
 * (KafkaSourceEnumerator.getSplitOwner: the topic's hash picks a start subtask, partitions go round
 * from there). The rule is the same in every subtask, so no partition is read twice or left out,
 * and a new partition or topic is picked up by its owner alone, without a coordinator. (Eddy's
 * SplitEnumerator on the JobMaster hands out plan-time splits; it cannot talk to Kafka, so Kafka
 * partitions are assigned by this rule instead, as FlinkKafkaConsumer did.)
 *
 * Checkpoints: the offset of the next record of every owned partition is the source's operator
 * state, a union list, so a restore at another parallelism gives every subtask every offset and
 * each keeps those of the partitions it now owns. An offset moves right after its record is
 * collected, and snapshots are taken at the source's awaits, so a snapshot always matches what was
 * emitted. When a checkpoint completes, its offsets are committed to the group (for monitoring, as
 * Flink does: the source never reads them back unless told to with committedOffsets()).
 *
 * Event time: a record's Kafka timestamp is its timestamp; with a WatermarkStrategy, watermarks
 * are generated per partition (each partition a split of the source's watermark valve), and an
 * idle partition stops holding the watermark back with `withIdleness`.
 *
 * Bounded (setBounded): the partitions and their end offsets are fixed at start; the source ends
 * when every owned partition reached its end.
 */
import { Admin, Consumer, type ClusterMetadata } from '@platformatic/kafka';
import { ListStateDescriptor, type CheckpointedFunction, type CheckpointListener, type FunctionInitializationContext, type ListState, type RuntimeContext, type Source, type SourceContext } from '@eddy/api';
import {
  BOOTSTRAP_SERVERS,
  clientOptions,
  COMMIT_OFFSETS_ON_CHECKPOINT,
  describeError,
  ISOLATION_LEVEL,
  PARTITION_DISCOVERY_INTERVAL_MS,
  wholeProperty,
} from './kafka-client-options.js';
import { AbortedTransactions, fetchRaw, type FetchPartition, type FetchResponse } from './kafka-fetch.js';
import { ownerOf, splitId } from './kafka-split-assignment.js';
import { OffsetsInitializer } from './offsets-initializer.js';
import { KafkaRecordDeserializationSchema, type DeserializationSchema, type KafkaConsumerRecord } from './serialization.js';

/** What a checkpoint keeps per partition. */
interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** The offset of the next record to read. */
  readonly offset: number;
}

interface PartitionReader {
  readonly topic: string;
  readonly partition: number;
  readonly splitId: string;
  next: number;
  /** Bounded: the offset it stops before. */
  readonly stop: number;
}

const STATE_NAME = 'kafka-source-offsets';
const FETCH_MAX_WAIT_MS = 200;
const FETCH_MAX_BYTES = 4 * 1024 * 1024;
const PARTITION_MAX_BYTES = 1024 * 1024;
const DEFAULT_DISCOVERY_INTERVAL_MS = 300_000;
const UNBOUNDED = Number.MAX_SAFE_INTEGER;
// Kafka record batch attributes.
const IS_TRANSACTIONAL = 0x10;
const IS_CONTROL = 0x20;
// Kafka error codes the reader handles.
const OFFSET_OUT_OF_RANGE = 1;
const LEADERSHIP_CHANGED = new Set([3, 5, 6, 74, 75, 100]);

export interface KafkaSourceConfig<T> {
  readonly properties: ReadonlyMap<string, string>;
  readonly topics: readonly string[] | undefined;
  readonly topicPattern: RegExp | undefined;
  readonly groupId: string;
  readonly startingOffsets: OffsetsInitializer;
  readonly bounded: boolean;
  readonly deserializer: KafkaRecordDeserializationSchema<T>;
}

export class KafkaSource<T> implements Source<T>, CheckpointedFunction, CheckpointListener {
  private readonly state = new ListStateDescriptor<PartitionOffset>(STATE_NAME);
  private offsetsState: ListState<PartitionOffset> | undefined;
  private restored = new Map<string, PartitionOffset>();
  private readers: PartitionReader[] = [];
  private readonly known = new Set<string>();
  private subtask = 0;
  private parallelism = 1;
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private readonly toCommit = new Map<number, PartitionOffset[]>();
  /** How many records the deserializer rejected (skipped with `deserialization.skip-errors`). */
  skippedRecords = 0;

  static builder<T>(): KafkaSourceBuilder<T> {
    return new KafkaSourceBuilder<T>();
  }

  constructor(private readonly config: KafkaSourceConfig<T>) {}

  initializeState(context: FunctionInitializationContext): void {
    this.offsetsState = context.getOperatorStateStore().getUnionListState(this.state);
    this.restored = new Map(Array.from(this.offsetsState.get(), (entry) => [splitId(entry.topic, entry.partition), entry]));
  }

  open(context: RuntimeContext): void {
    this.subtask = context.indexOfThisSubtask;
    this.parallelism = context.numberOfParallelSubtasks;
  }

  snapshotState(context: { getCheckpointId(): number }): void {
    const offsets = this.readers.map((reader) => ({ topic: reader.topic, partition: reader.partition, offset: reader.next }));
    // Restored offsets of partitions this subtask owns but has no reader for yet (a checkpoint
    // before the first discovery, a topic gone for now) stay in the state: without them a restore
    // from this checkpoint would start those partitions over.
    const reading = new Set(this.readers.map((reader) => reader.splitId));
    for (const [id, { topic, partition, offset }] of this.restored) {
      if (!reading.has(id) && ownerOf(topic, partition, this.parallelism) === this.subtask) offsets.push({ topic, partition, offset });
    }
    this.offsetsState?.update(offsets);
    this.toCommit.set(context.getCheckpointId(), offsets);
  }

  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    const offsets = this.toCommit.get(checkpointId);
    for (const id of this.toCommit.keys()) if (id <= checkpointId) this.toCommit.delete(id);
    if (offsets === undefined || offsets.length === 0 || this.admin === undefined) return;
    if (this.config.properties.get(COMMIT_OFFSETS_ON_CHECKPOINT) === 'false') return;
    const topics = new Map<string, { partition: number; offset: bigint }[]>();
    for (const { topic, partition, offset } of offsets) {
      let list = topics.get(topic);
      if (list === undefined) topics.set(topic, (list = []));
      list.push({ partition, offset: BigInt(offset) });
    }
    // For monitoring only (Flink's behaviour): a failed commit loses nothing, the offsets are in the checkpoint.
    await this.admin
      .alterConsumerGroupOffsets({ groupId: this.config.groupId, topics: Array.from(topics, ([name, partitionOffsets]) => ({ name, partitionOffsets })) })
      .catch(() => undefined);
  }

  async run(ctx: SourceContext<T>): Promise<void> {
    const servers = this.config.properties.get(BOOTSTRAP_SERVERS) as string;
    const options = clientOptions(this.config.properties, `eddy-source-${this.subtask}`);
    this.consumer = new Consumer({ ...options, groupId: this.config.groupId });
    this.admin = new Admin(options);
    let metadata: ClusterMetadata;
    try {
      metadata = await this.discover();
    } catch (error) {
      throw new Error(`KafkaSource could not read the partitions of ${this.describeTopics()} from the Kafka brokers at ${servers}: ${describeError(error)}`, { cause: error });
    }
    const discoveryMs = this.config.bounded ? 0 : wholeProperty(this.config.properties, PARTITION_DISCOVERY_INTERVAL_MS, DEFAULT_DISCOVERY_INTERVAL_MS);
    let nextDiscovery = Date.now() + discoveryMs;
    const isolationLevel: 0 | 1 = this.config.properties.get(ISOLATION_LEVEL) === 'read_committed' ? 1 : 0;
    const splits = ctx as SourceContext<T> & { startSplit?(id: string): void; finishSplit?(id: string): void };
    for (const reader of this.readers) splits.startSplit?.(reader.splitId);
    while (!ctx.isCanceled) {
      if (this.config.bounded && this.readers.every((reader) => reader.next >= reader.stop)) {
        for (const reader of this.readers) splits.finishSplit?.(reader.splitId);
        return;
      }
      if (discoveryMs > 0 && Date.now() >= nextDiscovery) {
        nextDiscovery = Date.now() + discoveryMs;
        metadata = await this.discover().catch(() => metadata);
        for (const reader of this.readers) splits.startSplit?.(reader.splitId);
      }
      if (this.readers.length === 0) {
        // Nothing owned yet: wait for discovery (unbounded) without spinning.
        await new Promise((resolve) => setTimeout(resolve, Math.min(FETCH_MAX_WAIT_MS, Math.max(1, nextDiscovery - Date.now()))));
        continue;
      }
      const byLeader = new Map<number, PartitionReader[]>();
      for (const reader of this.readers) {
        if (reader.next >= reader.stop) continue;
        const leader = metadata.topics.get(reader.topic)?.partitions[reader.partition]?.leader ?? -1;
        let list = byLeader.get(leader);
        if (list === undefined) byLeader.set(leader, (list = []));
        list.push(reader);
      }
      for (const [leader, readers] of byLeader) {
        if (ctx.isCanceled) return;
        let response: FetchResponse;
        try {
          response = await this.fetch(leader, readers, metadata, isolationLevel);
        } catch (error) {
          throw new Error(`KafkaSource could not fetch from the Kafka broker ${leader} (bootstrap servers ${servers}): ${describeError(error)}`, { cause: error });
        }
        if (await this.emit(response, readers, metadata, ctx, splits)) metadata = await this.refreshMetadata(metadata);
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.consumer?.close().catch(() => undefined), this.admin?.close().catch(() => undefined)]);
  }

  /** Lists the topics' partitions and takes over the new ones this subtask owns. */
  private async discover(): Promise<ClusterMetadata> {
    const consumer = this.consumer as Consumer;
    let topics: string[];
    if (this.config.topicPattern !== undefined) {
      const pattern = this.config.topicPattern;
      topics = (await (this.admin as Admin).listTopics()).filter((topic) => pattern.test(topic) && !topic.startsWith('__')).sort();
    } else {
      topics = [...(this.config.topics ?? [])];
    }
    const metadata = topics.length === 0 ? await consumer.metadata({ topics: [] }) : await this.metadataOf(topics);
    const fresh: { topic: string; partition: number }[] = [];
    for (const topic of topics) {
      const described = metadata.topics.get(topic);
      if (described === undefined) continue;
      for (let partition = 0; partition < described.partitionsCount; partition++) {
        const id = splitId(topic, partition);
        if (this.known.has(id)) continue;
        this.known.add(id);
        if (ownerOf(topic, partition, this.parallelism) === this.subtask) fresh.push({ topic, partition });
      }
    }
    if (fresh.length === 0) return metadata;
    const starts = await this.startingOffsets(fresh);
    const stops = this.config.bounded ? await this.listOffsets(fresh, -1n) : undefined;
    for (const { topic, partition } of fresh) {
      const id = splitId(topic, partition);
      this.readers.push({ topic, partition, splitId: id, next: this.restored.get(id)?.offset ?? (starts.get(id) as number), stop: stops?.get(id) ?? UNBOUNDED });
    }
    return metadata;
  }

  private async metadataOf(topics: string[]): Promise<ClusterMetadata> {
    try {
      return await (this.consumer as Consumer).metadata({ topics, forceUpdate: true });
    } catch (error) {
      if (/unknown topic|UNKNOWN_TOPIC/i.test(describeError(error))) {
        throw new Error(`a topic of ${topics.join(', ')} does not exist; create it first (auto.create.topics.enable is for producers), or use setTopicPattern to follow topics as they appear`, { cause: error });
      }
      throw error;
    }
  }

  private async refreshMetadata(current: ClusterMetadata): Promise<ClusterMetadata> {
    const topics = [...new Set(this.readers.map((reader) => reader.topic))];
    return (this.consumer as Consumer).metadata({ topics, forceUpdate: true }).catch(() => current);
  }

  /** Where each fresh partition starts, restored ones left aside. */
  private async startingOffsets(partitions: { topic: string; partition: number }[]): Promise<Map<string, number>> {
    const pending = partitions.filter(({ topic, partition }) => !this.restored.has(splitId(topic, partition)));
    const start = this.config.startingOffsets;
    if (pending.length === 0) return new Map();
    switch (start.kind) {
      case 'earliest':
        return this.listOffsets(pending, -2n);
      case 'latest':
        return this.listOffsets(pending, -1n);
      case 'timestamp':
        return this.listOffsets(pending, BigInt(start.timestampMs));
      case 'committed': {
        const committed = await this.committedOffsets(pending);
        const missing = pending.filter(({ topic, partition }) => !committed.has(splitId(topic, partition)));
        if (missing.length === 0) return committed;
        if (start.reset === 'NONE') {
          throw new Error(`the group ${this.config.groupId} has no committed offset for ${missing.map(({ topic, partition }) => splitId(topic, partition)).join(', ')}; use committedOffsets('EARLIEST') or ('LATEST') to start there`);
        }
        const reset = await this.listOffsets(missing, start.reset === 'EARLIEST' ? -2n : -1n);
        return new Map([...committed, ...reset]);
      }
    }
  }

  private async listOffsets(partitions: { topic: string; partition: number }[], timestamp: bigint): Promise<Map<string, number>> {
    const byTopic: Record<string, number[]> = {};
    for (const { topic, partition } of partitions) (byTopic[topic] ??= []).push(partition);
    const offsets = await (this.consumer as Consumer).listOffsets({ topics: Object.keys(byTopic), partitions: byTopic, timestamp });
    const result = new Map<string, number>();
    for (const { topic, partition } of partitions) {
      const offset = offsets.get(topic)?.[partition];
      // A timestamp past the last record: start at the end (-1 from the broker).
      result.set(splitId(topic, partition), offset === undefined || offset < 0n ? 0 : Number(offset));
    }
    if (timestamp >= 0n) {
      const ends = await this.listOffsets(partitions.filter(({ topic, partition }) => (offsets.get(topic)?.[partition] ?? -1n) < 0n), -1n);
      for (const [id, end] of ends) result.set(id, end);
    }
    return result;
  }

  private async committedOffsets(partitions: { topic: string; partition: number }[]): Promise<Map<string, number>> {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    const committed = await (this.consumer as Consumer).listCommittedOffsets({ topics: Array.from(byTopic, ([topic, list]) => ({ topic, partitions: list })) });
    const result = new Map<string, number>();
    for (const { topic, partition } of partitions) {
      const offset = committed.get(topic)?.[partition];
      if (offset !== undefined && offset >= 0n) result.set(splitId(topic, partition), Number(offset));
    }
    return result;
  }

  private fetch(leader: number, readers: PartitionReader[], metadata: ClusterMetadata, isolationLevel: 0 | 1): Promise<FetchResponse> {
    const byTopic = new Map<string, FetchPartition[]>();
    for (const reader of readers) {
      const id = metadata.topics.get(reader.topic)?.id as string;
      let list = byTopic.get(id);
      if (list === undefined) byTopic.set(id, (list = []));
      list.push({ partition: reader.partition, fetchOffset: BigInt(reader.next), partitionMaxBytes: PARTITION_MAX_BYTES });
    }
    // Not Consumer#fetch: its read_committed filter fails on some abort markers (see kafka-fetch.ts).
    return fetchRaw(this.consumer as Consumer, {
      node: leader,
      topics: Array.from(byTopic, ([topicId, partitions]) => ({ topicId, partitions })),
      maxWaitTime: FETCH_MAX_WAIT_MS,
      minBytes: 1,
      maxBytes: FETCH_MAX_BYTES,
      isolationLevel,
    });
  }

  /**
   * Emits the fetched records of `readers`, moving each partition's offset right after each
   * record. Returns true when a partition's leader moved (the caller refreshes metadata).
   */
  private async emit(
    response: FetchResponse,
    readers: PartitionReader[],
    metadata: ClusterMetadata,
    ctx: SourceContext<T>,
    splits: { startSplit?(id: string): void },
  ): Promise<boolean> {
    let leaderMoved = false;
    const topicsById = new Map(Array.from(metadata.topics, ([name, topic]) => [topic.id, name]));
    const deserializer = this.config.deserializer;
    const skipErrors = this.config.properties.get('deserialization.skip-errors') === 'true';
    for (const topicResponse of response.responses) {
      const topic = topicsById.get(topicResponse.topicId);
      for (const partitionResponse of topicResponse.partitions) {
        const reader = readers.find((r) => r.topic === topic && r.partition === partitionResponse.partitionIndex);
        if (reader === undefined) continue;
        if (partitionResponse.errorCode !== 0) {
          if (LEADERSHIP_CHANGED.has(partitionResponse.errorCode)) {
            leaderMoved = true;
            continue;
          }
          if (partitionResponse.errorCode === OFFSET_OUT_OF_RANGE) {
            throw new Error(`KafkaSource: offset ${reader.next} of ${reader.splitId} is out of range (the broker deleted those records, or the topic was recreated); start from a savepoint taken later or from earliest()`);
          }
          throw new Error(`KafkaSource: fetching ${reader.splitId} at offset ${reader.next} failed with Kafka error code ${partitionResponse.errorCode}`);
        }
        const batches = partitionResponse.records;
        if (batches === undefined || batches.length === 0) continue;
        splits.startSplit?.(reader.splitId);
        const aborted = new AbortedTransactions(partitionResponse.abortedTransactions);
        for (const batch of batches) {
          const lastOffset = Number(batch.firstOffset) + batch.lastOffsetDelta;
          if ((batch.attributes & IS_CONTROL) !== 0) {
            aborted.onControl(batch.producerId, batch.firstOffset);
            if (lastOffset + 1 > reader.next) reader.next = Math.min(reader.stop, lastOffset + 1);
            continue;
          }
          const skip = isTransactional(batch.attributes) && aborted.isAborted(batch.producerId, batch.firstOffset);
          if (skip) {
            if (lastOffset + 1 > reader.next) reader.next = Math.min(reader.stop, lastOffset + 1);
            continue;
          }
          const firstOffset = Number(batch.firstOffset);
          const firstTimestamp = Number(batch.firstTimestamp);
          for (const record of batch.records) {
            const offset = firstOffset + record.offsetDelta;
            if (offset < reader.next) continue;
            if (offset >= reader.stop) break;
            const consumed = toConsumerRecord(reader, offset, firstTimestamp + Number(record.timestampDelta), record.key, record.value, record.headers);
            let value: T;
            try {
              value = deserializer.deserialize(consumed);
            } catch (error) {
              if (skipErrors) {
                this.skippedRecords++;
                reader.next = offset + 1;
                continue;
              }
              throw new Error(
                `KafkaSource could not deserialize the record at offset ${offset} of topic ${reader.topic} partition ${reader.partition}: ${describeError(error)} ` +
                  `(fix the producer or the deserializer; setProperty('deserialization.skip-errors', 'true') skips and counts such records)`,
                { cause: error },
              );
            }
            const more = ctx.collectWithTimestamp(value, consumed.timestamp);
            reader.next = offset + 1;
            if (!more) {
              await ctx.waitForOutputs();
              if (ctx.isCanceled) return leaderMoved;
            }
          }
          if (lastOffset + 1 > reader.next && lastOffset + 1 <= reader.stop) reader.next = lastOffset + 1;
        }
      }
    }
    return leaderMoved;
  }

  private describeTopics(): string {
    return this.config.topicPattern !== undefined ? `the topics matching ${String(this.config.topicPattern)}` : `topic(s) ${(this.config.topics ?? []).join(', ')}`;
  }
}

function isTransactional(attributes: number): boolean {
  return (attributes & IS_TRANSACTIONAL) !== 0;
}

function toConsumerRecord(
  reader: PartitionReader,
  offset: number,
  timestamp: number,
  key: Buffer | null,
  value: Buffer | null,
  headers: [Buffer | null, Buffer | null][],
): KafkaConsumerRecord {
  const map = new Map<string, Buffer | undefined>();
  for (const [name, header] of headers) if (name !== null) map.set(name.toString('utf8'), header ?? undefined);
  return { topic: reader.topic, partition: reader.partition, offset, timestamp, key: key ?? undefined, value: value ?? undefined, headers: map };
}

/** Flink's KafkaSourceBuilder. */
export class KafkaSourceBuilder<T> {
  private readonly properties = new Map<string, string>();
  private topics: string[] | undefined;
  private topicPattern: RegExp | undefined;
  private groupId: string | undefined;
  private startingOffsets: OffsetsInitializer = OffsetsInitializer.earliest();
  private bounded = false;
  private deserializer: KafkaRecordDeserializationSchema<T> | undefined;

  setBootstrapServers(servers: string): this {
    if (typeof servers !== 'string' || servers.trim() === '') throw new TypeError('setBootstrapServers needs "host:port[,host:port...]"');
    this.properties.set(BOOTSTRAP_SERVERS, servers);
    return this;
  }

  setTopics(...topics: (string | string[])[]): this {
    const list = topics.flat();
    if (list.length === 0 || list.some((topic) => typeof topic !== 'string' || topic.length === 0)) throw new TypeError('setTopics needs one or more topic names');
    this.topics = list;
    this.topicPattern = undefined;
    return this;
  }

  /** Every topic whose name matches (new ones found by partition discovery). */
  setTopicPattern(pattern: RegExp): this {
    if (!(pattern instanceof RegExp)) throw new TypeError('setTopicPattern needs a RegExp');
    this.topicPattern = new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace('g', ''));
    this.topics = undefined;
    return this;
  }

  setGroupId(groupId: string): this {
    if (typeof groupId !== 'string' || groupId.length === 0) throw new TypeError('setGroupId needs a group id');
    this.groupId = groupId;
    return this;
  }

  setStartingOffsets(offsets: OffsetsInitializer): this {
    this.startingOffsets = offsets;
    return this;
  }

  /** Bounded read: stops at the partitions' end offsets at start (only latest() is supported). */
  setBounded(stoppingOffsets: OffsetsInitializer): this {
    if (stoppingOffsets.kind !== 'latest') throw new Error('setBounded supports OffsetsInitializer.latest() only');
    this.bounded = true;
    return this;
  }

  setValueOnlyDeserializer(schema: DeserializationSchema<T>): this {
    if (schema === null || typeof schema !== 'object' || typeof schema.deserialize !== 'function') throw new TypeError('setValueOnlyDeserializer needs an object with deserialize(bytes)');
    this.deserializer = KafkaRecordDeserializationSchema.valueOnly(schema);
    return this;
  }

  /** A deserializer of the whole record (key, value, headers, topic, partition, offset, timestamp). */
  setDeserializer(schema: KafkaRecordDeserializationSchema<T>): this {
    if (schema === null || typeof schema !== 'object' || typeof schema.deserialize !== 'function') throw new TypeError('setDeserializer needs an object with deserialize(record)');
    this.deserializer = schema;
    return this;
  }

  /** A Kafka client property (group.id, isolation.level, partition.discovery.interval.ms, request.timeout.ms, ...). */
  setProperty(key: string, value: string): this {
    if (key === 'group.id') return this.setGroupId(value);
    this.properties.set(key, String(value));
    return this;
  }

  build(): KafkaSource<T> {
    if (!this.properties.has(BOOTSTRAP_SERVERS)) throw new Error('KafkaSource needs bootstrap servers: call setBootstrapServers("host:9092")');
    if (this.topics === undefined && this.topicPattern === undefined) throw new Error('KafkaSource needs topics: call setTopics(...) or setTopicPattern(/.../)');
    if (this.deserializer === undefined) throw new Error('KafkaSource needs a deserializer: call setValueOnlyDeserializer(new SimpleStringSchema()) or setDeserializer(...)');
    const isolation = this.properties.get(ISOLATION_LEVEL);
    if (isolation !== undefined && isolation !== 'read_committed' && isolation !== 'read_uncommitted') throw new RangeError(`isolation.level is read_committed or read_uncommitted, got '${isolation}'`);
    wholeProperty(this.properties, PARTITION_DISCOVERY_INTERVAL_MS, 0);
    return new KafkaSource<T>({
      properties: new Map(this.properties),
      topics: this.topics,
      topicPattern: this.topicPattern,
      groupId: this.groupId ?? 'eddy-kafka-source',
      startingOffsets: this.startingOffsets,
      bounded: this.bounded,
      deserializer: this.deserializer,
    });
  }
}
