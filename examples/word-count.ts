/**
 * WordCount over a text file: the "hello world" of stream processing, as in Flink's examples.
 *
 * Shows: readTextFile (the file is split by byte ranges and read in parallel), flatMap into
 * [word, 1] tuples, keyBy on the word (every occurrence of a word reaches the same subtask), and a
 * running sum per key. Like Flink's DataStream WordCount, it emits the count of a word each time
 * the word appears: 'eddy' appearing three times gives ['eddy', 1], ['eddy', 2], ['eddy', 3].
 *
 * Arguments: [input] [output]
 *   input    text file to count; default examples/data/river.txt. `eddy run` makes a relative
 *            path absolute against its own working directory when the file is there (run from the
 *            repository root), else each TaskManager reads it relative to its working directory (in
 *            the Docker image, /opt/eddy). On a cluster elsewhere, give a path that exists on every
 *            TaskManager.
 *   output   'print' (default): one line per record on the TaskManagers' stdout;
 *            'collect': records are sent back to the client that submitted the job;
 *            any other value: a file (parallelism 1) or directory of part files, written when the
 *            job finishes.
 *
 * Run, from the repository root after `npm run build`:
 *   npx eddy run --local examples/word-count.ts                          (in this process)
 *   npx eddy run -m localhost:6123 examples/word-count.ts                (on a running cluster)
 *   npx eddy run -m localhost:6123 examples/word-count.ts /data/book.txt /tmp/counts
 */
import type { Collector, JobMain } from '@eddy/api';

const DEFAULT_INPUT = 'examples/data/river.txt';

/** Lower-cased words of a line, split at every run of characters that are not letters, digits or '_'. */
function tokenize(line: string, out: Collector<[string, number]>): void {
  for (const word of line.toLowerCase().split(/\W+/)) {
    if (word !== '') out.collect([word, 1]);
  }
}

const wordCount: JobMain = (env, args) => {
  const [input = DEFAULT_INPUT, output = 'print'] = args;
  env.setJobName('WordCount').setParallelism(2);

  const counts = env
    .readTextFile(input)
    .flatMap(tokenize)
    .name('Tokenizer')
    .keyBy(([word]) => word)
    .sum(1)
    .name('Counter');

  if (output === 'print') counts.print();
  else if (output === 'collect') counts.collect();
  else counts.writeAsText(output);
};
export default wordCount;
