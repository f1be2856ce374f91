/**
 * Key groups, as in Flink's KeyGroupRangeAssignment: a key hashes to one of `maxParallelism` key
 * groups, and key groups go to subtasks in contiguous ranges, so keyed state can later be
 * redistributed when the parallelism changes. Every process must compute the same values, so the
 * hash is defined on a canonical form of the key, never on anything process-local.
 *
 * Canonical form: a sequence of 16-bit units, a type tag followed by the value:
 *   string  's' + its UTF-16 code units
 *   number  'n' + the four little-endian 16-bit words of its IEEE-754 double (-0 as 0, one NaN)
 *   boolean 'b' + 1 or 0
 *   bigint  'i' + its decimal digits
 *   null 'z', undefined 'u'
 *   other   'j' + canonical JSON (object keys sorted)
 * The hash is MurmurHash3 (x86, 32 bit, seed 0) of those units read as UTF-16LE bytes.
 */

/** Flink's bounds for the number of key groups. */
export const MIN_MAX_PARALLELISM = 128;
export const UPPER_BOUND_MAX_PARALLELISM = 32768;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

const TAG_STRING = 0x73;
const TAG_NUMBER = 0x6e;
const TAG_BOOLEAN = 0x62;
const TAG_BIGINT = 0x69;
const TAG_NULL = 0x7a;
const TAG_UNDEFINED = 0x75;
const TAG_JSON = 0x6a;

function mixK(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

function mixH(h: number, k: number): number {
  h ^= mixK(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalize(h: number, byteLength: number): number {
  h ^= byteLength;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * MurmurHash3 x86_32 of the UTF-16LE bytes of `s`, preceded by the unit `tag` when tag >= 0.
 * Allocates nothing.
 */
export function murmurHash3Utf16(tag: number, s: string, seed = 0): number {
  let h = seed | 0;
  const n = s.length;
  let i = 0;
  let units = n;
  if (tag >= 0) {
    units++;
    if (n === 0) return finalize(h ^ mixK(tag), 2);
    h = mixH(h, tag | (s.charCodeAt(0) << 16));
    i = 1;
  }
  for (; i + 1 < n; i += 2) h = mixH(h, s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
  if (i < n) h ^= mixK(s.charCodeAt(i));
  return finalize(h, units * 2);
}

const numberView = new DataView(new ArrayBuffer(8));

function hashNumber(value: number): number {
  // -0 and 0 are one key (as in a Map); every NaN is the same key.
  numberView.setFloat64(0, value === 0 ? 0 : value, true);
  if (value !== value) numberView.setFloat64(0, Number.NaN, true);
  let h = mixH(0, TAG_NUMBER | (numberView.getUint16(0, true) << 16));
  h = mixH(h, numberView.getUint16(2, true) | (numberView.getUint16(4, true) << 16));
  h ^= mixK(numberView.getUint16(6, true));
  return finalize(h, 10);
}

/**
 * JSON with object keys sorted, so equal objects built in any order have one canonical form.
 * Throws a TypeError for a Map or Set anywhere in `value` (see checkKeyPart).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? value.toString() : value;
  checkKeyPart(value);
  const obj = value as Record<string, unknown>;
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') return sortKeys((obj as { toJSON(): unknown }).toJSON());
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort()) sorted[k] = sortKeys(obj[k]);
  return sorted;
}

/**
 * Refuses what JSON cannot tell apart: every Map, Set, WeakMap and WeakSet turns into `{}`, so all
 * of them would be one key (one key group, one state entry). Checked where a key's canonical form
 * is made, so a key selector that returns one fails the task at the first such record.
 */
function checkKeyPart(value: object): void {
  const kind =
    value instanceof Map ? 'Map' : value instanceof Set ? 'Set' : value instanceof WeakMap ? 'WeakMap' : value instanceof WeakSet ? 'WeakSet' : undefined;
  if (kind === undefined) return;
  throw new TypeError(
    `A key must not be or contain a ${kind}: keys compare by their JSON, in which every ${kind} is {}, so all of them would be the same key. ` +
      'Use a string, a number, an array or a plain object instead, e.g. [...map.entries()] for a Map or [...set].sort() for a Set.',
  );
}

/** Hash of a key's canonical form (see the file comment). Deterministic across processes. */
export function keyHash(key: unknown): number {
  switch (typeof key) {
    case 'string':
      return murmurHash3Utf16(TAG_STRING, key);
    case 'number':
      return hashNumber(key);
    case 'boolean':
      return murmurHash3Utf16(TAG_BOOLEAN, key ? '\u0001' : '\u0000');
    case 'bigint':
      return murmurHash3Utf16(TAG_BIGINT, key.toString());
    case 'undefined':
      return murmurHash3Utf16(TAG_UNDEFINED, '');
    case 'object':
      return key === null ? murmurHash3Utf16(TAG_NULL, '') : murmurHash3Utf16(TAG_JSON, canonicalJson(key));
    default:
      throw new TypeError(`a key must be a string, number, boolean, bigint, null, undefined, array or plain object, got a ${typeof key}`);
  }
}

/** The key group of `key`: its canonical hash modulo maxParallelism (Flink's assignToKeyGroup). */
export function keyGroupFor(key: unknown, maxParallelism: number): number {
  return keyHash(key) % maxParallelism;
}

/** The subtask that owns `keyGroup`: keyGroup * parallelism / maxParallelism, rounded down. */
export function operatorIndexForKeyGroup(maxParallelism: number, parallelism: number, keyGroup: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** The subtask of `key`, in one call. */
export function operatorIndexForKey(key: unknown, maxParallelism: number, parallelism: number): number {
  return operatorIndexForKeyGroup(maxParallelism, parallelism, keyGroupFor(key, maxParallelism));
}

/** An inclusive range of key groups. */
export interface KeyGroupRange {
  readonly startKeyGroup: number;
  readonly endKeyGroup: number;
}

/** The contiguous key groups owned by subtask `operatorIndex` (Flink's computeKeyGroupRangeForOperatorIndex). */
export function keyGroupRangeForOperatorIndex(maxParallelism: number, parallelism: number, operatorIndex: number): KeyGroupRange {
  return {
    startKeyGroup: Math.floor((operatorIndex * maxParallelism + parallelism - 1) / parallelism),
    endKeyGroup: Math.floor(((operatorIndex + 1) * maxParallelism - 1) / parallelism),
  };
}

/**
 * Flink's default max parallelism for an operator of parallelism `p`: the power of two at or above
 * p + p/2, at least 128 and at most 32768. The client and the runtime both use this.
 */
export function defaultMaxParallelism(parallelism: number): number {
  const wanted = parallelism + Math.floor(parallelism / 2);
  let power = 1;
  while (power < wanted) power *= 2;
  return Math.min(Math.max(power, MIN_MAX_PARALLELISM), UPPER_BOUND_MAX_PARALLELISM);
}
