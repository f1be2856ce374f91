import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeRecords, decodeValue, encodeRecords, RecordDecodeError } from '../../src/internal/codec/record-codec.js';
import { random } from './seeded-random.js';

const everything = [
  ['word', 1],
  { id: 7, name: 'seven', price: 7.25, at: new Date(7), tags: new Set(['a', 'b']) },
  { id: 8, name: 'eight', price: 8.5, at: new Date(8), tags: new Set<string>() },
  new Map<unknown, unknown>([['k', [1, , 3]]]),
  'x'.repeat(100),
  'ünïcödé ☃ 😀 \ud800',
  2n ** 100n,
  -5n,
  new Float64Array([1, 2]),
  new ArrayBuffer(3),
  /re/g,
  new TypeError('bad', { cause: 1 }),
  Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, i])),
  [undefined, null, true, false, -0, NaN, 1e300, -70000],
];

/** Decoding must end in a RecordDecodeError, or in values: never another error, never a hang. */
function decodesOrRefuses(bytes: Uint8Array): void {
  try {
    decodeRecords(bytes);
  } catch (error) {
    assert.ok(error instanceof RecordDecodeError, `not a RecordDecodeError: ${String(error)}`);
    assert.match(error.message, /^Cannot decode the record batch: /);
  }
}

/** A batch of bytes after the 2-byte header. */
const batch = (...bytes: number[]): Uint8Array => Uint8Array.from([1, 0x42, ...bytes]);

describe('record codec on bad bytes', () => {
  it('refuses every truncation of a batch with a RecordDecodeError that says so', () => {
    const bytes = encodeRecords(everything);
    for (let length = 0; length < bytes.byteLength; length++) {
      assert.throws(
        () => decodeRecords(bytes.subarray(0, length)),
        (error: unknown) => error instanceof RecordDecodeError && /too few|truncated|runs past the end|more than the|bytes left/.test(error.message),
        `${length} of ${bytes.byteLength} bytes`,
      );
    }
    assert.throws(() => decodeValue(Uint8Array.from([1, 0x56])), /Cannot decode the state value: truncated: a value runs past the end at byte 2 of 2/);
  });

  it('refuses bytes after the last record', () => {
    const bytes = encodeRecords([1, 2]);
    assert.throws(() => decodeRecords(Uint8Array.from([...bytes, 0])), /Cannot decode the record batch: 1 bytes after the last value/);
  });

  it('survives thousands of random corruptions without another kind of error or a hang', () => {
    const original = encodeRecords(everything);
    const next = random(20261203);
    const started = performance.now();
    for (let round = 0; round < 3000; round++) {
      const bytes = Uint8Array.from(original);
      const flips = 1 + Math.floor(next() * 4);
      for (let f = 0; f < flips; f++) bytes[2 + Math.floor(next() * (bytes.byteLength - 2))] = Math.floor(next() * 256);
      decodesOrRefuses(bytes);
    }
    assert.ok(performance.now() - started < 20_000);
  });

  it('checks every claimed length against the bytes left before it allocates or loops', () => {
    const cases: [Uint8Array, RegExp][] = [
      [batch(0xff, 0xff, 0xff, 0xff, 0x0f), /a count of 4294967295 records, more than the 0 bytes left could hold/],
      [batch(1, 0xc8, 0xff, 0xff, 0xff, 0xff, 0x0f), /truncated: a string of 4294967295 bytes runs past the end/],
      [batch(1, 0xc9, 0xff, 0xff, 0xff, 0x7f), /truncated: a string of \d+ bytes/],
      [batch(1, 0xca, 0xff, 0xff, 0xff, 0x7f), /truncated: a string of \d+ UTF-16 code units/],
      [batch(1, 0xd0, 0xff, 0xff, 0xff, 0x7f), /a Map of \d+ entries, more than the bytes left could hold/],
      [batch(1, 0xd1, 0xff, 0xff, 0xff, 0x7f), /a Set of \d+ values, more than the bytes left could hold/],
      [batch(1, 0xcc, 0xff, 0xff, 0xff, 0x7f), /an object shape of \d+ keys, more than the bytes left could hold/],
      [batch(1, 0xce, 0xff, 0xff, 0xff, 0x7f), /an object of \d+ keys, more than the bytes left could hold/],
      [batch(1, 0xd5, 0, 0xff, 0xff, 0xff, 0x7f), /truncated: a Uint8Array of \d+ bytes runs past the end/],
      [batch(1, 0xd5, 99, 0), /typed array kind 99/],
      [batch(1, 0xd5, 5, 3, 1, 2, 3), /an Int32Array of 3 bytes, not a whole number of 4-byte elements/],
      [batch(1, 0xd6, 0xff, 0xff, 0xff, 0x7f), /truncated: an ArrayBuffer of \d+ bytes/],
      [batch(1, 0xd4, 0, 0xff, 0xff, 0xff, 0x7f), /truncated: a bigint of \d+ bytes/],
      [batch(1, 0xd4, 7, 0), /a bigint sign of 7/],
      [batch(1, 0xcb, 0xff, 0xff, 0xff, 0xff, 0x0f, 1), /truncated: a value runs past the end/],
      [batch(1, 0xcb, 0xff, 0xff, 0xff, 0xff, 0x1f), /a length of 2\^32 or more/],
      [batch(1, 0xa3, 0xcf, 5), /a run of 5 holes in an array with 3 elements left/],
      [batch(1, 0xcf, 1), /holes outside an array/],
      [batch(1, 0xb3), /an object of shape 3, but the batch defined 0 shapes before it/],
      [batch(1, 0xcc, 1, 5), /tag 0x5 where an object key \(a string\) belongs/],
      [batch(1, 0xdf), /unknown tag 0xdf/],
      [batch(1, 0xc6, 1, 2), /truncated: an integer runs past the end/],
      [batch(1, 0xc7, 1, 2, 3), /truncated: a number runs past the end/],
      [batch(1, 0xd8, 0x80, 0x80, 0xc0, 9), /an Error cause flag of 9/],
      [batch(1, 0xd7, 0x81, 0x61, 0x81, 0x21), /Invalid flags|Invalid regular expression/],
      [Uint8Array.from([1]), /1 bytes are too few for the codec's 2-byte header/],
      [Uint8Array.from([1, 0x99, 0]), /the bytes hold an unknown container 0x99/],
    ];
    for (const [bytes, message] of cases) {
      assert.throws(
        () => decodeRecords(bytes),
        (error: unknown) => error instanceof RecordDecodeError && message.test(error.message),
        `${Buffer.from(bytes).toString('hex')} should fail with ${message}`,
      );
    }
  });

  it('refuses nesting deeper than 1,000 levels instead of overflowing the stack', () => {
    const deep = batch(1, ...new Array<number>(100_000).fill(0xa1), 0);
    assert.throws(() => decodeRecords(deep), /values nested deeper than 1000 levels/);
  });
});
