/**
 * PartitionRequestClient: this TaskManager's connection to one other TaskManager whose partitions
 * its tasks consume (Flink's PartitionRequestClient with its CreditBasedPartitionRequestClientHandler).
 * One TCP connection carries every channel between the two (frames: data-frames.ts); this side
 * opens it because it receives the bulk of the data.
 *
 * For each channel it makes a MessageChannel: one port goes to the consumer task (its InputGate),
 * the other stays here and is bridged to the connection:
 *
 *     consumer task ◄──buffer── port ◄── BUFFER frame ◄── connection ◄── producer's TaskManager
 *     consumer task ──credit──► port ──► CREDIT frame ──► connection ──►
 *
 * A received buffer is read once, into an ArrayBuffer of its own that is transferred to the
 * consumer's thread. Nothing here looks inside a buffer but its kind byte. Frames written before
 * the connection is up wait here, in order.
 *
 * Failure: when the connection cannot be made, fails or ends, every channel on it fails with
 * ConnectionLostError (`onError`, and its port is closed so the consumer's gate notices), and
 * `onClosed` tells the network to open a new connection for later requests. An error the producer
 * side reports for one channel fails that channel only.
 *
 * Threading: the TaskExecutor's event loop; callbacks run from socket and port events.
 */
import type { Socket } from 'node:net';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Logger } from '@eddy/common';
import { decodeError, encodeOpen, encodeUint32, FrameDecoder, FrameType, FrameWriter } from './data-frames.js';
import { BufferKind } from './network-buffer.js';
import { ConnectionLostError, PartitionNotFoundError, RemoteChannelError } from './network-errors.js';
import type { PendingRequest } from './result-partition-manager.js';

/** Opens the TCP connection to a producer's TaskManager (its data port is asked first). */
export type DataConnector = () => Promise<Socket>;

/** A frame waiting for the connection. */
type QueuedFrame = readonly [type: FrameType, channel: number, body: Uint8Array | undefined];

interface RemoteInputChannel {
  readonly id: number;
  readonly partitionId: string;
  readonly subpartition: number;
  /** This side's end of the channel, bridged to the connection. */
  readonly port: MessagePort;
  readonly onError: (error: Error) => void;
  /** Hands the consumer its end on the next turn; undefined once done. */
  delivery: NodeJS.Immediate | undefined;
}

export class PartitionRequestClient {
  readonly #channels = new Map<number, RemoteInputChannel>();
  readonly #logger: Logger;
  readonly #decoder = new FrameDecoder((type, channel, body, owned) => this.#dispatch(type, channel, body, owned));
  #socket: Socket | undefined;
  #writer: FrameWriter | undefined;
  #backlog: QueuedFrame[] | undefined = [];
  #nextChannelId = 1;
  #closed = false;

  constructor(
    /** host:port of the producer TaskManager's RpcService. */
    readonly remoteAddress: string,
    connect: DataConnector,
    logger: Logger,
    private readonly onClosed: (client: PartitionRequestClient) => void,
    /** The HELLO's body: the protocol, and the proof of the cluster's token when it has one (data-auth.ts). */
    private readonly hello: Buffer,
  ) {
    this.#logger = logger;
    connect().then(
      (socket) => this.#connected(socket),
      (error: unknown) => this.#lost(error),
    );
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
      if (typeof credit === 'number' && this.#channels.has(id)) this.#send(FrameType.CREDIT, id, encodeUint32(credit));
    });
    bridgePort.on('close', () => {
      // The consumer closed its port before the end: it is gone, so is the channel.
      if (this.#channels.delete(id)) this.#send(FrameType.CANCEL, id, undefined);
    });
    this.#send(FrameType.OPEN, id, encodeOpen(partitionId, subpartition));
    channel.delivery = setImmediate(() => {
      channel.delivery = undefined;
      try {
        deliverPort(consumerPort);
      } catch (error) {
        if (!this.#channels.delete(id)) return;
        this.#send(FrameType.CANCEL, id, undefined);
        bridgePort.close();
        onError(error instanceof Error ? error : new Error(String(error)));
      }
    });
    return {
      cancel: () => {
        clearImmediate(channel.delivery);
        channel.delivery = undefined;
        if (!this.#channels.delete(id)) return;
        this.#send(FrameType.CANCEL, id, undefined);
        bridgePort.close();
      },
    };
  }

  /** Closes the connection; its channels fail with ConnectionLostError. */
  close(): void {
    if (this.#closed) return;
    this.#failAll('the TaskManager network was closed');
    this.#socket?.destroy();
  }

  #send(type: FrameType, channel: number, body: Uint8Array | undefined): void {
    if (this.#writer !== undefined) this.#writer.write(type, channel, body);
    else this.#backlog?.push([type, channel, body]);
  }

  #connected(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#decoder.push(chunk);
      } catch (error) {
        socket.destroy();
        this.#lost(error);
      }
    });
    socket.on('error', (error) => this.#lost(error));
    socket.on('close', () => this.#lost(undefined));
    const writer = new FrameWriter(socket);
    writer.write(FrameType.HELLO, 0, this.hello);
    for (const [type, channel, body] of this.#backlog ?? []) writer.write(type, channel, body);
    this.#backlog = undefined;
    this.#writer = writer;
  }

  /** The connection could not be made, failed or ended. */
  #lost(error: unknown): void {
    if (this.#closed) return;
    const detail = error === undefined ? 'the producer TaskManager closed the data connection' : error instanceof Error ? error.message : String(error);
    this.#logger.warn({ remoteAddress: this.remoteAddress, openChannels: this.#channels.size, err: error }, 'Lost the data connection to a TaskManager');
    this.#socket?.destroy();
    this.#failAll(detail, error);
  }

  #dispatch(type: number, id: number, body: Uint8Array, owned: ArrayBuffer | undefined): void {
    const channel = this.#channels.get(id);
    if (channel === undefined) return; // cancelled meanwhile
    if (type === FrameType.BUFFER && owned !== undefined) {
      if (body[0] === BufferKind.END_OF_PARTITION) this.#channels.delete(channel.id);
      channel.port.postMessage(owned, [owned]);
    } else if (type === FrameType.ERROR) {
      this.#channels.delete(channel.id);
      clearImmediate(channel.delivery);
      channel.port.close();
      const { name, message: detail, reason } = decodeError(body);
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
    this.#backlog = undefined;
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

