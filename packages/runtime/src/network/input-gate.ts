/**
 * InputGate: the consuming end of the data plane, inside a task's worker thread. One per input of
 * a task, one input channel per producer subpartition it reads (Flink's SingleInputGate with its
 * input channels).
 *
 * A channel grants its producer `initialCredit` buffers when it connects, and one more each time it
 * has handed a buffer's records to `onBatch`. Buffers are decoded as they arrive (port 'message'
 * events), one batch per buffer, in order per channel; channels interleave as their buffers come.
 * Events travel in order with the records: a checkpoint barrier, a watermark, a watermark status
 * or END_OF_DATA goes to `onEvent`;
 * when every channel has delivered its END_OF_PARTITION, `onEndOfInput` runs, once.
 *
 * Holding back, two ways, both without losing order:
 *   - pause()/resume(): the whole gate, while the task's own output is backpressured; it returns no
 *     credit meanwhile, which is how a slow operator holds back the pipeline upstream of it:
 *
 *       onBatch(records) { for (const r of records) process(r); if (writer.isBackPressured()) {
 *         gate.pause(); writer.whenAvailable().then(() => gate.resume(), fail) } }
 *
 *   - blockChannel(i)/unblockChannel(i): one channel, while a checkpoint's barriers align (the
 *     channel that delivered barrier N waits for the others). Only that channel's buffers wait and
 *     only its credit stops; the other channels go on, so their barriers can arrive.
 *
 * What waits is kept undecoded, per channel, at most the credit granted.
 *
 * Failures: a channel whose port closes before its END_OF_PARTITION (the producer failed, or the
 * connection to its TaskManager was lost), a buffer that cannot be decoded, or an `onBatch` that
 * throws, fail the gate: `onError` runs once (without it the error is thrown to the event loop) and
 * nothing is delivered any more.
 *
 * Threading: runs on the task's event loop; the callbacks are called from port message events or
 * from resume()/unblockChannel().
 *
 * Loaded by task worker threads: imports only the network's worker-side modules.
 */
import type { MessagePort } from 'node:worker_threads';
import {
  BufferKind,
  BUFFER_HEADER_BYTES,
  bufferKindOf,
  DEFAULT_CREDITS_PER_CHANNEL,
  readBarrier,
  readEndOfDataDrain,
  readTimestampedData,
  readWatermark,
  readWatermarkStatus,
  type CheckpointBarrier,
} from './network-buffer.js';
import { ChannelClosedError, CorruptBufferError, NetworkError } from './network-errors.js';
import { defaultRecordBatchSerializer, type RecordBatchSerializer, type RecordBatchSerializerFactory } from './record-batch-serializer.js';
import type { Counter } from '../metrics/task-io-metrics.js';

/** An event of a channel, in order with its records. */
export type ChannelEvent =
  | { readonly kind: 'barrier'; readonly barrier: CheckpointBarrier }
  | { readonly kind: 'endOfData'; readonly drain: boolean }
  | { readonly kind: 'watermark'; readonly watermark: number }
  | { readonly kind: 'watermarkStatus'; readonly idle: boolean };

export interface InputGateOptions {
  readonly numberOfChannels: number;
  /** Buffers each channel may have in flight (`taskmanager.network.memory.buffers-per-channel`); default 4. */
  readonly initialCredit?: number;
  /** One serializer per channel, the peer of the producer's; default the record codec of @eddy/api. */
  readonly serializerFactory?: RecordBatchSerializerFactory;
  /**
   * The records of one buffer, in order; the array is the callee's to keep. `timestamps[i]` is the
   * event timestamp of records[i] (-Infinity: none); undefined when no record of the buffer has one.
   */
  readonly onBatch: (records: unknown[], channel: number, timestamps: Float64Array | undefined) => void;
  /** A barrier, watermark, watermark status or END_OF_DATA of a channel, after the channel's records before it. */
  readonly onEvent?: (event: ChannelEvent, channel: number) => void;
  /** A channel delivered its END_OF_PARTITION (before onEndOfInput for the last one). */
  readonly onChannelEnded?: (channel: number) => void;
  /** Every channel has ended; runs once, after the last onBatch. */
  readonly onEndOfInput: () => void;
  /** The gate failed (see the class comment); runs once. */
  readonly onError?: (error: Error) => void;
  /** Counts the bytes of each data buffer delivered (the task's numBytesIn). */
  readonly numBytesIn?: Counter;
}

type GateState = 'RUNNING' | 'FINISHED' | 'FAILED' | 'CLOSED';

class InputChannel {
  port: MessagePort | undefined;
  ended = false;
  blocked = false;
  /** Buffers that arrived while the channel or the gate was held back, oldest first. */
  readonly parked: ArrayBuffer[] = [];
  /** Its END_OF_PARTITION is among the parked buffers: the producer may close its port before they are delivered. */
  endParked = false;
  /** Credit for buffers processed while the gate was paused, returned on resume(). */
  owedCredit = 0;
  constructor(
    readonly index: number,
    readonly serializer: RecordBatchSerializer,
  ) {}
}

export class InputGate {
  readonly numberOfChannels: number;
  readonly initialCredit: number;

  readonly #channels: InputChannel[];
  readonly #onBatch: (records: unknown[], channel: number, timestamps: Float64Array | undefined) => void;
  readonly #onEvent: ((event: ChannelEvent, channel: number) => void) | undefined;
  readonly #onChannelEnded: ((channel: number) => void) | undefined;
  readonly #onEndOfInput: () => void;
  readonly #onError: ((error: Error) => void) | undefined;
  readonly #numBytesIn: Counter | undefined;
  #state: GateState = 'RUNNING';
  #endedChannels = 0;
  #paused = false;
  #draining = false;
  #drainAgain = false;

  constructor(options: InputGateOptions) {
    const { numberOfChannels } = options;
    if (!Number.isInteger(numberOfChannels) || numberOfChannels < 1) {
      throw new RangeError(`numberOfChannels must be a whole number of at least 1, got ${numberOfChannels}`);
    }
    this.numberOfChannels = numberOfChannels;
    this.initialCredit = options.initialCredit ?? DEFAULT_CREDITS_PER_CHANNEL;
    if (!Number.isInteger(this.initialCredit) || this.initialCredit < 1) {
      throw new RangeError(`initialCredit must be a whole number of at least 1, got ${this.initialCredit}`);
    }
    const serializerFactory = options.serializerFactory ?? defaultRecordBatchSerializer;
    this.#channels = Array.from({ length: numberOfChannels }, (_, index) => new InputChannel(index, serializerFactory()));
    this.#onBatch = options.onBatch;
    this.#onEvent = options.onEvent;
    this.#onChannelEnded = options.onChannelEnded;
    this.#onEndOfInput = options.onEndOfInput;
    this.#onError = options.onError;
    this.#numBytesIn = options.numBytesIn;
  }

  /** Connects a channel to its producer's subpartition and grants the initial credit. */
  connectChannel(index: number, port: MessagePort): void {
    const channel = this.#channels[index];
    if (channel === undefined) throw new RangeError(`No input channel ${index}: this gate has ${this.numberOfChannels}`);
    if (channel.port !== undefined) throw new NetworkError(`Input channel ${index} is already connected`);
    channel.port = port;
    if (this.#state !== 'RUNNING') {
      port.close();
      return;
    }
    port.on('message', (buffer: unknown) => {
      if (this.#state !== 'RUNNING') return;
      if (!(buffer instanceof ArrayBuffer)) {
        this.#fail(new CorruptBufferError(index, `expected an ArrayBuffer, got ${typeof buffer}`));
      } else if (this.#paused || channel.blocked || channel.parked.length > 0) {
        if (bufferKindOf(buffer) === BufferKind.END_OF_PARTITION) channel.endParked = true;
        channel.parked.push(buffer);
      } else {
        this.#deliver(channel, buffer);
      }
    });
    port.on('close', () => {
      if (!channel.ended && !channel.endParked && this.#state === 'RUNNING') this.#fail(new ChannelClosedError('input channel', index));
    });
    port.postMessage(this.initialCredit);
  }

  /** Stops delivering batches and returning credit until resume(). */
  pause(): void {
    this.#paused = true;
  }

  /** Delivers what arrived while paused, in order, then goes on as buffers come. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#drain();
    if (this.#paused || this.#state !== 'RUNNING') return;
    for (const channel of this.#channels) {
      if (channel.owedCredit === 0) continue;
      channel.port?.postMessage(channel.owedCredit);
      channel.owedCredit = 0;
    }
  }

  get isPaused(): boolean {
    return this.#paused;
  }

  /** Holds back channel `index`: its buffers wait, undecoded, and it returns no credit. */
  blockChannel(index: number): void {
    const channel = this.#channels[index];
    if (channel === undefined) throw new RangeError(`No input channel ${index}: this gate has ${this.numberOfChannels}`);
    channel.blocked = true;
  }

  /** Lets channel `index` go on: what waited is delivered, in order. */
  unblockChannel(index: number): void {
    const channel = this.#channels[index];
    if (channel === undefined || !channel.blocked) return;
    channel.blocked = false;
    this.#drain();
  }

  isChannelBlocked(index: number): boolean {
    return this.#channels[index]?.blocked === true;
  }

  /** Whether channel `index` delivered its END_OF_PARTITION. */
  isChannelEnded(index: number): boolean {
    return this.#channels[index]?.ended === true;
  }

  /** True once every channel has ended. */
  get isFinished(): boolean {
    return this.#state === 'FINISHED';
  }

  /** Closes every port and drops what waits; nothing is delivered any more. Idempotent. */
  close(): void {
    if (this.#state === 'CLOSED') return;
    this.#state = 'CLOSED';
    for (const channel of this.#channels) {
      channel.parked.length = 0;
      channel.port?.close();
    }
  }

  /** Delivers parked buffers of every channel that may go, until none can; safe to re-enter from a callback. */
  #drain(): void {
    if (this.#draining) {
      this.#drainAgain = true;
      return;
    }
    this.#draining = true;
    try {
      do {
        this.#drainAgain = false;
        for (const channel of this.#channels) {
          while (!this.#paused && !channel.blocked && this.#state === 'RUNNING') {
            const next = channel.parked.shift();
            if (next === undefined) break;
            this.#deliver(channel, next);
          }
        }
      } while (this.#drainAgain && !this.#paused && this.#state === 'RUNNING');
    } finally {
      this.#draining = false;
    }
  }

  #deliver(channel: InputChannel, buffer: ArrayBuffer): void {
    const kind = bufferKindOf(buffer);
    if (kind === BufferKind.DATA || kind === BufferKind.TIMESTAMPED_DATA) {
      let records: unknown[];
      let timestamps: Float64Array | undefined;
      try {
        if (kind === BufferKind.DATA) {
          records = channel.serializer.decode(new Uint8Array(buffer, BUFFER_HEADER_BYTES));
        } else {
          const data = readTimestampedData(buffer);
          records = channel.serializer.decode(data.payload);
          timestamps = data.timestamps;
          if (timestamps.length !== records.length) throw new RangeError(`the buffer has ${timestamps.length} timestamps for ${records.length} records`);
        }
      } catch (error) {
        this.#fail(new CorruptBufferError(channel.index, error instanceof Error ? error.message : String(error), { cause: error }));
        return;
      }
      this.#numBytesIn?.inc(buffer.byteLength);
      try {
        this.#onBatch(records, channel.index, timestamps);
      } catch (error) {
        this.#fail(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (this.#state !== 'RUNNING') return;
      if (this.#paused) channel.owedCredit++;
      else channel.port?.postMessage(1);
    } else if (kind === BufferKind.CHECKPOINT_BARRIER || kind === BufferKind.END_OF_DATA || kind === BufferKind.WATERMARK || kind === BufferKind.WATERMARK_STATUS) {
      let event: ChannelEvent;
      try {
        if (kind === BufferKind.END_OF_DATA) event = { kind: 'endOfData', drain: readEndOfDataDrain(buffer) };
        else if (kind === BufferKind.WATERMARK) event = { kind: 'watermark', watermark: readWatermark(buffer) };
        else if (kind === BufferKind.WATERMARK_STATUS) event = { kind: 'watermarkStatus', idle: readWatermarkStatus(buffer) };
        else event = { kind: 'barrier', barrier: readBarrier(buffer) };
      } catch (error) {
        this.#fail(new CorruptBufferError(channel.index, (error as Error).message, { cause: error }));
        return;
      }
      try {
        this.#onEvent?.(event, channel.index);
      } catch (error) {
        this.#fail(error instanceof Error ? error : new Error(String(error)));
      }
    } else if (kind === BufferKind.END_OF_PARTITION) {
      channel.ended = true;
      channel.blocked = false;
      channel.port?.close();
      try {
        this.#onChannelEnded?.(channel.index);
      } catch (error) {
        this.#fail(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (++this.#endedChannels === this.numberOfChannels && this.#state === 'RUNNING') {
        this.#state = 'FINISHED';
        this.#onEndOfInput();
      }
    } else {
      this.#fail(new CorruptBufferError(channel.index, `unsupported buffer kind ${String(kind)}`));
    }
  }

  #fail(error: Error): void {
    if (this.#state !== 'RUNNING') return;
    this.#state = 'FAILED';
    for (const channel of this.#channels) {
      channel.parked.length = 0;
      channel.port?.close();
    }
    if (this.#onError === undefined) throw error;
    this.#onError(error);
  }
}
