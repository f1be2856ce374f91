/**
 * KafkaSink (Flink's, with its builder), used with `stream.sinkTo(sink)`.
 *
 * DeliveryGuarantee:
 * - NONE: records are sent as they come; a failure may lose or repeat some.
 * - AT_LEAST_ONCE: as NONE, and checkpoint N is acknowledged only once every record sent before
 *   its barrier is acknowledged by Kafka (a flush per checkpoint): nothing is lost, a restore may
 *   repeat what was written after the checkpoint.
 * - EXACTLY_ONCE: one Kafka transaction per checkpoint per subtask (Flink's two-phase commit).
 *   Records go into the subtask's open transaction; at checkpoint N's barrier it is prepared (its
 *   records flushed before N is acknowledged; its transactional id, producer id, epoch and
 *   transaction protocol go into N's state) and a new one begins; when N completes, the prepared
 *   ones are committed. After a failure the transactions the restored checkpoint prepared are
 *   committed, and the ones begun after it are aborted: every transactional id this subtask used
 *   after the checkpoint is fenced (InitProducerId aborts its open transaction), up to the first id
 *   never used. Consumers see the output with isolation.level=read_committed, one checkpoint
 *   interval late.
 *
 * Transactional ids are `<prefix>-<subtask>-<n>` with n counting up per subtask (n is in the
 * checkpoints), so two jobs writing to one cluster need different prefixes
 * (setTransactionalIdPrefix); a producer of another job with the same id is fenced, and its
 * writes fail with a fencing error.
 *
 * invoke() is synchronous and never waits: records are batched and sent in the background (a batch
 * at 1000 records, or after `linger.ms`); a failed send fails the task at the next record or
 * checkpoint.
 */
import { Producer, type MessageToProduce } from '@platformatic/kafka';
import {
  CheckpointConfig,
  ListStateDescriptor,
  type CheckpointedFunction,
  type CheckpointListener,
  type FlushingFunction,
  type FunctionInitializationContext,
  type FunctionSnapshotContext,
  type ListState,
  type RuntimeContext,
  type Sink,
} from '@eddy/api';
import { BOOTSTRAP_SERVERS, clientOptions, describeError, TRANSACTION_TIMEOUT_MS, wholeProperty } from './kafka-client-options.js';
import { KafkaTransactions, type PreparedTransaction } from './kafka-transactions.js';
import type { KafkaRecordSerializationSchema } from './serialization.js';

export type DeliveryGuarantee = 'NONE' | 'AT_LEAST_ONCE' | 'EXACTLY_ONCE';
export const DeliveryGuarantee = { NONE: 'NONE', AT_LEAST_ONCE: 'AT_LEAST_ONCE', EXACTLY_ONCE: 'EXACTLY_ONCE' } as const satisfies Record<DeliveryGuarantee, DeliveryGuarantee>;

/** One entry of the sink's operator state (a union list: a rescaled restore sees every subtask's). */
type SinkStateEntry =
  | ({ readonly kind: 'prepared'; readonly subtask: number; readonly checkpointId: number } & PreparedTransaction)
  | { readonly kind: 'next'; readonly subtask: number; readonly nextTransaction: number }
  /** Records buffered for a transaction that had not begun at the barrier: written in a later one. */
  | { readonly kind: 'carried'; readonly subtask: number; readonly records: readonly { topic: string; key?: string; value?: string; partition?: number }[] };

interface OpenTransaction {
  readonly transactionalId: string;
  /** n of <prefix>-<subtask>-<n>. */
  readonly index: number;
  readonly producer: Producer;
  /** Set once InitProducerId answered. */
  transaction: Awaited<ReturnType<Producer['beginTransaction']>> | undefined;
  begun: Promise<void>;
  /** The sends of this transaction, in order. */
  sent: Promise<void>;
  records: number;
}

interface Prepared extends PreparedTransaction {
  readonly checkpointId: number;
  readonly open: OpenTransaction | undefined;
}

const STATE_NAME = 'kafka-sink-transactions';
const BATCH_RECORDS = 1000;
/** The most a send carries: half of a broker's default message.max.bytes (1 MB), its record batches' limit. */
const SEND_MAX_BYTES = 512 * 1024;
const RECORD_OVERHEAD_BYTES = 24;
const DEFAULT_LINGER_MS = 10;
/** Flink's default is 1 h, above a broker's default maximum of 15 min; Eddy's fits under it. */
const DEFAULT_TRANSACTION_TIMEOUT_MS = 600_000;

export interface KafkaSinkConfig<T> {
  readonly properties: ReadonlyMap<string, string>;
  readonly serializer: KafkaRecordSerializationSchema<T>;
  readonly deliveryGuarantee: DeliveryGuarantee;
  readonly transactionalIdPrefix: string;
}

export class KafkaSink<T> implements Sink<T>, CheckpointedFunction, CheckpointListener, FlushingFunction {
  readonly sinkName = 'Kafka Sink';
  private readonly stateDescriptor = new ListStateDescriptor<SinkStateEntry>(STATE_NAME);
  private state: ListState<SinkStateEntry> | undefined;
  private restored: SinkStateEntry[] = [];
  private subtask = 0;
  private buffer: MessageToProduce[] = [];
  private error: unknown;
  private timer: NodeJS.Timeout | undefined;
  // NONE and AT_LEAST_ONCE
  private producer: Producer | undefined;
  /** The sends so far, one after the other. */
  private sending: Promise<void> = Promise.resolve();
  // EXACTLY_ONCE
  private transactions: KafkaTransactions | undefined;
  private current: OpenTransaction | undefined;
  private prepared: Prepared[] = [];
  private nextTransaction = 0;
  private flushing: Promise<void> | undefined;
  /** The commits of notifyCheckpointComplete, one after the other. */
  private committing: Promise<void> = Promise.resolve();
  /** The job takes checkpoints (execution.checkpointing.interval): then a final one follows the end of input. */
  private checkpointing = false;
  /** close() ran (end of input) in a job with checkpoints: no transaction begins any more. */
  private ended = false;

  static builder<T>(): KafkaSinkBuilder<T> {
    return new KafkaSinkBuilder<T>();
  }

  constructor(private readonly config: KafkaSinkConfig<T>) {}

  initializeState(context: FunctionInitializationContext): void {
    this.state = context.getOperatorStateStore().getUnionListState(this.stateDescriptor);
    this.restored = [...this.state.get()];
  }

  async open(context: RuntimeContext): Promise<void> {
    this.subtask = context.indexOfThisSubtask;
    this.checkpointing = new CheckpointConfig(new Map(Object.entries(context.configuration ?? {}))).isCheckpointingEnabled();
    const options = clientOptions(this.config.properties, `eddy-sink-${this.subtask}`);
    const servers = this.config.properties.get(BOOTSTRAP_SERVERS) as string;
    if (this.config.deliveryGuarantee === 'EXACTLY_ONCE') {
      const timeoutMs = wholeProperty(this.config.properties, TRANSACTION_TIMEOUT_MS, DEFAULT_TRANSACTION_TIMEOUT_MS);
      this.transactions = new KafkaTransactions(options, timeoutMs);
      let max: number | undefined;
      try {
        max = await this.transactions.brokerMaxTransactionTimeoutMs();
      } catch (error) {
        throw new Error(`KafkaSink could not reach the Kafka brokers at ${servers}: ${describeError(error)}`, { cause: error });
      }
      if (max !== undefined && timeoutMs > max) {
        throw new Error(
          `KafkaSink's transaction.timeout.ms (${timeoutMs}) is above the broker's transaction.max.timeout.ms (${max}); ` +
            `lower it with setProperty('transaction.timeout.ms', ...) (it must stay above the checkpoint interval) or raise the broker's maximum`,
        );
      }
      await this.recover(context.numberOfParallelSubtasks);
      this.beginTransaction();
    } else {
      this.producer = new Producer({ ...options, idempotent: this.config.deliveryGuarantee === 'AT_LEAST_ONCE' });
    }
    const lingerMs = wholeProperty(this.config.properties, 'linger.ms', DEFAULT_LINGER_MS);
    this.timer = setInterval(() => this.send(), Math.max(1, lingerMs));
    this.timer.unref?.();
  }

  invoke(value: T): void {
    if (this.error !== undefined) throw this.failure();
    const record = this.config.serializer.serialize(value);
    const message: MessageToProduce = { topic: record.topic };
    if (record.key !== undefined) message.key = record.key;
    if (record.value !== undefined) message.value = record.value;
    if (record.partition !== undefined) message.partition = record.partition;
    if (record.headers !== undefined) message.headers = new Map(record.headers) as unknown as Map<Buffer, Buffer>;
    this.buffer.push(message);
    if (this.buffer.length >= BATCH_RECORDS) this.send();
  }

  snapshotState(context: FunctionSnapshotContext): void {
    if (this.error !== undefined) throw this.failure();
    const checkpointId = context.getCheckpointId();
    if (this.config.deliveryGuarantee !== 'EXACTLY_ONCE') {
      this.send();
      this.flushing = this.config.deliveryGuarantee === 'AT_LEAST_ONCE' ? this.sending.then(() => (this.error === undefined ? undefined : Promise.reject(this.failure()))) : undefined;
      this.state?.update([]);
      return;
    }
    const current = this.current;
    const entries: SinkStateEntry[] = [];
    if (current === undefined) {
      // After the end of input, the last transaction was prepared by an earlier checkpoint.
      this.flushing = undefined;
    } else if (current.transaction !== undefined && current.transaction.id !== undefined) {
      this.send();
      const producerId = current.producer.producerId;
      const producerEpoch = current.producer.producerEpoch;
      if (current.records > 0 && producerId !== undefined && producerEpoch !== undefined) {
        this.prepared.push({ transactionalId: current.transactionalId, producerId: String(producerId), producerEpoch, transactionVersion: 1, checkpointId, open: current });
        this.flushing = current.sent.catch(() => Promise.reject(this.failure()));
        // After the end of input nothing more comes: this (final) checkpoint commits the last transaction.
        if (this.ended) this.current = undefined;
        else this.beginTransaction();
      } else {
        this.flushing = undefined;
      }
    } else {
      // The transaction has not begun (InitProducerId is slow): its records wait in the buffer and
      // are kept in the checkpoint, so a restore writes them again.
      this.flushing = undefined;
      entries.push({ kind: 'carried', subtask: this.subtask, records: this.buffer.map(encodeMessage) });
    }
    for (const prepared of this.prepared) {
      const { open: _open, ...rest } = prepared;
      entries.push({ kind: 'prepared', subtask: this.subtask, ...rest });
    }
    // The open transaction was begun after this checkpoint: a restore must fence its id too.
    entries.push({ kind: 'next', subtask: this.subtask, nextTransaction: this.current?.index ?? this.nextTransaction });
    this.state?.update(entries);
  }

  flushForCheckpoint(_checkpointId: number): Promise<void> | undefined {
    const flushing = this.flushing;
    this.flushing = undefined;
    return flushing;
  }

  /**
   * Commits the transactions prepared up to `checkpointId`. The runtime does not wait for one
   * notification before it sends the next, so they are chained here: each commits, in checkpoint
   * order, what the ones before left, and a transaction is committed once. A prepared transaction
   * stays in the state until it is committed, so a checkpoint taken meanwhile keeps it too.
   */
  notifyCheckpointComplete(checkpointId: number): Promise<void> | undefined {
    if (this.config.deliveryGuarantee !== 'EXACTLY_ONCE') return undefined;
    const commit = this.committing.then(() => this.commitUpTo(checkpointId));
    this.committing = commit.catch(() => undefined);
    return commit;
  }

  private async commitUpTo(checkpointId: number): Promise<void> {
    const due = this.prepared.filter((prepared) => prepared.checkpointId <= checkpointId);
    for (const prepared of due) {
      const open = prepared.open;
      try {
        if (open !== undefined) {
          await open.sent;
          await open.transaction?.commit();
          await open.producer.close().catch(() => undefined);
        } else {
          await (this.transactions as KafkaTransactions).commitPrepared(prepared);
        }
      } catch (error) {
        this.error ??= error;
        throw this.failure();
      }
      this.prepared.splice(this.prepared.indexOf(prepared), 1);
    }
    await this.releaseIfDone();
  }

  /**
   * End of input (Flink's finish). NONE and AT_LEAST_ONCE: every record is sent and acknowledged.
   * EXACTLY_ONCE: the open transaction's records are sent; with checkpoints, the final checkpoint
   * the runtime takes after the end of input prepares that transaction and its completion commits
   * it (and then the producers go, see releaseIfDone); without checkpoints it is committed here.
   */
  async close(): Promise<void> {
    this.stopTimer();
    if (this.config.deliveryGuarantee !== 'EXACTLY_ONCE') {
      try {
        this.send();
        await this.sending;
        if (this.error !== undefined) throw this.failure();
      } finally {
        await this.release();
      }
      return;
    }
    const current = this.current;
    if (current !== undefined) {
      await current.begun;
      this.send();
      await current.sent.catch(() => undefined);
    }
    if (this.error !== undefined) {
      await this.dispose();
      throw this.failure();
    }
    if (this.checkpointing) {
      this.ended = true;
      await this.releaseIfDone();
      return;
    }
    try {
      await this.committing;
      if (current !== undefined && current.records > 0) await current.transaction?.commit();
    } finally {
      await this.dispose();
    }
  }

  /** After the end of input: once nothing is left to commit, the producers and the admin client go. */
  private async releaseIfDone(): Promise<void> {
    if (!this.ended || this.prepared.length > 0 || (this.current !== undefined && this.current.records > 0)) return;
    await closeProducer(this.current?.producer);
    this.current = undefined;
    await this.release();
  }

  /** After a failure or cancel: nothing more is committed here (a restore decides). */
  async dispose(): Promise<void> {
    this.stopTimer();
    this.buffer = [];
    await closeProducer(this.current?.producer);
    for (const prepared of this.prepared) await closeProducer(prepared.open?.producer);
    await this.release();
  }

  private async release(): Promise<void> {
    await closeProducer(this.producer);
    await this.transactions?.close();
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Sends the buffered records (into the open transaction once it has begun). */
  private send(): void {
    if (this.buffer.length === 0) return;
    if (this.config.deliveryGuarantee !== 'EXACTLY_ONCE') {
      const batches = this.takeBatches();
      const producer = this.producer as Producer;
      // One send at a time: the idempotent producer's sequence numbers must reach the broker in order.
      this.sending = this.sending.then(() => sendAll(producer, batches)).then(
        () => undefined,
        (error: unknown) => {
          this.error ??= error;
        },
      );
      return;
    }
    const current = this.current as OpenTransaction;
    const transaction = current.transaction;
    if (transaction === undefined) return;
    current.records += this.buffer.length;
    const batches = this.takeBatches();
    current.sent = current.sent.then(() => sendAll(transaction, batches)).then(
      () => undefined,
      (error: unknown) => {
        this.error ??= error;
        throw error;
      },
    );
    current.sent.catch(() => undefined);
  }

  /**
   * Empties the buffer into sends of at most BATCH_RECORDS records and about SEND_MAX_BYTES: the
   * client writes a send's records of a partition as one record batch, which must stay under the
   * broker's message.max.bytes (1 MB by default), and the buffer can hold far more (records wait
   * there while a transaction begins).
   */
  private takeBatches(): MessageToProduce[][] {
    const buffer = this.buffer;
    this.buffer = [];
    if (buffer.length <= BATCH_RECORDS && bytesOf(buffer) <= SEND_MAX_BYTES) return [buffer];
    const batches: MessageToProduce[][] = [];
    let batch: MessageToProduce[] = [];
    let bytes = 0;
    for (const message of buffer) {
      const size = messageBytes(message);
      if (batch.length > 0 && (batch.length >= BATCH_RECORDS || bytes + size > SEND_MAX_BYTES)) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(message);
      bytes += size;
    }
    if (batch.length > 0) batches.push(batch);
    return batches;
  }

  private beginTransaction(): void {
    const index = this.nextTransaction++;
    const transactionalId = `${this.config.transactionalIdPrefix}-${this.subtask}-${index}`;
    const options = clientOptions(this.config.properties, `eddy-sink-${this.subtask}`);
    const timeoutMs = wholeProperty(this.config.properties, TRANSACTION_TIMEOUT_MS, DEFAULT_TRANSACTION_TIMEOUT_MS);
    // The client sends its request timeout as the transaction timeout in InitProducerId.
    const producer = new Producer({ ...options, timeout: timeoutMs, transactionalId, idempotent: true });
    const open: OpenTransaction = { transactionalId, index, producer, transaction: undefined, begun: Promise.resolve(), sent: Promise.resolve(), records: 0 };
    open.begun = producer.beginTransaction().then(
      (transaction) => {
        open.transaction = transaction;
        if (this.current === open) this.send();
      },
      (error: unknown) => {
        this.error ??= new Error(`KafkaSink could not begin transaction ${transactionalId}: ${describeError(error)}`, { cause: error });
      },
    );
    this.current = open;
  }

  /**
   * After a restore: commits what the checkpoint prepared and aborts what was begun after it, for
   * this subtask and for the old subtasks it takes over (old index % new parallelism).
   */
  private async recover(parallelism: number): Promise<void> {
    const transactions = this.transactions as KafkaTransactions;
    const mine = this.restored.filter((entry) => entry.subtask % parallelism === this.subtask);
    const oldSubtasks = new Set([this.subtask, ...mine.map((entry) => entry.subtask)]);
    for (const entry of mine) {
      if (entry.kind === 'prepared') await transactions.commitPrepared(entry);
      if (entry.kind === 'carried') for (const record of entry.records) this.buffer.push(decodeMessage(record));
    }
    for (const old of oldSubtasks) {
      const next = mine.find((entry): entry is Extract<SinkStateEntry, { kind: 'next' }> => entry.kind === 'next' && entry.subtask === old)?.nextTransaction ?? 0;
      // Ids from `next` on may hold transactions begun after the checkpoint: abort them, up to the first id never used.
      let n = next;
      for (;;) {
        const epoch = await transactions.fence(`${this.config.transactionalIdPrefix}-${old}-${n}`);
        n++;
        if (epoch === 0) break;
      }
      if (old === this.subtask) this.nextTransaction = n;
    }
    this.restored = [];
  }

  private failure(): Error {
    const error = this.error;
    const fenced = /fenced|PRODUCER_FENCED|INVALID_PRODUCER_EPOCH/i.test(describeError(error));
    return new Error(
      fenced
        ? `KafkaSink was fenced: another producer uses its transactional ids (prefix ${this.config.transactionalIdPrefix}); give each job its own setTransactionalIdPrefix: ${describeError(error)}`
        : `KafkaSink could not write to Kafka at ${this.config.properties.get(BOOTSTRAP_SERVERS)}: ${describeError(error)}`,
      { cause: error },
    );
  }
}

/** Sends the batches one after the other (in order: the producer is idempotent). */
async function sendAll(target: { send(options: { messages: MessageToProduce[] }): Promise<unknown> }, batches: MessageToProduce[][]): Promise<void> {
  for (const messages of batches) await target.send({ messages });
}

/** About what a record takes in a record batch (key, value, headers and its framing). */
function messageBytes(message: MessageToProduce): number {
  let bytes = RECORD_OVERHEAD_BYTES + ((message.key as Buffer | undefined)?.length ?? 0) + ((message.value as Buffer | undefined)?.length ?? 0);
  if (message.headers !== undefined) for (const [name, value] of message.headers as Map<Buffer, Buffer>) bytes += name.length + (value?.length ?? 0);
  return bytes;
}

function bytesOf(messages: readonly MessageToProduce[]): number {
  let bytes = 0;
  for (const message of messages) bytes += messageBytes(message);
  return bytes;
}

/** Closes a producer even with sends pending (after a failure, or once everything was awaited). */
async function closeProducer(producer: Producer | undefined): Promise<void> {
  if (producer === undefined) return;
  await (producer.close(true) as unknown as Promise<void>).catch(() => undefined);
}

function encodeMessage(message: MessageToProduce): { topic: string; key?: string; value?: string; partition?: number } {
  return {
    topic: message.topic,
    ...(message.key === undefined ? {} : { key: (message.key as Buffer).toString('base64') }),
    ...(message.value === undefined ? {} : { value: (message.value as Buffer).toString('base64') }),
    ...(message.partition === undefined ? {} : { partition: message.partition }),
  };
}

function decodeMessage(record: { topic: string; key?: string; value?: string; partition?: number }): MessageToProduce {
  const message: MessageToProduce = { topic: record.topic };
  if (record.key !== undefined) message.key = Buffer.from(record.key, 'base64');
  if (record.value !== undefined) message.value = Buffer.from(record.value, 'base64');
  if (record.partition !== undefined) message.partition = record.partition;
  return message;
}

/** Flink's KafkaSinkBuilder. */
export class KafkaSinkBuilder<T> {
  private readonly properties = new Map<string, string>();
  private serializer: KafkaRecordSerializationSchema<T> | undefined;
  private deliveryGuarantee: DeliveryGuarantee = 'NONE';
  private transactionalIdPrefix: string | undefined;

  setBootstrapServers(servers: string): this {
    if (typeof servers !== 'string' || servers.trim() === '') throw new TypeError('setBootstrapServers needs "host:port[,host:port...]"');
    this.properties.set(BOOTSTRAP_SERVERS, servers);
    return this;
  }

  setRecordSerializer(serializer: KafkaRecordSerializationSchema<T>): this {
    if (serializer === null || typeof serializer !== 'object' || typeof serializer.serialize !== 'function') throw new TypeError('setRecordSerializer needs KafkaRecordSerializationSchema.builder()...build()');
    this.serializer = serializer;
    return this;
  }

  setDeliveryGuarantee(guarantee: DeliveryGuarantee): this {
    if (!(guarantee in DeliveryGuarantee)) throw new RangeError(`setDeliveryGuarantee takes NONE, AT_LEAST_ONCE or EXACTLY_ONCE, got ${String(guarantee)}`);
    this.deliveryGuarantee = guarantee;
    return this;
  }

  /** The prefix of this sink's transactional ids; unique per job writing to the cluster. */
  setTransactionalIdPrefix(prefix: string): this {
    if (typeof prefix !== 'string' || prefix.length === 0) throw new TypeError('setTransactionalIdPrefix needs a non-empty prefix');
    this.transactionalIdPrefix = prefix;
    return this;
  }

  /** A producer property (transaction.timeout.ms, linger.ms, request.timeout.ms, retries). */
  setProperty(key: string, value: string): this {
    this.properties.set(key, String(value));
    return this;
  }

  build(): KafkaSink<T> {
    if (!this.properties.has(BOOTSTRAP_SERVERS)) throw new Error('KafkaSink needs bootstrap servers: call setBootstrapServers("host:9092")');
    if (this.serializer === undefined) throw new Error('KafkaSink needs a record serializer: call setRecordSerializer(KafkaRecordSerializationSchema.builder()...build())');
    if (this.deliveryGuarantee === 'EXACTLY_ONCE' && this.transactionalIdPrefix === undefined) {
      throw new Error('an EXACTLY_ONCE KafkaSink needs setTransactionalIdPrefix(...): its transactional ids must not collide with another job\'s');
    }
    wholeProperty(this.properties, TRANSACTION_TIMEOUT_MS, 0);
    return new KafkaSink<T>({
      properties: new Map(this.properties),
      serializer: this.serializer,
      deliveryGuarantee: this.deliveryGuarantee,
      transactionalIdPrefix: this.transactionalIdPrefix ?? 'eddy-kafka-sink',
    });
  }
}
