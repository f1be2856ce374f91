import type { ReduceFunction } from './functions.js';

/** A field to aggregate: a property name of an object record, an index of a tuple (array) record. */
export type AggregationField<T> = T extends readonly unknown[] ? number : T extends object ? keyof T & string : never;

export type AggregationKind = 'sum' | 'min' | 'max' | 'minBy' | 'maxBy';

type Fields = Record<string | number, unknown>;

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
  if (typeof field !== 'string' && !(Number.isInteger(field) && field >= 0)) {
    throw new TypeError(`${kind} needs a property name or a tuple index, got ${String(field)}`);
  }
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
  if (Array.isArray(record)) {
    const copy = record.slice();
    copy[field as number] = value;
    return copy;
  }
  if (record === null || typeof record !== 'object') throw new TypeError(`cannot aggregate field ${JSON.stringify(field)} of a ${typeof record}`);
  const copy = Object.assign(Object.create(Object.getPrototypeOf(record) as object) as object, record) as Fields;
  copy[field] = value;
  return copy;
}
