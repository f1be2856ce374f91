/**
 * How records become the payload of a data buffer and back.
 *
 * A serializer belongs to one direction of one channel: the producer's subpartition encodes with
 * its own instance, the consumer's input channel decodes with its own. The default, the record
 * codec of @eddy/api (CodecRecordBatchSerializer), makes every buffer self-contained: a buffer
 * decodes without any buffer before it, so buffers can be persisted (unaligned checkpoints),
 * replayed or spilled and read back alone. A record shape's keys travel once per buffer, after that
 * a small `{ word, count }` costs its values only.
 *
 * Batches, not records: encoding the array of a buffer's records in one call is about twice as fast
 * as encoding record by record (the per-call set-up dominates small records), and decoding one
 * array is likewise faster. So a ResultPartitionWriter keeps the records of the buffer it is
 * filling and encodes them when it cuts the buffer (see result-partition-writer.ts for what that
 * means for emitted records).
 *
 * msgpackr with record structures learnt along the stream (MsgpackRecordBatchSerializer) was the
 * default before; it stays for comparison in the benchmarks. Its buffers are NOT self-contained:
 * a buffer refers to structures defined in earlier buffers of the channel.
 *
 * Loaded by task worker threads: imports only msgpackr and the codec of @eddy/api, by its own entry
 * point (`@eddy/api/codec`, also exported by `@eddy/api/internal`) so that a worker does not load
 * the rest of the API's internals with it.
 */
import { RecordDecoder, RecordEncoder } from '@eddy/api/codec';
import { Packr, Unpackr } from 'msgpackr';

export interface RecordBatchSerializer {
  /**
   * Encodes a batch of records. The result may be the serializer's scratch space: it is valid until
   * the next call. Throws when a record cannot be encoded.
   */
  encode(records: readonly unknown[]): Uint8Array;
  /**
   * Decodes a batch encoded by the peer serializer. Throws when the bytes are not such a batch. The
   * default serializer decodes any batch on its own; MsgpackRecordBatchSerializer needs the batches
   * of a channel in the order they were encoded, each exactly once.
   */
  decode(bytes: Uint8Array): unknown[];
}

/** Makes one serializer per channel direction. */
export type RecordBatchSerializerFactory = () => RecordBatchSerializer;

/**
 * The default: the record codec of @eddy/api. Every buffer is self-contained. Types that survive
 * the trip: undefined, null, booleans, numbers (-0, NaN, infinities), strings (lone surrogates
 * included), bigint, Date, arrays (holes kept), plain objects, Map, Set, typed arrays and DataView
 * (a Buffer arrives as a Uint8Array), ArrayBuffer, RegExp, Error; class instances arrive as plain
 * objects of their own enumerable properties. Functions, symbols and cycles fail the encode with
 * the record and field named. See docs/network.md.
 */
export class CodecRecordBatchSerializer implements RecordBatchSerializer {
  // Made on first use: a channel direction only encodes or only decodes, and an encoder keeps a
  // 16 KiB scratch buffer.
  #encoder: RecordEncoder | undefined;
  #decoder: RecordDecoder | undefined;

  encode(records: readonly unknown[]): Uint8Array {
    this.#encoder ??= new RecordEncoder();
    return this.#encoder.encodeBatch(records);
  }

  decode(bytes: Uint8Array): unknown[] {
    this.#decoder ??= new RecordDecoder();
    return this.#decoder.decodeBatch(bytes);
  }
}

export const codecRecordBatchSerializer: RecordBatchSerializerFactory = () => new CodecRecordBatchSerializer();

/** The default serializer of writers and gates. */
export const defaultRecordBatchSerializer: RecordBatchSerializerFactory = codecRecordBatchSerializer;

/** msgpackr's options shared by both sides; they must agree. */
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
 * msgpackr with record structures learnt along the stream: plain objects, arrays, strings, numbers,
 * booleans, null, undefined, Date, Map, Set, bigint, typed arrays and Buffers survive the trip;
 * class instances arrive as plain objects; functions silently become undefined. A buffer needs the
 * buffers before it (sequential structures), so this is kept only to compare with.
 */
export class MsgpackRecordBatchSerializer implements RecordBatchSerializer {
  readonly #packr: Packr;
  readonly #unpackr: Unpackr;

  /**
   * `sequential: false` (for the benchmarks' comparison) defines the structures in every buffer
   * instead, which makes the buffers self-contained.
   */
  constructor({ sequential = true }: { readonly sequential?: boolean } = {}) {
    // msgpackr keeps its state in the options object it is given: one copy each.
    this.#packr = new Packr({ ...MSGPACK_OPTIONS, sequential });
    this.#unpackr = new Unpackr({ ...MSGPACK_OPTIONS, sequential });
  }

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
