/**
 * The record codec's byte format, version 1: what the encoder writes and the decoder reads.
 *
 *     byte 0      format version (FORMAT_VERSION); a later format gets a new number and a decoder
 *                 that still reads this one
 *     byte 1      what follows: CONTAINER_BATCH (varint record count, then that many values) or
 *                 CONTAINER_VALUE (exactly one value)
 *     then        values, each a one-byte tag and what the tag says; nothing may follow the last
 *
 * Everything a value needs is in the same batch: an object's keys travel with the first object of
 * that shape in the batch (SHAPE_DEFINITION, which gives the shape the next id of the batch,
 * counting from 0), later objects of the shape in the same batch refer to it (FIXSHAPE, SHAPE) and
 * carry their values only. Nothing is carried from one batch to the next, so any batch decodes on
 * its own (replay, spilling and unaligned checkpoints need that).
 *
 * Numbers are little-endian; varints are unsigned LEB128 (7 bits a byte, low first, at most 5
 * bytes, values below 2^32). Typed arrays travel as their bytes in the platform's byte order, which
 * is little-endian on every platform Eddy runs on.
 */

/** The format written; the only one read so far. */
export const FORMAT_VERSION = 1;

/** Byte 1: a batch of records. */
export const CONTAINER_BATCH = 0x42; // 'B'
/** Byte 1: one value (a state value). */
export const CONTAINER_VALUE = 0x56; // 'V'

/** Bytes before the first value of a single value; a batch adds the record count. */
export const HEADER_BYTES = 2;

/**
 * The tags. Ranges carry a small number in their low bits, so the hot cases (a short string, a
 * small integer, a tuple, an object of a known shape) are one byte plus their content.
 */
export const Tag = {
  /** 0x00-0x7f: the integer 0-127 itself. */
  FIXINT_MAX: 0x7f,
  /** 0x80-0x9f: a latin1 string of 0-31 characters, one byte each. */
  FIXSTR: 0x80,
  /** 0xa0-0xaf: an array of 0-15 elements. */
  FIXARRAY: 0xa0,
  /** 0xb0-0xbf: an object of shape 0-15 of this batch: its values in the shape's key order. */
  FIXSHAPE: 0xb0,
  UNDEFINED: 0xc0,
  NULL: 0xc1,
  FALSE: 0xc2,
  TRUE: 0xc3,
  /** u8: integers 128-255. */
  UINT8: 0xc4,
  /** u16 */
  UINT16: 0xc5,
  /** i32 */
  INT32: 0xc6,
  /** f64: every other number, -0, NaN and the infinities included. */
  FLOAT64: 0xc7,
  /** varint n, n bytes: a latin1 string (every character below U+0100), one byte a character. */
  STR_LATIN1: 0xc8,
  /** varint n, n bytes of UTF-8: a well-formed string with a character above U+00FF. */
  STR_UTF8: 0xc9,
  /** varint n, n UTF-16 code units (2n bytes): a string with a lone surrogate, kept as it is. */
  STR_UTF16: 0xca,
  /** varint n, n elements. */
  ARRAY: 0xcb,
  /** varint k, k keys (string values), then the values: defines the batch's next shape. */
  SHAPE_DEFINITION: 0xcc,
  /** varint id, the values: an object of a shape defined earlier in the batch. */
  SHAPE: 0xcd,
  /** varint k, k times key (a string value) and value: an object with more keys than a shape takes. */
  OBJECT: 0xce,
  /** varint n: inside an array only, n missing elements (holes of a sparse array). */
  HOLES: 0xcf,
  /** varint n, n times key and value. */
  MAP: 0xd0,
  /** varint n, n values. */
  SET: 0xd1,
  /** f64 milliseconds since the epoch (NaN: an invalid Date). */
  DATE: 0xd2,
  /** i64: a bigint in -2^63..2^63-1. */
  BIGINT64: 0xd3,
  /** u8 sign (0 or 1: negative), varint n, n bytes of magnitude, most significant first. */
  BIGINT: 0xd4,
  /** u8 kind (TypedArrayKind), varint n, n bytes. */
  TYPED_ARRAY: 0xd5,
  /** varint n, n bytes. */
  ARRAY_BUFFER: 0xd6,
  /** source (string value), flags (string value). */
  REGEXP: 0xd7,
  /** name, message (string values), stack (string or undefined), u8 1 and the cause or u8 0 for none. */
  ERROR: 0xd8,
  /** 0xe0-0xff: the integer -32..-1. */
  NEGATIVE_FIXINT: 0xe0,
} as const;

/** Objects with more keys than this travel as OBJECT (keys inline) instead of creating a shape. */
export const MAX_SHAPE_KEYS = 64;

/** Arrays, objects, Maps and Sets nest at most this deep; deeper (or a cycle) fails the encode. */
export const MAX_DEPTH = 1000;

/** The typed arrays and their kind byte. Buffer is a Uint8Array and arrives as one. */
export const TYPED_ARRAY_KINDS = [
  'Uint8Array',
  'Int8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'DataView',
] as const;

export type TypedArrayName = (typeof TYPED_ARRAY_KINDS)[number];

/** Element size of each kind, in kind order (1 for DataView). */
export const TYPED_ARRAY_ELEMENT_BYTES = [1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8, 1] as const;

/** The constructors, in kind order. */
export const TYPED_ARRAY_CONSTRUCTORS: readonly (new (buffer: ArrayBuffer) => ArrayBufferView)[] = [
  Uint8Array,
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
];

/** The kind byte of a typed array or DataView from its Symbol.toStringTag, or -1. */
export function typedArrayKind(tag: unknown): number {
  return TYPED_ARRAY_KINDS.indexOf(tag as TypedArrayName);
}
