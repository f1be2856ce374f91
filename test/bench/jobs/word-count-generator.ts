// bench:throughput's WordCount-like job: args [lines, parallelism].
// generator source (lines) -> flatMap (split) -> keyBy(word) -> sum -> discarding sink.
import type { Collector, JobMain, Sink, StreamExecutionEnvironment } from '@eddy/api';
import { benchLine } from './bench-text.js';

class DiscardingSink<T> implements Sink<T> {
  invoke(): void {}
}

/** The pipeline, for the jobs that measure it (bench:checkpoint adds checkpoints to it). */
export function wordCount(env: StreamExecutionEnvironment, lines: number): void {
  env
    .fromGenerator(lines, benchLine)
    .flatMap((line: string, out: Collector<[string, number]>) => {
      for (const word of line.split(' ')) out.collect([word, 1]);
    })
    .keyBy((pair) => pair[0])
    .sum(1)
    .addSink(new DiscardingSink());
}

const main: JobMain = (env, args) => {
  env.setParallelism(Number(args[1] ?? '2'));
  wordCount(env, Number(args[0]));
};
export default main;
