import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordDecoder, RecordEncoder } from '../../src/internal/codec/record-codec.js';
import { random } from './seeded-random.js';

/** Random nested values of every type the codec carries, from a seeded generator. */
class ValueGenerator {
  readonly #next: () => number;
  /** A small pool, so that objects often share shapes (and a batch refers to shapes it defined). */
  readonly #keys = ['id', 'name', 'count', 'value', 'tags', 'at', 'nested', '0', '17', 'with space', 'ünï', '__proto__x'];

  constructor(seed: number) {
    this.#next = random(seed);
  }

  #int(below: number): number {
    return Math.floor(this.#next() * below);
  }

  #pick<T>(items: readonly T[]): T {
    return items[this.#int(items.length)] as T;
  }

  number(): number {
    switch (this.#int(8)) {
      case 0:
        return this.#int(128);
      case 1:
        return -this.#int(40);
      case 2:
        return this.#int(2 ** 31) * (this.#next() < 0.5 ? -1 : 1);
      case 3:
        return (this.#next() - 0.5) * 10 ** this.#int(300);
      case 4:
        return this.#pick([0, -0, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, -(2 ** 31)]);
      case 5:
        return this.#int(70_000);
      default:
        return this.#next() * 1000;
    }
  }

  string(): string {
    const length = this.#pick([0, 1, 5, 15, 16, 23, 24, 31, 32, 60, 200, this.#int(2000)]);
    const alphabet = this.#int(5);
    let text = '';
    for (let i = 0; i < length; i++) {
      switch (alphabet) {
        case 0:
          text += String.fromCharCode(0x20 + this.#int(0x5f));
          break;
        case 1:
          text += String.fromCharCode(this.#int(0x100));
          break;
        case 2:
          text += String.fromCharCode(this.#int(0x10000));
          break;
        case 3:
          text += String.fromCodePoint(this.#pick([0x41, 0xe9, 0x2603, 0x1f600, 0x10ffff]));
          break;
        default:
          text += this.#next() < 0.1 ? String.fromCharCode(0xd800 + this.#int(0x800)) : 'a';
      }
    }
    return text;
  }

  value(depth = 0): unknown {
    const leaf = depth >= 4 || this.#next() < 0.45;
    if (leaf) {
      switch (this.#int(9)) {
        case 0:
          return this.#pick([undefined, null, true, false]);
        case 1:
        case 2:
          return this.number();
        case 3:
        case 4:
          return this.string();
        case 5:
          return BigInt(this.#int(2 ** 30)) ** BigInt(1 + this.#int(5)) * (this.#next() < 0.5 ? -1n : 1n);
        case 6:
          // Not an invalid Date: deepStrictEqual finds two of them unequal (a test of its own covers them).
          return new Date(this.#int(2 ** 42) - 2 ** 41);
        case 7: {
          const bytes = Uint8Array.from({ length: this.#int(40) * 8 }, () => this.#int(256));
          return this.#pick([
            () => bytes,
            () => new Int32Array(bytes.buffer),
            () => new Float64Array(bytes.buffer),
            () => new BigUint64Array(bytes.buffer),
            () => new DataView(bytes.buffer),
            () => bytes.buffer,
          ])();
        }
        default:
          return this.#pick([/a+/g, /[\d]{2,}/u]);
      }
    }
    const size = this.#int(depth === 0 && this.#next() < 0.1 ? 40 : 6);
    switch (this.#int(6)) {
      case 0:
      case 1: {
        const array = Array.from({ length: size }, () => this.value(depth + 1));
        if (size > 2 && this.#next() < 0.2) delete array[this.#int(size)];
        return array;
      }
      case 2:
      case 3: {
        const object: Record<string, unknown> = {};
        for (let i = 0; i < size; i++) object[this.#next() < 0.8 ? this.#pick(this.#keys) : this.string()] = this.value(depth + 1);
        return object;
      }
      case 4:
        return new Map(Array.from({ length: size }, () => [this.#next() < 0.5 ? this.string() : this.number(), this.value(depth + 1)]));
      default:
        return new Set(Array.from({ length: size }, () => (this.#next() < 0.5 ? this.string() : this.number())));
    }
  }
}

describe('record codec with random values', () => {
  it('gives back 3,000 random nested values exactly, in batches and one by one', () => {
    const generator = new ValueGenerator(42);
    const values = Array.from({ length: 3000 }, () => generator.value());
    const encoder = new RecordEncoder();
    const decoder = new RecordDecoder();
    const encoded: Uint8Array[] = [];
    for (let start = 0; start < values.length; start += 50) encoded.push(encoder.encodeBatch(values.slice(start, start + 50)).slice());
    // Last batch first: each decodes on its own.
    for (let b = encoded.length - 1; b >= 0; b--) {
      assert.deepStrictEqual(decoder.decodeBatch(encoded[b]!), values.slice(b * 50, b * 50 + 50), `batch ${b}`);
    }
    values.forEach((value, i) => assert.deepStrictEqual(decoder.decodeValue(encoder.encodeValue(value)), value, `value ${i}`));
  });
});
