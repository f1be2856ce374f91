// The lines of a text file (args[0]) sent back to the client by collect(); one subtask.
import type { JobMain } from '@eddy/api';

const main: JobMain = (env, args) => {
  env.setParallelism(1);
  env.readTextFile(args[0] ?? 'lines.txt').collect();
};
export default main;
