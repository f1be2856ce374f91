/**
 * How records become the payload of a data buffer and back.
 *
 * A serializer belongs to one direction of one channel: the producer's subpartition encodes with
 * its own instance, the consumer's input channel decodes with its own, and every buffer is decoded
 * exactly once, in the order it was encoded. That lets the msgpackr serializer learn record
 * structures per stream: the first buffer that holds a record shape carries the shape's keys once,
 * later buffers refer to it by a one-byte id, so a small record such as `{ word, count }` costs its
 * values only.
 *
 * Batches, not records: msgpackr packs an array of 1,500 small records at about 12 M records/s on
 * our machines but only about 5 M/s when each record is packed on its own (the per-call set-up
 * dominates), and decoding one array is likewise faster than decoding records one by one. So a
 * ResultPartitionWriter keeps the records of the buffer it is filling and encodes them when it cuts
 * the buffer (see result-partition-writer.ts for what that means for emitted records).
 *
 * Loaded by task worker threads: imports only msgpackr.
 */
import { Packr, Unpackr } from 'msgpackr';

export interface RecordBatchSerializer {
  /**
   * Encodes a batch of records. The result may be the serializer's scratch space: it is valid until
   * the next call. Throws when a record cannot be encoded.
   */
  encode(records: readonly unknown[]): Uint8Array;
  /**
   * Decodes a batch encoded by the peer serializer of the same channel. Batches must be decoded in
   * the order they were encoded, each exactly once. Throws when the bytes are not such a batch.
   */
  decode(bytes: Uint8Array): unknown[];
}

/** Makes one serializer per channel direction. */
export type RecordBatchSerializerFactory = () => RecordBatchSerializer;

/** Encoding options shared by both sides; they must agree. */
const MSGPACK_OPTIONS = {
  useRecords: true,
  // Structures are learnt along the stream, as buffers are decoded in order.
  sequential: true,
  // Keep `undefined` as such (plain msgpack would turn it into null).
  encodeUndefinedAsNil: false,
  moreTypes: true,
  // bigints beyond 64 bits too, instead of a RangeError.
  useBigIntExtension: true,
} as const;

/**
 * msgpackr with record structures: plain objects, arrays, strings, numbers, booleans, null,
 * undefined, Date, Map, Set, bigint, typed arrays and Buffers survive the trip; class instances
 * arrive as plain objects.
 */
export class MsgpackRecordBatchSerializer implements RecordBatchSerializer {
  // msgpackr keeps its state in the options object it is given: one copy each.
  readonly #packr = new Packr({ ...MSGPACK_OPTIONS });
  readonly #unpackr = new Unpackr({ ...MSGPACK_OPTIONS });

  encode(records: readonly unknown[]): Uint8Array {
    return this.#packr.pack(records);
  }

  decode(bytes: Uint8Array): unknown[] {
    const records: unknown = this.#unpackr.unpack(bytes);
    if (!Array.isArray(records)) throw new TypeError(`a data buffer holds a ${typeof records}, not a batch of records`);
    return records;
  }
}

export const msgpackRecordBatchSerializer: RecordBatchSerializerFactory = () => new MsgpackRecordBatchSerializer();
