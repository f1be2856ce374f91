// WordCount over a few lines given in the job, sent back to the client by collect().
import type { Collector, JobMain } from '@eddy/api';

const main: JobMain = (env) => {
  env
    .fromElements('to be or not to be', 'that is the question')
    .flatMap((line: string, out: Collector<[string, number]>) => {
      for (const word of line.split(' ')) out.collect([word, 1]);
    })
    .keyBy(([word]) => word)
    .sum(1)
    .collect();
};
export default main;
