import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeRecords,
  decodeValue,
  encodeRecords,
  encodeValue,
  RecordDecoder,
  RecordEncodeError,
  RecordEncoder,
} from '../../src/internal/codec/record-codec.js';

/** Encodes `values` as one batch and as single values; both must give them back exactly. */
function roundTrip(values: readonly unknown[], expected: readonly unknown[] = values): void {
  assert.deepStrictEqual(decodeRecords(encodeRecords(values)), expected);
  values.forEach((value, i) => assert.deepStrictEqual(decodeValue(encodeValue(value)), expected[i], `value ${i} on its own`));
}

describe('record codec round trips', () => {
  it('keeps undefined, null and booleans', () => {
    roundTrip([undefined, null, true, false]);
  });

  it('keeps every kind of number, -0, NaN and the infinities included', () => {
    const numbers = [
      0, -0, 1, 31, 127, 128, 255, 256, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32, -1, -32, -33, -128, -(2 ** 31), -(2 ** 31) - 1,
      Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53 + 2, Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE,
      Number.EPSILON, 0.1, -2.5, 1e21, 1.7e12 + 0.25, NaN, Infinity, -Infinity,
    ];
    roundTrip(numbers);
    const decoded = decodeRecords(encodeRecords([-0, 0])) as number[];
    assert.ok(Object.is(decoded[0], -0) && Object.is(decoded[1], 0));
  });

  it('writes small integers in one byte and short strings in one byte plus their characters', () => {
    const header = encodeRecords([]).byteLength;
    assert.equal(encodeRecords([5]).byteLength - header, 1);
    assert.equal(encodeRecords([-7]).byteLength - header, 1);
    assert.equal(encodeRecords(['word42']).byteLength - header, 7);
    assert.equal(encodeRecords([['word42', 1]]).byteLength - header, 9, 'a WordCount tuple: array tag, string, integer');
  });

  it('keeps strings: empty, latin1, every length class, non-latin1 BMP, astral, and lone surrogates', () => {
    const strings = [
      '',
      'a',
      'x'.repeat(15),
      'x'.repeat(16),
      'x'.repeat(23),
      'x'.repeat(24),
      'x'.repeat(31),
      'x'.repeat(32),
      'y'.repeat(127),
      'y'.repeat(128),
      'z'.repeat(70_000),
      'café',
      `${'é'.repeat(40)}`,
      'naïve façade with ümlauts and the ÿ at the end of latin1 ÿ',
      'snow ☃ and Ω',
      `${'☃'.repeat(100)}`,
      'é'.repeat(30),
      '☃'.repeat(43),
      '中文'.repeat(5000),
      `${'x'.repeat(40)}é`,
      'emoji 😀 pair',
      `${'😀'.repeat(50)} long`,
      'lone high \ud800 in the middle',
      'lone low \udc00',
      '\udbff',
      '\udc00\ud800 reversed pair',
      `${'a'.repeat(30)}\ud83d`,
      `${'long line with a lone surrogate '.repeat(4)}\udfff`,
      '\u0000 nul and \u2028 separators \u2029',
    ];
    roundTrip(strings);
  });

  it('keeps bigints of any size', () => {
    roundTrip([0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n, -(2n ** 63n) - 1n, 2n ** 64n, 2n ** 200n + 12345n, -(3n ** 300n)]);
  });

  it('keeps Dates, an invalid one as invalid', () => {
    roundTrip([new Date(0), new Date(-1e12), new Date(8.64e15), new Date('2026-12-03T10:00:00.123Z')]);
    const [invalid] = decodeRecords(encodeRecords([new Date(NaN)])) as Date[];
    assert.ok(invalid instanceof Date && Number.isNaN(invalid.getTime()));
  });

  it('keeps arrays: tuples, empty, long, nested', () => {
    roundTrip([
      ['word', 1],
      [],
      [[]],
      Array.from({ length: 15 }, (_, i) => i),
      Array.from({ length: 16 }, (_, i) => `s${i}`),
      Array.from({ length: 10_000 }, (_, i) => i * 1.5),
      [1, [2, [3, [4, ['five']]]]],
      [undefined, null, undefined],
    ]);
  });

  it('keeps the holes of sparse arrays as holes, and a huge sparse array without walking its length', () => {
    const trailing = [1];
    trailing.length = 4;
    roundTrip([[1, , 3], new Array(5), [, 'x'], [undefined, , undefined], trailing]);
    const [twoHoles] = decodeRecords(encodeRecords([[1, , , 4]])) as unknown[][];
    assert.ok(!(1 in twoHoles!) && !(2 in twoHoles!) && twoHoles!.length === 4);
    const huge: unknown[] = [];
    huge[1_000_000_000] = 'last';
    huge[3] = 'early';
    const started = performance.now();
    const [back] = decodeRecords(encodeRecords([huge])) as unknown[][];
    assert.ok(performance.now() - started < 1000, 'a sparse array costs its elements, not its length');
    assert.equal(back!.length, 1_000_000_001);
    assert.equal(back![3], 'early');
    assert.equal(back![1_000_000_000], 'last');
    assert.deepEqual(Object.keys(back!), ['3', '1000000000']);
  });

  it('keeps plain objects: empty, nested, integer-like and odd keys, in their key order', () => {
    const odd = { 'with space': 1, 'quote"and\\backslash': 2, 'line\nbreak': 3, '\u2028': 4, '': 5, 'ünï': 6, '😀': 7 };
    roundTrip([{}, { a: 1 }, { b: { c: { d: [1, { e: 'f' }] } } }, { 2: 'two', 1: 'one', z: 'z', a: 'a' }, odd]);
    const [back] = decodeRecords(encodeRecords([{ z: 1, 10: 2, a: 3, 1: 4 }])) as object[];
    assert.deepEqual(Object.keys(back!), ['1', '10', 'z', 'a']);
  });

  it('keeps an own __proto__ key as a property, never as the prototype', () => {
    const tricky = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as Record<string, unknown>;
    const encoder = new RecordEncoder();
    const decoder = new RecordDecoder();
    // Several batches: shapes that come often get a generated reader, which must not apply either.
    for (let batch = 0; batch < 4; batch++) {
      const [back] = decoder.decodeBatch(encoder.encodeBatch([tricky])) as Record<string, unknown>[];
      assert.equal(Object.getPrototypeOf(back), Object.prototype);
      assert.ok(Object.hasOwn(back!, '__proto__'));
      assert.deepEqual(Object.getOwnPropertyDescriptor(back!, '__proto__')?.value, { polluted: true });
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    }
    const many = JSON.parse(`{${Array.from({ length: 70 }, (_, i) => `"k${i}": ${i}`).join(', ')}, "__proto__": 5}`) as object;
    const [big] = decodeRecords(encodeRecords([many])) as object[];
    assert.equal(Object.getPrototypeOf(big), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(big, '__proto__')?.value, 5);
  });

  it('keeps objects with more keys than a shape takes', () => {
    const wide = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`key${i}`, i % 2 === 0 ? i : `v${i}`]));
    roundTrip([wide, wide, { nested: wide }]);
  });

  it('turns class instances into plain objects of their own enumerable properties', () => {
    class Point {
      readonly label = 'p';
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
      get norm(): number {
        return Math.hypot(this.x, this.y);
      }
    }
    const withNullPrototype = Object.assign(Object.create(null) as object, { a: 1 });
    const hidden = Object.defineProperty({ shown: 1 }, 'hidden', { value: 2, enumerable: false });
    const [point, bare, partly] = decodeRecords(encodeRecords([new Point(3, 4), withNullPrototype, hidden])) as object[];
    assert.deepStrictEqual(point, { label: 'p', x: 3, y: 4 });
    assert.equal(Object.getPrototypeOf(point), Object.prototype);
    assert.deepStrictEqual(bare, { a: 1 });
    assert.deepStrictEqual(partly, { shown: 1 });
  });

  it('keeps Maps and Sets with any keys and values', () => {
    roundTrip([
      new Map(),
      new Set(),
      new Map<unknown, unknown>([
        ['a', 1],
        [2, 'b'],
        [{ k: 1 }, [1, 2]],
        [null, undefined],
      ]),
      new Set<unknown>([1, 'one', [1], { one: 1 }, 1n]),
      new Map([['nested', new Map([['deeper', new Set([new Date(1)])]])]]),
    ]);
  });

  it('keeps typed arrays and ArrayBuffers as copies; a Buffer arrives as a Uint8Array', () => {
    const backing = new ArrayBuffer(64);
    new Uint8Array(backing).forEach((_, i, bytes) => (bytes[i] = i * 3));
    roundTrip([
      new Uint8Array([1, 2, 3]),
      new Int8Array([-1, 2, -3]),
      new Uint8ClampedArray([0, 255]),
      new Int16Array([-30000, 30000]),
      new Uint16Array([65535]),
      new Int32Array([-(2 ** 31), 2 ** 31 - 1]),
      new Uint32Array([2 ** 32 - 1]),
      new Float32Array([1.5, -0, NaN]),
      new Float64Array([Math.PI, -Infinity]),
      new BigInt64Array([-(2n ** 63n)]),
      new BigUint64Array([2n ** 64n - 1n]),
      new DataView(backing, 8, 16),
      new Int16Array(backing, 6, 5),
      backing,
      new ArrayBuffer(0),
      new Uint8Array(0),
    ]);
    const [fromBuffer, fromShared] = decodeRecords(encodeRecords([Buffer.from('bytes'), new SharedArrayBuffer(4)])) as [unknown, unknown];
    assert.equal(Object.getPrototypeOf(fromBuffer), Uint8Array.prototype);
    assert.deepStrictEqual(fromBuffer, new Uint8Array(Buffer.from('bytes')));
    assert.ok(fromShared instanceof ArrayBuffer && fromShared.byteLength === 4);
    const [view] = decodeRecords(encodeRecords([new Int16Array(backing, 6, 5)])) as Int16Array[];
    assert.equal(view!.byteOffset, 0, 'a decoded view owns its bytes');
    assert.equal(view!.buffer.byteLength, 10);
  });

  it('keeps RegExps and Errors with their cause', () => {
    roundTrip([/a+b/gi, /x/su, new RegExp('[\\u{1F600}]', 'u')]);
    const cause = new RangeError('inner');
    const outer = new TypeError('outer', { cause });
    const [plain, typed, custom, stackless] = decodeRecords(
      encodeRecords([new Error('plain'), outer, Object.assign(new Error('mine'), { name: 'MyError' }), Object.assign(new Error('no stack'), { stack: undefined })]),
    ) as Error[];
    assert.deepStrictEqual(plain, new Error('plain'));
    assert.ok(typed instanceof TypeError && typed.message === 'outer');
    assert.equal(typed.stack, outer.stack);
    assert.ok(typed.cause instanceof RangeError && (typed.cause as Error).message === 'inner');
    assert.ok(custom instanceof Error && custom.name === 'MyError' && custom.message === 'mine');
    assert.equal(stackless!.stack, undefined);
  });

  it('keeps many shapes in one batch, nested and interleaved, beyond the 16 that have one-byte ids', () => {
    const records = Array.from({ length: 600 }, (_, i) => {
      const keys = Array.from({ length: (i % 40) + 1 }, (_, k) => `k${(k * 7 + i) % 50}`);
      const object: Record<string, unknown> = Object.fromEntries(keys.map((key, k) => [key, k % 3 === 0 ? `v${i}` : k]));
      object.child = i % 2 === 0 ? { id: i, name: `n${i}` } : { id: i, tags: [i, { deep: i % 5 }] };
      return object;
    });
    roundTrip(records);
  });
});

describe('record codec batches', () => {
  it('decodes every batch on its own: in reverse order, or only the fifth, with a fresh decoder', () => {
    const encoder = new RecordEncoder();
    const batches = Array.from({ length: 10 }, (_, b) =>
      Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? { word: `w${i}`, count: b * 100 + i } : { id: i, batch: b, tags: new Set([b]) })),
    );
    // The encoder's result is its scratch space: keep a copy of each.
    const encoded = batches.map((batch) => encoder.encodeBatch(batch).slice());
    const decoder = new RecordDecoder();
    for (let b = batches.length - 1; b >= 0; b--) assert.deepStrictEqual(decoder.decodeBatch(encoded[b]!), batches[b]);
    assert.deepStrictEqual(new RecordDecoder().decodeBatch(encoded[4]!), batches[4]);
  });

  it('encodes the same batch to the same bytes every time', () => {
    const encoder = new RecordEncoder();
    const batch = [{ a: 1, b: 'x' }, ['t', 2], { a: 2, b: 'y' }];
    const first = encoder.encodeBatch(batch).slice();
    encoder.encodeBatch([{ other: true }, { a: 0 }]);
    assert.deepStrictEqual(encoder.encodeBatch(batch).slice(), first);
    assert.deepStrictEqual(encodeRecords(batch), first);
  });

  it('grows its scratch space for big batches and gives back bytes of their own from encodeRecords', () => {
    const big = Array.from({ length: 50_000 }, (_, i) => ({ id: i, text: `line ${i} `.repeat(5) }));
    const bytes = encodeRecords(big);
    const other = encodeRecords([1]);
    assert.deepStrictEqual(decodeRecords(bytes), big, 'not overwritten by the next call');
    assert.deepStrictEqual(decodeRecords(other), [1]);
  });

  it('starts with the format version, and tells batches and single values apart', () => {
    const batch = encodeRecords([1]);
    const value = encodeValue(1);
    assert.equal(batch[0], 1);
    assert.equal(value[0], 1);
    assert.throws(() => decodeValue(batch), { name: 'RecordDecodeError', message: /the bytes hold a record batch/ });
    assert.throws(() => decodeRecords(value), { name: 'RecordDecodeError', message: /the bytes hold a single value/ });
    const future = Uint8Array.from(batch);
    future[0] = 2;
    assert.throws(() => decodeRecords(future), { name: 'RecordDecodeError', message: /codec format version 2, and this runtime reads version 1/ });
  });

  it('lets a getter encode a value while a value is being encoded', () => {
    const record = {
      get nested(): Uint8Array {
        return encodeValue({ inner: 1 });
      },
    };
    const [back] = decodeRecords(encodeRecords([record])) as { nested: Uint8Array }[];
    assert.deepStrictEqual(decodeValue(back!.nested), { inner: 1 });
  });
});

describe('record codec refusals', () => {
  const refusal = (records: unknown[], message: RegExp): void => {
    assert.throws(() => encodeRecords(records), (error: unknown) => {
      assert.ok(error instanceof RecordEncodeError, String(error));
      assert.match(error.message, message);
      return true;
    });
  };

  it('names the record and field that holds a function or a symbol', () => {
    refusal([{ a: 1 }, { a: 2 }, { a: 3 }, { x: () => 1 }], /^field 'x' of record 3 is a function; records must be data/);
    refusal([1, 2, (): void => undefined], /^record 2 is a function; records must be data/);
    refusal([{ list: [1, { deep: Symbol('s') }] }], /^field 'list\[1\]\.deep' of record 0 is a symbol; records must be data/);
    refusal([{ 'odd key': new Map([['k', Symbol.iterator]]) }], /^field '\["odd key"\]\{value #0\}' of record 0 is a symbol/);
    refusal([new Set([1, Math.max])], /^field '\{element #1\}' of record 0 is a function/);
    assert.throws(() => encodeValue({ f: Math.min }), /^RecordEncodeError: field 'f' of the value is a function; state values must be data/);
  });

  it('refuses a cycle with an error naming it, not a stack overflow', () => {
    const self: Record<string, unknown> = { name: 'loop' };
    self.again = self;
    refusal([1, self], /^field 'again' of record 1 refers back to the record itself; records cannot contain cycles/);
    const list: unknown[] = [1, 2];
    const holder = { inner: { list } };
    list.push(holder.inner);
    refusal([holder], /^field 'inner\.list\[2\]' of record 0 refers back to field 'inner'; records cannot contain cycles/);
    const map = new Map<string, unknown>();
    map.set('me', map);
    refusal([map], /^field '\{value #0\}' of record 0 refers back to the record itself/);
  });

  it('refuses nesting deeper than 1,000 levels and takes 1,000', () => {
    let deep: unknown = 'bottom';
    for (let level = 0; level < 1000; level++) deep = [deep];
    assert.deepStrictEqual(decodeRecords(encodeRecords([deep])), [deep]);
    refusal([{ wrapped: deep }], /^field 'wrapped\[0\]\[0\]\[0\].*' of record 0 nests deeper than 1000 levels/);
  });

  it('refuses Promises, weak collections and boxed primitives by name', () => {
    refusal([{ pending: Promise.resolve(1) }], /^field 'pending' of record 0 is a Promise; records must be data/);
    refusal([new WeakMap()], /^record 0 is a WeakMap/);
    refusal([{ n: new Number(1) }], /^field 'n' of record 0 is a boxed Number; records must hold a primitive number instead/);
  });

  it('says which getter threw', () => {
    const record = Object.defineProperty({}, 'broken', {
      enumerable: true,
      get(): never {
        throw new Error('boom');
      },
    });
    refusal([{ ok: 1 }, record], /^field 'broken' of record 1 could not be read: boom/);
  });

  it('keeps working after a refusal', () => {
    const encoder = new RecordEncoder();
    assert.throws(() => encoder.encodeBatch([{ a: [1, { b: () => 2 }] }]), RecordEncodeError);
    assert.deepStrictEqual(new RecordDecoder().decodeBatch(encoder.encodeBatch([{ a: [1, { b: 2 }] }])), [{ a: [1, { b: 2 }] }]);
  });
});
