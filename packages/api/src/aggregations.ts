import type { ReduceFunction } from './functions.js';

/** A field to aggregate: a property name of an object record, an index of a tuple (array) record. */
export type AggregationField<T> = T extends readonly unknown[] ? number : T extends object ? keyof T & string : never;

export type AggregationKind = 'sum' | 'min' | 'max' | 'minBy' | 'maxBy';

export type Fields = Record<string | number, unknown>;

/**
 * sum/min/max of a field: updates `accumulator`, the operator's private copy of the key's first
 * record, in place. Returns false when the record holds no number there.
 */
export type FieldAggregator = (accumulator: Fields, record: Fields) => void;

export function fieldAggregator(kind: 'sum' | 'min' | 'max', field: string | number): FieldAggregator {
  checkField(kind, field);
  switch (kind) {
    case 'sum':
      return (acc, record) => {
        acc[field] = number(acc[field], kind, field) + number(record[field], kind, field);
      };
    case 'min':
      return (acc, record) => {
        const value = number(record[field], kind, field);
        if (value < number(acc[field], kind, field)) acc[field] = value;
      };
    case 'max':
      return (acc, record) => {
        const value = number(record[field], kind, field);
        if (value > number(acc[field], kind, field)) acc[field] = value;
      };
  }
}

/** A shallow copy of a tuple or object record (its prototype kept). */
export function copyRecord(record: unknown): unknown {
  if (Array.isArray(record)) return record.slice();
  if (record === null || typeof record !== 'object') throw new TypeError(`cannot aggregate a field of a ${record === null ? 'null' : typeof record} record`);
  const proto = Object.getPrototypeOf(record) as object | null;
  if (proto === Object.prototype) return { ...record };
  return Object.assign(Object.create(proto) as object, record);
}

function checkField(kind: string, field: string | number): void {
  if (typeof field !== 'string' && !(Number.isInteger(field) && field >= 0)) {
    throw new TypeError(`${kind} needs a property name or a tuple index, got ${String(field)}`);
  }
}

/**
 * The reduce function behind sum/min/max/minBy/maxBy (Flink's SumAggregator and
 * ComparableAggregator). sum/min/max return a copy of the running aggregate with the field updated,
 * so a record already emitted is never changed; an unchanged min or max returns the aggregate itself.
 */
export function aggregation(kind: AggregationKind, field: string | number | undefined): ReduceFunction<unknown> {
  if (field === undefined) {
    switch (kind) {
      case 'sum':
        return (a, b) => (number(a, kind, field) + number(b, kind, field));
      case 'min':
      case 'minBy':
        return (a, b) => (number(b, kind, field) < number(a, kind, field) ? b : a);
      case 'max':
      case 'maxBy':
        return (a, b) => (number(b, kind, field) > number(a, kind, field) ? b : a);
    }
  }
  checkField(kind, field);
  switch (kind) {
    case 'sum':
      return (a, b) => withField(a, field, number((a as Fields)[field], kind, field) + number((b as Fields)[field], kind, field));
    case 'min':
      return (a, b) => {
        const current = number((a as Fields)[field], kind, field);
        const next = number((b as Fields)[field], kind, field);
        return next < current ? withField(a, field, next) : a;
      };
    case 'max':
      return (a, b) => {
        const current = number((a as Fields)[field], kind, field);
        const next = number((b as Fields)[field], kind, field);
        return next > current ? withField(a, field, next) : a;
      };
    case 'minBy':
      return (a, b) => (number((b as Fields)[field], kind, field) < number((a as Fields)[field], kind, field) ? b : a);
    case 'maxBy':
      return (a, b) => (number((b as Fields)[field], kind, field) > number((a as Fields)[field], kind, field) ? b : a);
  }
}

function number(value: unknown, kind: string, field: string | number | undefined): number {
  if (typeof value !== 'number') {
    const where = field === undefined ? 'a record' : `field ${JSON.stringify(field)}`;
    throw new TypeError(`${kind}(${field === undefined ? '' : JSON.stringify(field)}): ${where} holds ${value === null ? 'null' : typeof value}, not a number`);
  }
  return value;
}

function withField(record: unknown, field: string | number, value: number): unknown {
  const copy = copyRecord(record) as Fields;
  copy[field] = value;
  return copy;
}
