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
 * Assignment (FLIP-27): a KafkaSourceEnumerator on the JobMaster (kafka-source-enumerator.ts,
 * built by the runtime from splitEnumerator(), the source's settings as data in the plan) lists
 * the partitions at start and, unbounded, every `partition.discovery.interval.ms`, and assigns
 * each new one to exactly one subtask (Flink's getSplitOwner rule). A reader keeps one request
 * for its next partition outstanding (SplitRequests, held by the JobMaster while there is none),
 * looks at it between fetches, and starts a partition it is given at its restored offset, else
 * where the enumerator resolved it should start.
 *
 * Checkpoints: the offset of the next record of every assigned partition is the source's operator
 * state, a union list, so a restore at another parallelism gives every subtask every offset, and
 * each uses those of the partitions the enumerator assigns it (the enumerator's own state, the
 * partitions it knows, is checkpointed with the coordinator). An offset moves right after its record is
 * collected, and snapshots are taken at the source's awaits, so a snapshot always matches what was
 * emitted. When a checkpoint completes, its offsets are committed to the group (for monitoring, as
 * Flink does: the source never reads them back unless told to with committedOffsets()).
 *
 * Event time: a record's Kafka timestamp is its timestamp; with a WatermarkStrategy, watermarks
 * are generated per partition (each partition a split of the source's watermark valve), and an
 * idle partition stops holding the watermark back with `withIdleness`.
 *
 * Bounded (setBounded): the partitions, and where each stops (the offset setBounded's initializer
 * resolves to), are fixed by the enumerator's one discovery; the source ends when the enumerator
 * has no more partitions for it and every assigned partition reached its end.
 */
import { Admin, Consumer, type ClusterMetadata } from '@platformatic/kafka';
import {
  ListStateDescriptor,
  type CheckpointedFunction,
  type CheckpointListener,
  type FunctionInitializationContext,
  type ListState,
  type RuntimeContext,
  type Source,
  type SourceContext,
  type SplitEnumeratorDescriptor,
  type SplitRequestingSourceContext,
  type SplitRequestResult,
} from '@eddy/api';
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
import { KAFKA_ENUMERATOR_KIND, ownerOf, splitId, type KafkaEnumeratorSettings, type KafkaPartitionSplit } from './kafka-split-assignment.js';
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
/** How long the JobMaster may hold a request for a partition (it holds at most half of rpc.ask-timeout). */
const SPLIT_REQUEST_WAIT_MS = 5_000;
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
  /** Bounded: where each partition stops; undefined: unbounded. */
  readonly stoppingOffsets: OffsetsInitializer | undefined;
  readonly deserializer: KafkaRecordDeserializationSchema<T>;
}

export class KafkaSource<T> implements Source<T>, CheckpointedFunction, CheckpointListener {
  private readonly state = new ListStateDescriptor<PartitionOffset>(STATE_NAME);
  private offsetsState: ListState<PartitionOffset> | undefined;
  private restored = new Map<string, PartitionOffset>();
  private readers: PartitionReader[] = [];
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
    // A union list: every subtask's offsets. Offsets only move forward, so where two subtasks
    // recorded one partition (a restored offset kept while the partition's new reader had it), the
    // higher one is where reading went on.
    this.restored = new Map();
    for (const entry of this.offsetsState.get()) {
      const id = splitId(entry.topic, entry.partition);
      if ((this.restored.get(id)?.offset ?? -1) < entry.offset) this.restored.set(id, entry);
    }
  }

  open(context: RuntimeContext): void {
    this.subtask = context.indexOfThisSubtask;
    this.parallelism = context.numberOfParallelSubtasks;
  }

  snapshotState(context: { getCheckpointId(): number }): void {
    const offsets = this.readers.map((reader) => ({ topic: reader.topic, partition: reader.partition, offset: reader.next }));
    // Restored offsets of partitions the enumerator will assign to this subtask (its owner rule)
    // but has not yet (a checkpoint before the assignment arrived, a topic gone for now) stay in
    // the state: without them a restore from this checkpoint would start those partitions over.
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

  /** The enumerator the JobMaster runs for this source (KafkaSourceEnumerator), as data for the plan. */
  splitEnumerator(): SplitEnumeratorDescriptor {
    const pattern = this.config.topicPattern;
    const settings: KafkaEnumeratorSettings = {
      properties: Object.fromEntries(this.config.properties),
      ...(this.config.topics === undefined ? {} : { topics: [...this.config.topics] }),
      ...(pattern === undefined ? {} : { topicPattern: { source: pattern.source, flags: pattern.flags } }),
      groupId: this.config.groupId,
      startingOffsets: this.config.startingOffsets,
      bounded: this.config.stoppingOffsets !== undefined,
      ...(this.config.stoppingOffsets === undefined ? {} : { stoppingOffsets: this.config.stoppingOffsets }),
    };
    return { kind: KAFKA_ENUMERATOR_KIND, settings: settings as unknown as Record<string, unknown> };
  }

  async run(ctx: SourceContext<T>): Promise<void> {
    const servers = this.config.properties.get(BOOTSTRAP_SERVERS) as string;
    const splits = ctx as SplitRequestingSourceContext<T> & { startSplit?(id: string): void; finishSplit?(id: string): void };
    if (typeof splits.requestSplit !== 'function') throw new Error('KafkaSource needs a runtime that assigns its partitions (a SplitEnumerator on the JobMaster): run it on a cluster of the same Eddy version as the CLI');
    const options = clientOptions(this.config.properties, `eddy-source-${this.subtask}`);
    this.consumer = new Consumer({ ...options, groupId: this.config.groupId });
    this.admin = new Admin(options);
    const isolationLevel: 0 | 1 = this.config.properties.get(ISOLATION_LEVEL) === 'read_committed' ? 1 : 0;
    const assignments = new SplitRequests(splits, ctx.signal);
    let metadata: ClusterMetadata | undefined;
    let noMoreSplits = false;
    while (!ctx.isCanceled) {
      // New partitions from the enumerator: looked at between fetches, never per record.
      const answer = assignments.take();
      if (answer !== undefined) {
        if (answer.split !== undefined) {
          const reader = this.addReader(JSON.parse(answer.split.split) as KafkaPartitionSplit);
          splits.startSplit?.(reader.splitId);
          metadata = undefined;
        } else if (!answer.moreMayCome) {
          noMoreSplits = true;
        }
        if (answer.split !== undefined || answer.moreMayCome) assignments.request();
        continue;
      }
      if (!this.readers.some((reader) => reader.next < reader.stop)) {
        if (noMoreSplits) {
          for (const reader of this.readers) splits.finishSplit?.(reader.splitId);
          return;
        }
        // Nothing to read (no partition yet, or a bounded read's all at their end) until the enumerator answers.
        await assignments.next();
        continue;
      }
      if (metadata === undefined) {
        try {
          metadata = await this.readerMetadata();
        } catch (error) {
          throw new Error(`KafkaSource could not read the metadata of its partitions from the Kafka brokers at ${servers}: ${describeError(error)}`, { cause: error });
        }
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

  /** Starts reading a partition the enumerator assigned: where this subtask's restored state says, else where the split starts. */
  private addReader(split: KafkaPartitionSplit): PartitionReader {
    const id = splitId(split.topic, split.partition);
    const existing = this.readers.find((reader) => reader.splitId === id);
    if (existing !== undefined) return existing;
    const reader = { topic: split.topic, partition: split.partition, splitId: id, next: this.restored.get(id)?.offset ?? split.start, stop: split.stop ?? UNBOUNDED };
    this.readers.push(reader);
    return reader;
  }

  private readerMetadata(): Promise<ClusterMetadata> {
    const topics = [...new Set(this.readers.map((reader) => reader.topic))];
    return (this.consumer as Consumer).metadata({ topics, forceUpdate: true });
  }

  private async refreshMetadata(current: ClusterMetadata): Promise<ClusterMetadata> {
    return this.readerMetadata().catch(() => current);
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

/**
 * The reader's one outstanding request to the JobMaster's enumerator (held there up to
 * SPLIT_REQUEST_WAIT_MS while no partition is there for the subtask), looked at between fetches.
 * One promise per request, none per record.
 */
class SplitRequests {
  private answer: SplitRequestResult | undefined;
  private failure: { error: unknown } | undefined;
  private inFlight: Promise<void> | undefined;
  private readonly aborted: Promise<void>;

  constructor(
    private readonly ctx: SplitRequestingSourceContext<unknown>,
    private readonly signal: AbortSignal,
  ) {
    this.aborted = new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    this.request();
  }

  request(): void {
    this.inFlight = this.ctx.requestSplit(SPLIT_REQUEST_WAIT_MS).then(
      (answer) => void (this.answer = answer),
      (error: unknown) => void (this.failure = { error }),
    );
  }

  /** The answer, once it came (the request is then done); throws what the request failed with. */
  take(): SplitRequestResult | undefined {
    if (this.failure !== undefined && !this.signal.aborted) {
      throw new Error(`KafkaSource could not get its partitions from the JobMaster's KafkaSourceEnumerator: ${describeError(this.failure.error)}`, { cause: this.failure.error });
    }
    const answer = this.answer;
    this.answer = undefined;
    if (answer !== undefined) this.inFlight = undefined;
    return answer;
  }

  /** Resolves when the outstanding request is answered, or the task is canceled. */
  next(): Promise<void> {
    return Promise.race([this.inFlight ?? new Promise<void>((resolve) => setTimeout(resolve, FETCH_MAX_WAIT_MS)), this.aborted]);
  }
}

/** Flink's KafkaSourceBuilder. */
export class KafkaSourceBuilder<T> {
  private readonly properties = new Map<string, string>();
  private topics: string[] | undefined;
  private topicPattern: RegExp | undefined;
  private groupId: string | undefined;
  private startingOffsets: OffsetsInitializer = OffsetsInitializer.earliest();
  private stoppingOffsets: OffsetsInitializer | undefined;
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
  /**
   * A bounded read: each partition is read up to the offset `stoppingOffsets` resolves to when the
   * source finds it (latest(): the end at that moment; timestamp(ms): the first record at or after
   * that time, not read; committedOffsets(): the group's committed offset; earliest(): nothing),
   * then the source finishes.
   */
  setBounded(stoppingOffsets: OffsetsInitializer): this {
    if (stoppingOffsets === null || typeof stoppingOffsets !== 'object' || !['earliest', 'latest', 'committed', 'timestamp'].includes(stoppingOffsets.kind)) {
      throw new TypeError('setBounded needs an OffsetsInitializer: OffsetsInitializer.latest(), timestamp(ms), committedOffsets() or earliest()');
    }
    this.stoppingOffsets = stoppingOffsets;
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
      stoppingOffsets: this.stoppingOffsets,
      deserializer: this.deserializer,
    });
  }
}
