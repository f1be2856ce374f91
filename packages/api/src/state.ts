/**
 * Keyed state, as in Flink: each state is scoped to the key of the record (or timer) being
 * processed. Obtained in open() through `getRuntimeContext().getState(descriptor)` and friends, on
 * a keyed stream only.
 */

/** One value per key. */
export interface ValueState<T> {
  /** The value for the current key, or the descriptor's default (undefined unless given). */
  value(): T | undefined;
  /** Sets the value for the current key; undefined clears it. */
  update(value: T | undefined): void;
  clear(): void;
}

/** A list per key. */
export interface ListState<T> {
  /** The list of the current key (empty when none). Do not change it; use add/update. */
  get(): readonly T[];
  add(value: T): void;
  addAll(values: Iterable<T>): void;
  /** Replaces the list of the current key. */
  update(values: Iterable<T>): void;
  clear(): void;
}

/**
 * A map per key. Map keys are compared by value like stream keys: primitives as such, arrays and
 * plain objects by canonical JSON; a Map or Set as a key is refused.
 */
export interface MapState<UK, UV> {
  get(key: UK): UV | undefined;
  put(key: UK, value: UV): void;
  putAll(entries: Iterable<readonly [UK, UV]>): void;
  contains(key: UK): boolean;
  remove(key: UK): void;
  entries(): IterableIterator<[UK, UV]>;
  keys(): IterableIterator<UK>;
  values(): IterableIterator<UV>;
  isEmpty(): boolean;
  clear(): void;
}

export type StateKind = 'value' | 'list' | 'map';

/** Names a state; the same name in the same operator always gives the same state. */
export abstract class StateDescriptor {
  abstract readonly kind: StateKind;
  constructor(readonly name: string) {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('a state descriptor needs a non-empty name');
  }
}

export class ValueStateDescriptor<T> extends StateDescriptor {
  readonly kind = 'value' as const;
  /**
   * `defaultValue` is what value() returns for a key without a value. An object or array is copied
   * (structuredClone) on each such read, as Flink copies a default through its serializer, so
   * changing what value() returned changes nothing for other keys; it must therefore be plain data
   * (objects, arrays, Maps, Sets, Dates, primitives), which is checked here.
   */
  constructor(name: string, readonly defaultValue?: T) {
    super(name);
    if (typeof defaultValue === 'object' && defaultValue !== null) checkPlainData(defaultValue, name);
  }
}

const PLAIN_PROTOTYPES = new Set<unknown>([Object.prototype, null, Array.prototype, Map.prototype, Set.prototype, Date.prototype]);

/** Refuses a default that structuredClone would not copy faithfully (functions, class instances). */
function checkPlainData(value: object, stateName: string): void {
  const refuse = (what: string): never => {
    throw new TypeError(
      `The default value of state '${stateName}' ${what}; a default is copied for each key with structuredClone, which keeps plain data only ` +
        '(objects, arrays, Maps, Sets, Dates, primitives). Give plain data, or give no default and create the value where value() returns undefined.',
    );
  };
  try {
    structuredClone(value);
  } catch (error) {
    refuse(`cannot be copied (${error instanceof Error ? error.message : String(error)})`);
  }
  const seen = new Set<object>();
  const visit = (part: unknown): void => {
    if (typeof part !== 'object' || part === null || seen.has(part)) return;
    seen.add(part);
    const prototype: unknown = Object.getPrototypeOf(part);
    if (!PLAIN_PROTOTYPES.has(prototype)) refuse(`holds an instance of ${(part as { constructor?: { name?: string } }).constructor?.name ?? 'a class'}`);
    if (part instanceof Map) {
      for (const [key, entry] of part) {
        visit(key);
        visit(entry);
      }
    } else {
      for (const entry of part instanceof Set ? part : Object.values(part)) visit(entry);
    }
  };
  visit(value);
}

export class ListStateDescriptor<T> extends StateDescriptor {
  readonly kind = 'list' as const;
  declare readonly __element?: T;
}

export class MapStateDescriptor<UK, UV> extends StateDescriptor {
  readonly kind = 'map' as const;
  declare readonly __entry?: [UK, UV];
}
