/**
 * How state values become bytes in a snapshot and back. Every call encodes a self-contained unit:
 * a batch decodes without any other batch, so a snapshot can be cut by key group and read in
 * another order or by another subtask.
 *
 * Today this is V8's structured-clone serializer (node:v8): it keeps every type state holds
 * (primitives, bigint, arrays, plain objects, Map, Set, Date, typed arrays) and is self-contained.
 * The snapshot format records the serializer's name, so it can change without making old
 * checkpoints unreadable.
 */
import { deserialize, serialize } from 'node:v8';

export const STATE_SERIALIZER = 'v8';

export function encodeStateBatch(values: readonly unknown[]): Uint8Array {
  return serialize(values);
}

export function decodeStateBatch(bytes: Uint8Array, where: string): unknown[] {
  let values: unknown;
  try {
    values = deserialize(bytes);
  } catch (error) {
    throw new Error(`${where} cannot be decoded: ${(error as Error).message}`, { cause: error });
  }
  if (!Array.isArray(values)) throw new Error(`${where} cannot be decoded: it holds ${typeof values}, not a list of entries`);
  return values;
}

export function encodeStateValue(value: unknown): Uint8Array {
  return serialize(value);
}

export function decodeStateValue(bytes: Uint8Array, where: string): unknown {
  try {
    return deserialize(bytes);
  } catch (error) {
    throw new Error(`${where} cannot be decoded: ${(error as Error).message}`, { cause: error });
  }
}
