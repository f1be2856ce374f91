import type { Collector, FilterFunction, MapFunction } from '../../functions.js';
import { AbstractStreamOperator, TimestampedCollector, type OperatorContext, type Output } from './stream-operator.js';

/** map (Flink's StreamMap). */
export class StreamMap extends AbstractStreamOperator {
  constructor(
    private readonly mapper: MapFunction<unknown, unknown>,
    output: Output,
  ) {
    super(output);
  }
  collect(record: unknown, timestamp: number): void {
    const mapper = this.mapper;
    this.output.collect(mapper(record), timestamp);
  }
}

/** A flatMap function of either form: it collects through its second argument, or returns an iterable. */
export type FlatMapOrIterable = (value: unknown, out: Collector<unknown>) => unknown;

/**
 * flatMap (Flink's StreamFlatMap): the function gets the next operator as its Collector, and what
 * it returns, when it returns an iterable, is emitted too (Flink's Scala and Python flatMap). Per
 * record that costs one comparison for the collector form and one Array.isArray for arrays.
 */
export class StreamFlatMap extends AbstractStreamOperator {
  private operatorName = 'Flat Map';
  /** What the function collects into: the output, with the input record's timestamp. */
  private readonly collector: TimestampedCollector;

  constructor(
    private readonly flatMapper: FlatMapOrIterable,
    output: Output,
  ) {
    super(output);
    this.collector = new TimestampedCollector(output);
  }

  override open(context: OperatorContext): void {
    this.operatorName = context.operatorName;
  }

  collect(record: unknown, timestamp: number): void {
    const flatMapper = this.flatMapper;
    const collector = this.collector;
    collector.timestamp = timestamp;
    const result = flatMapper(record, collector as Collector<unknown>);
    if (result === undefined) return;
    if (Array.isArray(result)) {
      const output = this.output;
      for (let i = 0; i < result.length; i++) output.collect(result[i], timestamp);
    } else {
      this.emitIterable(result, timestamp);
    }
  }

  private emitIterable(result: unknown, timestamp: number): void {
    if (typeof result === 'object' && result !== null && typeof (result as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') {
      for (const element of result as Iterable<unknown>) this.output.collect(element, timestamp);
      return;
    }
    throw new TypeError(
      typeof result === 'string'
        ? `The function of '${this.operatorName}' returned a string (${preview(result)}); a flatMap function returns its records as an iterable ` +
            "(an array, a Set, a generator) or collects them through its second argument. Return [s] to emit the string as one record, or [...s] for its characters."
        : `The function of '${this.operatorName}' returned ${describeValue(result)}, which is neither undefined nor iterable; a flatMap function returns its records ` +
            'as an iterable (an array, a Set, a generator) or collects them through its second argument and returns nothing.',
    );
  }
}

function preview(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof (value as { then?: unknown }).then === 'function') return 'a promise (operator functions run synchronously: an async function cannot be one)';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value)})`;
  if (typeof value === 'function') return 'a function';
  return `a ${typeof value} (${String(value)})`;
}

/** filter (Flink's StreamFilter). */
export class StreamFilter extends AbstractStreamOperator {
  constructor(
    private readonly predicate: FilterFunction<unknown>,
    output: Output,
  ) {
    super(output);
  }
  collect(record: unknown, timestamp: number): void {
    const predicate = this.predicate;
    if (predicate(record)) this.output.collect(record, timestamp);
  }
}
