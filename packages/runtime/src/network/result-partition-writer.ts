/**
 * ResultPartitionWriter: the producing end of the data plane, inside a task's worker thread. One
 * per result a task produces; one subpartition per consumer subtask (Flink's ResultPartition with
 * its PipelinedSubpartitions and their credit-based views).
 *
 * Records go into the subpartition's open buffer (emit, broadcastEmit). A buffer is cut when it
 * holds about `bufferSizeBytes` of records, when it is older than `bufferTimeoutMs` (the output
 * flusher: one timer per writer), on flushAll(), or after every record with a timeout of 0. A cut
 * buffer waits in the subpartition's queue until its consumer grants a credit, then crosses the
 * subpartition's MessagePort as a transferred ArrayBuffer (see network-buffer.ts).
 *
 *   emit ──► open buffer ──cut──► queue (≤ max-queued data buffers) ──credit──► port ──► consumer
 *
 * A flush without credit does not cut: the open buffer keeps filling and goes out, whole, with the
 * next credit. So a slow consumer gets fewer, fuller buffers instead of many small ones.
 *
 * Backpressure: the writer is backpressured while any subpartition has `maxQueuedBuffersPerChannel`
 * data buffers waiting for credit (a subpartition whose consumer has not connected yet counts: its
 * records wait too). JavaScript cannot block inside emit(), so the task checks isBackPressured()
 * between batches of records and awaits whenAvailable(); while it does, the credits that free the
 * queue arrive as port messages. A task that keeps this contract holds at most credits + max-queued
 * + 1 buffers per subpartition, plus what it emits between two checks.
 *
 * Records are encoded when their buffer is cut, in one batch (see record-batch-serializer.ts for
 * why): until then the writer holds a reference to each emitted record, so a record must not be
 * changed after it was emitted (the same rule as between chained operators), and a record that
 * cannot be encoded fails the emit(), flushAll() or finish() that cuts its buffer.
 *
 * A subpartition whose port closes before its END_OF_PARTITION went out (the consumer task ended,
 * its TaskManager or the connection to it was lost) fails the writer: `onError` runs once,
 * emit() throws, whenAvailable() and finish() reject, and every other port is closed so the other
 * consumers learn of it too.
 *
 * Threading: everything runs on the task's event loop; port messages (credits) are handled between
 * the task's own turns. Nothing here is per record but an array push and two comparisons.
 *
 * Loaded by task worker threads: imports only the network's worker-side modules.
 */
import type { MessagePort } from 'node:worker_threads';
import {
  BufferKind,
  BUFFER_HEADER_BYTES,
  bufferKindOf,
  dataBuffer,
  DEFAULT_BUFFER_SIZE_BYTES,
  DEFAULT_BUFFER_TIMEOUT_MS,
  DEFAULT_MAX_QUEUED_BUFFERS_PER_CHANNEL,
  eventBuffer,
  NO_TIMESTAMP,
  timestampedDataBuffer,
} from './network-buffer.js';
import { ChannelClosedError, NetworkError } from './network-errors.js';
import { defaultRecordBatchSerializer, type RecordBatchSerializer, type RecordBatchSerializerFactory } from './record-batch-serializer.js';
import type { Counter } from '../metrics/task-io-metrics.js';

export interface ResultPartitionWriterOptions {
  readonly numberOfSubpartitions: number;
  /** Target size of a buffer (`taskmanager.memory.segment-size`); default 32 KiB. */
  readonly bufferSizeBytes?: number;
  /**
   * Longest a record waits in a partly filled buffer (`execution.buffer-timeout`); default 100 ms.
   * 0 flushes after every record: lowest latency, one buffer per record.
   */
  readonly bufferTimeoutMs?: number;
  /**
   * Data buffers a subpartition queues while it has no credit before the writer reports
   * backpressure (`taskmanager.network.memory.max-queued-buffers-per-channel`); default 8.
   */
  readonly maxQueuedBuffersPerChannel?: number;
  /** One serializer per subpartition; default the record codec of @eddy/api (self-contained buffers). */
  readonly serializerFactory?: RecordBatchSerializerFactory;
  /** Runs once when a subpartition's consumer goes away before the partition ended. */
  readonly onError?: (error: Error) => void;
  /** Counts the records of each buffer as it is cut (the task's numRecordsOut). */
  readonly numRecordsOut?: Counter;
  /** Counts the bytes of each data buffer as it is cut (the task's numBytesOut). */
  readonly numBytesOut?: Counter;
}

type WriterState = 'RUNNING' | 'FINISHING' | 'FINISHED' | 'FAILED' | 'CLOSED';

/** Most records in one buffer, however small they are. */
const MAX_RECORDS_PER_BUFFER = 1 << 16;

class ResultSubpartition {
  /** Records of the open buffer, not encoded yet. */
  readonly pending: unknown[] = [];
  /**
   * Their timestamps, from the first record with one on (the ones before it filled in with
   * NO_TIMESTAMP); undefined while no record of the open buffer has a timestamp.
   */
  timestamps: number[] | undefined;
  /** Cut buffers (data and events), oldest first, not handed to the port yet. */
  readonly queue: ArrayBuffer[] = [];
  /** Data buffers in `queue`. */
  queuedData = 0;
  credit = 0;
  port: MessagePort | undefined;
  /** The open buffer goes out with the next credit, however full it is. */
  flushRequested = false;
  backPressured = false;
  endOfPartitionSent = false;

  constructor(
    readonly index: number,
    readonly serializer: RecordBatchSerializer,
  ) {}
}

interface Deferred {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A rejection nobody waits for must not crash the thread; whoever awaits still sees it.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

const AVAILABLE = Promise.resolve();

export class ResultPartitionWriter {
  readonly numberOfSubpartitions: number;
  readonly bufferSizeBytes: number;
  readonly bufferTimeoutMs: number;
  readonly maxQueuedBuffersPerChannel: number;

  readonly #subpartitions: ResultSubpartition[];
  readonly #serializerFactory: RecordBatchSerializerFactory;
  readonly #onError: ((error: Error) => void) | undefined;
  readonly #numRecordsOut: Counter | undefined;
  readonly #numBytesOut: Counter | undefined;
  readonly #flushEveryRecord: boolean;
  #state: WriterState = 'RUNNING';
  #failure: Error | undefined;
  /** Records that fill a buffer, from the encoded size of the records so far. */
  #recordsPerBuffer = 0;
  #bytesPerRecord = 0;
  /** Subpartitions with a full queue. */
  #backPressuredCount = 0;
  #availability: Deferred | undefined;
  #finished: Deferred | undefined;
  #unfinishedSubpartitions: number;
  #flushTimer: NodeJS.Timeout | undefined;
  readonly #flushOnTimer = (): void => {
    this.#flushTimer = undefined;
    try {
      this.flushAll();
    } catch {
      // A batch that does not encode failed the writer, and onError told its owner.
    }
  };

  constructor(options: ResultPartitionWriterOptions) {
    const { numberOfSubpartitions } = options;
    if (!Number.isInteger(numberOfSubpartitions) || numberOfSubpartitions < 1) {
      throw new RangeError(`numberOfSubpartitions must be a whole number of at least 1, got ${numberOfSubpartitions}`);
    }
    this.numberOfSubpartitions = numberOfSubpartitions;
    this.bufferSizeBytes = options.bufferSizeBytes ?? DEFAULT_BUFFER_SIZE_BYTES;
    this.bufferTimeoutMs = options.bufferTimeoutMs ?? DEFAULT_BUFFER_TIMEOUT_MS;
    this.maxQueuedBuffersPerChannel = options.maxQueuedBuffersPerChannel ?? DEFAULT_MAX_QUEUED_BUFFERS_PER_CHANNEL;
    if (this.bufferSizeBytes <= BUFFER_HEADER_BYTES) throw new RangeError(`bufferSizeBytes must exceed ${BUFFER_HEADER_BYTES}, got ${this.bufferSizeBytes}`);
    if (!(this.bufferTimeoutMs >= 0)) throw new RangeError(`bufferTimeoutMs must be at least 0, got ${this.bufferTimeoutMs}`);
    if (!Number.isInteger(this.maxQueuedBuffersPerChannel) || this.maxQueuedBuffersPerChannel < 1) {
      throw new RangeError(`maxQueuedBuffersPerChannel must be a whole number of at least 1, got ${this.maxQueuedBuffersPerChannel}`);
    }
    this.#serializerFactory = options.serializerFactory ?? defaultRecordBatchSerializer;
    this.#onError = options.onError;
    this.#numRecordsOut = options.numRecordsOut;
    this.#numBytesOut = options.numBytesOut;
    this.#flushEveryRecord = this.bufferTimeoutMs === 0;
    this.#subpartitions = Array.from({ length: numberOfSubpartitions }, (_, index) => new ResultSubpartition(index, this.#serializerFactory()));
    this.#unfinishedSubpartitions = numberOfSubpartitions;
  }

  /**
   * Connects a subpartition to its consumer's channel. Records emitted before wait in the
   * subpartition (and count towards backpressure); they go out as the consumer grants credit.
   */
  connectSubpartition(index: number, port: MessagePort): void {
    const subpartition = this.#subpartition(index);
    if (subpartition.port !== undefined) throw new NetworkError(`Subpartition ${index} is already connected`);
    subpartition.port = port;
    if (this.#state === 'FAILED' || this.#state === 'CLOSED') {
      port.close();
      return;
    }
    port.on('message', (credit: unknown) => {
      if (typeof credit !== 'number' || !(credit > 0)) return;
      subpartition.credit += credit;
      try {
        this.#send(subpartition);
      } catch {
        // As in the flush timer: the failure went to onError.
      }
    });
    port.on('close', () => {
      if (!subpartition.endOfPartitionSent && (this.#state === 'RUNNING' || this.#state === 'FINISHING')) {
        this.#fail(new ChannelClosedError('subpartition', index));
      }
    });
    this.#send(subpartition);
  }

  /** Adds a record to a subpartition. Throws once the writer has finished, failed or closed. */
  emit(record: unknown, subpartition: number, timestamp = NO_TIMESTAMP): void {
    if (this.#state !== 'RUNNING') throw this.#notRunning();
    const target = this.#subpartitions[subpartition];
    if (target === undefined) throw new RangeError(`No subpartition ${subpartition}: this partition has ${this.numberOfSubpartitions}`);
    const length = target.pending.push(record);
    if (target.timestamps !== undefined) target.timestamps.push(timestamp);
    else if (timestamp !== NO_TIMESTAMP) this.#startTimestamps(target, timestamp);
    if (length >= this.#recordsPerBuffer) {
      if (this.#recordsPerBuffer === 0) this.#estimateRecordSize(record);
      if (length >= this.#recordsPerBuffer) {
        this.#cut(target);
        this.#send(target);
        return;
      }
    }
    if (this.#flushEveryRecord) {
      target.flushRequested = true;
      this.#send(target);
    } else if (length === 1 && this.#flushTimer === undefined) {
      this.#flushTimer = setTimeout(this.#flushOnTimer, this.bufferTimeoutMs);
    }
  }

  /** Adds a record to every subpartition (each encodes it for its own channel). */
  broadcastEmit(record: unknown, timestamp = NO_TIMESTAMP): void {
    for (let index = 0; index < this.numberOfSubpartitions; index++) this.emit(record, index, timestamp);
  }

  /**
   * Sends an event (a checkpoint barrier, END_OF_DATA) on every subpartition, after every record
   * emitted before it: the open buffers are cut first. Events need no credit. Each subpartition
   * gets its own copy (buffers are transferred). Throws once the writer has finished, failed or
   * closed.
   */
  broadcastEvent(event: ArrayBuffer): void {
    if (this.#state !== 'RUNNING') throw this.#notRunning();
    for (const subpartition of this.#subpartitions) {
      if (subpartition.pending.length > 0) this.#cut(subpartition);
      subpartition.queue.push(event.slice(0));
    }
    for (const subpartition of this.#subpartitions) this.#send(subpartition);
  }

  /** True while some subpartition's queue is full; also once the writer failed (whenAvailable() then rejects). */
  isBackPressured(): boolean {
    return this.#backPressuredCount > 0 || this.#state === 'FAILED' || this.#state === 'CLOSED';
  }

  /** Resolves once the writer is no longer backpressured; rejects when it fails or is closed first. */
  whenAvailable(): Promise<void> {
    if (this.#state === 'FAILED' || this.#state === 'CLOSED') return Promise.reject(this.#notRunning());
    if (this.#backPressuredCount === 0) return AVAILABLE;
    this.#availability ??= deferred();
    return this.#availability.promise;
  }

  /** Sends every partly filled buffer as soon as its subpartition has credit. */
  flushAll(): void {
    if (this.#state !== 'RUNNING') return;
    for (const subpartition of this.#subpartitions) {
      if (subpartition.pending.length === 0) continue;
      subpartition.flushRequested = true;
      this.#send(subpartition);
    }
  }

  /**
   * Flushes, then ends every subpartition with END_OF_PARTITION. Resolves once every subpartition
   * has handed all its buffers to its port, which takes the consumers' credit for the last ones;
   * rejects if a consumer goes away first or the writer is closed.
   */
  finish(): Promise<void> {
    if (this.#state !== 'RUNNING') return Promise.reject(this.#notRunning());
    this.#state = 'FINISHING';
    this.#clearFlushTimer();
    this.#finished = deferred();
    const done = this.#finished.promise;
    try {
      for (const subpartition of this.#subpartitions) {
        if (subpartition.pending.length > 0) this.#cut(subpartition);
        subpartition.queue.push(eventBuffer(BufferKind.END_OF_PARTITION));
      }
    } catch (error) {
      this.#fail(error instanceof Error ? error : new Error(String(error)));
      return done;
    }
    for (const subpartition of this.#subpartitions) this.#send(subpartition);
    return done;
  }

  /**
   * Releases the writer: stops the flush timer, drops what was not sent and closes every port (a
   * consumer that did not get END_OF_PARTITION sees its channel close). Idempotent.
   */
  close(): void {
    if (this.#state === 'CLOSED') return;
    const wasFinished = this.#state === 'FINISHED';
    this.#state = 'CLOSED';
    this.#clearFlushTimer();
    const closed = new NetworkError('The ResultPartitionWriter was closed');
    if (!wasFinished) {
      this.#finished?.reject(closed);
      this.#availability?.reject(closed);
    }
    this.#availability = undefined;
    for (const subpartition of this.#subpartitions) {
      subpartition.pending.length = 0;
      subpartition.timestamps = undefined;
      subpartition.queue.length = 0;
      subpartition.port?.close();
    }
  }

  /** Buffers cut but not handed to their port yet, over all subpartitions (data and events). */
  get queuedBuffers(): number {
    let queued = 0;
    for (const subpartition of this.#subpartitions) queued += subpartition.queue.length;
    return queued;
  }

  #subpartition(index: number): ResultSubpartition {
    const subpartition = this.#subpartitions[index];
    if (subpartition === undefined) throw new RangeError(`No subpartition ${index}: this partition has ${this.numberOfSubpartitions}`);
    return subpartition;
  }

  /** The first record of the open buffer with a timestamp: the column starts, the records before it have none. */
  #startTimestamps(subpartition: ResultSubpartition, timestamp: number): void {
    const timestamps = new Array<number>(subpartition.pending.length).fill(NO_TIMESTAMP);
    timestamps[timestamps.length - 1] = timestamp;
    subpartition.timestamps = timestamps;
  }

  /** Encodes the open buffer into the queue. */
  #cut(subpartition: ResultSubpartition): void {
    const count = subpartition.pending.length;
    let payload: Uint8Array;
    try {
      payload = subpartition.serializer.encode(subpartition.pending);
    } catch (error) {
      const failure = new NetworkError(`Could not serialize a batch of ${count} records for subpartition ${subpartition.index}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      this.#fail(failure);
      throw failure;
    }
    subpartition.pending.length = 0;
    subpartition.flushRequested = false;
    const timestamps = subpartition.timestamps;
    subpartition.timestamps = undefined;
    const buffer = timestamps === undefined ? dataBuffer(payload) : timestampedDataBuffer(payload, timestamps);
    subpartition.queue.push(buffer);
    subpartition.queuedData++;
    this.#numRecordsOut?.inc(count);
    this.#numBytesOut?.inc(buffer.byteLength);
    this.#learnRecordSize(payload.byteLength / count);
  }

  /** Hands queued buffers to the port as credit allows; cuts the open buffer when a flush asked for it. */
  #send(subpartition: ResultSubpartition): void {
    const port = subpartition.port;
    if (port !== undefined && (this.#state === 'RUNNING' || this.#state === 'FINISHING')) {
      for (;;) {
        const head = subpartition.queue[0];
        if (head === undefined) {
          if (subpartition.flushRequested && subpartition.pending.length > 0 && subpartition.credit > 0) {
            this.#cut(subpartition);
            continue;
          }
          break;
        }
        const kind = bufferKindOf(head);
        if (kind === BufferKind.DATA || kind === BufferKind.TIMESTAMPED_DATA) {
          if (subpartition.credit === 0) break;
          subpartition.credit--;
          subpartition.queuedData--;
        }
        subpartition.queue.shift();
        port.postMessage(head, [head]);
        if (kind === BufferKind.END_OF_PARTITION) {
          subpartition.endOfPartitionSent = true;
          if (--this.#unfinishedSubpartitions === 0) {
            this.#state = 'FINISHED';
            this.#finished?.resolve();
          }
        }
      }
    }
    this.#updateBackPressure(subpartition);
  }

  #updateBackPressure(subpartition: ResultSubpartition): void {
    const full = subpartition.queuedData >= this.maxQueuedBuffersPerChannel;
    if (full === subpartition.backPressured) return;
    subpartition.backPressured = full;
    this.#backPressuredCount += full ? 1 : -1;
    if (this.#backPressuredCount === 0 && this.#availability !== undefined) {
      const availability = this.#availability;
      this.#availability = undefined;
      availability.resolve();
    }
  }

  /** Sizes the first buffers from one record, encoded by a serializer of its own. */
  #estimateRecordSize(record: unknown): void {
    let bytes = 64;
    try {
      bytes = this.#serializerFactory().encode([record]).byteLength;
    } catch {
      // The cut that encodes the record reports it.
    }
    this.#bytesPerRecord = 0;
    this.#learnRecordSize(bytes);
  }

  #learnRecordSize(bytesPerRecord: number): void {
    this.#bytesPerRecord = this.#bytesPerRecord === 0 ? bytesPerRecord : (3 * this.#bytesPerRecord + bytesPerRecord) / 4;
    const fit = Math.floor((this.bufferSizeBytes - BUFFER_HEADER_BYTES) / Math.max(this.#bytesPerRecord, 1));
    this.#recordsPerBuffer = Math.min(Math.max(fit, 1), MAX_RECORDS_PER_BUFFER);
  }

  #clearFlushTimer(): void {
    if (this.#flushTimer !== undefined) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
  }

  #notRunning(): Error {
    if (this.#failure !== undefined) return this.#failure;
    return new NetworkError(`The ResultPartitionWriter is ${this.#state.toLowerCase()}; it takes no more records`);
  }

  #fail(error: Error): void {
    if (this.#state === 'FAILED' || this.#state === 'CLOSED') return;
    this.#state = 'FAILED';
    this.#failure = error;
    this.#clearFlushTimer();
    this.#finished?.reject(error);
    this.#availability?.reject(error);
    this.#availability = undefined;
    for (const subpartition of this.#subpartitions) {
      subpartition.pending.length = 0;
      subpartition.timestamps = undefined;
      subpartition.queue.length = 0;
      subpartition.port?.close();
    }
    try {
      this.#onError?.(error);
    } catch {
      // The owner's handler failing must not hide the failure it was told of.
    }
  }
}
