/**
 * The record codec: how records travel between tasks and how state values are stored. Every
 * encoded batch (and value) is self-contained: it decodes on its own, in any order, with no other
 * batch (see codec-format.ts for the bytes, docs/network.md for the type mapping).
 *
 * On the data plane each channel direction keeps its own RecordEncoder or RecordDecoder (they
 * reuse scratch space and caches between calls). These functions are for everything else: they use
 * one shared encoder and decoder, and encodeRecords/encodeValue return bytes of their own.
 *
 * Imports nothing outside this package: it runs in task worker threads and in job bundles.
 */
import { RecordDecoder } from './record-decoder.js';
import { RecordEncoder } from './record-encoder.js';

let sharedEncoder: RecordEncoder | undefined;
let sharedDecoder: RecordDecoder | undefined;
let encoderBusy = false;

/** Runs `encode` on the shared encoder, or on a fresh one when a getter encodes while it is busy. */
function withEncoder(encode: (encoder: RecordEncoder) => Uint8Array): Uint8Array {
  if (encoderBusy) return encode(new RecordEncoder()).slice();
  encoderBusy = true;
  try {
    sharedEncoder ??= new RecordEncoder();
    return encode(sharedEncoder).slice();
  } finally {
    encoderBusy = false;
  }
}

/** A batch of records as bytes of their own. Throws RecordEncodeError naming the record and field. */
export function encodeRecords(records: readonly unknown[]): Uint8Array {
  return withEncoder((encoder) => encoder.encodeBatch(records));
}

/** The records of a batch. Throws RecordDecodeError when the bytes are not a batch. */
export function decodeRecords(bytes: Uint8Array): unknown[] {
  sharedDecoder ??= new RecordDecoder();
  return sharedDecoder.decodeBatch(bytes);
}

/** One value (a state value) as bytes of their own. Throws RecordEncodeError. */
export function encodeValue(value: unknown): Uint8Array {
  return withEncoder((encoder) => encoder.encodeValue(value));
}

/** The value encodeValue wrote. Throws RecordDecodeError when the bytes are not one. */
export function decodeValue(bytes: Uint8Array): unknown {
  sharedDecoder ??= new RecordDecoder();
  return sharedDecoder.decodeValue(bytes);
}

export { RecordDecoder, RecordEncoder };
export { RecordDecodeError, RecordEncodeError } from './codec-errors.js';
export { FORMAT_VERSION } from './codec-format.js';
