/**
 * Compile-time test of flatMap's overloads: `npm run build` (tsc) fails if an inferred type below is
 * not the expected one, or if a call marked @ts-expect-error compiles. Nothing here runs.
 */
import type { Collector, DataStream, FlatMapFunction, SingleOutputStreamOperator } from '../../src/index.js';

/** True when A and B are the same type (not merely assignable to each other). */
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | undefined {
  return undefined;
}

export function flatMapTypes(lines: DataStream<string>): void {
  // Returning an array: its element type is the output type.
  const words = lines.flatMap((line) => line.split(' '));
  expectType<Equal<typeof words, SingleOutputStreamOperator<string>>>();

  // Returning tuples, a Set, a generator.
  const pairs = lines.flatMap((line) => line.split(' ').map((word): [string, number] => [word, 1]));
  expectType<Equal<typeof pairs, SingleOutputStreamOperator<[string, number]>>>();
  const lengths = lines.flatMap((line) => new Set(line.split(' ').map((word) => word.length)));
  expectType<Equal<typeof lengths, SingleOutputStreamOperator<number>>>();
  const generated = lines.flatMap(function* (line) {
    for (const word of line.split(' ')) yield { word };
  });
  expectType<Equal<typeof generated, SingleOutputStreamOperator<{ word: string }>>>();

  // The collector form infers its output from the collector's type.
  const collected = lines.flatMap((line: string, out: Collector<[string, number]>) => {
    for (const word of line.split(' ')) out.collect([word, 1]);
  });
  expectType<Equal<typeof collected, SingleOutputStreamOperator<[string, number]>>>();
  const tokenize: FlatMapFunction<string, string> = (line, out) => {
    for (const word of line.split(' ')) out.collect(word);
  };
  const tokens = lines.flatMap(tokenize);
  expectType<Equal<typeof tokens, SingleOutputStreamOperator<string>>>();
  const expression = lines.flatMap((line: string, out: Collector<number>) => out.collect(line.length));
  expectType<Equal<typeof expression, SingleOutputStreamOperator<number>>>();

  // A string is not a collection of records, nor is a number.
  // @ts-expect-error returns a string
  lines.flatMap((line) => line.toUpperCase());
  // @ts-expect-error returns a number
  lines.flatMap((line) => line.length);
  // @ts-expect-error a collector function that returns something
  lines.flatMap((line: string, out: Collector<string>) => line.length > 0 && out.collect(line));
}
