/**
 * What the codec uses of Node's Buffer when the thread has one (task workers do): native string
 * writes and slices, several times faster than JavaScript loops for strings of more than about 20
 * characters. Without a Buffer (or without its undocumented `*Write`/`*Slice` methods) the codec
 * falls back to documented calls or plain JavaScript. Looked up on globalThis, not imported: the
 * codec is part of @eddy/api, which imports nothing.
 */
export interface NodeBytes extends Uint8Array {
  utf8Write?(text: string, offset: number, length: number): number;
  latin1Slice?(start: number, end: number): string;
  utf8Slice?(start: number, end: number): string;
  write(text: string, offset: number, length: number, encoding: string): number;
  toString(encoding?: string, start?: number, end?: number): string;
}

interface NodeBufferConstructor {
  from(buffer: ArrayBufferLike, byteOffset?: number, length?: number): NodeBytes;
}

const NodeBuffer = (globalThis as { Buffer?: NodeBufferConstructor }).Buffer;

/** A Buffer over the same memory as `bytes`, or undefined where there is no Buffer. */
export function nodeBytesOf(bytes: Uint8Array): NodeBytes | undefined {
  return NodeBuffer === undefined ? undefined : NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Writes `text` as UTF-8 at `offset`; returns the bytes written. The caller made room for them. */
export function writeUtf8(native: NodeBytes, text: string, offset: number, room: number): number {
  return native.utf8Write === undefined ? native.write(text, offset, room, 'utf8') : native.utf8Write(text, offset, room);
}

export function latin1Slice(native: NodeBytes, start: number, end: number): string {
  return native.latin1Slice === undefined ? native.toString('latin1', start, end) : native.latin1Slice(start, end);
}

export function utf8Slice(native: NodeBytes, start: number, end: number): string {
  return native.utf8Slice === undefined ? native.toString('utf8', start, end) : native.utf8Slice(start, end);
}
