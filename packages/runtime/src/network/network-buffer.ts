/**
 * A network buffer: what one channel carries from a producer's subpartition to a consumer's input
 * channel, as one ArrayBuffer that is transferred between threads (never copied) and sent as one
 * message between TaskManagers.
 *
 *     byte 0      kind (BufferKind)
 *     bytes 1..   payload: for DATA, a batch of records as the channel's RecordBatchSerializer
 *                 encodes it; for END_OF_PARTITION, nothing
 *
 * Data buffers travel only against credit; events travel in order with them (an event queued
 * behind data waits for that data) but need no credit: they are small and few, and a consumer must
 * see END_OF_PARTITION even when it has no credit left to give.
 *
 * Loaded by task worker threads: imports nothing.
 */

export const BufferKind = {
  /** A batch of serialized records. */
  DATA: 0,
  /** The producer's last buffer on this channel. */
  END_OF_PARTITION: 1,
  /** Reserved: aligned checkpoint barrier (not sent yet). */
  CHECKPOINT_BARRIER: 2,
  /** Reserved: watermark (not sent yet). */
  WATERMARK: 3,
} as const;

export type BufferKind = (typeof BufferKind)[keyof typeof BufferKind];

/** Bytes before the payload. */
export const BUFFER_HEADER_BYTES = 1;

/** Default target size of a network buffer (`taskmanager.memory.segment-size`). */
export const DEFAULT_BUFFER_SIZE_BYTES = 32 * 1024;
/** Key of the buffer timeout option, here so task workers can name it without loading the option declarations. */
export const BUFFER_TIMEOUT_KEY = 'execution.buffer-timeout';
/** Default `execution.buffer-timeout`. */
export const DEFAULT_BUFFER_TIMEOUT_MS = 100;
/** Default credits of an input channel (`taskmanager.network.memory.buffers-per-channel`). */
export const DEFAULT_CREDITS_PER_CHANNEL = 4;
/** Default `taskmanager.network.memory.max-queued-buffers-per-channel`. */
export const DEFAULT_MAX_QUEUED_BUFFERS_PER_CHANNEL = 8;

/** The kind byte of a buffer; undefined for an empty one. */
export function bufferKindOf(buffer: ArrayBuffer): number | undefined {
  return buffer.byteLength === 0 ? undefined : new Uint8Array(buffer, 0, 1)[0];
}

/** A data buffer holding `payload` (copied: it is usually a serializer's scratch space). */
export function dataBuffer(payload: Uint8Array): ArrayBuffer {
  const buffer = new ArrayBuffer(BUFFER_HEADER_BYTES + payload.byteLength);
  const bytes = new Uint8Array(buffer);
  bytes[0] = BufferKind.DATA;
  bytes.set(payload, BUFFER_HEADER_BYTES);
  return buffer;
}

/** An event buffer without payload. */
export function eventBuffer(kind: BufferKind): ArrayBuffer {
  const buffer = new ArrayBuffer(BUFFER_HEADER_BYTES);
  new Uint8Array(buffer)[0] = kind;
  return buffer;
}
