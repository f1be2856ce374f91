// bench:throughput's WordCount-like job: args [lines, parallelism].
// generator source (lines) -> flatMap (split) -> keyBy(word) -> sum -> discarding sink.
import type { Collector, JobMain, Sink } from '@eddy/api';
import { benchLine } from './bench-text.js';

class DiscardingSink<T> implements Sink<T> {
  invoke(): void {}
}

const main: JobMain = (env, args) => {
  const lines = Number(args[0]);
  env.setParallelism(Number(args[1] ?? '2'));
  env
    .fromGenerator(lines, benchLine)
    .flatMap((line: string, out: Collector<[string, number]>) => {
      for (const word of line.split(' ')) out.collect([word, 1]);
    })
    .keyBy((pair) => pair[0])
    .sum(1)
    .addSink(new DiscardingSink());
};
export default main;
