/**
 * Which entries a keyed state store may hold: a Bloom filter of every (state, key) the backend
 * wrote to a store that started empty, so a read of a key never written (the first record of every
 * new key) costs a few multiplications instead of a store get (about 0.7 us in LMDB at 500,000
 * keys). No false negatives: an entry it has not seen is not in the store. A removal stays in it
 * (a Bloom filter cannot forget), which only costs a get.
 *
 * A fixed 2^24 bits (2 MiB), three probes: about 0.1 % false positives at 500,000 keys and 3 % at
 * 2,000,000. Past 4,000,000 entries it would answer "maybe" nearly always, so it stops: from then
 * on every read goes to the store, as without it.
 */
const BITS_LOG2 = 24;
const MASK = (1 << BITS_LOG2) - 1;
/** Entries after which it stops (4 bits an entry). */
const MAX_ENTRIES = (1 << BITS_LOG2) / 4;

const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);

/** Murmur3's 32-bit finalizer. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function hashOf(state: number, key: string | number | boolean): number {
  let h = Math.imul(state + 1, 0x9e3779b1);
  if (typeof key === 'number') {
    if ((key | 0) === key) return mix(h ^ key);
    scratch[0] = key;
    return mix(h ^ mix((words[0] as number) ^ Math.imul(words[1] as number, 0x27d4eb2f)));
  }
  if (typeof key === 'boolean') return mix(h ^ (key ? 0x5bd1e995 : 0x1b873593));
  h ^= 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return mix(h);
}

export class StoreKeyFilter {
  private bits: Int32Array | undefined = new Int32Array(1 << (BITS_LOG2 - 5));
  private entries = 0;

  /** False: `key` of `state` was never added, so the store has no entry for it. */
  mightContain(state: number, key: string | number | boolean): boolean {
    const bits = this.bits;
    if (bits === undefined) return true;
    const h1 = hashOf(state, key);
    const h2 = mix(h1 ^ 0x6a09e667) | 1;
    for (let i = 0, h = h1; i < 3; i++, h = (h + h2) | 0) {
      const bit = h & MASK;
      if (((bits[bit >>> 5] as number) & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }

  /** `key` of `state` is (about to be) in the store. */
  add(state: number, key: string | number | boolean): void {
    const bits = this.bits;
    if (bits === undefined) return;
    if (++this.entries > MAX_ENTRIES) {
      this.bits = undefined;
      return;
    }
    const h1 = hashOf(state, key);
    const h2 = mix(h1 ^ 0x6a09e667) | 1;
    for (let i = 0, h = h1; i < 3; i++, h = (h + h2) | 0) {
      const bit = h & MASK;
      bits[bit >>> 5] = (bits[bit >>> 5] as number) | (1 << (bit & 31));
    }
  }

  /** Whether it still answers (false once it saw more than it can tell apart). */
  get active(): boolean {
    return this.bits !== undefined;
  }
}
