import { canonicalJson, keyGroupFor, type KeyGroupRange } from '../../key-groups.js';
import { StateTable } from './state-table.js';
import type { ListState, ListStateDescriptor, MapState, MapStateDescriptor, StateDescriptor, StateKind, ValueState, ValueStateDescriptor } from '../../state.js';
import type { StateTypeJson } from '../../types.js';
import { checkStateCompatibility, StateMigrationError, type StateMetaInfo } from './state-compatibility.js';

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

const EMPTY_LIST: readonly never[] = Object.freeze([]);

/**
 * Keyed state in JavaScript Maps, one StateTable per state, keyed by the (canonical) key. Tables
 * take copy-on-write snapshots (see state-table.ts), so a checkpoint freezes them in O(1) on the
 * task's thread and writes them out while records go on.
 */
export class HeapKeyedStateBackend implements KeyedStateBackend {
  /** The current key as the maps see it; read by the state handles on every access. */
  currentStateKey: unknown = undefined;
  private currentKey: unknown = undefined;
  private readonly tables = new Map<string, { readonly table: StateTable; readonly handle: unknown }>();
  /**
   * Each state's type: the restored one until the operator registers the state, then the
   * descriptor's (what the next snapshot records). Absent: unchecked.
   */
  private readonly types = new Map<string, StateTypeJson>();
  /** States restored and not yet registered by the operator: checked against the descriptor on registration. */
  private readonly unchecked = new Set<string>();

  constructor(
    readonly maxParallelism: number,
    readonly keyGroupRange: KeyGroupRange,
    /** The operator's uid, for messages. */
    readonly operatorUid = 'unknown',
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
    return this.handle(descriptor, (table) => new HeapValueState<T>(this, table, descriptor.defaultValue)) as ValueState<T>;
  }

  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T> {
    return this.handle(descriptor, (table) => new HeapListState<T>(this, table)) as ListState<T>;
  }

  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV> {
    return this.handle(descriptor, (table) => new HeapMapState<UK, UV>(this, table)) as MapState<UK, UV>;
  }

  /**
   * The table behind a value state, for operators of this package that want one lookup with
   * nothing in between (keyed by state key, see toStateKey). The same entries getValueState reads.
   */
  valueStateTable<T>(descriptor: ValueStateDescriptor<T>): StateTable {
    this.getValueState(descriptor);
    return (this.tables.get(descriptor.name) as { table: StateTable }).table;
  }

  stateNames(): string[] {
    return [...this.tables.keys()];
  }

  /** Every registered table, in registration order. */
  stateTables(): StateTable[] {
    return [...this.tables.values()].map(({ table }) => table);
  }

  /**
   * A table by name, registering it with the given kind if the operator has not asked for it yet
   * (restore comes before open). `type` is the type the snapshot recorded: the descriptor that
   * registers the state later is checked against it.
   */
  restoreTable(name: string, kind: StateKind, type?: StateTypeJson): StateTable {
    const existing = this.tables.get(name);
    if (existing !== undefined) return existing.table;
    const table = this.createTable(name, kind);
    this.tables.set(name, { table, handle: undefined });
    if (type !== undefined) this.types.set(name, type);
    this.unchecked.add(name);
    return table;
  }

  /** The type recorded for a state (the descriptor's once registered, else the restored one); undefined: unchecked. */
  stateTypeOf(name: string): StateTypeJson | undefined {
    return this.types.get(name);
  }

  /** Every state with its kind and type, in registration order (what a snapshot records). */
  stateMetaInfos(): StateMetaInfo[] {
    return [...this.tables.values()].map(({ table }) => ({ name: table.name, kind: table.kind, type: this.types.get(table.name) }));
  }

  /** The table of a newly registered state (the lmdb backend's tables live in its store). */
  protected createTable(name: string, kind: StateKind): StateTable {
    return new StateTable(name, kind);
  }

  /**
   * A point between records (the end of an input batch, a fired timer, a restored key group): a
   * backend that buffers writes may write them out now. Nothing to do on the heap.
   */
  endOfBatch(): void {}

  /** Between two timers or restored key groups: endOfBatch if the backend buffers much. */
  flushIfLarge(): void {}

  forEachEntryByKeyGroup(visitor: (keyGroup: number, stateName: string, key: unknown, value: unknown) => void): void {
    const byGroup = new Map<number, [string, unknown, unknown][]>();
    for (const [name, { table }] of this.tables) {
      for (const [stateKey, value] of table.entries()) {
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

  private handle(descriptor: StateDescriptor, create: (table: StateTable) => unknown): unknown {
    const existing = this.tables.get(descriptor.name);
    if (existing !== undefined && this.unchecked.has(descriptor.name)) this.checkRestored(descriptor, existing.table);
    if (existing !== undefined && existing.table.kind !== descriptor.kind) {
      throw new Error(`state '${descriptor.name}' is already registered as ${existing.table.kind} state; it cannot also be ${descriptor.kind} state`);
    }
    if (existing?.handle !== undefined) return existing.handle;
    const table = existing?.table ?? this.createTable(descriptor.name, descriptor.kind);
    const handle = create(table);
    this.tables.set(descriptor.name, { table, handle });
    const type = descriptor.stateType();
    if (type === undefined) this.types.delete(descriptor.name);
    else this.types.set(descriptor.name, type);
    return handle;
  }

  /**
   * The first registration of a restored state: its kind and type must fit what was restored
   * (see state-compatibility.ts); otherwise the operator fails here, before any value is read or
   * written, and the restored state stays as it was in the checkpoint.
   */
  private checkRestored(descriptor: StateDescriptor, table: StateTable): void {
    this.unchecked.delete(descriptor.name);
    const previous: StateMetaInfo = { name: descriptor.name, kind: table.kind, type: this.types.get(descriptor.name) };
    const { problems } = checkStateCompatibility(this.operatorUid, previous, { name: descriptor.name, kind: descriptor.kind, type: descriptor.stateType() });
    if (problems.length > 0) {
      this.unchecked.add(descriptor.name);
      throw StateMigrationError.of(problems);
    }
  }
}

class HeapValueState<T> implements ValueState<T> {
  /** An object default is copied for every read of a key without a value, so keys never share it. */
  private readonly copyDefault: boolean;

  constructor(
    private readonly backend: HeapKeyedStateBackend,
    private readonly table: StateTable,
    private readonly defaultValue: T | undefined,
  ) {
    this.copyDefault = typeof defaultValue === 'object' && defaultValue !== null;
  }

  value(): T | undefined {
    const value = this.table.get(this.backend.currentStateKey) as T | undefined;
    if (value !== undefined) return value;
    return this.copyDefault ? structuredClone(this.defaultValue) : this.defaultValue;
  }

  update(value: T | undefined): void {
    if (value === undefined) this.table.delete(this.backend.currentStateKey);
    else this.table.set(this.backend.currentStateKey, value);
  }

  clear(): void {
    this.table.delete(this.backend.currentStateKey);
  }
}

class HeapListState<T> implements ListState<T> {
  constructor(
    private readonly backend: HeapKeyedStateBackend,
    private readonly table: StateTable,
  ) {}

  get(): readonly T[] {
    return (this.table.get(this.backend.currentStateKey) as T[] | undefined) ?? EMPTY_LIST;
  }

  add(value: T): void {
    const list = this.table.get(this.backend.currentStateKey) as T[] | undefined;
    if (list === undefined) this.table.set(this.backend.currentStateKey, [value]);
    else list.push(value);
  }

  addAll(values: Iterable<T>): void {
    for (const value of values) this.add(value);
  }

  update(values: Iterable<T>): void {
    const list = [...values];
    if (list.length === 0) this.table.delete(this.backend.currentStateKey);
    else this.table.set(this.backend.currentStateKey, list);
  }

  clear(): void {
    this.table.delete(this.backend.currentStateKey);
  }
}

class HeapMapState<UK, UV> implements MapState<UK, UV> {
  private readonly maps: { get(key: unknown): Map<unknown, UV> | undefined; set(key: unknown, value: Map<unknown, UV>): void; delete(key: unknown): void };

  constructor(
    private readonly backend: HeapKeyedStateBackend,
    table: StateTable,
  ) {
    this.maps = table as unknown as HeapMapState<UK, UV>['maps'];
  }

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
