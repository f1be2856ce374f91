/**
 * One keyed state's entries (value per key), with copy-on-write snapshots: Flink's
 * CopyOnWriteStateMap idea in JavaScript terms.
 *
 * Outside a snapshot a table is one Map from state key to value, and every access is one Map
 * operation. snapshot() freezes that Map as the snapshot's view, O(1): from then on writes go to
 * a delta Map (a delete leaves a tombstone), and the first access to a key whose value is an
 * object copies the value into the delta, because callers may change a value they read (an
 * accumulator updated in place, `state.value().count++`). The snapshot iterates the frozen Map at
 * its own pace, off the record path; release() folds the delta back in, O(changes).
 *
 * One snapshot at a time: a second snapshot() folds the delta of the first in before it freezes
 * again, so the first one must have been released (the task finishes writing a snapshot before it
 * takes the next one).
 *
 * Values are data (primitives, arrays, plain objects, Map, Set, Date, typed arrays): that is what a
 * snapshot can store, and what the copy on first access copies. Class instances are copied as
 * plain objects.
 */

const TOMBSTONE: unique symbol = Symbol('eddy.stateTombstone');
type Stored = unknown;

export class StateTable {
  /** Live entries; during a snapshot, the frozen view the snapshot reads. */
  private base = new Map<unknown, Stored>();
  /** Writes and copied values since the snapshot; undefined when no snapshot is open. */
  private delta: Map<unknown, Stored> | undefined = undefined;

  constructor(
    readonly name: string,
    readonly kind: string,
  ) {}

  get(key: unknown): unknown {
    const delta = this.delta;
    if (delta === undefined) return this.base.get(key);
    return this.getDuringSnapshot(delta, key);
  }

  set(key: unknown, value: unknown): void {
    const delta = this.delta;
    if (delta === undefined) this.base.set(key, value);
    else delta.set(key, value);
  }

  delete(key: unknown): void {
    const delta = this.delta;
    if (delta === undefined) this.base.delete(key);
    else if (this.base.has(key)) delta.set(key, TOMBSTONE);
    else delta.delete(key);
  }

  has(key: unknown): boolean {
    const delta = this.delta;
    if (delta === undefined) return this.base.has(key);
    const own = delta.get(key);
    return own !== undefined ? own !== TOMBSTONE : this.base.has(key);
  }

  /** Entries of the live view, for operators that walk every key (rare; not on the record path). */
  *entries(): IterableIterator<[unknown, unknown]> {
    const delta = this.delta;
    if (delta === undefined) {
      yield* this.base;
      return;
    }
    for (const [key, value] of delta) if (value !== TOMBSTONE) yield [key, value];
    for (const [key, value] of this.base) if (!delta.has(key)) yield [key, value];
  }

  get size(): number {
    let n = 0;
    for (const _ of this.entries()) n++;
    return n;
  }

  clear(): void {
    const delta = this.delta;
    if (delta === undefined) {
      this.base.clear();
      return;
    }
    delta.clear();
    for (const key of this.base.keys()) delta.set(key, TOMBSTONE);
  }

  /** Freezes the current entries for a snapshot; returns them (do not change them). */
  snapshot(): ReadonlyMap<unknown, unknown> {
    this.release();
    this.delta = new Map();
    return this.base;
  }

  /** The snapshot that froze the entries is done: the changes since fold back in. */
  release(): void {
    const delta = this.delta;
    if (delta === undefined) return;
    this.delta = undefined;
    const base = this.base;
    for (const [key, value] of delta) {
      if (value === TOMBSTONE) base.delete(key);
      else base.set(key, value);
    }
  }

  private getDuringSnapshot(delta: Map<unknown, Stored>, key: unknown): unknown {
    const own = delta.get(key);
    if (own !== undefined) return own === TOMBSTONE ? undefined : own;
    const frozen = this.base.get(key);
    if (frozen === undefined || typeof frozen !== 'object' || frozen === null) return frozen;
    const copy = copyStateValue(frozen);
    delta.set(key, copy);
    return copy;
  }
}

/**
 * A deep copy of a state value: arrays, plain objects, Map, Set and Date are copied field by field
 * (fast for the small values state holds); typed arrays are copied; anything else goes through
 * structuredClone.
 */
export function copyStateValue<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = copyStateValue(value[i] as unknown);
    return copy as T;
  }
  if (value instanceof Map) {
    const copy = new Map<unknown, unknown>();
    for (const [k, v] of value) copy.set(k, copyStateValue(v));
    return copy as T;
  }
  if (value instanceof Set) {
    const copy = new Set<unknown>();
    for (const v of value) copy.add(copyStateValue(v));
    return copy as T;
  }
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (ArrayBuffer.isView(value)) return structuredClone(value);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) copy[key] = copyStateValue((value as Record<string, unknown>)[key]);
  return copy as T;
}
