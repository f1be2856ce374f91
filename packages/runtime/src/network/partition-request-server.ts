/**
 * PartitionRequestServer: the producer side of one NetworkService.OpenConnection stream, opened by
 * another TaskManager whose tasks consume partitions produced here (Flink's
 * PartitionRequestServerHandler with its PartitionRequestQueue).
 *
 * Each OpenChannel asks the ResultPartitionManager for the subpartition (waiting for its producer
 * if need be); the port it gets back is bridged to the stream:
 *
 *     producer task ──buffer──► port ──► ProducerMessage.buffer ──► stream ──► consumer's TaskManager
 *     producer task ◄──credit── port ◄── ConsumerMessage.credit ◄── stream ◄──
 *
 * A buffer crosses as the ArrayBuffer the producer transferred, encoded once into the gRPC message.
 * Credits that arrive before the producer is connected are kept and handed over when it is.
 *
 * Failure: when the stream ends, fails or is cancelled, every channel's port is closed, so each
 * producer task's ResultPartitionWriter sees its consumer go away. A producer whose port closes
 * before its END_OF_PARTITION is reported on the channel as an error.
 *
 * Threading: the TaskExecutor's event loop.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Logger } from '@eddy/common';
import type { eddy_network_v1 } from '@eddy/proto';
import type { StreamWriter } from '@eddy/rpc';
import { BufferKind, bufferKindOf } from './network-buffer.js';
import { PartitionNotFoundError } from './network-errors.js';
import type { PendingRequest, ResultPartitionManager } from './result-partition-manager.js';
import { StreamWriteQueue } from './stream-write-queue.js';

type ConsumerMessage = eddy_network_v1.ConsumerMessage;
type ProducerMessage = eddy_network_v1.ProducerMessage;

interface ProducerChannel {
  readonly id: number;
  readonly partitionId: string;
  readonly subpartition: number;
  request: PendingRequest | undefined;
  port: MessagePort | undefined;
  /** Credit granted before the producer was connected. */
  pendingCredit: number;
}

export class PartitionRequestServer {
  /** Resolves when close() was called: the stream is to end even while its client still sends. */
  readonly closed: Promise<void>;
  readonly #channels = new Map<number, ProducerChannel>();
  readonly #out: StreamWriteQueue<ProducerMessage>;
  readonly #resolveClosed: () => void;
  #closed = false;

  constructor(
    private readonly partitions: ResultPartitionManager,
    private readonly out: StreamWriter<ProducerMessage>,
    private readonly logger: Logger,
  ) {
    this.#out = new StreamWriteQueue((message) => out.write(message));
    let resolveClosed!: () => void;
    this.closed = new Promise<void>((resolve) => (resolveClosed = resolve));
    this.#resolveClosed = resolveClosed;
  }

  /** Serves the stream until the consumer side ends or cancels it. */
  async serve(requests: AsyncIterable<ConsumerMessage>): Promise<void> {
    this.out.onCancel(() => this.close());
    try {
      for await (const message of requests) this.#handle(message);
    } finally {
      this.close();
    }
  }

  get openChannels(): number {
    return this.#channels.size;
  }

  /** Closes every channel's port; the producers see their consumers go away. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#resolveClosed();
    const channels = [...this.#channels.values()];
    this.#channels.clear();
    for (const channel of channels) {
      channel.request?.cancel();
      channel.port?.close();
    }
  }

  #handle(message: ConsumerMessage): void {
    if (this.#closed) return;
    const id = message.channel;
    if (message.open !== undefined && message.open !== null) {
      this.#open(id, message.open.partitionId, message.open.subpartition);
      return;
    }
    const channel = this.#channels.get(id);
    if (channel === undefined) return;
    if (message.credit !== undefined) {
      if (channel.port !== undefined) channel.port.postMessage(message.credit);
      else channel.pendingCredit += message.credit;
    } else if (message.cancel !== undefined) {
      this.#channels.delete(id);
      channel.request?.cancel();
      channel.port?.close();
    }
  }

  #open(id: number, partitionId: string, subpartition: number): void {
    if (this.#channels.has(id)) {
      this.#sendError(id, new Error(`Channel ${id} is already open on this connection`));
      return;
    }
    const channel: ProducerChannel = { id, partitionId, subpartition, request: undefined, port: undefined, pendingCredit: 0 };
    this.#channels.set(id, channel);
    this.logger.debug({ partitionId, subpartition, channel: id }, 'Remote consumer requested a subpartition');
    channel.request = this.partitions.requestSubpartition(
      partitionId,
      subpartition,
      (port) => this.#bridge(channel, port),
      (error) => {
        if (this.#channels.delete(id)) this.#sendError(id, error);
      },
    );
  }

  #bridge(channel: ProducerChannel, port: MessagePort): void {
    channel.request = undefined;
    if (this.#closed || this.#channels.get(channel.id) !== channel) {
      port.close();
      return;
    }
    channel.port = port;
    const id = channel.id;
    let ended = false;
    port.on('message', (buffer: unknown) => {
      if (!(buffer instanceof ArrayBuffer) || this.#channels.get(id) !== channel) return;
      this.#out.push({ channel: id, buffer: new Uint8Array(buffer) });
      if (bufferKindOf(buffer) === BufferKind.END_OF_PARTITION) {
        ended = true;
        this.#channels.delete(id);
        port.close();
      }
    });
    port.on('close', () => {
      if (ended || !this.#channels.delete(id)) return;
      this.#sendError(id, new Error(`The producer of partition ${channel.partitionId} (subpartition ${channel.subpartition}) went away before the partition ended`));
    });
    if (channel.pendingCredit > 0) {
      port.postMessage(channel.pendingCredit);
      channel.pendingCredit = 0;
    }
  }

  #sendError(id: number, error: Error): void {
    this.#out.push({
      channel: id,
      error: {
        name: error.name,
        message: error instanceof PartitionNotFoundError ? error.detail : error.message,
        reason: error instanceof PartitionNotFoundError ? error.reason : '',
      },
    });
  }
}
