/**
 * How the LMDB keyed state store lays out its keys: a custom key encoder for lmdb (its
 * `keyEncoder` option) in place of lmdb's ordered-binary arrays, which spend 9 bytes on every
 * number (29 bytes for [keyGroup, state, 123456]). Shorter keys make a smaller B+tree: fewer pages
 * and cache lines touched by every get and put on the record path.
 *
 *   key group  2 bytes, big-endian (key groups are < 32768)
 *   state      2 bytes, big-endian (the state's index in the operator)
 *   key        1 tag byte, then: false/true 0x01 + 0/1; number 0x02 + 8 bytes (an IEEE-754
 *              double with its bits flipped so bytes sort as numbers do; -0 as 0); string 0x03 +
 *              its UTF-8 bytes
 *
 * So entries sort by key group, then state, then key (booleans, numbers, strings), and a key group
 * is one contiguous range: [keyGroup] (2 bytes) to [keyGroup + 1]. msgpackr's shared structures
 * live under a symbol, written as 0xFFFF (above every key group).
 */
import type { KeyedStateStoreKey } from '@eddy/api/internal';

/** A key of the store: [keyGroup, state, key], or [keyGroup] as a range bound. */
export type StoreKey = [number, number, KeyedStateStoreKey] | [number];

const TAG_BOOLEAN = 0x01;
const TAG_NUMBER = 0x02;
const TAG_STRING = 0x03;
const HEADER_BYTES = 5;
const MAX_KEY_GROUP = 0x7fff;
const MAX_STATE = 0xffff;

/** Where a number key is decoded. */
const number = Buffer.alloc(8);

/** lmdb's keyEncoder: `structuresKey` is the store's sharedStructuresKey. */
export function storeKeyEncoder(structuresKey: symbol): { writeKey(key: unknown, target: Buffer, start: number): number; readKey(source: Buffer, start: number, end: number): unknown } {
  return {
    writeKey(key: unknown, target: Buffer, start: number): number {
      if (key === structuresKey) {
        target[start] = 0xff;
        target[start + 1] = 0xff;
        return start + 2;
      }
      return writeStoreKey(key as StoreKey, target, start);
    },
    readKey(source: Buffer, start: number, end: number): unknown {
      if (source[start] === 0xff) return structuresKey;
      return readStoreKey(source, start, end);
    },
  };
}

/**
 * Writes `key` at `start`; returns where it ends. A RangeError when `target` is too short (lmdb
 * tells its own key size limit from that, or retries with a larger buffer).
 */
export function writeStoreKey(key: StoreKey, target: Buffer, start: number): number {
  const group = key[0];
  if (!(group >= 0 && group <= MAX_KEY_GROUP)) throw new Error(`internal error: key group ${group} of the keyed state store is out of range`);
  if (start + HEADER_BYTES + 8 > target.length) throw new RangeError('the key buffer is too short');
  target[start] = group >> 8;
  target[start + 1] = group & 0xff;
  if (key.length === 1) return start + 2;
  const state = key[1];
  if (!(state >= 0 && state <= MAX_STATE)) throw new Error(`internal error: state index ${state} of the keyed state store is out of range`);
  target[start + 2] = state >> 8;
  target[start + 3] = state & 0xff;
  const value = key[2];
  switch (typeof value) {
    case 'number': {
      target[start + 4] = TAG_NUMBER;
      const at = start + HEADER_BYTES;
      target.writeDoubleBE(value === 0 ? 0 : value, at);
      // Order-preserving: a negative number has every bit flipped, a positive one its sign bit.
      if ((target[at] as number) & 0x80) for (let i = at; i < at + 8; i++) target[i] = ~(target[i] as number) & 0xff;
      else target[at] = (target[at] as number) | 0x80;
      return at + 8;
    }
    case 'string': {
      target[start + 4] = TAG_STRING;
      const at = start + HEADER_BYTES;
      const room = target.length - at;
      if (value.length * 3 > room && Buffer.byteLength(value) > room) throw new RangeError(`a key of keyed state of ${Buffer.byteLength(value)} bytes (UTF-8) does not fit the key buffer`);
      return at + target.write(value, at, 'utf8');
    }
    case 'boolean':
      target[start + 4] = TAG_BOOLEAN;
      target[start + 5] = value ? 1 : 0;
      return start + 6;
  }
  throw new TypeError(`internal error: a key of the keyed state store must be a string, number or boolean, got a ${typeof value}`);
}

export function readStoreKey(source: Uint8Array, start: number, end: number): StoreKey {
  const group = ((source[start] as number) << 8) | (source[start + 1] as number);
  if (end - start === 2) return [group];
  const state = ((source[start + 2] as number) << 8) | (source[start + 3] as number);
  const tag = source[start + 4];
  if (tag === TAG_NUMBER) {
    const at = start + HEADER_BYTES;
    const negative = ((source[at] as number) & 0x80) === 0;
    for (let i = 0; i < 8; i++) {
      const byte = source[at + i] as number;
      number[i] = negative ? ~byte & 0xff : i === 0 ? byte & 0x7f : byte;
    }
    return [group, state, number.readDoubleBE(0)];
  }
  if (tag === TAG_STRING) return [group, state, Buffer.from(source.buffer, source.byteOffset + start + HEADER_BYTES, end - start - HEADER_BYTES).toString('utf8')];
  if (tag === TAG_BOOLEAN) return [group, state, source[start + 5] === 1];
  throw new Error(`the keyed state store holds a key with an unknown type tag ${String(tag)} (key group ${group}, state ${state})`);
}
