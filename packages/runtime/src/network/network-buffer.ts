/**
 * A network buffer: what one channel carries from a producer's subpartition to a consumer's input
 * channel, as one ArrayBuffer that is transferred between threads (never copied) and sent as one
 * message between TaskManagers.
 *
 *     byte 0      kind (BufferKind)
 *     bytes 1..   payload: for DATA, a batch of records as the channel's RecordBatchSerializer
 *                 encodes it; for CHECKPOINT_BARRIER, f64 LE checkpoint id, f64 LE timestamp, u8
 *                 mode (0 exactly once, 1 at least once); for WATERMARK, f64 LE watermark; for
 *                 WATERMARK_STATUS, u8 (0 active, 1 idle); for END_OF_DATA, nothing (the input
 *                 ended) or u8 1 (stopped without drain by a stop-with-savepoint: the consumer
 *                 neither ends event time nor its operators' input); for END_OF_PARTITION, nothing
 *
 *   TIMESTAMPED_DATA, a batch of which at least one record has an event timestamp:
 *     byte 0      kind
 *     bytes 4..7  u32 LE n, the number of records
 *     bytes 8..   n f64 LE timestamps (-Infinity: none), 8-byte aligned so the consumer reads them
 *                 as a Float64Array over the transferred buffer without copying
 *     then        the batch of records, as for DATA
 *
 * A batch without any timestamp stays DATA: timestamps cost nothing until a job assigns them.
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
  /** Checkpoint barrier N: what came before it on the channel is in checkpoint N, what follows is not. */
  CHECKPOINT_BARRIER: 2,
  /** Event time reached the watermark on this channel (Flink's Watermark). */
  WATERMARK: 3,
  /**
   * The producer sends no more records (Flink's EndOfData); the channel stays open for barriers
   * until END_OF_PARTITION, so the final checkpoint can pass.
   */
  END_OF_DATA: 4,
  /** The channel became idle or active again (Flink's WatermarkStatus). */
  WATERMARK_STATUS: 5,
  /** A batch of records with a timestamp column (see the layout above). */
  TIMESTAMPED_DATA: 6,
} as const;

export type BufferKind = (typeof BufferKind)[keyof typeof BufferKind];

/** A record without a timestamp: the same value as @eddy/api's NO_TIMESTAMP (-Infinity). */
export const NO_TIMESTAMP = Number.NEGATIVE_INFINITY;

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

/** Where the timestamp column of a TIMESTAMPED_DATA buffer starts. */
export const TIMESTAMPS_OFFSET = 8;

/** A TIMESTAMPED_DATA buffer: `timestamps[i]` belongs to the i-th record of `payload`. */
export function timestampedDataBuffer(payload: Uint8Array, timestamps: readonly number[]): ArrayBuffer {
  const count = timestamps.length;
  const recordsAt = TIMESTAMPS_OFFSET + 8 * count;
  const buffer = new ArrayBuffer(recordsAt + payload.byteLength);
  new DataView(buffer).setUint32(4, count, true);
  new Uint8Array(buffer, 0, 1)[0] = BufferKind.TIMESTAMPED_DATA;
  const column = new Float64Array(buffer, TIMESTAMPS_OFFSET, count);
  for (let i = 0; i < count; i++) column[i] = timestamps[i] as number;
  new Uint8Array(buffer, recordsAt).set(payload);
  return buffer;
}

/** The timestamp column and the records' bytes of a TIMESTAMPED_DATA buffer; throws when it is too short for its count. */
export function readTimestampedData(buffer: ArrayBuffer): { timestamps: Float64Array; payload: Uint8Array } {
  if (buffer.byteLength < TIMESTAMPS_OFFSET) throw new RangeError(`a timestamped data buffer has at least ${TIMESTAMPS_OFFSET} bytes, got ${buffer.byteLength}`);
  const count = new DataView(buffer).getUint32(4, true);
  const recordsAt = TIMESTAMPS_OFFSET + 8 * count;
  if (recordsAt > buffer.byteLength) throw new RangeError(`a timestamped data buffer of ${count} records needs ${recordsAt} bytes for its timestamps, got ${buffer.byteLength}`);
  return { timestamps: new Float64Array(buffer, TIMESTAMPS_OFFSET, count), payload: new Uint8Array(buffer, recordsAt) };
}

const WATERMARK_BYTES = BUFFER_HEADER_BYTES + 8;

export function watermarkBuffer(watermark: number): ArrayBuffer {
  const buffer = new ArrayBuffer(WATERMARK_BYTES);
  const view = new DataView(buffer);
  view.setUint8(0, BufferKind.WATERMARK);
  view.setFloat64(1, watermark, true);
  return buffer;
}

export function readWatermark(buffer: ArrayBuffer): number {
  if (buffer.byteLength !== WATERMARK_BYTES) throw new RangeError(`a watermark is ${WATERMARK_BYTES} bytes, got ${buffer.byteLength}`);
  const watermark = new DataView(buffer).getFloat64(1, true);
  if (Number.isNaN(watermark)) throw new RangeError('a watermark is a number, got NaN');
  return watermark;
}

export function watermarkStatusBuffer(idle: boolean): ArrayBuffer {
  const buffer = new ArrayBuffer(BUFFER_HEADER_BYTES + 1);
  const bytes = new Uint8Array(buffer);
  bytes[0] = BufferKind.WATERMARK_STATUS;
  bytes[1] = idle ? 1 : 0;
  return buffer;
}

export function readWatermarkStatus(buffer: ArrayBuffer): boolean {
  if (buffer.byteLength !== BUFFER_HEADER_BYTES + 1) throw new RangeError(`a watermark status is ${BUFFER_HEADER_BYTES + 1} bytes, got ${buffer.byteLength}`);
  return new Uint8Array(buffer)[1] === 1;
}

/** An event buffer without payload. */
export function eventBuffer(kind: BufferKind): ArrayBuffer {
  const buffer = new ArrayBuffer(BUFFER_HEADER_BYTES);
  new Uint8Array(buffer)[0] = kind;
  return buffer;
}

/** END_OF_DATA; `drain` false for a stop-with-savepoint without --drain (see the layout above). */
export function endOfDataBuffer(drain: boolean): ArrayBuffer {
  if (drain) return eventBuffer(BufferKind.END_OF_DATA);
  const buffer = new ArrayBuffer(BUFFER_HEADER_BYTES + 1);
  const bytes = new Uint8Array(buffer);
  bytes[0] = BufferKind.END_OF_DATA;
  bytes[1] = 1;
  return buffer;
}

/** Whether an END_OF_DATA buffer ends the input (true) or stops it without drain (false). */
export function readEndOfDataDrain(buffer: ArrayBuffer): boolean {
  return buffer.byteLength <= BUFFER_HEADER_BYTES || new Uint8Array(buffer, BUFFER_HEADER_BYTES, 1)[0] !== 1;
}

/** What a barrier carries. */
export interface CheckpointBarrier {
  readonly checkpointId: number;
  readonly timestamp: number;
  /** Align (exactly once) or not (at least once). */
  readonly exactlyOnce: boolean;
  /** A savepoint: keyed state is written full and canonical, never as a change log (docs/savepoints.md). */
  readonly savepoint?: boolean;
}

/** Bits of a barrier's flags byte. */
const BARRIER_AT_LEAST_ONCE = 1;
const BARRIER_SAVEPOINT = 2;

const BARRIER_BYTES = BUFFER_HEADER_BYTES + 17;

export function barrierBuffer(barrier: CheckpointBarrier): ArrayBuffer {
  const buffer = new ArrayBuffer(BARRIER_BYTES);
  const view = new DataView(buffer);
  view.setUint8(0, BufferKind.CHECKPOINT_BARRIER);
  view.setFloat64(1, barrier.checkpointId, true);
  view.setFloat64(9, barrier.timestamp, true);
  view.setUint8(17, (barrier.exactlyOnce ? 0 : BARRIER_AT_LEAST_ONCE) | (barrier.savepoint === true ? BARRIER_SAVEPOINT : 0));
  return buffer;
}

/** Reads a CHECKPOINT_BARRIER buffer; throws when it is too short to be one. */
export function readBarrier(buffer: ArrayBuffer): CheckpointBarrier {
  if (buffer.byteLength !== BARRIER_BYTES) throw new RangeError(`a checkpoint barrier is ${BARRIER_BYTES} bytes, got ${buffer.byteLength}`);
  const view = new DataView(buffer);
  const flags = view.getUint8(17);
  return { checkpointId: view.getFloat64(1, true), timestamp: view.getFloat64(9, true), exactlyOnce: (flags & BARRIER_AT_LEAST_ONCE) === 0, savepoint: (flags & BARRIER_SAVEPOINT) !== 0 };
}
