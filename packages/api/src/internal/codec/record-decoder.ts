/**
 * RecordDecoder: the codec's bytes (see codec-format.ts) back into records or a state value.
 *
 * Each call reads one batch (or value) and nothing else: the shapes a batch defines are forgotten
 * when the call returns, so batches decode in any order, alone. Bad bytes never loop or allocate
 * by a length they claim: every length is checked against the bytes that are left before it is
 * used, nesting is bounded, and every failure is a RecordDecodeError that says what was expected
 * at which byte. Decoded values own their memory (typed arrays and ArrayBuffers are copies), so
 * the bytes can be dropped or reused once the call returns.
 *
 * As in the encoder, the reading is done by plain functions over one `Input` object with public
 * fields, which V8 inlines more readily than methods.
 */
import { RecordDecodeError } from './codec-errors.js';
import {
  CONTAINER_BATCH,
  CONTAINER_VALUE,
  FORMAT_VERSION,
  MAX_DEPTH,
  Tag,
  TYPED_ARRAY_CONSTRUCTORS,
  TYPED_ARRAY_ELEMENT_BYTES,
  TYPED_ARRAY_KINDS,
} from './codec-format.js';
import { latin1Slice, nodeBytesOf, utf8Slice, type NodeBytes } from './node-bytes.js';

interface Shape {
  readonly keys: readonly string[];
  /** A key `__proto__` must become an own property, not the object's prototype. */
  readonly definesProto: boolean;
  /** Builds the object as one object literal, once the shape came often enough (see shapeReader). */
  readonly reader: ((input: Input) => Record<string, unknown>) | undefined;
}

/** A shape's generated reader, or how many batches defined it so far. */
type ReaderEntry = ((input: Input) => Record<string, unknown>) | number;

const fromCharCode = String.fromCharCode;
const utf8Decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY.buffer);
/** Latin1 strings at least this long are sliced by Buffer (when there is one) rather than built in JavaScript. */
const NATIVE_SLICE_MIN_LENGTH = 16;
const HAS_NODE_BUFFER = nodeBytesOf(EMPTY) !== undefined;

/**
 * Batches that must define a shape before it gets a generated reader: rare shapes stay on the
 * generic path, which costs no compilation.
 */
const COMPILE_AFTER_DEFINITIONS = 2;
/** Most shapes remembered; past that the cache starts over (records with ever new keys). */
const MAX_CACHED_SHAPES = 1024;
/** Readers by the JSON of their keys, shared by every decoder of the thread. */
const shapeReaders = new Map<string, ReaderEntry>();
/** False where the runtime refuses code generation from strings; then every shape is read generically. */
let canGenerateReaders = true;

const ERROR_TYPES: Readonly<Record<string, ErrorConstructor>> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** The decoder's state; the read functions below work on it. */
class Input {
  bytes: Uint8Array = EMPTY;
  view: DataView = EMPTY_VIEW;
  /** A Buffer over `bytes`, made when a long string needs it. */
  native: NodeBytes | undefined;
  pos = 0;
  end = 0;
  depth = 0;
  what = 'record batch';
  readonly shapes: Shape[] = [];
  shapeCount = 0;
}

export class RecordDecoder {
  readonly #in = new Input();

  /** Decodes a batch written by RecordEncoder.encodeBatch; throws RecordDecodeError on anything else. */
  decodeBatch(bytes: Uint8Array): unknown[] {
    const input = this.#in;
    begin(input, bytes, CONTAINER_BATCH, 'record batch');
    try {
      const count = readVarint(input);
      if (count > input.end - input.pos) throw corrupt(input, `a count of ${count} records, more than the ${input.end - input.pos} bytes left could hold`);
      const records: unknown[] = [];
      for (let i = 0; i < count; i++) records.push(readValue(input));
      expectEnd(input);
      return records;
    } catch (error) {
      throw asDecodeError(input, error);
    } finally {
      release(input);
    }
  }

  /** Decodes one value written by RecordEncoder.encodeValue; throws RecordDecodeError on anything else. */
  decodeValue(bytes: Uint8Array): unknown {
    const input = this.#in;
    begin(input, bytes, CONTAINER_VALUE, 'state value');
    try {
      const value = readValue(input);
      expectEnd(input);
      return value;
    } catch (error) {
      throw asDecodeError(input, error);
    } finally {
      release(input);
    }
  }
}

function begin(input: Input, bytes: Uint8Array, container: number, what: string): void {
  input.what = what;
  if (bytes.byteLength < 2) throw new RecordDecodeError(`Cannot decode the ${what}: ${bytes.byteLength} bytes are too few for the codec's 2-byte header`);
  const version = bytes[0];
  if (version !== FORMAT_VERSION) {
    throw new RecordDecodeError(
      `Cannot decode the ${what}: it is in codec format version ${version}, and this runtime reads version ${FORMAT_VERSION} only ` +
        '(written by a newer Eddy, or not codec bytes at all)',
    );
  }
  if (bytes[1] !== container) {
    const held = bytes[1] === CONTAINER_BATCH ? 'a record batch' : bytes[1] === CONTAINER_VALUE ? 'a single value' : `an unknown container 0x${bytes[1]!.toString(16)}`;
    throw new RecordDecodeError(`Cannot decode the ${what}: the bytes hold ${held}`);
  }
  input.bytes = bytes;
  input.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  input.native = undefined;
  input.pos = 2;
  input.end = bytes.byteLength;
  input.depth = 0;
  input.shapeCount = 0;
}

/** Drops the references to the bytes, so they can be collected while the decoder lives on. */
function release(input: Input): void {
  input.bytes = EMPTY;
  input.view = EMPTY_VIEW;
  input.native = undefined;
  input.shapeCount = 0;
}

function expectEnd(input: Input): void {
  if (input.pos !== input.end) throw corrupt(input, `${input.end - input.pos} bytes after the last value`);
}

function corrupt(input: Input, what: string): RecordDecodeError {
  return new RecordDecodeError(`Cannot decode the ${input.what}: ${what} at byte ${input.pos} of ${input.end}`);
}

function truncated(input: Input, what: string): RecordDecodeError {
  return corrupt(input, `truncated: ${what} runs past the end`);
}

function asDecodeError(input: Input, error: unknown): RecordDecodeError {
  if (error instanceof RecordDecodeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new RecordDecodeError(`Cannot decode the ${input.what}: ${message} (at byte ${input.pos} of ${input.end})`, { cause: error });
}

function readVarint(input: Input): number {
  const bytes = input.bytes;
  let pos = input.pos;
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= input.end) {
      input.pos = pos;
      throw truncated(input, 'a length');
    }
    const byte = bytes[pos++]!;
    if (shift === 28 && byte > 0x0f) {
      input.pos = pos;
      throw corrupt(input, 'a length of 2^32 or more');
    }
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) {
      input.pos = pos;
      return value;
    }
  }
  throw corrupt(input, 'a length longer than 5 bytes');
}

function need(input: Input, bytes: number, what: string): void {
  if (bytes > input.end - input.pos) throw truncated(input, what);
}

function enter(input: Input): void {
  if (++input.depth > MAX_DEPTH) throw corrupt(input, `values nested deeper than ${MAX_DEPTH} levels`);
}

function readValue(input: Input): unknown {
  const pos = input.pos;
  if (pos >= input.end) throw truncated(input, 'a value');
  const bytes = input.bytes;
  const tag = bytes[pos]!;
  input.pos = pos + 1;
  if (tag <= Tag.FIXINT_MAX) return tag;
  if (tag < Tag.FIXARRAY) return readLatin1(input, tag & 0x1f);
  if (tag < Tag.FIXSHAPE) return readArray(input, tag & 0x0f);
  if (tag < Tag.UNDEFINED) return readShaped(input, tag & 0x0f);
  if (tag >= Tag.NEGATIVE_FIXINT) return tag - 0x100;
  // The numbers that are not fixints, here rather than in readTagged: they are the common rest.
  if (tag === Tag.FLOAT64) {
    if (pos + 9 > input.end) throw truncated(input, 'a number');
    input.pos = pos + 9;
    return input.view.getFloat64(pos + 1, true);
  }
  if (tag === Tag.INT32) {
    if (pos + 5 > input.end) throw truncated(input, 'an integer');
    input.pos = pos + 5;
    return bytes[pos + 1]! | (bytes[pos + 2]! << 8) | (bytes[pos + 3]! << 16) | (bytes[pos + 4]! << 24);
  }
  return readTagged(input, tag);
}

/** The values whose tag carries no number (0xc0-0xdf) but FLOAT64 and INT32, which readValue reads. */
function readTagged(input: Input, tag: number): unknown {
  switch (tag) {
    case Tag.UNDEFINED:
      return undefined;
    case Tag.NULL:
      return null;
    case Tag.FALSE:
      return false;
    case Tag.TRUE:
      return true;
    case Tag.UINT8:
      need(input, 1, 'an integer');
      return input.bytes[input.pos++];
    case Tag.UINT16: {
      need(input, 2, 'an integer');
      const pos = input.pos;
      input.pos = pos + 2;
      return input.bytes[pos]! | (input.bytes[pos + 1]! << 8);
    }
    case Tag.STR_LATIN1:
      return readLatin1(input, readVarint(input));
    case Tag.STR_UTF8:
      return readUtf8(input, readVarint(input));
    case Tag.STR_UTF16:
      return readUtf16(input, readVarint(input));
    case Tag.ARRAY:
      return readArray(input, readVarint(input));
    case Tag.SHAPE_DEFINITION:
      return readShapeDefinition(input);
    case Tag.SHAPE:
      return readShaped(input, readVarint(input));
    case Tag.OBJECT:
      return readLargeObject(input);
    case Tag.HOLES:
      input.pos--;
      throw corrupt(input, 'holes outside an array');
    case Tag.MAP:
      return readMap(input);
    case Tag.SET:
      return readSet(input);
    case Tag.DATE: {
      need(input, 8, 'a Date');
      const time = input.view.getFloat64(input.pos, true);
      input.pos += 8;
      return new Date(time);
    }
    case Tag.BIGINT64: {
      need(input, 8, 'a bigint');
      const value = input.view.getBigInt64(input.pos, true);
      input.pos += 8;
      return value;
    }
    case Tag.BIGINT:
      return readBigInt(input);
    case Tag.TYPED_ARRAY:
      return readTypedArray(input);
    case Tag.ARRAY_BUFFER: {
      const length = readVarint(input);
      need(input, length, `an ArrayBuffer of ${length} bytes`);
      const copy = input.bytes.slice(input.pos, input.pos + length);
      input.pos += length;
      return copy.buffer;
    }
    case Tag.REGEXP: {
      const source = readString(input, 'a RegExp source');
      return new RegExp(source, readString(input, 'RegExp flags'));
    }
    case Tag.ERROR:
      return readError(input);
    default:
      input.pos--;
      throw corrupt(input, `unknown tag 0x${tag.toString(16)}`);
  }
}

function readLatin1(input: Input, length: number): string {
  if (length > input.end - input.pos) throw truncated(input, `a string of ${length} bytes`);
  const b = input.bytes;
  const p = input.pos;
  input.pos = p + length;
  if (length < NATIVE_SLICE_MIN_LENGTH) return shortLatin1(b, p, length);
  if (HAS_NODE_BUFFER) {
    input.native ??= nodeBytesOf(b);
    return latin1Slice(input.native!, p, p + length);
  }
  return charCodesToString(b, p, p + length);
}

/** Up to 15 characters: String.fromCharCode with the bytes as arguments beats every native call. */
function shortLatin1(b: Uint8Array, p: number, length: number): string {
  switch (length) {
    case 0:
      return '';
    case 1:
      return fromCharCode(b[p]!);
    case 2:
      return fromCharCode(b[p]!, b[p + 1]!);
    case 3:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!);
    case 4:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!);
    case 5:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!);
    case 6:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!);
    case 7:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!);
    case 8:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!);
    case 9:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!);
    case 10:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!);
    case 11:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!);
    case 12:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!);
    case 13:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!, b[p + 12]!);
    case 14:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!, b[p + 12]!, b[p + 13]!);
    case 15:
      return fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!, b[p + 8]!, b[p + 9]!, b[p + 10]!, b[p + 11]!, b[p + 12]!, b[p + 13]!, b[p + 14]!);
    default:
      return charCodesToString(b, p, p + length);
  }
}

function readUtf8(input: Input, length: number): string {
  if (length > input.end - input.pos) throw truncated(input, `a string of ${length} bytes`);
  const p = input.pos;
  input.pos = p + length;
  if (HAS_NODE_BUFFER) {
    input.native ??= nodeBytesOf(input.bytes);
    return utf8Slice(input.native!, p, p + length);
  }
  return utf8Decoder.decode(input.bytes.subarray(p, p + length));
}

function readUtf16(input: Input, length: number): string {
  if (length > (input.end - input.pos) / 2) throw truncated(input, `a string of ${length} UTF-16 code units`);
  const bytes = input.bytes;
  let text = '';
  const units: number[] = [];
  let p = input.pos;
  for (let i = 0; i < length; i++, p += 2) {
    units.push(bytes[p]! | (bytes[p + 1]! << 8));
    if (units.length === 4096) {
      text += fromCharCode(...units);
      units.length = 0;
    }
  }
  input.pos = p;
  return text + fromCharCode(...units);
}

/** A string where only a string may be (shape keys, RegExp and Error parts). */
function readString(input: Input, what: string): string {
  if (input.pos >= input.end) throw truncated(input, what);
  const tag = input.bytes[input.pos]!;
  if ((tag & 0xe0) !== Tag.FIXSTR && tag !== Tag.STR_LATIN1 && tag !== Tag.STR_UTF8 && tag !== Tag.STR_UTF16) {
    throw corrupt(input, `tag 0x${tag.toString(16)} where ${what} (a string) belongs`);
  }
  return readValue(input) as string;
}

function readArray(input: Input, length: number): unknown[] {
  enter(input);
  const bytes = input.bytes;
  let array: unknown[];
  let filled: number;
  // The hot case, tuples such as [word, count]: a literal, unless a hole is in it.
  if (length === 2 && bytes[input.pos] !== Tag.HOLES) {
    const first = readValue(input);
    if (bytes[input.pos] !== Tag.HOLES) {
      const second = readValue(input);
      input.depth--;
      return [first, second];
    }
    array = [first];
    filled = 1;
  } else {
    array = [];
    filled = 0;
  }
  while (filled < length) {
    if (input.pos < input.end && bytes[input.pos] === Tag.HOLES) {
      input.pos++;
      const holes = readVarint(input);
      if (holes === 0 || holes > length - filled) throw corrupt(input, `a run of ${holes} holes in an array with ${length - filled} elements left`);
      filled += holes;
      array.length = filled;
    } else {
      array.push(readValue(input));
      filled++;
    }
  }
  input.depth--;
  return array;
}

function readShapeDefinition(input: Input): Record<string, unknown> {
  const count = readVarint(input);
  if (count > input.end - input.pos) throw corrupt(input, `an object shape of ${count} keys, more than the bytes left could hold`);
  const keys: string[] = [];
  let definesProto = false;
  for (let i = 0; i < count; i++) {
    const key = readString(input, 'an object key');
    if (key === '__proto__') definesProto = true;
    keys.push(key);
  }
  const shape: Shape = { keys, definesProto, reader: definesProto ? undefined : shapeReader(keys) };
  input.shapes[input.shapeCount++] = shape;
  return readObject(input, shape);
}

function readShaped(input: Input, id: number): Record<string, unknown> {
  if (id >= input.shapeCount) throw corrupt(input, `an object of shape ${id}, but the batch defined ${input.shapeCount} shapes before it`);
  return readObject(input, input.shapes[id]!);
}

/**
 * The generated reader of a shape that earlier batches defined often enough, or undefined. A
 * reader is one object literal with the shape's keys (`{ "id": readValue(input), ... }`): V8 builds
 * such an object with its final layout at once, where assigning key by key walks a map transition
 * per key (measured: about twice as fast for `{ id, name, price, ts }`). Keys are written as JSON
 * string literals, and shapes with a `__proto__` key never get here.
 */
function shapeReader(keys: readonly string[]): ((input: Input) => Record<string, unknown>) | undefined {
  if (!canGenerateReaders) return undefined;
  const signature = JSON.stringify(keys);
  const entry = shapeReaders.get(signature);
  if (typeof entry === 'function') return entry;
  const definitions = (entry ?? 0) + 1;
  if (definitions < COMPILE_AFTER_DEFINITIONS) {
    if (shapeReaders.size >= MAX_CACHED_SHAPES) shapeReaders.clear();
    shapeReaders.set(signature, definitions);
    return undefined;
  }
  try {
    const fields = keys.map((key) => `${JSON.stringify(key)}: readValue(input)`).join(', ');
    const make = new Function('readValue', `return function readShape(input) { return { ${fields} }; };`) as (
      read: typeof readValue,
    ) => (input: Input) => Record<string, unknown>;
    const reader = make(readValue);
    shapeReaders.set(signature, reader);
    return reader;
  } catch {
    // Code generation from strings is disabled (--disallow-code-generation-from-strings).
    canGenerateReaders = false;
    return undefined;
  }
}

function readObject(input: Input, shape: Shape): Record<string, unknown> {
  enter(input);
  if (shape.reader !== undefined) {
    const object = shape.reader(input);
    input.depth--;
    return object;
  }
  const keys = shape.keys;
  const object: Record<string, unknown> = {};
  if (shape.definesProto) {
    for (let i = 0; i < keys.length; i++) defineOwn(object, keys[i]!, readValue(input));
  } else {
    for (let i = 0; i < keys.length; i++) object[keys[i]!] = readValue(input);
  }
  input.depth--;
  return object;
}

function readLargeObject(input: Input): Record<string, unknown> {
  enter(input);
  const count = readVarint(input);
  if (count > (input.end - input.pos) / 2) throw corrupt(input, `an object of ${count} keys, more than the bytes left could hold`);
  const object: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    const key = readString(input, 'an object key');
    if (key === '__proto__') defineOwn(object, key, readValue(input));
    else object[key] = readValue(input);
  }
  input.depth--;
  return object;
}

function readMap(input: Input): Map<unknown, unknown> {
  enter(input);
  const size = readVarint(input);
  if (size > (input.end - input.pos) / 2) throw corrupt(input, `a Map of ${size} entries, more than the bytes left could hold`);
  const map = new Map<unknown, unknown>();
  for (let i = 0; i < size; i++) {
    const key = readValue(input);
    map.set(key, readValue(input));
  }
  input.depth--;
  return map;
}

function readSet(input: Input): Set<unknown> {
  enter(input);
  const size = readVarint(input);
  if (size > input.end - input.pos) throw corrupt(input, `a Set of ${size} values, more than the bytes left could hold`);
  const set = new Set<unknown>();
  for (let i = 0; i < size; i++) set.add(readValue(input));
  input.depth--;
  return set;
}

function readBigInt(input: Input): bigint {
  need(input, 1, 'a bigint');
  const sign = input.bytes[input.pos++];
  if (sign !== 0 && sign !== 1) throw corrupt(input, `a bigint sign of ${sign}`);
  const length = readVarint(input);
  need(input, length, `a bigint of ${length} bytes`);
  let hex = '';
  for (let i = 0; i < length; i++) hex += input.bytes[input.pos++]!.toString(16).padStart(2, '0');
  const magnitude = length === 0 ? 0n : BigInt(`0x${hex}`);
  return sign === 1 ? -magnitude : magnitude;
}

function readTypedArray(input: Input): ArrayBufferView {
  need(input, 1, 'a typed array');
  const kind = input.bytes[input.pos++]!;
  const Constructor = TYPED_ARRAY_CONSTRUCTORS[kind];
  if (Constructor === undefined) throw corrupt(input, `typed array kind ${kind} (known: 0-${TYPED_ARRAY_KINDS.length - 1})`);
  const length = readVarint(input);
  need(input, length, `${withArticle(TYPED_ARRAY_KINDS[kind]!)} of ${length} bytes`);
  const elementBytes = TYPED_ARRAY_ELEMENT_BYTES[kind]!;
  if (length % elementBytes !== 0) throw corrupt(input, `${withArticle(TYPED_ARRAY_KINDS[kind]!)} of ${length} bytes, not a whole number of ${elementBytes}-byte elements`);
  const copy = input.bytes.slice(input.pos, input.pos + length);
  input.pos += length;
  return kind === 0 ? copy : new Constructor(copy.buffer);
}

function readError(input: Input): Error {
  enter(input);
  const name = readString(input, 'an Error name');
  const message = readString(input, 'an Error message');
  const stack = readValue(input);
  if (stack !== undefined && typeof stack !== 'string') throw corrupt(input, 'an Error stack that is not a string');
  need(input, 1, 'an Error');
  const hasCause = input.bytes[input.pos++];
  if (hasCause !== 0 && hasCause !== 1) throw corrupt(input, `an Error cause flag of ${hasCause}`);
  const Constructor = ERROR_TYPES[name] ?? Error;
  const error = hasCause === 1 ? new Constructor(message, { cause: readValue(input) }) : new Constructor(message);
  if (error.name !== name) defineHidden(error, 'name', name);
  if (stack === undefined) delete error.stack;
  else defineHidden(error, 'stack', stack);
  input.depth--;
  return error;
}

function withArticle(name: string): string {
  return /^[AEIO]/.test(name) ? `an ${name}` : `a ${name}`;
}

function defineOwn(object: object, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

function defineHidden(object: object, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: false, configurable: true });
}

/** A latin1 string from bytes, without Buffer: in chunks that fromCharCode's argument list can take. */
function charCodesToString(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let from = start; from < end; from += 4096) {
    text += fromCharCode.apply(null, bytes.subarray(from, Math.min(end, from + 4096)) as unknown as number[]);
  }
  return text;
}
