import { canonicalJson, keyGroupFor, type KeyGroupRange } from '../../key-groups.js';
import type { ListState, ListStateDescriptor, MapState, MapStateDescriptor, StateDescriptor, StateKind, ValueState, ValueStateDescriptor } from '../../state.js';

/**
 * Where a keyed operator's state lives (Flink's KeyedStateBackend). The operator sets the current
 * key once per record (or timer); state handles then read and write that key's entries.
 * A snapshot walks the entries by key group, so state can be redistributed by key-group ranges.
 */
export interface KeyedStateBackend {
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  setCurrentKey(key: unknown): void;
  getCurrentKey(): unknown;
  getValueState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV>;
  /** The states registered so far, by name. */
  stateNames(): string[];
  /**
   * Visits every entry of every state, key group by key group in ascending order (the order a
   * snapshot writes them). Values are the backend's own: a list state's array, a map state's Map.
   */
  forEachEntryByKeyGroup(visitor: (keyGroup: number, stateName: string, key: unknown, value: unknown) => void): void;
  dispose(): void;
}

/**
 * Keys of the backend's maps: primitives as they are (one Map lookup, nothing computed), arrays
 * and objects as a tagged canonical JSON string so equal values find the same entry.
 */
const OBJECT_KEY_TAG = '\u0000j:';

export function toStateKey(key: unknown): unknown {
  return typeof key === 'object' && key !== null ? OBJECT_KEY_TAG + canonicalJson(key) : key;
}

export function fromStateKey(stateKey: unknown): unknown {
  return typeof stateKey === 'string' && stateKey.startsWith(OBJECT_KEY_TAG) ? JSON.parse(stateKey.slice(OBJECT_KEY_TAG.length)) : stateKey;
}

interface StateTable {
  readonly kind: StateKind;
  readonly entries: Map<unknown, unknown>;
  readonly handle: unknown;
}

const EMPTY_LIST: readonly never[] = Object.freeze([]);

/** Keyed state in JavaScript Maps, one per state, keyed by the (canonical) key. */
export class HeapKeyedStateBackend implements KeyedStateBackend {
  /** The current key as the maps see it; read by the state handles on every access. */
  currentStateKey: unknown = undefined;
  private currentKey: unknown = undefined;
  private readonly tables = new Map<string, StateTable>();

  constructor(
    readonly maxParallelism: number,
    readonly keyGroupRange: KeyGroupRange,
  ) {}

  setCurrentKey(key: unknown): void {
    this.currentKey = key;
    this.currentStateKey = typeof key === 'object' && key !== null ? OBJECT_KEY_TAG + canonicalJson(key) : key;
  }

  /** For timers, which keep the map key they were registered under. */
  setCurrentStateKey(stateKey: unknown, key: unknown): void {
    this.currentKey = key;
    this.currentStateKey = stateKey;
  }

  getCurrentKey(): unknown {
    return this.currentKey;
  }

  getValueState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T> {
    return this.table(descriptor, (entries) => new HeapValueState<T>(this, entries as Map<unknown, T>, descriptor.defaultValue)) as ValueState<T>;
  }

  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T> {
    return this.table(descriptor, (entries) => new HeapListState<T>(this, entries as Map<unknown, T[]>)) as ListState<T>;
  }

  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV> {
    return this.table(descriptor, (entries) => new HeapMapState<UK, UV>(this, entries as Map<unknown, Map<unknown, UV>>)) as MapState<UK, UV>;
  }

  /**
   * The map behind a value state, keyed by state key (see toStateKey), for operators of this
   * package that want one lookup with nothing in between. The same entries getValueState reads.
   */
  valueStateEntries<T>(descriptor: ValueStateDescriptor<T>): Map<unknown, T> {
    this.getValueState(descriptor);
    return (this.tables.get(descriptor.name) as StateTable).entries as Map<unknown, T>;
  }

  stateNames(): string[] {
    return [...this.tables.keys()];
  }

  forEachEntryByKeyGroup(visitor: (keyGroup: number, stateName: string, key: unknown, value: unknown) => void): void {
    const byGroup = new Map<number, [string, unknown, unknown][]>();
    for (const [name, table] of this.tables) {
      for (const [stateKey, value] of table.entries) {
        const key = fromStateKey(stateKey);
        const group = keyGroupFor(key, this.maxParallelism);
        let list = byGroup.get(group);
        if (list === undefined) byGroup.set(group, (list = []));
        list.push([name, key, value]);
      }
    }
    for (const group of [...byGroup.keys()].sort((a, b) => a - b)) {
      for (const [name, key, value] of byGroup.get(group) ?? []) visitor(group, name, key, value);
    }
  }

  dispose(): void {
    this.tables.clear();
  }

  private table(descriptor: StateDescriptor, create: (entries: Map<unknown, unknown>) => unknown): unknown {
    const existing = this.tables.get(descriptor.name);
    if (existing !== undefined) {
      if (existing.kind !== descriptor.kind) {
        throw new Error(`state '${descriptor.name}' is already registered as ${existing.kind} state; it cannot also be ${descriptor.kind} state`);
      }
      return existing.handle;
    }
    const entries = new Map<unknown, unknown>();
    const handle = create(entries);
    this.tables.set(descriptor.name, { kind: descriptor.kind, entries, handle });
    return handle;
  }
}

class HeapValueState<T> implements ValueState<T> {
  /** An object default is copied for every read of a key without a value, so keys never share it. */
  private readonly copyDefault: boolean;

  constructor(
    private readonly backend: HeapKeyedStateBackend,
    private readonly entries: Map<unknown, T>,
    private readonly defaultValue: T | undefined,
  ) {
    this.copyDefault = typeof defaultValue === 'object' && defaultValue !== null;
  }

  value(): T | undefined {
    const value = this.entries.get(this.backend.currentStateKey);
    if (value !== undefined) return value;
    return this.copyDefault ? structuredClone(this.defaultValue) : this.defaultValue;
  }

  update(value: T | undefined): void {
    if (value === undefined) this.entries.delete(this.backend.currentStateKey);
    else this.entries.set(this.backend.currentStateKey, value);
  }

  clear(): void {
    this.entries.delete(this.backend.currentStateKey);
  }
}

class HeapListState<T> implements ListState<T> {
  constructor(
    private readonly backend: HeapKeyedStateBackend,
    private readonly entries: Map<unknown, T[]>,
  ) {}

  get(): readonly T[] {
    return this.entries.get(this.backend.currentStateKey) ?? EMPTY_LIST;
  }

  add(value: T): void {
    const list = this.entries.get(this.backend.currentStateKey);
    if (list === undefined) this.entries.set(this.backend.currentStateKey, [value]);
    else list.push(value);
  }

  addAll(values: Iterable<T>): void {
    for (const value of values) this.add(value);
  }

  update(values: Iterable<T>): void {
    const list = [...values];
    if (list.length === 0) this.entries.delete(this.backend.currentStateKey);
    else this.entries.set(this.backend.currentStateKey, list);
  }

  clear(): void {
    this.entries.delete(this.backend.currentStateKey);
  }
}

class HeapMapState<UK, UV> implements MapState<UK, UV> {
  constructor(
    private readonly backend: HeapKeyedStateBackend,
    private readonly maps: Map<unknown, Map<unknown, UV>>,
  ) {}

  get(key: UK): UV | undefined {
    return this.maps.get(this.backend.currentStateKey)?.get(toStateKey(key));
  }

  put(key: UK, value: UV): void {
    let map = this.maps.get(this.backend.currentStateKey);
    if (map === undefined) this.maps.set(this.backend.currentStateKey, (map = new Map()));
    map.set(toStateKey(key), value);
  }

  putAll(entries: Iterable<readonly [UK, UV]>): void {
    for (const [key, value] of entries) this.put(key, value);
  }

  contains(key: UK): boolean {
    return this.maps.get(this.backend.currentStateKey)?.has(toStateKey(key)) ?? false;
  }

  remove(key: UK): void {
    const map = this.maps.get(this.backend.currentStateKey);
    if (map === undefined) return;
    map.delete(toStateKey(key));
    if (map.size === 0) this.maps.delete(this.backend.currentStateKey);
  }

  *entries(): IterableIterator<[UK, UV]> {
    const map = this.maps.get(this.backend.currentStateKey);
    if (map === undefined) return;
    for (const [key, value] of map) yield [fromStateKey(key) as UK, value];
  }

  *keys(): IterableIterator<UK> {
    const map = this.maps.get(this.backend.currentStateKey);
    if (map === undefined) return;
    for (const key of map.keys()) yield fromStateKey(key) as UK;
  }

  values(): IterableIterator<UV> {
    return (this.maps.get(this.backend.currentStateKey) ?? new Map<unknown, UV>()).values();
  }

  isEmpty(): boolean {
    return (this.maps.get(this.backend.currentStateKey)?.size ?? 0) === 0;
  }

  clear(): void {
    this.maps.delete(this.backend.currentStateKey);
  }
}
