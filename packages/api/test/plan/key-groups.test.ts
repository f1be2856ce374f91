import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultMaxParallelism, keyGroupFor, keyGroupRangeForOperatorIndex, operatorIndexForKeyGroup } from '../../src/index.js';
import { keyHash, murmurHash3Utf16 } from '../../src/key-groups.js';

describe('key groups', () => {
  it('hashes with MurmurHash3 x86_32 (published test vectors over UTF-16LE bytes)', () => {
    assert.equal(murmurHash3Utf16(-1, '', 0), 0);
    assert.equal(murmurHash3Utf16(-1, '', 1), 0x514e28b7);
    assert.equal(murmurHash3Utf16(-1, '\u6161\u6161', 0x9747b28c), 0x5a97808a); // "aaaa"
    assert.equal(murmurHash3Utf16(-1, '\u6261\u6463', 0x9747b28c), 0xf0478627); // "abcd"
    assert.equal(murmurHash3Utf16(-1, '\u6261', 0x9747b28c), 0x74875592); // "ab"
  });

  it('puts fixed keys in pinned key groups, so a change of the hash is caught', () => {
    const pinned: [unknown, number, number][] = [
      ['hello', 77, 17741],
      ['world', 51, 10291],
      ['', 90, 2138],
      [42, 18, 23570],
      [1, 75, 1099],
      ['1', 116, 23284],
      [true, 124, 32764],
      [false, 22, 29846],
      [null, 86, 12502],
      [undefined, 115, 31091],
      [3.5, 7, 24071],
      [12345678901n, 49, 19249],
      [['a', 1], 33, 8993],
      [{ a: 1, b: 2 }, 73, 13001],
    ];
    for (const [key, group128, group32768] of pinned) {
      assert.equal(keyGroupFor(key, 128), group128, `key group of ${String(key)} among 128`);
      assert.equal(keyGroupFor(key, 32768), group32768, `key group of ${String(key)} among 32768`);
    }
  });

  it('tells numbers, strings and booleans apart, and treats equal objects as one key', () => {
    assert.notEqual(keyHash(1), keyHash('1'));
    assert.notEqual(keyHash(true), keyHash('true'));
    assert.notEqual(keyHash(true), keyHash(1));
    assert.equal(keyHash(0), keyHash(-0));
    assert.equal(keyHash({ a: 1, b: [2, 3] }), keyHash({ b: [2, 3], a: 1 }));
    assert.notEqual(keyHash(['a', 1]), keyHash(['a', '1']));
  });

  it('sends every key to exactly one subtask, the one whose key-group range holds its group', () => {
    for (const [maxParallelism, parallelism] of [[128, 3], [128, 128], [256, 7], [32768, 100]] as const) {
      const ranges = Array.from({ length: parallelism }, (_, i) => keyGroupRangeForOperatorIndex(maxParallelism, parallelism, i));
      for (let k = 0; k < 2000; k++) {
        const group = keyGroupFor(`key-${k}`, maxParallelism);
        const subtask = operatorIndexForKeyGroup(maxParallelism, parallelism, group);
        const owners = ranges.flatMap((r, i) => (group >= r.startKeyGroup && group <= r.endKeyGroup ? [i] : []));
        assert.deepEqual(owners, [subtask]);
      }
    }
  });

  it('spreads 10,000 keys evenly over 128 key groups', () => {
    const counts = new Array<number>(128).fill(0);
    for (let k = 0; k < 10_000; k++) counts[keyGroupFor(`user-${k}`, 128)]! += 1;
    for (let k = 0; k < 10_000; k++) counts[keyGroupFor(k, 128)]! += 1;
    const expected = 20_000 / 128;
    const chiSquare = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 127 degrees of freedom: the 99.9th percentile is about 181.
    assert.ok(chiSquare < 181, `chi-square ${chiSquare.toFixed(1)} over ${JSON.stringify(counts)}`);
    assert.ok(Math.min(...counts) > expected * 0.6 && Math.max(...counts) < expected * 1.4);
  });

  it('cuts the key groups into contiguous ranges that cover all of them, as Flink does', () => {
    for (const [maxParallelism, parallelism] of [[128, 1], [128, 3], [128, 5], [4096, 33], [128, 128]] as const) {
      let next = 0;
      for (let i = 0; i < parallelism; i++) {
        const range = keyGroupRangeForOperatorIndex(maxParallelism, parallelism, i);
        assert.equal(range.startKeyGroup, next);
        assert.ok(range.endKeyGroup >= range.startKeyGroup);
        for (let g = range.startKeyGroup; g <= range.endKeyGroup; g++) assert.equal(operatorIndexForKeyGroup(maxParallelism, parallelism, g), i);
        next = range.endKeyGroup + 1;
      }
      assert.equal(next, maxParallelism);
    }
    assert.deepEqual(keyGroupRangeForOperatorIndex(128, 3, 1), { startKeyGroup: 43, endKeyGroup: 85 });
  });

  it("computes Flink's default max parallelism", () => {
    assert.deepEqual(
      [1, 4, 85, 86, 100, 1000, 30000].map(defaultMaxParallelism),
      [128, 128, 128, 256, 256, 2048, 32768],
    );
  });
});
