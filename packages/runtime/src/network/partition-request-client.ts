/**
 * PartitionRequestClient: this TaskManager's connection to one other TaskManager whose partitions
 * its tasks consume (Flink's PartitionRequestClient with its CreditBasedPartitionRequestClientHandler).
 * One NetworkService.OpenConnection stream carries every channel between the two; this side is the
 * gRPC client because it receives the bulk of the data (see network.proto).
 *
 * For each channel it makes a MessageChannel: one port goes to the consumer task (its InputGate),
 * the other stays here and is bridged to the stream:
 *
 *     consumer task ◄──buffer── port ◄── ProducerMessage.buffer ◄── stream ◄── producer's TaskManager
 *     consumer task ──credit──► port ──► ConsumerMessage.credit ──► stream ──►
 *
 * A received buffer is copied once, out of the gRPC message into an ArrayBuffer of its own that is
 * transferred to the consumer's thread. Nothing here looks inside a buffer but its kind byte.
 *
 * Failure: when the stream fails or ends, every channel on it fails with ConnectionLostError
 * (`onError`, and its port is closed so the consumer's gate notices), and `onClosed` tells the
 * network to open a new stream for later requests. An error the producer side reports for one
 * channel fails that channel only.
 *
 * Threading: the TaskExecutor's event loop; callbacks run from stream and port events.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Logger } from '@eddy/common';
import { eddy_network_v1 as network, type eddy_network_v1 } from '@eddy/proto';
import type { BidiStream, StreamClient } from '@eddy/rpc';
import { BufferKind } from './network-buffer.js';
import { ConnectionLostError, PartitionNotFoundError, RemoteChannelError } from './network-errors.js';
import type { PendingRequest } from './result-partition-manager.js';
import { StreamWriteQueue } from './stream-write-queue.js';

type ConsumerMessage = eddy_network_v1.ConsumerMessage;
type ProducerMessage = eddy_network_v1.ProducerMessage;

interface RemoteInputChannel {
  readonly id: number;
  readonly partitionId: string;
  readonly subpartition: number;
  /** This side's end of the channel, bridged to the stream. */
  readonly port: MessagePort;
  readonly onError: (error: Error) => void;
  /** Hands the consumer its end on the next turn; undefined once done. */
  delivery: NodeJS.Immediate | undefined;
}

export class PartitionRequestClient {
  readonly #stream: BidiStream<ConsumerMessage, ProducerMessage>;
  readonly #out: StreamWriteQueue<ConsumerMessage>;
  readonly #channels = new Map<number, RemoteInputChannel>();
  readonly #logger: Logger;
  #nextChannelId = 1;
  #closed = false;

  constructor(
    readonly remoteAddress: string,
    streamClient: StreamClient,
    logger: Logger,
    private readonly onClosed: (client: PartitionRequestClient) => void,
  ) {
    this.#logger = logger;
    this.#stream = streamClient.bidiStream<ConsumerMessage, ProducerMessage>(network.NetworkService.methods['openConnection']!);
    this.#out = new StreamWriteQueue((message) => this.#stream.write(message));
    void this.#receive();
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  get openChannels(): number {
    return this.#channels.size;
  }

  /**
   * Opens a channel to a subpartition on the remote TaskManager. `deliverPort` gets the consumer's
   * port on the next turn, without waiting for the producer (credits the consumer grants wait on
   * the producer's side until it is there). `onError` runs at most once; neither runs after cancel().
   */
  requestSubpartition(partitionId: string, subpartition: number, deliverPort: (port: MessagePort) => void, onError: (error: Error) => void): PendingRequest {
    const id = this.#nextChannelId++;
    const { port1: consumerPort, port2: bridgePort } = new MessageChannel();
    const channel: RemoteInputChannel = { id, partitionId, subpartition, port: bridgePort, onError, delivery: undefined };
    this.#channels.set(id, channel);
    bridgePort.on('message', (credit: unknown) => {
      if (typeof credit === 'number' && this.#channels.has(id)) this.#out.push({ channel: id, credit });
    });
    bridgePort.on('close', () => {
      // The consumer closed its port before the end: it is gone, so is the channel.
      if (this.#channels.delete(id)) this.#out.push({ channel: id, cancel: {} });
    });
    this.#out.push({ channel: id, open: { partitionId, subpartition } });
    channel.delivery = setImmediate(() => {
      channel.delivery = undefined;
      try {
        deliverPort(consumerPort);
      } catch (error) {
        if (!this.#channels.delete(id)) return;
        this.#out.push({ channel: id, cancel: {} });
        bridgePort.close();
        onError(error instanceof Error ? error : new Error(String(error)));
      }
    });
    return {
      cancel: () => {
        clearImmediate(channel.delivery);
        channel.delivery = undefined;
        if (!this.#channels.delete(id)) return;
        this.#out.push({ channel: id, cancel: {} });
        bridgePort.close();
      },
    };
  }

  /** Cancels the stream; its channels fail with ConnectionLostError. */
  close(): void {
    if (this.#closed) return;
    this.#stream.cancel();
    this.#failAll('the TaskManager network was closed');
  }

  async #receive(): Promise<void> {
    let detail = 'the producer TaskManager ended the connection';
    let cause: unknown;
    try {
      for await (const message of this.#stream) this.#dispatch(message);
    } catch (error) {
      cause = error;
      detail = error instanceof Error ? error.message : String(error);
    }
    if (!this.#closed) this.#logger.warn({ remoteAddress: this.remoteAddress, openChannels: this.#channels.size, err: cause }, 'Lost the data connection to a TaskManager');
    this.#failAll(detail, cause);
  }

  #dispatch(message: ProducerMessage): void {
    const channel = this.#channels.get(message.channel);
    if (channel === undefined) return; // cancelled meanwhile
    if (message.buffer !== undefined) {
      const received = message.buffer;
      const buffer = new ArrayBuffer(received.byteLength);
      new Uint8Array(buffer).set(received);
      if (received[0] === BufferKind.END_OF_PARTITION) this.#channels.delete(channel.id);
      channel.port.postMessage(buffer, [buffer]);
    } else if (message.error !== undefined) {
      this.#channels.delete(channel.id);
      clearImmediate(channel.delivery);
      channel.port.close();
      const { name, message: detail, reason } = message.error;
      channel.onError(
        name === 'PartitionNotFoundError'
          ? new PartitionNotFoundError(channel.partitionId, channel.subpartition, this.remoteAddress, reason as PartitionNotFoundError['reason'], detail)
          : new RemoteChannelError(name, detail),
      );
    }
  }

  #failAll(detail: string, cause?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onClosed(this);
    const channels = [...this.#channels.values()];
    this.#channels.clear();
    for (const channel of channels) {
      clearImmediate(channel.delivery);
      channel.port.close();
      channel.onError(new ConnectionLostError(this.remoteAddress, channel.partitionId, channel.subpartition, detail, cause === undefined ? undefined : { cause }));
    }
  }
}
