// WordCount over a text file: args [input, output, parallelism]. Writes [word, count] for every word
// seen, the running count per word, so each word's counts must read 1, 2, ..., n.
import type { Collector, JobMain } from '@eddy/api';

const main: JobMain = (env, args) => {
  const [input, output, parallelism] = args;
  env.setParallelism(Number(parallelism ?? '1'));
  env
    .readTextFile(input as string)
    .flatMap((line: string, out: Collector<[string, number]>) => {
      for (const word of line.split(' ')) if (word !== '') out.collect([word, 1]);
    })
    .keyBy(([word]) => word)
    .sum(1)
    .writeAsText(output as string);
};
export default main;
