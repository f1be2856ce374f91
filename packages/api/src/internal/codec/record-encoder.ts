/**
 * RecordEncoder: records (or one state value) into the codec's bytes (see codec-format.ts).
 *
 * The record path is hot, so the encoder writes into one growable scratch buffer that it reuses
 * from call to call (the result is a view of it, valid until the next call), allocates nothing per
 * record, and learns object shapes in a tree of key transitions it keeps between calls: a shape
 * seen before costs one map lookup per key, and its keys are written once per batch. That tree is
 * a cache of the encoder, not part of the format: every batch defines its shapes again.
 *
 * The writing is done by plain functions over one `Output` object with public fields rather than
 * by methods and private fields: V8 inlines them into one another more readily, and this is the
 * code every record of every exchange runs through.
 *
 * What fails: a function or a symbol anywhere in a record, a cycle, nesting deeper than MAX_DEPTH,
 * Promises and weak collections, boxed primitives, and errors thrown by a record's getters. The
 * fast path only notices that something failed; RecordEncodeError's message then comes from a
 * second, slow walk over the failing record that names the record and the path to the problem
 * (record-problems.ts).
 */
import { RecordEncodeError } from './codec-errors.js';
import { CONTAINER_BATCH, CONTAINER_VALUE, FORMAT_VERSION, MAX_DEPTH, MAX_SHAPE_KEYS, Tag, typedArrayKind } from './codec-format.js';
import { nodeBytesOf, writeUtf8, type NodeBytes } from './node-bytes.js';
import { findProblem, Unencodable } from './record-problems.js';

/** One step in the tree of key sequences: the shape of an object whose keys lead here from the root. */
class ShapeNode {
  readonly children = new Map<string, ShapeNode>();
  /** The call (batch) in which `id` was given. */
  epoch = 0;
  id = 0;
  #keys: string[] | undefined;

  constructor(
    readonly parent: ShapeNode | undefined,
    readonly key: string,
  ) {}

  keys(): string[] {
    if (this.#keys === undefined) {
      const keys: string[] = [];
      for (let node: ShapeNode | undefined = this; node?.parent !== undefined; node = node.parent) keys.push(node.key);
      this.#keys = keys.reverse();
    }
    return this.#keys;
  }
}

const INITIAL_CAPACITY = 16 * 1024;
/** A scratch buffer grown past this by one big batch is dropped after it, not kept for the next. */
const RETAINED_CAPACITY = 4 * 1024 * 1024;
/** The shape tree starts over when it grows past this many nodes (records with ever new keys). */
const MAX_SHAPE_NODES = 8192;
/**
 * writeValue makes sure this many bytes are free before it writes a value, so the fixed-size
 * writes (tags, numbers, headers, strings of fewer than 32 latin1 characters) need no check.
 */
const SLACK = 64;
/** Strings at least this long are written by Buffer (when there is one) rather than in JavaScript. */
const NATIVE_WRITE_MIN_LENGTH = 24;

const objectPrototype = Object.prototype;
const hasOwn = Object.prototype.hasOwnProperty;

/** The encoder's state; the write functions below work on it. */
class Output {
  bytes: Uint8Array = new Uint8Array(INITIAL_CAPACITY);
  view: DataView = new DataView(this.bytes.buffer);
  native: NodeBytes | undefined = nodeBytesOf(this.bytes);
  pos = 0;
  /** The last position at which SLACK bytes are still free. */
  limit = INITIAL_CAPACITY - SLACK;
  depth = 0;
  epoch = 0;
  nextShapeId = 0;
  root = new ShapeNode(undefined, '');
  shapeNodes = 0;
  /** Whether Object.prototype has enumerable properties (then for-in over a plain object needs own checks). */
  dirtyObjectPrototype = false;
}

export class RecordEncoder {
  readonly #out = new Output();

  /**
   * Encodes a batch of records. The result is a view of the encoder's scratch space, valid until
   * its next call. Throws RecordEncodeError naming the record and the field that cannot be encoded.
   */
  encodeBatch(records: readonly unknown[]): Uint8Array {
    const out = this.#out;
    const count = records.length;
    begin(out, CONTAINER_BATCH);
    writeVarint(out, count);
    let index = 0;
    try {
      for (; index < count; index++) writeValue(out, records[index]);
    } catch (error) {
      throw failure(error, records[index], `record ${index}`, 'records');
    }
    return end(out);
  }

  /** Encodes one value (a state value) the same way; the result is scratch space as with encodeBatch. */
  encodeValue(value: unknown): Uint8Array {
    const out = this.#out;
    begin(out, CONTAINER_VALUE);
    try {
      writeValue(out, value);
    } catch (error) {
      throw failure(error, value, 'the value', 'state values');
    }
    return end(out);
  }
}

function begin(out: Output, container: number): void {
  out.pos = 0;
  out.depth = 0;
  out.nextShapeId = 0;
  // Epochs tell this call's shape ids from earlier ones; start the tree over long before they overflow.
  if (++out.epoch === 0x3fffffff || out.shapeNodes > MAX_SHAPE_NODES) {
    out.root = new ShapeNode(undefined, '');
    out.shapeNodes = 0;
    out.epoch = 1;
  }
  out.dirtyObjectPrototype = false;
  for (const key in objectPrototype) {
    void key;
    out.dirtyObjectPrototype = true;
    break;
  }
  out.bytes[0] = FORMAT_VERSION;
  out.bytes[1] = container;
  out.pos = 2;
}

function end(out: Output): Uint8Array {
  const result = out.bytes.subarray(0, out.pos);
  if (out.bytes.byteLength > RETAINED_CAPACITY) {
    // The result stays valid (it views the old buffer); the next call starts small again.
    replaceBytes(out, new Uint8Array(INITIAL_CAPACITY));
  }
  return result;
}

function failure(error: unknown, value: unknown, label: string, plural: string): RecordEncodeError {
  if (error instanceof RecordEncodeError) return error;
  const problem = findProblem(value);
  if (problem !== undefined) {
    const where = problem.path === '' ? label : `field '${problem.path}' of ${label}`;
    const rule = problem.rule === undefined ? '' : `; ${plural} ${problem.rule}`;
    return new RecordEncodeError(`${where} ${problem.what}${rule}`, { cause: error instanceof Unencodable ? undefined : error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new RecordEncodeError(`${label} could not be encoded: ${message}`, { cause: error });
}

function replaceBytes(out: Output, bytes: Uint8Array): void {
  out.bytes = bytes;
  out.view = new DataView(bytes.buffer);
  out.native = nodeBytesOf(bytes);
  out.limit = bytes.byteLength - SLACK;
}

/** Makes room for `bytes` more bytes, plus the slack. */
function ensure(out: Output, bytes: number): void {
  if (out.pos + bytes > out.limit) grow(out, bytes);
}

function grow(out: Output, bytes: number): void {
  let capacity = out.bytes.byteLength * 2;
  while (capacity - SLACK < out.pos + bytes) capacity *= 2;
  const grown = new Uint8Array(capacity);
  grown.set(out.bytes.subarray(0, out.pos));
  replaceBytes(out, grown);
}

/** Writes an unsigned varint (at most 5 bytes, inside the slack). */
function writeVarint(out: Output, value: number): void {
  const bytes = out.bytes;
  let pos = out.pos;
  while (value >= 0x80) {
    bytes[pos++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  bytes[pos++] = value;
  out.pos = pos;
}

function writeValue(out: Output, value: unknown): void {
  if (out.pos > out.limit) grow(out, 0);
  switch (typeof value) {
    case 'string':
      writeString(out, value);
      return;
    case 'number':
      writeNumber(out, value);
      return;
    case 'object':
      if (value === null) out.bytes[out.pos++] = Tag.NULL;
      else if (Array.isArray(value)) writeArray(out, value);
      else writeObject(out, value);
      return;
    case 'boolean':
      out.bytes[out.pos++] = value ? Tag.TRUE : Tag.FALSE;
      return;
    case 'undefined':
      out.bytes[out.pos++] = Tag.UNDEFINED;
      return;
    case 'bigint':
      writeBigInt(out, value);
      return;
    default:
      throw new Unencodable();
  }
}

/** Within the slack: at most 9 bytes. */
function writeNumber(out: Output, value: number): void {
  const bytes = out.bytes;
  const pos = out.pos;
  const int = value | 0;
  if (int === value && (int !== 0 || 1 / value > 0)) {
    if (int >= 0) {
      if (int < 0x80) {
        bytes[pos] = int;
        out.pos = pos + 1;
      } else if (int < 0x100) {
        bytes[pos] = Tag.UINT8;
        bytes[pos + 1] = int;
        out.pos = pos + 2;
      } else if (int < 0x10000) {
        bytes[pos] = Tag.UINT16;
        bytes[pos + 1] = int;
        bytes[pos + 2] = int >>> 8;
        out.pos = pos + 3;
      } else {
        writeInt32(bytes, pos, int);
        out.pos = pos + 5;
      }
    } else if (int >= -32) {
      bytes[pos] = int & 0xff;
      out.pos = pos + 1;
    } else {
      writeInt32(bytes, pos, int);
      out.pos = pos + 5;
    }
  } else {
    bytes[pos] = Tag.FLOAT64;
    out.view.setFloat64(pos + 1, value, true);
    out.pos = pos + 9;
  }
}

function writeInt32(bytes: Uint8Array, pos: number, int: number): void {
  bytes[pos] = Tag.INT32;
  bytes[pos + 1] = int;
  bytes[pos + 2] = int >>> 8;
  bytes[pos + 3] = int >>> 16;
  bytes[pos + 4] = int >>> 24;
}

/** Called through writeValue only, whose slack covers a string of fewer than 32 latin1 characters. */
function writeString(out: Output, text: string): void {
  const length = text.length;
  if (length < 32) {
    const bytes = out.bytes;
    const start = out.pos;
    if (length < NATIVE_WRITE_MIN_LENGTH || out.native === undefined) {
      let pos = start + 1;
      for (let i = 0; i < length; i++) {
        const c = text.charCodeAt(i);
        if (c > 0xff) {
          writeWideString(out, text);
          return;
        }
        bytes[pos++] = c;
      }
      bytes[start] = Tag.FIXSTR | length;
      out.pos = pos;
      return;
    }
  }
  writeLongString(out, text);
}

/**
 * A string of 24 characters or more (when there is a Buffer), written natively as UTF-8 in one go:
 * if it took one byte a character it is ASCII and keeps its latin1 tag; if not, and it has no lone
 * surrogate, the UTF-8 stays and only the header changes. Without a Buffer: latin1 in a loop.
 */
function writeLongString(out: Output, text: string): void {
  const length = text.length;
  // UTF-8 takes at most 3 bytes a UTF-16 code unit; the header at most 6.
  ensure(out, 6 + 3 * length);
  const start = out.pos;
  out.bytes[start] = length < 32 ? Tag.FIXSTR | length : Tag.STR_LATIN1;
  out.pos = start + 1;
  if (length >= 32) writeVarint(out, length);
  const native = out.native;
  if (native !== undefined) {
    const at = out.pos;
    const written = writeUtf8(native, text, at, out.bytes.byteLength - at);
    if (written === length) {
      out.pos = at + length;
      return;
    }
    if (isWellFormed(text)) {
      const headerBytes = 1 + varintSize(written);
      if (start + headerBytes !== at) out.bytes.copyWithin(start + headerBytes, at, at + written);
      out.bytes[start] = Tag.STR_UTF8;
      out.pos = start + 1;
      writeVarint(out, written);
      out.pos += written;
      return;
    }
  } else {
    const bytes = out.bytes;
    let pos = out.pos;
    let latin1 = true;
    for (let i = 0; i < length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0xff) {
        latin1 = false;
        break;
      }
      bytes[pos++] = c;
    }
    if (latin1) {
      out.pos = pos;
      return;
    }
  }
  out.pos = start;
  writeWideString(out, text);
}

function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

const nativeIsWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;

/** No lone surrogates (String.prototype.isWellFormed where the runtime has it, Node 20 does). */
function isWellFormed(text: string): boolean {
  return nativeIsWellFormed === undefined ? utf8Length(text) >= 0 : nativeIsWellFormed.call(text);
}

/** Bytes of `text` as UTF-8, or -1 when it holds a lone surrogate (UTF-8 cannot carry it). */
function utf8Length(text: string): number {
  const length = text.length;
  let bytes = 0;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c < 0xd800 || c > 0xdfff) bytes += 3;
    else if (c <= 0xdbff && i + 1 < length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else return -1;
  }
  return bytes;
}

/** A string that is not ASCII (or not latin1): UTF-8, or UTF-16 code units when it has a lone surrogate. */
function writeWideString(out: Output, text: string): void {
  const length = text.length;
  const utf8Bytes = utf8Length(text);
  if (utf8Bytes < 0) {
    ensure(out, 6 + 2 * length);
    out.bytes[out.pos++] = Tag.STR_UTF16;
    writeVarint(out, length);
    const bytes = out.bytes;
    let pos = out.pos;
    for (let i = 0; i < length; i++) {
      const unit = text.charCodeAt(i);
      bytes[pos++] = unit;
      bytes[pos++] = unit >>> 8;
    }
    out.pos = pos;
    return;
  }
  ensure(out, 6 + utf8Bytes);
  out.bytes[out.pos++] = Tag.STR_UTF8;
  writeVarint(out, utf8Bytes);
  if (out.native !== undefined && length >= NATIVE_WRITE_MIN_LENGTH) {
    out.pos += writeUtf8(out.native, text, out.pos, utf8Bytes);
    return;
  }
  const bytes = out.bytes;
  let pos = out.pos;
  for (let i = 0; i < length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      bytes[pos++] = c;
    } else if (c < 0x800) {
      bytes[pos++] = 0xc0 | (c >> 6);
      bytes[pos++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c > 0xdfff) {
      bytes[pos++] = 0xe0 | (c >> 12);
      bytes[pos++] = 0x80 | ((c >> 6) & 0x3f);
      bytes[pos++] = 0x80 | (c & 0x3f);
    } else {
      // A surrogate pair (utf8Length found no lone ones).
      c = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
      bytes[pos++] = 0xf0 | (c >> 18);
      bytes[pos++] = 0x80 | ((c >> 12) & 0x3f);
      bytes[pos++] = 0x80 | ((c >> 6) & 0x3f);
      bytes[pos++] = 0x80 | (c & 0x3f);
    }
  }
  out.pos = pos;
}

function writeArray(out: Output, array: readonly unknown[]): void {
  if (++out.depth > MAX_DEPTH) throw new Unencodable();
  const length = array.length;
  if (length === 2) {
    // The hot case, tuples such as [word, count] (measured: about 15 % faster encoding of them).
    const first = array[0];
    const second = array[1];
    if (first !== undefined && second !== undefined) {
      out.bytes[out.pos++] = Tag.FIXARRAY | 2;
      writeValue(out, first);
      writeValue(out, second);
      out.depth--;
      return;
    }
  }
  if (length < 16) {
    out.bytes[out.pos++] = Tag.FIXARRAY | length;
  } else {
    out.bytes[out.pos++] = Tag.ARRAY;
    writeVarint(out, length);
  }
  for (let i = 0; i < length; i++) {
    const element = array[i];
    if (element === undefined && !(i in array)) {
      writeSparseTail(out, array, i);
      break;
    }
    writeValue(out, element);
  }
  out.depth--;
}

/** The rest of a sparse array from its first hole: present elements, and runs of holes between them. */
function writeSparseTail(out: Output, array: readonly unknown[], from: number): void {
  const length = array.length;
  let next = from;
  for (const key of Object.keys(array)) {
    const index = Number(key);
    // Indices come first, ascending; anything else an array has is not carried.
    if (!Number.isInteger(index) || index >= length || String(index) !== key) break;
    if (index < next) continue;
    if (index > next) writeHoles(out, index - next);
    writeValue(out, array[index]);
    next = index + 1;
  }
  if (length > next) writeHoles(out, length - next);
}

function writeHoles(out: Output, count: number): void {
  ensure(out, 6);
  out.bytes[out.pos++] = Tag.HOLES;
  writeVarint(out, count);
}

function writeObject(out: Output, object: object): void {
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype === objectPrototype || prototype === null) {
    writeShaped(out, object as Record<string, unknown>, out.dirtyObjectPrototype);
  } else if (object instanceof Date) {
    out.bytes[out.pos] = Tag.DATE;
    out.view.setFloat64(out.pos + 1, object.getTime(), true);
    out.pos += 9;
  } else if (object instanceof Map) {
    writeMap(out, object);
  } else if (object instanceof Set) {
    writeSet(out, object);
  } else if (ArrayBuffer.isView(object)) {
    const kind = typedArrayKind((object as unknown as Record<symbol, unknown>)[Symbol.toStringTag] ?? 'DataView');
    if (kind < 0) throw new Unencodable();
    writeBytes(out, Tag.TYPED_ARRAY, kind, new Uint8Array(object.buffer, object.byteOffset, object.byteLength));
  } else if (object instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && object instanceof SharedArrayBuffer)) {
    writeBytes(out, Tag.ARRAY_BUFFER, -1, new Uint8Array(object));
  } else if (object instanceof RegExp) {
    out.bytes[out.pos++] = Tag.REGEXP;
    writeValue(out, object.source);
    writeValue(out, object.flags);
  } else if (object instanceof Error) {
    writeError(out, object);
  } else if (
    object instanceof Promise ||
    object instanceof WeakMap ||
    object instanceof WeakSet ||
    (typeof WeakRef === 'function' && object instanceof WeakRef) ||
    object instanceof Number ||
    object instanceof String ||
    object instanceof Boolean
  ) {
    throw new Unencodable();
  } else {
    // A class instance: its own enumerable properties, as a plain object.
    writeShaped(out, object as Record<string, unknown>, true);
  }
}

/** An object by its shape: the shape's id (or its definition, the first time in a batch), then its values. */
function writeShaped(out: Output, object: Record<string, unknown>, ownChecks: boolean): void {
  if (++out.depth > MAX_DEPTH) throw new Unencodable();
  let node = out.root;
  let count = 0;
  for (const key in object) {
    if (ownChecks && !hasOwn.call(object, key)) continue;
    if (++count > MAX_SHAPE_KEYS) break;
    let next = node.children.get(key);
    if (next === undefined) {
      next = new ShapeNode(node, key);
      node.children.set(key, next);
      out.shapeNodes++;
    }
    node = next;
  }
  if (count > MAX_SHAPE_KEYS) {
    writeLargeObject(out, object);
    out.depth--;
    return;
  }
  if (node.epoch === out.epoch) {
    const id = node.id;
    if (id < 16) {
      out.bytes[out.pos++] = Tag.FIXSHAPE | id;
    } else {
      out.bytes[out.pos++] = Tag.SHAPE;
      writeVarint(out, id);
    }
  } else {
    node.epoch = out.epoch;
    node.id = out.nextShapeId++;
    out.bytes[out.pos++] = Tag.SHAPE_DEFINITION;
    writeVarint(out, count);
    const keys = node.keys();
    for (let i = 0; i < count; i++) writeValue(out, keys[i]);
  }
  let written = 0;
  for (const key in object) {
    if (ownChecks && !hasOwn.call(object, key)) continue;
    writeValue(out, object[key]);
    written++;
  }
  if (written !== count) throw new RecordEncodeError(`an object's keys changed while it was encoded (${count}, then ${written})`);
  out.depth--;
}

/** An object with more keys than a shape takes: its keys inline with its values. */
function writeLargeObject(out: Output, object: Record<string, unknown>): void {
  // Its own enumerable string keys, in for-in order: what the shape path carries too.
  const keys = Object.keys(object);
  out.bytes[out.pos++] = Tag.OBJECT;
  writeVarint(out, keys.length);
  for (const key of keys) {
    writeValue(out, key);
    writeValue(out, object[key]);
  }
}

function writeMap(out: Output, map: ReadonlyMap<unknown, unknown>): void {
  if (++out.depth > MAX_DEPTH) throw new Unencodable();
  out.bytes[out.pos++] = Tag.MAP;
  writeVarint(out, map.size);
  for (const [key, value] of map) {
    writeValue(out, key);
    writeValue(out, value);
  }
  out.depth--;
}

function writeSet(out: Output, set: ReadonlySet<unknown>): void {
  if (++out.depth > MAX_DEPTH) throw new Unencodable();
  out.bytes[out.pos++] = Tag.SET;
  writeVarint(out, set.size);
  for (const value of set) writeValue(out, value);
  out.depth--;
}

function writeBytes(out: Output, tag: number, kind: number, content: Uint8Array): void {
  ensure(out, 7 + content.byteLength);
  out.bytes[out.pos++] = tag;
  if (kind >= 0) out.bytes[out.pos++] = kind;
  writeVarint(out, content.byteLength);
  out.bytes.set(content, out.pos);
  out.pos += content.byteLength;
}

function writeBigInt(out: Output, value: bigint): void {
  if (BigInt.asIntN(64, value) === value) {
    out.bytes[out.pos] = Tag.BIGINT64;
    out.view.setBigInt64(out.pos + 1, value, true);
    out.pos += 9;
    return;
  }
  const negative = value < 0n;
  let hex = (negative ? -value : value).toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const length = hex.length / 2;
  ensure(out, 7 + length);
  const bytes = out.bytes;
  bytes[out.pos++] = Tag.BIGINT;
  bytes[out.pos++] = negative ? 1 : 0;
  writeVarint(out, length);
  for (let i = 0; i < length; i++) bytes[out.pos++] = parseInt(hex.substring(2 * i, 2 * i + 2), 16);
}

function writeError(out: Output, error: Error): void {
  if (++out.depth > MAX_DEPTH) throw new Unencodable();
  out.bytes[out.pos++] = Tag.ERROR;
  writeValue(out, String(error.name));
  writeValue(out, String(error.message));
  writeValue(out, typeof error.stack === 'string' ? error.stack : undefined);
  ensure(out, 1);
  if ('cause' in error) {
    out.bytes[out.pos++] = 1;
    writeValue(out, error.cause);
  } else {
    out.bytes[out.pos++] = 0;
  }
  out.depth--;
}
