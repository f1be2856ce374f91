import type { Collector, FilterFunction, FlatMapFunction, MapFunction } from '../../functions.js';
import { AbstractStreamOperator, type Output } from './stream-operator.js';

/** map (Flink's StreamMap). */
export class StreamMap extends AbstractStreamOperator {
  constructor(
    private readonly mapper: MapFunction<unknown, unknown>,
    output: Output,
  ) {
    super(output);
  }
  collect(record: unknown): void {
    const mapper = this.mapper;
    this.output.collect(mapper(record));
  }
}

/** flatMap (Flink's StreamFlatMap): the function gets the next operator as its Collector. */
export class StreamFlatMap extends AbstractStreamOperator {
  constructor(
    private readonly flatMapper: FlatMapFunction<unknown, unknown>,
    output: Output,
  ) {
    super(output);
  }
  collect(record: unknown): void {
    const flatMapper = this.flatMapper;
    flatMapper(record, this.output as Collector<unknown>);
  }
}

/** filter (Flink's StreamFilter). */
export class StreamFilter extends AbstractStreamOperator {
  constructor(
    private readonly predicate: FilterFunction<unknown>,
    output: Output,
  ) {
    super(output);
  }
  collect(record: unknown): void {
    const predicate = this.predicate;
    if (predicate(record)) this.output.collect(record);
  }
}
