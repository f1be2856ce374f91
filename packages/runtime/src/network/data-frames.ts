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

/**
 * The HELLO body starts with this: a consumer speaking another protocol (or no Eddy at all) is
 * turned away. With security.auth.token, a space and a proof of the token follow (data-auth.ts).
 */
export const DATA_PROTOCOL = 'eddy-data/1';
/** Longest frame a server reads before the HELLO (the protocol name and a proof of the token). */
export const MAX_HELLO_FRAME_BYTES = 128;

/** Bytes of the length, type and channel fields. */
const FRAME_HEADER_BYTES = 9;
/** Bytes the length field counts besides the body. */
const TYPE_AND_CHANNEL_BYTES = 5;
/** Largest frame accepted: a network buffer is at most a segment (≤ 64 MiB) or one big record. */
export const MAX_FRAME_BYTES = 1 << 30;
/**
 * A frame split over chunks gets a body buffer of its full length at once up to this size (every
 * network buffer of the default segment size); a larger one grows as its bytes arrive.
 */
const PREALLOCATED_BODY_BYTES = 4 << 20;

export class DataProtocolError extends Error {
  override readonly name = 'DataProtocolError';
}

/**
 * Called once per complete frame. For BUFFER, `body` is a fresh ArrayBuffer the callee owns (ready
 * to be transferred); for the other types it is a view that is valid during the call only.
 */
export type FrameHandler = (type: number, channel: number, body: Uint8Array, owned: ArrayBuffer | undefined) => void;

/**
 * Cuts the byte stream of a connection into frames, in time linear in the bytes received however
 * they are chunked. A chunk that holds whole frames is read in place (zero copies, but a BUFFER's
 * body is copied once into an ArrayBuffer of its own). A frame split over chunks is assembled as
 * its bytes arrive: its header into a small fixed buffer, its body straight into an ArrayBuffer of
 * the frame's length (a body above 4 MiB grows to it as its bytes arrive), so each chunk is visited
 * once and each byte copied once (a large body's growth adds at most twice its size).
 */
export class FrameDecoder {
  /**
   * Largest frame this decoder accepts; a longer one fails push(). A server keeps it small until
   * the peer's HELLO, so a stranger's bytes are refused at once instead of read as a huge length.
   */
  maxFrameBytes = MAX_FRAME_BYTES;
  #copiedBytes = 0;
  /** The header of the frame being assembled, and how much of it has arrived (0: none in progress). */
  readonly #header = Buffer.alloc(FRAME_HEADER_BYTES);
  #headerFilled = 0;
  /** The body of the frame being assembled, once its header is complete, and how much of it has arrived. */
  #body: Uint8Array | undefined;
  #bodyLength = 0;
  #bodyFilled = 0;

  constructor(private readonly onFrame: FrameHandler) {}

  /** Bytes copied so far to assemble frames and own BUFFER bodies; tests bound the decoder's work with it. */
  get copiedBytes(): number {
    return this.#copiedBytes;
  }

  /** Adds bytes as they arrived; calls the handler for every frame they complete. Throws on a malformed stream. */
  push(chunk: Buffer): void {
    let offset = this.#headerFilled === 0 ? 0 : this.#continueFrame(chunk);
    if (offset < 0) return;
    offset = this.#decodeWhole(chunk, offset);
    if (offset < chunk.byteLength) this.#startFrame(chunk, offset);
  }

  /** Decodes the frames `bytes` holds whole from `offset` on; returns where the first incomplete one starts. */
  #decodeWhole(bytes: Buffer, offset: number): number {
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
        this.#copiedBytes += end - start;
        this.onFrame(type, channel, view, owned);
      } else {
        this.onFrame(type, channel, bytes.subarray(start, end), undefined);
      }
      offset = end;
    }
    return offset;
  }

  /** Keeps the beginning of a frame (`bytes` from `offset` on, shorter than the frame) until the rest arrives. */
  #startFrame(bytes: Buffer, offset: number): void {
    this.#headerFilled = 0;
    this.#body = undefined;
    this.#bodyFilled = 0;
    if (this.#continueFrame(bytes.subarray(offset)) >= 0) throw new Error('FrameDecoder: a frame assumed incomplete was complete');
  }

  /**
   * Adds the beginning of `chunk` to the frame in progress; when that completes it, hands the frame
   * on and returns where the rest of the chunk starts; returns -1 when the chunk was used up.
   */
  #continueFrame(chunk: Buffer): number {
    let offset = 0;
    if (this.#headerFilled < FRAME_HEADER_BYTES) {
      const take = Math.min(FRAME_HEADER_BYTES - this.#headerFilled, chunk.byteLength);
      chunk.copy(this.#header, this.#headerFilled, 0, take);
      this.#copiedBytes += take;
      const before = this.#headerFilled;
      this.#headerFilled += take;
      offset = take;
      if (before < 4 && this.#headerFilled >= 4) checkLength(this.#header.readUInt32LE(0), this.maxFrameBytes);
      if (this.#headerFilled < FRAME_HEADER_BYTES) return -1;
      this.#bodyLength = this.#header.readUInt32LE(0) - TYPE_AND_CHANNEL_BYTES;
      this.#body = new Uint8Array(new ArrayBuffer(Math.min(this.#bodyLength, PREALLOCATED_BODY_BYTES)));
      this.#bodyFilled = 0;
    }
    let body = this.#body as Uint8Array;
    const take = Math.min(this.#bodyLength - this.#bodyFilled, chunk.byteLength - offset);
    if (take > 0) {
      if (this.#bodyFilled + take > body.byteLength) body = this.#grow(body, this.#bodyFilled + take);
      body.set(take === chunk.byteLength ? chunk : chunk.subarray(offset, offset + take), this.#bodyFilled);
      this.#copiedBytes += take;
      this.#bodyFilled += take;
      offset += take;
    }
    if (this.#bodyFilled < this.#bodyLength) return -1;
    // Complete: reset before the handler runs (it may change maxFrameBytes, or throw).
    const type = this.#header[4] as number;
    const channel = this.#header.readUInt32LE(5);
    this.#headerFilled = 0;
    this.#body = undefined;
    this.#bodyFilled = 0;
    this.onFrame(type, channel, body, type === FrameType.BUFFER ? (body.buffer as ArrayBuffer) : undefined);
    return offset === chunk.byteLength ? -1 : offset;
  }

  /**
   * A body larger than PREALLOCATED_BODY_BYTES grows as its bytes arrive, doubling up to the frame's
   * length, so a peer's header alone reserves no more than that. The copies of a growing body stay
   * linear: at most twice its size on top of the bytes themselves.
   */
  #grow(body: Uint8Array, needed: number): Uint8Array {
    const grown = new Uint8Array(new ArrayBuffer(Math.min(this.#bodyLength, Math.max(needed, body.byteLength * 2))));
    grown.set(body.subarray(0, this.#bodyFilled));
    this.#copiedBytes += this.#bodyFilled;
    this.#body = grown;
    return grown;
  }
}

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
