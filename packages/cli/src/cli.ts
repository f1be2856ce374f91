/** The `eddy` command line. */
import { Command } from 'commander';
import { jobManagerCommand } from './commands/jobmanager-command.js';
import { logsCommand } from './commands/logs-command.js';
import { runCommand } from './commands/run-command.js';
import { taskManagerCommand } from './commands/taskmanager-command.js';

export function createProgram(): Command {
  return new Command('eddy')
    .description('Eddy: a stream-processing cluster for TypeScript, built the way Apache Flink is built')
    .addCommand(jobManagerCommand())
    .addCommand(taskManagerCommand())
    .addCommand(runCommand())
    .addCommand(logsCommand());
}

/** Runs the CLI; a failure prints a short message on stderr and exits non-zero. */
export async function runCli(argv: readonly string[]): Promise<void> {
  try {
    await createProgram().parseAsync([...argv]);
  } catch (error) {
    const verbose = argv.includes('--verbose');
    process.stderr.write(`eddy: ${verbose && error instanceof Error ? (error.stack ?? error.message) : error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
