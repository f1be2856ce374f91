/**
 * Streaming WordCount over a TCP socket: counts the words of lines as they arrive, and keeps going
 * until the job is canceled (like Flink's SocketWindowWordCount, without the windows: the counts
 * run from the job's start instead of per five seconds).
 *
 * Shows: an unbounded source (socketTextStream connects to a server and reads lines from it),
 * keyBy and a running sum per word. Every word that arrives produces its updated count at once:
 * typing "to be or not to be" gives [to, 1] [be, 1] [or, 1] [not, 1] [to, 2] [be, 2].
 *
 * Arguments: [host] [port] [output]
 *   host, port   the server to read from; default localhost 9999. The TaskManager that runs the
 *                source connects to it, so it must be reachable from there.
 *   output       'print' (default): the counts on the TaskManagers' stdout;
 *                'collect': sent back to the client that submitted the job.
 * The job ends when the server closes the connection; until then, cancel it (`eddy cancel <jobId>`).
 *
 * Run, from the repository root after `npm run build`, with a server to type into:
 *   nc -lk 9999                                                                    (first terminal)
 *   npx eddy run --local examples/socket-word-count.ts                            (second terminal)
 *   npx eddy run -m localhost:6123 examples/socket-word-count.ts localhost 9999   (on a cluster)
 */
import type { Collector, JobMain } from '@eddy/api';

const socketWordCount: JobMain = (env, args) => {
  const [host = 'localhost', port = '9999', output = 'print'] = args;
  const portNumber = Number(port);
  if (!Number.isInteger(portNumber)) throw new Error(`The port must be a number from 1 to 65535, got '${port}'`);
  if (output !== 'print' && output !== 'collect') throw new Error(`The output must be 'print' or 'collect', got '${output}'`);
  env.setJobName(`Socket WordCount (${host}:${port})`).setParallelism(2);

  const counts = env
    .socketTextStream(host, portNumber)
    .flatMap((line: string, out: Collector<[string, number]>) => {
      for (const word of line.toLowerCase().split(/\W+/)) if (word !== '') out.collect([word, 1]);
    })
    .name('Tokenizer')
    .keyBy(([word]) => word)
    .sum(1)
    .name('Counter');

  if (output === 'print') counts.print();
  else counts.collect();
};
export default socketWordCount;
