import type { KeyedStateStore } from '../../checkpoint.js';
import { MapStateDescriptor, type ListState, type ListStateDescriptor, type MapState, type StateDescriptor, type ValueState, type ValueStateDescriptor } from '../../state.js';
import { stateTypeFromJson, Types, type StateType } from '../../types.js';
import { fromStateKey, toStateKey, type HeapKeyedStateBackend } from '../state/keyed-state-backend.js';
import { copyStateValue } from '../state/state-table.js';

/**
 * State per key *and window* on the keyed backend, which has no namespaces: each such state is a
 * map state of the backend named `<prefix><name>`, whose map key is the window's id. So it sits in
 * the key's key group and in checkpoints like any keyed state. The current window is read from
 * `scope` on every access (the operator sets it once per record and window, or per timer).
 */
export interface WindowScope {
  /** The id of the window the state handles read and write. */
  readonly windowId: string;
}

const EMPTY: readonly never[] = Object.freeze([]);

/** ValueState of the current key and window. */
export class WindowValueState<T> implements ValueState<T> {
  private readonly copyDefault: boolean;

  constructor(
    private readonly map: MapState<string, T>,
    private readonly scope: WindowScope,
    private readonly defaultValue: T | undefined,
  ) {
    this.copyDefault = typeof defaultValue === 'object' && defaultValue !== null;
  }

  value(): T | undefined {
    const value = this.map.get(this.scope.windowId);
    if (value !== undefined) return value;
    return this.copyDefault ? copyStateValue(this.defaultValue) : this.defaultValue;
  }

  update(value: T | undefined): void {
    if (value === undefined) this.map.remove(this.scope.windowId);
    else this.map.put(this.scope.windowId, value);
  }

  clear(): void {
    this.map.remove(this.scope.windowId);
  }
}

/** ListState of the current key and window. */
class WindowListState<T> implements ListState<T> {
  constructor(
    private readonly map: MapState<string, T[]>,
    private readonly scope: WindowScope,
  ) {}

  get(): readonly T[] {
    return this.map.get(this.scope.windowId) ?? EMPTY;
  }

  add(value: T): void {
    const list = this.map.get(this.scope.windowId);
    if (list === undefined) this.map.put(this.scope.windowId, [value]);
    else list.push(value);
  }

  addAll(values: Iterable<T>): void {
    for (const value of values) this.add(value);
  }

  update(values: Iterable<T>): void {
    const list = [...values];
    if (list.length === 0) this.map.remove(this.scope.windowId);
    else this.map.put(this.scope.windowId, list);
  }

  clear(): void {
    this.map.remove(this.scope.windowId);
  }
}

/** MapState of the current key and window (map keys compared by value, as MapState's). */
class WindowMapState<UK, UV> implements MapState<UK, UV> {
  constructor(
    private readonly map: MapState<string, Map<unknown, UV>>,
    private readonly scope: WindowScope,
  ) {}

  get(key: UK): UV | undefined {
    return this.map.get(this.scope.windowId)?.get(toStateKey(key));
  }

  put(key: UK, value: UV): void {
    let entries = this.map.get(this.scope.windowId);
    if (entries === undefined) this.map.put(this.scope.windowId, (entries = new Map()));
    entries.set(toStateKey(key), value);
  }

  putAll(entries: Iterable<readonly [UK, UV]>): void {
    for (const [key, value] of entries) this.put(key, value);
  }

  contains(key: UK): boolean {
    return this.map.get(this.scope.windowId)?.has(toStateKey(key)) ?? false;
  }

  remove(key: UK): void {
    const entries = this.map.get(this.scope.windowId);
    if (entries === undefined) return;
    entries.delete(toStateKey(key));
    if (entries.size === 0) this.map.remove(this.scope.windowId);
  }

  *entries(): IterableIterator<[UK, UV]> {
    for (const [key, value] of this.map.get(this.scope.windowId) ?? []) yield [fromStateKey(key) as UK, value];
  }

  *keys(): IterableIterator<UK> {
    for (const key of (this.map.get(this.scope.windowId) ?? new Map<unknown, UV>()).keys()) yield fromStateKey(key) as UK;
  }

  values(): IterableIterator<UV> {
    return (this.map.get(this.scope.windowId) ?? new Map<unknown, UV>()).values();
  }

  isEmpty(): boolean {
    return (this.map.get(this.scope.windowId)?.size ?? 0) === 0;
  }

  clear(): void {
    this.map.remove(this.scope.windowId);
  }
}

/**
 * A KeyedStateStore whose states are per key and window (ProcessWindowFunction's windowState(),
 * a trigger's partitioned state). Handles are cached by name.
 */
export class WindowStateStore implements KeyedStateStore {
  private readonly handles = new Map<string, unknown>();

  constructor(
    private readonly backend: HeapKeyedStateBackend,
    private readonly scope: WindowScope,
    private readonly prefix: string,
  ) {}

  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T> {
    return this.handle(descriptor.name, 'value', () => new WindowValueState<T>(this.map<T>(descriptor.name, descriptor), this.scope, descriptor.defaultValue)) as ValueState<T>;
  }

  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T> {
    return this.handle(descriptor.name, 'list', () => new WindowListState<T>(this.map<T[]>(descriptor.name, descriptor), this.scope)) as ListState<T>;
  }

  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV> {
    return this.handle(descriptor.name, 'map', () => new WindowMapState<UK, UV>(this.map<Map<unknown, UV>>(descriptor.name, descriptor), this.scope)) as MapState<UK, UV>;
  }

  /** The values of state `name` of the current key in the windows `ids` (for merging). */
  mapOf<T>(name: string): MapState<string, T> {
    return this.map<T>(name);
  }

  /**
   * The backend's map of state `name` from window id to the window's value. A typed descriptor
   * makes it a MAP<STRING, its type>, so a restore checks it like any keyed state.
   */
  private map<T>(name: string, descriptor?: StateDescriptor): MapState<string, T> {
    const type = descriptor?.stateType();
    if (type === undefined) return this.backend.getMapState(new MapStateDescriptor<string, T>(this.prefix + name));
    return this.backend.getMapState(new MapStateDescriptor<string, T>(this.prefix + name, Types.STRING, stateTypeFromJson(type) as StateType<T>));
  }

  private handle(name: string, kind: string, create: () => unknown): unknown {
    const id = `${kind}:${name}`;
    let handle = this.handles.get(id);
    if (handle === undefined) {
      for (const other of this.handles.keys()) {
        if (other.endsWith(`:${name}`)) throw new Error(`window state '${name}' is already registered as ${other.split(':')[0]} state; it cannot also be ${kind} state`);
      }
      this.handles.set(id, (handle = create()));
    }
    return handle;
  }
}
