/**
 * State types (Flink's TypeInformation, in TypeScript's terms): what a state descriptor says its
 * values are, so a checkpoint or savepoint records it and a restore with new code can tell a
 * compatible change (an object gained or lost an optional field) from one that would corrupt state
 * (a field changed its type). Each type value also gives the TypeScript type it stands for:
 *
 *   const Counter = Types.OBJECT({ count: Types.NUMBER, note: Types.OPTIONAL(Types.STRING) });
 *   type Counter = TypeOf<typeof Counter>;   // { count: number; note?: string }
 *   new ValueStateDescriptor('counter', Counter);
 *
 * Types are declarations: values are not checked on every state write (that would cost on the
 * record path); they are compared when state is restored and when a job is checked against a
 * savepoint. See docs/checkpoints.md#state-types-and-evolution.
 *
 * Canonical form (format 1), written into snapshots and checkpoint metadata as JSON:
 *   "NUMBER" | "STRING" | "BOOLEAN" | "BIGINT" | "DATE" | "ANY"
 *   { "object": { "<field>": <type> | { "optional": <type> }, ... } }   (fields in sorted order)
 *   { "list": <type> }
 *   { "map": [<key type>, <value type>] }
 */

/**
 * The version of the canonical form. A keyed snapshot's header records it (typeFormat); checkpoint
 * metadata and operator state lists carry format 1 as JSON text, and a later format would come
 * with a new metadata version. A reader refuses a form it does not know (parseStateTypeJson)
 * instead of guessing.
 */
export const STATE_TYPE_FORMAT = 1;

/** The canonical JSON form of a state type (format 1). */
export type StateTypeJson =
  | 'NUMBER'
  | 'STRING'
  | 'BOOLEAN'
  | 'BIGINT'
  | 'DATE'
  | 'ANY'
  | { readonly object: { readonly [field: string]: StateTypeJson | { readonly optional: StateTypeJson } } }
  | { readonly list: StateTypeJson }
  | { readonly map: readonly [StateTypeJson, StateTypeJson] };

const STATE_TYPE = Symbol.for('eddy.StateType');
const OPTIONAL_FIELD = Symbol.for('eddy.OptionalField');

/** A state type; `T` is the TypeScript type of its values (see TypeOf). */
export interface StateType<T> {
  readonly [STATE_TYPE]: true;
  /** Phantom: the TypeScript type of the values. */
  readonly __value?: T;
  /** The canonical JSON form. */
  toJSON(): StateTypeJson;
  /** The type as people read it: NUMBER, OBJECT{count: NUMBER, note?: STRING}, LIST<STRING>. */
  toString(): string;
}

/** An optional field of an OBJECT type (Types.OPTIONAL); only valid as a field. */
export interface OptionalField<T> {
  readonly [OPTIONAL_FIELD]: true;
  readonly type: StateType<T>;
}

type Field = StateType<any> | OptionalField<any>;
type FieldsOf = { readonly [name: string]: Field };
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type FieldValue<F> = F extends OptionalField<infer T> ? T : F extends StateType<infer T> ? T : never;
type ObjectValue<F extends FieldsOf> = Simplify<
  { -readonly [K in keyof F as F[K] extends OptionalField<any> ? never : K]: FieldValue<F[K]> } & {
    -readonly [K in keyof F as F[K] extends OptionalField<any> ? K : never]?: FieldValue<F[K]>;
  }
>;

/** The TypeScript type of a state type's values: `TypeOf<typeof Types.LIST(Types.STRING)>` is `string[]`. */
export type TypeOf<S> = S extends StateType<infer T> ? T : never;

function make<T>(json: StateTypeJson): StateType<T> {
  const text = describeStateType(json);
  return Object.freeze({ [STATE_TYPE]: true as const, toJSON: () => json, toString: () => text });
}

/** Whether `value` is a state type made by Types. */
export function isStateType(value: unknown): value is StateType<unknown> {
  return typeof value === 'object' && value !== null && (value as { [STATE_TYPE]?: unknown })[STATE_TYPE] === true;
}

function isOptionalField(value: unknown): value is OptionalField<unknown> {
  return typeof value === 'object' && value !== null && (value as { [OPTIONAL_FIELD]?: unknown })[OPTIONAL_FIELD] === true;
}

function checkType(value: unknown, what: string): StateType<unknown> {
  if (isStateType(value)) return value;
  if (isOptionalField(value)) throw new TypeError(`${what} is Types.OPTIONAL(...), which only marks a field of Types.OBJECT({...}) as optional`);
  throw new TypeError(`${what} must be a state type from Types (Types.NUMBER, Types.OBJECT({...}), ...), got ${value === null ? 'null' : typeof value}`);
}

/**
 * The state types: Flink's Types with TypeScript's names. `Types.ANY` leaves values unchecked
 * (as a descriptor without a type does).
 *
 *   const Visit = Types.OBJECT({ url: Types.STRING, at: Types.DATE, tags: Types.OPTIONAL(Types.LIST(Types.STRING)) });
 *   const byUser = new MapStateDescriptor('visits', Types.STRING, Visit);
 */
export const Types = {
  NUMBER: make<number>('NUMBER'),
  STRING: make<string>('STRING'),
  BOOLEAN: make<boolean>('BOOLEAN'),
  BIGINT: make<bigint>('BIGINT'),
  DATE: make<Date>('DATE'),
  /** Any value (plain data, as state keeps it): not checked, compatible with every type. */
  ANY: make<any>('ANY'),
  /** A plain object with these fields (Flink's POJO or ROW type); mark a field optional with Types.OPTIONAL. */
  OBJECT<F extends FieldsOf>(fields: F): StateType<ObjectValue<F>> {
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) throw new TypeError('Types.OBJECT needs an object of fields: Types.OBJECT({ count: Types.NUMBER })');
    const json: Record<string, StateTypeJson | { optional: StateTypeJson }> = {};
    for (const name of Object.keys(fields).sort()) {
      const field = fields[name];
      json[name] = isOptionalField(field) ? { optional: field.type.toJSON() } : checkType(field, `field '${name}' of Types.OBJECT`).toJSON();
    }
    return make(Object.freeze({ object: Object.freeze(json) }));
  },
  /** Marks a field of Types.OBJECT as optional: values may lack it. */
  OPTIONAL<T>(type: StateType<T>): OptionalField<T> {
    return Object.freeze({ [OPTIONAL_FIELD]: true as const, type: checkType(type, 'the argument of Types.OPTIONAL') as StateType<T> });
  },
  /** An array of elements of one type. */
  LIST<T>(element: StateType<T>): StateType<T[]> {
    return make(Object.freeze({ list: checkType(element, 'the element type of Types.LIST').toJSON() }));
  },
  /** A Map from keys of one type to values of another. */
  MAP<K, V>(key: StateType<K>, value: StateType<V>): StateType<Map<K, V>> {
    return make(Object.freeze({ map: Object.freeze([checkType(key, 'the key type of Types.MAP').toJSON(), checkType(value, 'the value type of Types.MAP').toJSON()] as const) }));
  },
};
Object.freeze(Types);

/** A state type from its canonical form (for the API's own descriptors that wrap a user's type). */
export function stateTypeFromJson(json: StateTypeJson): StateType<unknown> {
  return make(json);
}

/** Checks a descriptor's type argument (undefined: unchecked). */
export function checkStateTypeArgument(value: unknown, what: string): StateType<unknown> {
  return checkType(value, what);
}

const PRIMITIVES = new Set(['NUMBER', 'STRING', 'BOOLEAN', 'BIGINT', 'DATE', 'ANY']);

/**
 * Reads a canonical form back (from a snapshot or checkpoint metadata), checking its shape;
 * throws with `where` and what is wrong for a form this version cannot read.
 */
export function parseStateTypeJson(value: unknown, where: string): StateTypeJson {
  const fail = (problem: string): never => {
    throw new TypeError(`${where} holds a state type this version of Eddy cannot read (${problem}); it was written by another version, or is corrupt`);
  };
  const visit = (node: unknown): StateTypeJson => {
    if (typeof node === 'string') return PRIMITIVES.has(node) ? (node as StateTypeJson) : fail(`unknown type ${JSON.stringify(node)}`);
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return fail(`expected a type, found ${JSON.stringify(node)}`);
    const keys = Object.keys(node);
    if (keys.length !== 1) return fail(`a type object has one key, found ${JSON.stringify(keys)}`);
    const o = node as Record<string, unknown>;
    if ('list' in o) return { list: visit(o['list']) };
    if ('map' in o) {
      const pair = o['map'];
      if (!Array.isArray(pair) || pair.length !== 2) return fail('a map type needs [key, value]');
      return { map: [visit(pair[0]), visit(pair[1])] };
    }
    if ('object' in o) {
      const fields = o['object'];
      if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return fail('an object type needs its fields');
      const out: Record<string, StateTypeJson | { optional: StateTypeJson }> = {};
      for (const [name, field] of Object.entries(fields as Record<string, unknown>)) {
        const optional = typeof field === 'object' && field !== null && !Array.isArray(field) && Object.keys(field).length === 1 && 'optional' in field;
        out[name] = optional ? { optional: visit((field as { optional: unknown }).optional) } : visit(field);
      }
      return { object: out };
    }
    return fail(`unknown type ${JSON.stringify(keys[0])}`);
  };
  return visit(value);
}

/** A canonical form as people read it: NUMBER, OBJECT{count: NUMBER, note?: STRING}, LIST<STRING>, MAP<STRING, NUMBER>. */
export function describeStateType(json: StateTypeJson): string {
  if (typeof json === 'string') return json;
  if ('list' in json) return `LIST<${describeStateType(json.list)}>`;
  if ('map' in json) return `MAP<${describeStateType(json.map[0])}, ${describeStateType(json.map[1])}>`;
  const fields = Object.keys(json.object)
    .sort()
    .map((name) => {
      const field = json.object[name] as StateTypeJson | { optional: StateTypeJson };
      return typeof field === 'object' && 'optional' in field ? `${name}?: ${describeStateType(field.optional)}` : `${name}: ${describeStateType(field)}`;
    });
  return `OBJECT{${fields.join(', ')}}`;
}
