/**
 * Why a record cannot be encoded, and where in it: the slow second look the encoder takes after
 * its fast path failed, so the fast path needs no path bookkeeping per value. It walks the record
 * in the encoder's order, so the first problem it finds is the one the encoder stopped at.
 */
import { MAX_DEPTH, typedArrayKind, TYPED_ARRAY_KINDS } from './codec-format.js';

/** Thrown by the encoder's fast path; findProblem says what it was. */
export class Unencodable extends Error {
  constructor() {
    super('a value the record codec cannot encode');
  }
}

export interface Problem {
  /** Path from the record to the value, '' for the record itself: `user.tags[2]`. */
  readonly path: string;
  /** What is wrong, following the name of the value: "is a function". */
  readonly what: string;
  /** The rule it breaks, after the plural of what was encoded ("records"): "must be data: ...". */
  readonly rule?: string;
}

const NOT_DATA = 'must be data: functions and symbols cannot travel between tasks';
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** The first value in `root` that the encoder refuses, with its path; undefined if there is none. */
export function findProblem(root: unknown): Problem | undefined {
  const path: string[] = [];
  const ancestors: object[] = [];
  const ancestorDepths: number[] = [];

  const problem = (what: string, rule?: string): Problem => ({ path: formatPath(path), what, ...(rule === undefined ? {} : { rule }) });

  const read = (object: object, key: PropertyKey): { value?: unknown; failure?: Problem } => {
    try {
      return { value: (object as Record<PropertyKey, unknown>)[key] };
    } catch (error) {
      return { failure: problem(`could not be read: ${error instanceof Error ? error.message : String(error)}`) };
    }
  };

  const visitChild = (segment: string, value: unknown): Problem | undefined => {
    path.push(segment);
    const found = visit(value);
    path.pop();
    return found;
  };

  const visitKeys = (object: object, keys: readonly string[], isArray: boolean): Problem | undefined => {
    for (const key of keys) {
      const segment = isArray ? `[${key}]` : IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
      path.push(segment);
      const { value, failure } = read(object, key);
      const found = failure ?? visit(value);
      path.pop();
      if (found !== undefined) return found;
    }
    return undefined;
  };

  const visit = (value: unknown): Problem | undefined => {
    switch (typeof value) {
      case 'function':
        return problem('is a function', NOT_DATA);
      case 'symbol':
        return problem('is a symbol', NOT_DATA);
      case 'object':
        break;
      default:
        return undefined;
    }
    if (value === null) return undefined;
    const cycleAt = ancestors.indexOf(value);
    if (cycleAt >= 0) {
      const target = formatPath(path.slice(0, ancestorDepths[cycleAt]));
      return problem(`refers back to ${target === '' ? 'the record itself' : `field '${target}'`}`, 'cannot contain cycles');
    }
    if (value instanceof Date || value instanceof RegExp || value instanceof ArrayBuffer) return undefined;
    if (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer) return undefined;
    if (ArrayBuffer.isView(value)) {
      const tag = (value as unknown as Record<symbol, unknown>)[Symbol.toStringTag] ?? 'DataView';
      return typedArrayKind(tag) >= 0 ? undefined : problem(`is a ${String(tag)}`, `can carry these typed arrays only: ${TYPED_ARRAY_KINDS.join(', ')}`);
    }
    for (const [type, name] of NOT_DATA_TYPES) {
      if (type !== undefined && value instanceof type) return problem(`is a ${name}`, `must be data: a ${name} cannot travel between tasks`);
    }
    for (const [type, name] of BOXED_TYPES) {
      if (value instanceof type) return problem(`is a boxed ${name}`, `must hold a primitive ${name.toLowerCase()} instead`);
    }
    if (ancestors.length >= MAX_DEPTH) return problem(`nests deeper than ${MAX_DEPTH} levels`, `nest at most ${MAX_DEPTH} levels of arrays, objects, Maps and Sets`);
    ancestors.push(value);
    ancestorDepths.push(path.length);
    let found: Problem | undefined;
    if (Array.isArray(value)) {
      const indices: string[] = [];
      for (const key of Object.keys(value)) {
        const index = Number(key);
        if (!Number.isInteger(index) || index >= value.length || String(index) !== key) break;
        indices.push(key);
      }
      found = visitKeys(value, indices, true);
    } else if (value instanceof Map) {
      let index = 0;
      for (const [key, entry] of value) {
        found = visitChild(`{key #${index}}`, key) ?? visitChild(`{value #${index}}`, entry);
        if (found !== undefined) break;
        index++;
      }
    } else if (value instanceof Set) {
      let index = 0;
      for (const element of value) {
        found = visitChild(`{element #${index++}}`, element);
        if (found !== undefined) break;
      }
    } else if (value instanceof Error) {
      found = 'cause' in value ? visitChild('.cause', value.cause) : undefined;
    } else {
      found = visitKeys(value, Object.keys(value), false);
    }
    ancestors.pop();
    ancestorDepths.pop();
    return found;
  };

  return visit(root);
}

const NOT_DATA_TYPES: readonly (readonly [(abstract new (...args: never[]) => object) | undefined, string])[] = [
  [Promise, 'Promise'],
  [WeakMap, 'WeakMap'],
  [WeakSet, 'WeakSet'],
  [typeof WeakRef === 'function' ? WeakRef : undefined, 'WeakRef'],
];

const BOXED_TYPES: readonly (readonly [abstract new (...args: never[]) => object, string])[] = [
  [Number, 'Number'],
  [String, 'String'],
  [Boolean, 'Boolean'],
];

/** `user.tags[2]`; very long paths keep their start and end. */
function formatPath(segments: readonly string[]): string {
  let text = segments.join('');
  if (text.startsWith('.')) text = text.slice(1);
  return text.length <= 200 ? text : `${text.slice(0, 100)}…${text.slice(-80)}`;
}
