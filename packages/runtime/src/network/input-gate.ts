/**
 * InputGate: the consuming end of the data plane, inside a task's worker thread. One per input of
 * a task, one input channel per producer subpartition it reads (Flink's SingleInputGate with its
 * input channels).
 *
 * A channel grants its producer `initialCredit` buffers when it connects, and one more each time it
 * has handed a buffer's records to `onBatch`. Buffers are decoded as they arrive (port 'message'
 * events), one batch per buffer, in order per channel; channels interleave as their buffers come.
 * When every channel has delivered its END_OF_PARTITION, `onEndOfInput` runs, once.
 *
 * Backpressure: while the gate is paused it returns no credit and delivers nothing: buffers that
 * arrive (at most the credit already granted) wait, undecoded, until resume(). A task pauses its
 * gate when its own output is backpressured, which is how a slow operator holds back the whole
 * pipeline upstream of it:
 *
 *     onBatch(records) { for (const r of records) process(r); if (writer.isBackPressured()) {
 *       gate.pause(); writer.whenAvailable().then(() => gate.resume(), fail) } }
 *
 * Failures: a channel whose port closes before its END_OF_PARTITION (the producer failed, or the
 * connection to its TaskManager was lost), a buffer that cannot be decoded, or an `onBatch` that
 * throws, fail the gate: `onError` runs once (without it the error is thrown to the event loop) and
 * nothing is delivered any more.
 *
 * Threading: runs on the task's event loop; `onBatch` is called from port message events.
 *
 * Loaded by task worker threads: imports only the network's worker-side modules.
 */
import type { MessagePort } from 'node:worker_threads';
import { BufferKind, BUFFER_HEADER_BYTES, bufferKindOf, DEFAULT_CREDITS_PER_CHANNEL } from './network-buffer.js';
import { ChannelClosedError, CorruptBufferError, NetworkError } from './network-errors.js';
import { defaultRecordBatchSerializer, type RecordBatchSerializer, type RecordBatchSerializerFactory } from './record-batch-serializer.js';

export interface InputGateOptions {
  readonly numberOfChannels: number;
  /** Buffers each channel may have in flight (`taskmanager.network.memory.buffers-per-channel`); default 4. */
  readonly initialCredit?: number;
  /** One serializer per channel, the peer of the producer's; default the record codec of @eddy/api. */
  readonly serializerFactory?: RecordBatchSerializerFactory;
  /** The records of one buffer, in order; the array is the callee's to keep. */
  readonly onBatch: (records: unknown[], channel: number) => void;
  /** Every channel has ended; runs once, after the last onBatch. */
  readonly onEndOfInput: () => void;
  /** The gate failed (see the class comment); runs once. */
  readonly onError?: (error: Error) => void;
}

type GateState = 'RUNNING' | 'FINISHED' | 'FAILED' | 'CLOSED';

class InputChannel {
  port: MessagePort | undefined;
  ended = false;
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
  readonly #onBatch: (records: unknown[], channel: number) => void;
  readonly #onEndOfInput: () => void;
  readonly #onError: ((error: Error) => void) | undefined;
  #state: GateState = 'RUNNING';
  #endedChannels = 0;
  #paused = false;
  /** Buffers that arrived while paused, with their channel, in arrival order. */
  readonly #parked: { readonly channel: InputChannel; readonly buffer: ArrayBuffer }[] = [];

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
    this.#onEndOfInput = options.onEndOfInput;
    this.#onError = options.onError;
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
      } else if (this.#paused) {
        this.#parked.push({ channel, buffer });
      } else {
        this.#deliver(channel, buffer);
      }
    });
    port.on('close', () => {
      if (!channel.ended && this.#state === 'RUNNING') this.#fail(new ChannelClosedError('input channel', index));
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
    while (!this.#paused && this.#state === 'RUNNING') {
      const next = this.#parked.shift();
      if (next === undefined) break;
      this.#deliver(next.channel, next.buffer);
    }
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

  /** True once every channel has ended. */
  get isFinished(): boolean {
    return this.#state === 'FINISHED';
  }

  /** Closes every port and drops what waits; nothing is delivered any more. Idempotent. */
  close(): void {
    if (this.#state === 'CLOSED') return;
    this.#state = 'CLOSED';
    this.#parked.length = 0;
    for (const channel of this.#channels) channel.port?.close();
  }

  #deliver(channel: InputChannel, buffer: ArrayBuffer): void {
    const kind = bufferKindOf(buffer);
    if (kind === BufferKind.DATA) {
      let records: unknown[];
      try {
        records = channel.serializer.decode(new Uint8Array(buffer, BUFFER_HEADER_BYTES));
      } catch (error) {
        this.#fail(new CorruptBufferError(channel.index, error instanceof Error ? error.message : String(error), { cause: error }));
        return;
      }
      try {
        this.#onBatch(records, channel.index);
      } catch (error) {
        this.#fail(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (this.#state !== 'RUNNING') return;
      if (this.#paused) channel.owedCredit++;
      else channel.port?.postMessage(1);
    } else if (kind === BufferKind.END_OF_PARTITION) {
      channel.ended = true;
      channel.port?.close();
      if (++this.#endedChannels === this.numberOfChannels) {
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
    this.#parked.length = 0;
    for (const channel of this.#channels) channel.port?.close();
    if (this.#onError === undefined) throw error;
    this.#onError(error);
  }
}
