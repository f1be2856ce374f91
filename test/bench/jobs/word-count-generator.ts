// bench:throughput's WordCount-like job: args [lines, parallelism, 'timestamps'?].
// generator source (lines) -> flatMap (split) -> keyBy(word) -> sum -> discarding sink. With
// 'timestamps', the source gives every line an event timestamp (a counter, so monotonous) and
// watermarks: every word then carries a timestamp across the keyBy exchange.
import { WatermarkStrategy, type Collector, type JobMain, type Sink, type StreamExecutionEnvironment } from '@eddy/api';
import { benchLine } from './bench-text.js';

class DiscardingSink<T> implements Sink<T> {
  invoke(): void {}
}

/** The pipeline, for the jobs that measure it (bench:checkpoint adds checkpoints to it). */
export function wordCount(env: StreamExecutionEnvironment, lines: number, timestamps = false): void {
  let source = env.fromGenerator(lines, benchLine);
  if (timestamps) {
    let time = 0;
    source = source.assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<string>().withTimestampAssigner(() => time++));
  }
  source
    .flatMap((line: string, out: Collector<[string, number]>) => {
      for (const word of line.split(' ')) out.collect([word, 1]);
    })
    .keyBy((pair) => pair[0])
    .sum(1)
    .addSink(new DiscardingSink());
}

const main: JobMain = (env, args) => {
  env.setParallelism(Number(args[1] ?? '2'));
  wordCount(env, Number(args[0]), args[2] === 'timestamps');
};
export default main;
