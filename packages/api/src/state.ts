/**
 * Keyed state, as in Flink: each state is scoped to the key of the record (or timer) being
 * processed. Obtained in open() through `getRuntimeContext().getState(descriptor)` and friends, on
 * a keyed stream only.
 */

import { checkStateTypeArgument, isStateType, type StateType, type StateTypeJson } from './types.js';

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

/**
 * Names a state; the same name in the same operator always gives the same state. A descriptor
 * with a type (see Types) has it recorded in checkpoints and savepoints and checked when state is
 * restored with new code; one without a type is unchecked.
 */
export abstract class StateDescriptor {
  abstract readonly kind: StateKind;
  constructor(readonly name: string) {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('a state descriptor needs a non-empty name');
  }

  /**
   * The type of what the state keeps per key, in canonical form: a value state's type, a list
   * state's LIST of its element type, a map state's MAP of its key and value types; undefined when
   * the descriptor has no type (unchecked).
   */
  abstract stateType(): StateTypeJson | undefined;
}

/**
 * One value per key. Typed (`new ValueStateDescriptor('count', Types.NUMBER)`), optionally with a
 * default, or untyped as before (`new ValueStateDescriptor<number>('count', 0)`).
 */
export class ValueStateDescriptor<T> extends StateDescriptor {
  readonly kind = 'value' as const;
  /** The type of the values; undefined: unchecked. */
  readonly type: StateType<T> | undefined;
  /**
   * What value() returns for a key without a value. An object or array is copied (structuredClone)
   * on each such read, as Flink copies a default through its serializer, so changing what value()
   * returned changes nothing for other keys; it must therefore be plain data (objects, arrays,
   * Maps, Sets, Dates, primitives), which is checked here.
   */
  readonly defaultValue: T | undefined;

  constructor(name: string, type: StateType<T>, defaultValue?: T);
  constructor(name: string, defaultValue?: T);
  constructor(name: string, typeOrDefault?: StateType<T> | T, defaultValue?: T) {
    super(name);
    if (isStateType(typeOrDefault)) {
      this.type = typeOrDefault as StateType<T>;
      this.defaultValue = defaultValue;
    } else {
      this.type = undefined;
      this.defaultValue = typeOrDefault as T | undefined;
    }
    if (typeof this.defaultValue === 'object' && this.defaultValue !== null) checkPlainData(this.defaultValue, name);
  }

  stateType(): StateTypeJson | undefined {
    return this.type?.toJSON();
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

/** A list per key: `new ListStateDescriptor('seen', Types.STRING)`, or untyped `new ListStateDescriptor<string>('seen')`. */
export class ListStateDescriptor<T> extends StateDescriptor {
  readonly kind = 'list' as const;
  declare readonly __element?: T;
  /** The type of the elements; undefined: unchecked. */
  readonly elementType: StateType<T> | undefined;

  constructor(name: string, elementType?: StateType<T>) {
    super(name);
    this.elementType = elementType === undefined ? undefined : (checkStateTypeArgument(elementType, `the element type of list state '${name}'`) as StateType<T>);
  }

  stateType(): StateTypeJson | undefined {
    return this.elementType === undefined ? undefined : { list: this.elementType.toJSON() };
  }
}

/** A map per key: `new MapStateDescriptor('totals', Types.STRING, Types.NUMBER)`, or untyped `new MapStateDescriptor<string, number>('totals')`. */
export class MapStateDescriptor<UK, UV> extends StateDescriptor {
  readonly kind = 'map' as const;
  declare readonly __entry?: [UK, UV];
  /** The types of the map keys and values; undefined: unchecked. */
  readonly keyType: StateType<UK> | undefined;
  readonly valueType: StateType<UV> | undefined;

  constructor(name: string, keyType?: StateType<UK>, valueType?: StateType<UV>) {
    super(name);
    if ((keyType === undefined) !== (valueType === undefined)) {
      throw new TypeError(`map state '${name}' needs both a key type and a value type, or neither (Types.ANY leaves one unchecked)`);
    }
    this.keyType = keyType === undefined ? undefined : (checkStateTypeArgument(keyType, `the key type of map state '${name}'`) as StateType<UK>);
    this.valueType = valueType === undefined ? undefined : (checkStateTypeArgument(valueType, `the value type of map state '${name}'`) as StateType<UV>);
  }

  stateType(): StateTypeJson | undefined {
    return this.keyType === undefined || this.valueType === undefined ? undefined : { map: [this.keyType.toJSON(), this.valueType.toJSON()] };
  }
}
