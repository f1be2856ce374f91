/**
 * KafkaSourceEnumerator (Flink's): the JobMaster's side of a KafkaSource. It lists the source's
 * partitions (its topics, or every topic matching its pattern) at start and, for an unbounded read,
 * every `partition.discovery.interval.ms`; resolves where each new partition starts (the source's
 * starting offsets in the first discovery, the earliest offset for partitions found later, as
 * Flink does, so records written to a new partition before it was found are read) and, bounded,
 * where it stops; and hands each partition to exactly one reader subtask (KafkaSplitAssignment).
 *
 * It runs in the JobManager, built by the runtime from the source's settings in the job's plan
 * (KafkaSource.splitEnumerator()): no job code runs there. Every Kafka call has a deadline
 * (`request.timeout.ms`); a discovery that fails is tried again after a jittered, growing delay,
 * with a log line saying what it waits for, and after DISCOVERY_ATTEMPTS failures the job fails
 * (its restart strategy decides) with the bootstrap servers and the cause. A topic that does not
 * exist fails it at once. close() closes its clients and timers; the JobMaster calls it when the
 * job ends.
 *
 * Threading: the owner's main thread. Kafka calls run on the event loop between; their results are
 * applied through `runInMainThread`, and dropped when the enumerator was restarted or closed since
 * (a generation number).
 */
import { Admin, Consumer, type ClusterMetadata } from '@platformatic/kafka';
import { BOOTSTRAP_SERVERS, clientOptions, describeError, PARTITION_DISCOVERY_INTERVAL_MS, REQUEST_TIMEOUT_MS, wholeProperty } from './kafka-client-options.js';
import { KafkaSplitAssignment, splitId, type KafkaPartitionSplit, type KafkaSourceEnumState } from './kafka-split-assignment.js';
import type { OffsetsInitializer } from './offsets-initializer.js';

/** The kind of Source.splitEnumerator() a KafkaSource describes. */
export const KAFKA_ENUMERATOR_KIND = 'kafka';

/** What the plan carries of a KafkaSource for its enumerator (JSON). */
export interface KafkaEnumeratorSettings {
  readonly properties: Readonly<Record<string, string>>;
  readonly topics?: readonly string[];
  /** A RegExp as source and flags (anchored by the builder). */
  readonly topicPattern?: { readonly source: string; readonly flags: string };
  readonly groupId: string;
  readonly startingOffsets: OffsetsInitializer;
  readonly bounded: boolean;
}

/** What the enumerator needs of the JobMaster. */
export interface KafkaEnumeratorContext {
  /** Runs `fn` in the owner's main thread. */
  runInMainThread(fn: () => void): void;
  /** Runs `fn` in the owner's main thread after `delayMs`. */
  schedule(fn: () => void, delayMs: number): { cancel(): void };
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  /** New splits are waiting for some subtasks, or none can come any more (answer the requests held). */
  splitsAvailable(): void;
  /** Fails the job (its restart strategy decides what next). */
  failJob(cause: Error): void;
}

export const DEFAULT_DISCOVERY_INTERVAL_MS = 300_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Attempts of one discovery before the job fails. */
export const DISCOVERY_ATTEMPTS = 3;
const RETRY_INITIAL_MS = 500;
const RETRY_MAX_MS = 5_000;

/** A discovery failure that trying again cannot help (a topic that does not exist). */
class DiscoveryError extends Error {
  override readonly name = 'KafkaDiscoveryError';
}

export class KafkaSourceEnumerator {
  private assignment: KafkaSplitAssignment;
  private generation = 0;
  private timer: { cancel(): void } | undefined;
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private closed = false;
  private readonly properties: ReadonlyMap<string, string>;
  private readonly pattern: RegExp | undefined;
  private readonly discoveryIntervalMs: number;
  private readonly deadlineMs: number;

  constructor(
    private readonly settings: KafkaEnumeratorSettings,
    readonly parallelism: number,
    private readonly context: KafkaEnumeratorContext,
  ) {
    this.properties = new Map(Object.entries(settings.properties));
    if (this.properties.get(BOOTSTRAP_SERVERS) === undefined) throw new Error('the KafkaSource in the plan has no bootstrap servers');
    this.pattern = settings.topicPattern === undefined ? undefined : new RegExp(settings.topicPattern.source, settings.topicPattern.flags);
    this.discoveryIntervalMs = settings.bounded ? 0 : wholeProperty(this.properties, PARTITION_DISCOVERY_INTERVAL_MS, DEFAULT_DISCOVERY_INTERVAL_MS);
    this.deadlineMs = wholeProperty(this.properties, REQUEST_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS) + 1_000;
    this.assignment = new KafkaSplitAssignment(parallelism);
  }

  /**
   * (Re)starts from `restored` (a checkpoint's state; undefined: nothing known) with a discovery now.
   * Splits handed out before are forgotten: the JobMaster calls it when it (re)deploys the readers.
   */
  start(restored?: KafkaSourceEnumState): void {
    if (this.closed) return;
    this.stop();
    this.assignment = new KafkaSplitAssignment(this.parallelism, restored);
    if (restored !== undefined && restored.splits.length > 0) this.context.splitsAvailable();
    // Bounded: one discovery, unless the restored state has it already.
    if (this.settings.bounded && this.assignment.initialDiscoveryFinished) return;
    this.discover(this.generation, 1);
  }

  /** Stops discovering (the job fails over or ends) until start(). */
  stop(): void {
    this.generation++;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** The next split for `subtask` (id and JSON); moreMayCome false once none can come any more. */
  nextSplit(subtask: number): { readonly split: { readonly id: string; readonly split: string } | undefined; readonly moreMayCome: boolean } {
    const next = this.assignment.nextSplit(subtask);
    if (next !== undefined) return { split: { id: splitId(next.topic, next.partition), split: JSON.stringify(next) }, moreMayCome: true };
    return { split: undefined, moreMayCome: this.moreMayCome };
  }

  /** False once a bounded source's partitions are all known: a subtask with none waiting gets no more. */
  get moreMayCome(): boolean {
    return !(this.settings.bounded && this.assignment.initialDiscoveryFinished);
  }

  hasPending(subtask: number): boolean {
    return this.assignment.hasPending(subtask);
  }

  snapshotState(): KafkaSourceEnumState {
    return this.assignment.snapshot();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stop();
    const clients = [this.consumer?.close(), this.admin?.close()];
    this.consumer = undefined;
    this.admin = undefined;
    await Promise.all(clients.map((closing) => closing?.catch(() => undefined)));
  }

  private discover(generation: number, attempt: number): void {
    const initial = !this.assignment.initialDiscoveryFinished;
    const known = (topic: string, partition: number): boolean => this.assignment.isKnown(topic, partition);
    withDeadline(this.listNewPartitions(known, initial), this.deadlineMs, () => `listing the partitions took longer than ${this.deadlineMs} ms (request.timeout.ms + 1 s)`).then(
      (splits) =>
        this.context.runInMainThread(() => {
          if (generation !== this.generation || this.closed) return;
          const added = this.assignment.addDiscovered(splits);
          if (added.length > 0) this.context.info({ partitions: added.map((split) => splitId(split.topic, split.partition)), bootstrapServers: this.servers }, 'Discovered new Kafka partitions');
          if (added.length > 0 || !this.moreMayCome) this.context.splitsAvailable();
          if (this.discoveryIntervalMs > 0) this.timer = this.context.schedule(() => this.discover(generation, 1), this.discoveryIntervalMs);
        }),
      (error: unknown) =>
        this.context.runInMainThread(() => {
          if (generation !== this.generation || this.closed) return;
          const cause = `KafkaSourceEnumerator could not read the partitions of ${this.describeTopics()} from the Kafka brokers at ${this.servers}: ${describeError(error)}`;
          if (error instanceof DiscoveryError || attempt >= DISCOVERY_ATTEMPTS) {
            this.stop();
            this.context.failJob(new Error(cause, { cause: error }));
            return;
          }
          const delayMs = Math.round(Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
          this.context.warn(
            { bootstrapServers: this.servers, attempt, attempts: DISCOVERY_ATTEMPTS, delayMs, err: describeError(error) },
            'Kafka partition discovery failed; waiting for the Kafka brokers to answer before trying again',
          );
          this.timer = this.context.schedule(() => this.discover(generation, attempt + 1), delayMs);
        }),
    );
  }

  /** The partitions of the source's topics that `known` does not have, with where they start (and stop). */
  private async listNewPartitions(known: (topic: string, partition: number) => boolean, initial: boolean): Promise<KafkaPartitionSplit[]> {
    const { consumer, admin } = this.clients();
    const topics = this.pattern === undefined ? [...(this.settings.topics ?? [])] : (await admin.listTopics()).filter((topic) => (this.pattern as RegExp).test(topic) && !topic.startsWith('__')).sort();
    if (topics.length === 0) return [];
    const metadata = await this.metadataOf(consumer, topics);
    const fresh: { topic: string; partition: number }[] = [];
    for (const topic of topics) {
      const described = metadata.topics.get(topic);
      if (described === undefined) continue;
      for (let partition = 0; partition < described.partitionsCount; partition++) if (!known(topic, partition)) fresh.push({ topic, partition });
    }
    if (fresh.length === 0) return [];
    // Partitions found after the first discovery start at their beginning (Flink's default for new partitions).
    const starts = await this.startingOffsets(consumer, fresh, initial ? this.settings.startingOffsets : { kind: 'earliest' });
    const stops = this.settings.bounded ? await listOffsets(consumer, fresh, -1n) : undefined;
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

  private get servers(): string {
    return this.properties.get(BOOTSTRAP_SERVERS) as string;
  }

  private describeTopics(): string {
    return this.pattern !== undefined ? `the topics matching ${String(this.pattern)}` : `topic(s) ${(this.settings.topics ?? []).join(', ')}`;
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

/** `promise`, or a rejection after `ms` saying `what`; the timer is cleared either way. */
function withDeadline<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what())), ms);
  });
  // A call still running at the deadline settles later, unobserved: keep its rejection handled.
  promise.catch(() => undefined);
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
