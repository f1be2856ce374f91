/**
 * PartitionRequestServer: the producer side of one data connection, opened by another TaskManager
 * whose tasks consume partitions produced here (Flink's PartitionRequestServerHandler with its
 * PartitionRequestQueue). Frames: data-frames.ts.
 *
 * Each OPEN asks the ResultPartitionManager for the subpartition (waiting for its producer if need
 * be); the port it gets back is bridged to the connection:
 *
 *     producer task ──buffer──► port ──► BUFFER frame ──► connection ──► consumer's TaskManager
 *     producer task ◄──credit── port ◄── CREDIT frame ◄── connection ◄──
 *
 * A buffer is written as the ArrayBuffer the producer transferred, without a copy. Credits that
 * arrive before the producer is connected are kept and handed over when it is.
 *
 * Failure: when the connection ends or fails, every channel's port is closed, so each producer
 * task's ResultPartitionWriter sees its consumer go away. A producer whose port closes before its
 * END_OF_PARTITION is reported on the channel as an error. A peer that does not open with this
 * protocol's HELLO (within taskmanager.network.handshake-timeout), or sends a malformed frame, is
 * disconnected; so is one whose HELLO lacks the proof of the cluster's token (data-auth.ts).
 *
 * Threading: the TaskExecutor's event loop.
 */
import type { Socket } from 'node:net';
import type { MessagePort } from 'node:worker_threads';
import type { Logger } from '@eddy/common';
import { DATA_PROTOCOL, DataProtocolError, MAX_FRAME_BYTES, MAX_HELLO_FRAME_BYTES, decodeOpen, decodeUint32, encodeError, FrameDecoder, FrameType, FrameWriter } from './data-frames.js';
import type { DataConnectionAuth } from './data-auth.js';
import { BufferKind, bufferKindOf } from './network-buffer.js';
import { PartitionNotFoundError } from './network-errors.js';
import type { PendingRequest, ResultPartitionManager } from './result-partition-manager.js';

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
  readonly #channels = new Map<number, ProducerChannel>();
  readonly #writer: FrameWriter;
  readonly #decoder = new FrameDecoder((type, channel, body) => this.#handle(type, channel, body));
  #greeted = false;
  #closed = false;
  /** Closes a connection that sends no HELLO in time (taskmanager.network.handshake-timeout). */
  #helloTimer: NodeJS.Timeout | undefined;

  /** Serves `socket` until it ends; `onClosed` runs once when it did or close() was called. */
  constructor(
    private readonly partitions: ResultPartitionManager,
    private readonly socket: Socket,
    private readonly logger: Logger,
    private readonly onClosed: (server: PartitionRequestServer) => void,
    handshakeTimeoutMs: number,
    /** The cluster's token: a HELLO without its proof is dropped. */
    private readonly auth: DataConnectionAuth,
  ) {
    this.#helloTimer = setTimeout(() => {
      this.logger.warn({ remoteAddress: `${socket.remoteAddress}:${socket.remotePort}`, waitedMs: handshakeTimeoutMs }, 'Closing a data connection that sent no HELLO in time (taskmanager.network.handshake-timeout)');
      this.#close(true);
    }, handshakeTimeoutMs);
    this.#writer = new FrameWriter(socket);
    this.#decoder.maxFrameBytes = MAX_HELLO_FRAME_BYTES;
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#decoder.push(chunk);
      } catch (error) {
        this.logger.warn({ remoteAddress: `${socket.remoteAddress}:${socket.remotePort}`, err: error }, 'Closing a data connection that broke the protocol');
        this.#close(true);
      }
    });
    socket.on('error', () => this.#close(true));
    socket.on('close', () => this.#close(true));
  }

  get openChannels(): number {
    return this.#channels.size;
  }

  /**
   * Closes the connection and every channel's port; the producers see their consumers go away. The
   * consumer's side sees the connection end (or, after a protocol error, reset).
   */
  close(): void {
    this.#close(false);
  }

  #close(abort: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#helloTimer);
    if (abort) this.socket.destroy();
    else this.socket.end();
    const channels = [...this.#channels.values()];
    this.#channels.clear();
    for (const channel of channels) {
      channel.request?.cancel();
      channel.port?.close();
    }
    this.onClosed(this);
  }

  #handle(type: number, id: number, body: Uint8Array): void {
    if (this.#closed) return;
    if (!this.#greeted) {
      const hello = Buffer.from(body);
      const protocol = hello.subarray(0, Buffer.byteLength(DATA_PROTOCOL)).toString('utf8');
      if (type !== FrameType.HELLO || protocol !== DATA_PROTOCOL || (hello.length > protocol.length && hello[protocol.length] !== 0x20)) {
        throw new DataProtocolError(`the first frame is not a HELLO of ${DATA_PROTOCOL}`);
      }
      if (!this.auth.admits(hello, this.socket.remoteAddress ?? 'unknown')) {
        this.#close(true);
        return;
      }
      this.#greeted = true;
      clearTimeout(this.#helloTimer);
      this.#decoder.maxFrameBytes = MAX_FRAME_BYTES;
      return;
    }
    if (type === FrameType.OPEN) {
      const { partitionId, subpartition } = decodeOpen(body);
      this.#open(id, partitionId, subpartition);
      return;
    }
    const channel = this.#channels.get(id);
    if (channel === undefined) return;
    if (type === FrameType.CREDIT) {
      const credit = decodeUint32(body);
      if (channel.port !== undefined) channel.port.postMessage(credit);
      else channel.pendingCredit += credit;
    } else if (type === FrameType.CANCEL) {
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
      this.#writer.write(FrameType.BUFFER, id, new Uint8Array(buffer));
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
    this.#writer.write(
      FrameType.ERROR,
      id,
      encodeError({
        name: error.name,
        message: error instanceof PartitionNotFoundError ? error.detail : error.message,
        reason: error instanceof PartitionNotFoundError ? error.reason : '',
      }),
    );
  }
}
