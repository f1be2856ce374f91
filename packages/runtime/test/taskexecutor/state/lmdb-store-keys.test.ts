import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readStoreKey, storeKeyEncoder, writeStoreKey, type StoreKey } from '../../../src/taskexecutor/state/lmdb-store-keys.js';

const encode = (key: StoreKey): Buffer => {
  const target = Buffer.alloc(4096);
  return target.subarray(0, writeStoreKey(key, target, 0));
};

describe('the LMDB store keys', () => {
  it('read back as written: every key type, -0 as 0, numbers of every sign and size, UTF-8 strings', () => {
    const keys: StoreKey[] = [
      [0, 0, 0],
      [5, 1, -0],
      [127, 3, 123456],
      [32767, 65535, -1.5],
      [9, 0, Number.MAX_VALUE],
      [9, 0, -Infinity],
      [9, 0, Number.NaN],
      [9, 0, ''],
      [9, 0, 'user-42'],
      [9, 0, 'Zürich 東京 🚀'],
      [9, 0, '\u0000j:{"a":1}'],
      [9, 2, true],
      [9, 2, false],
      [12],
    ];
    for (const key of keys) {
      const bytes = encode(key);
      const expected = key.length === 3 && Object.is(key[2], -0) ? [key[0], key[1], 0] : key;
      assert.deepEqual(readStoreKey(bytes, 0, bytes.length), expected, `${JSON.stringify(key)} read back`);
    }
    assert.equal(encode([127, 3, 123456]).length, 13, 'a number key: 2 + 2 + 1 + 8 bytes (ordered-binary arrays take 29)');
  });

  it('sort as (key group, state, key), booleans before numbers before strings, numbers in numeric order, and a key group is the range [g] to [g + 1]', () => {
    const ordered: StoreKey[] = [
      [3],
      [3, 0, false],
      [3, 0, true],
      [3, 0, -Infinity],
      [3, 0, -1e300],
      [3, 0, -2],
      [3, 0, -1.5],
      [3, 0, -1e-300],
      [3, 0, 0],
      [3, 0, 1e-300],
      [3, 0, 1],
      [3, 0, 2],
      [3, 0, 1e300],
      [3, 0, Infinity],
      [3, 0, ''],
      [3, 0, 'a'],
      [3, 0, 'ab'],
      [3, 0, 'b'],
      [3, 1, false],
      [3, 256, 0],
      [4],
      [4, 0, false],
      [256, 0, 0],
    ];
    const shuffled = [...ordered].reverse().map(encode);
    shuffled.sort(Buffer.compare);
    assert.deepEqual(
      shuffled.map((bytes) => readStoreKey(bytes, 0, bytes.length)),
      ordered,
    );
  });

  it('reports a key that does not fit the buffer as a RangeError (lmdb turns it into its key size error), never a cut key', () => {
    const target = Buffer.alloc(64);
    assert.throws(() => writeStoreKey([1, 0, 'x'.repeat(100)], target, 0), RangeError);
    assert.throws(() => writeStoreKey([1, 0, 'é'.repeat(30)], target, 0), RangeError, '60 UTF-8 bytes after a 5-byte header do not fit 64 bytes');
    assert.throws(() => writeStoreKey([1, 0, 5], target, 60), RangeError);
    assert.equal(writeStoreKey([1, 0, 'x'.repeat(59)], target, 0), 64, 'a key that just fits');
  });

  it("keeps msgpackr's shared structures under their symbol, above every key group", () => {
    const structures = Symbol('structures');
    const encoder = storeKeyEncoder(structures);
    const target = Buffer.alloc(16);
    const end = encoder.writeKey(structures, target, 0);
    assert.equal(encoder.readKey(target, 0, end), structures);
    assert.equal(Buffer.compare(target.subarray(0, end), encode([32767, 65535, 'zzz'])) > 0, true);
    assert.throws(() => encoder.writeKey([1, 0, {} as unknown as string], target, 0), /string, number or boolean/);
  });
});
