/**
 * The frames of a data connection between two TaskManagers: one TCP connection per pair, opened by
 * the consumer's side, carrying every channel between them (Flink's Netty connection with its
 * NettyMessage types). gRPC stays out of the way: a buffer is written as the bytes the producer's
 * thread transferred, and read into the ArrayBuffer that is transferred on to the consumer's thread,
 * so each side touches it once.
 *
 *     frame   u32 LE length of what follows | u8 type | u32 LE channel | body
 *
 *   consumer -> producer
 *     HELLO    body: the protocol name; first frame of a connection, channel 0
 *     OPEN     body: u32 LE subpartition, then the partition id (UTF-8)
 *     CREDIT   body: u32 LE buffers the consumer takes on top of those granted before
 *     CANCEL   no body: the consumer is gone, release the subpartition
 *   producer -> consumer
 *     BUFFER   body: one network buffer (kind byte, payload; see network-buffer.ts)
 *     ERROR    body: JSON { name, message, reason }; the channel failed and is closed
 *
 * Channel ids are chosen by the consumer, unique on its connection. Buffers of a channel are in
 * order, one per credit (events need none). Ending or losing the connection fails every channel on it.
 *
 * Threading: the TaskExecutor's event loop.
 */
import type { Socket } from 'node:net';

export const FrameType = {
  HELLO: 0,
  OPEN: 1,
  CREDIT: 2,
  CANCEL: 3,
  BUFFER: 4,
  ERROR: 5,
} as const;

export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** The HELLO body: a consumer speaking another protocol (or no Eddy at all) is turned away. */
export const DATA_PROTOCOL = 'eddy-data/1';
/** Longest frame a server reads before the HELLO. */
export const MAX_HELLO_FRAME_BYTES = 64;

/** Bytes of the length, type and channel fields. */
const FRAME_HEADER_BYTES = 9;
/** Bytes the length field counts besides the body. */
const TYPE_AND_CHANNEL_BYTES = 5;
/** Largest frame accepted: a network buffer is at most a segment (≤ 64 MiB) or one big record. */
export const MAX_FRAME_BYTES = 1 << 30;

export class DataProtocolError extends Error {
  override readonly name = 'DataProtocolError';
}

/**
 * Called once per complete frame. For BUFFER, `body` is a fresh ArrayBuffer the callee owns (ready
 * to be transferred); for the other types it is a view that is valid during the call only.
 */
export type FrameHandler = (type: number, channel: number, body: Uint8Array, owned: ArrayBuffer | undefined) => void;

/** Cuts the byte stream of a connection into frames. */
export class FrameDecoder {
  /**
   * Largest frame this decoder accepts; a longer one fails push(). A server keeps it small until
   * the peer's HELLO, so a stranger's bytes are refused at once instead of read as a huge length.
   */
  maxFrameBytes = MAX_FRAME_BYTES;
  #chunks: Buffer[] = [];
  #buffered = 0;

  constructor(private readonly onFrame: FrameHandler) {}

  /** Adds bytes as they arrived; calls the handler for every frame they complete. Throws on a malformed stream. */
  push(chunk: Buffer): void {
    if (this.#buffered === 0) {
      this.#keep(this.#decodeWhole(chunk));
      return;
    }
    this.#chunks.push(chunk);
    this.#buffered += chunk.byteLength;
    if (this.#buffered < 4 || this.#buffered < 4 + this.#peekLength()) return;
    // A frame is complete: join the chunks once (a few microseconds for a 32 KiB buffer), decode
    // it and whatever else is whole.
    const joined = Buffer.concat(this.#chunks, this.#buffered);
    this.#chunks = [];
    this.#buffered = 0;
    this.#keep(this.#decodeWhole(joined));
  }

  /** Keeps the beginning of a frame until the rest arrives. */
  #keep(rest: Buffer): void {
    if (rest.byteLength === 0) return;
    this.#chunks.push(rest);
    this.#buffered = rest.byteLength;
  }

  /** Decodes the frames `bytes` holds whole; returns what is left (a frame's beginning). */
  #decodeWhole(bytes: Buffer): Buffer {
    let offset = 0;
    while (bytes.byteLength - offset >= 4) {
      const length = bytes.readUInt32LE(offset);
      checkLength(length, this.maxFrameBytes);
      if (bytes.byteLength - offset - 4 < length) break;
      const type = bytes[offset + 4] as number;
      const channel = bytes.readUInt32LE(offset + 5);
      const start = offset + FRAME_HEADER_BYTES;
      const end = offset + 4 + length;
      if (type === FrameType.BUFFER) {
        const owned = new ArrayBuffer(end - start);
        const view = new Uint8Array(owned);
        view.set(bytes.subarray(start, end));
        this.onFrame(type, channel, view, owned);
      } else {
        this.onFrame(type, channel, bytes.subarray(start, end), undefined);
      }
      offset = end;
    }
    return offset === bytes.byteLength ? EMPTY : bytes.subarray(offset);
  }

  #peekLength(): number {
    const first = this.#chunks[0] as Buffer;
    const length = first.byteLength >= 4 ? first.readUInt32LE(0) : Buffer.concat(this.#chunks, 4).readUInt32LE(0);
    checkLength(length, this.maxFrameBytes);
    return length;
  }
}

const EMPTY = Buffer.alloc(0);

function checkLength(length: number, max: number): void {
  if (length < TYPE_AND_CHANNEL_BYTES || length > max) {
    throw new DataProtocolError(`a frame of ${length} bytes is not one this protocol sends (the peer is not an Eddy TaskManager, or speaks another version)`);
  }
}

/**
 * Writes frames to a connection. Writes of one event-loop turn go out together (the socket is
 * corked until the next tick), so a burst of credits or a buffer and its header cost one system
 * call. How much waits in the socket is bounded by credit: buffers only go out against it.
 */
export class FrameWriter {
  #corked = false;
  readonly #uncork = (): void => {
    this.#corked = false;
    this.socket.uncork();
  };

  constructor(private readonly socket: Socket) {}

  write(type: FrameType, channel: number, body?: Uint8Array): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    if (!this.#corked) {
      this.#corked = true;
      this.socket.cork();
      process.nextTick(this.#uncork);
    }
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    header.writeUInt32LE(TYPE_AND_CHANNEL_BYTES + (body?.byteLength ?? 0), 0);
    header[4] = type;
    header.writeUInt32LE(channel, 5);
    this.socket.write(header);
    if (body !== undefined && body.byteLength > 0) this.socket.write(body);
  }
}

export function encodeOpen(partitionId: string, subpartition: number): Buffer {
  const id = Buffer.from(partitionId, 'utf8');
  const body = Buffer.allocUnsafe(4 + id.byteLength);
  body.writeUInt32LE(subpartition, 0);
  id.copy(body, 4);
  return body;
}

export function decodeOpen(body: Uint8Array): { partitionId: string; subpartition: number } {
  if (body.byteLength < 4) throw new DataProtocolError(`an OPEN frame of ${body.byteLength} bytes is too short`);
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return { subpartition: bytes.readUInt32LE(0), partitionId: bytes.toString('utf8', 4) };
}

export function encodeUint32(value: number): Buffer {
  const body = Buffer.allocUnsafe(4);
  body.writeUInt32LE(value, 0);
  return body;
}

export function decodeUint32(body: Uint8Array): number {
  if (body.byteLength !== 4) throw new DataProtocolError(`a frame body of ${body.byteLength} bytes is not a 32-bit number`);
  return Buffer.from(body.buffer, body.byteOffset, 4).readUInt32LE(0);
}

/** What an ERROR frame says about a failed channel. */
export interface ChannelErrorBody {
  readonly name: string;
  readonly message: string;
  readonly reason: string;
}

export function encodeError(error: ChannelErrorBody): Buffer {
  return Buffer.from(JSON.stringify(error), 'utf8');
}

export function decodeError(body: Uint8Array): ChannelErrorBody {
  const parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as Partial<ChannelErrorBody>;
  return { name: String(parsed.name ?? 'Error'), message: String(parsed.message ?? ''), reason: String(parsed.reason ?? '') };
}
