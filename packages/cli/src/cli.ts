/** The `eddy` command line. */
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { cancelCommand } from './commands/cancel-command.js';
import { savepointCommand } from './commands/savepoint-command.js';
import { stopCommand } from './commands/stop-command.js';
import { updateCommand } from './commands/update-command.js';
import { checkpointsCommand } from './commands/checkpoints-command.js';
import { infoCommand } from './commands/info-command.js';
import { initCommand } from './commands/init-command.js';
import { jobManagerCommand } from './commands/jobmanager-command.js';
import { listCommand } from './commands/list-command.js';
import { logsCommand } from './commands/logs-command.js';
import { runCommand } from './commands/run-command.js';
import { statusCommand } from './commands/status-command.js';
import { taskManagerCommand } from './commands/taskmanager-command.js';
import { taskManagersCommand } from './commands/taskmanagers-command.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export function createProgram(): Command {
  const program = new Command('eddy')
    .description('Eddy: a stream-processing cluster for TypeScript, built the way Apache Flink is built')
    .version(version, '-V, --version', 'print the version of eddy')
    .addCommand(jobManagerCommand())
    .addCommand(taskManagerCommand())
    .addCommand(runCommand())
    .addCommand(listCommand())
    .addCommand(statusCommand())
    .addCommand(checkpointsCommand())
    .addCommand(cancelCommand())
    .addCommand(savepointCommand())
    .addCommand(stopCommand())
    .addCommand(updateCommand())
    .addCommand(infoCommand())
    .addCommand(initCommand())
    .addCommand(logsCommand())
    .addCommand(taskManagersCommand());
  // Commander reports a bad flag or a missing argument in one line and exits 1; say where the usage is.
  for (const command of [program, ...program.commands]) {
    command.showHelpAfterError(`(\`${command === program ? 'eddy' : `eddy ${command.name()}`} --help\` shows the usage)`);
  }
  return program;
}

/** Runs the CLI; a failure prints a short message on stderr and exits non-zero. */
export async function runCli(argv: readonly string[]): Promise<void> {
  try {
    await createProgram().parseAsync([...argv]);
  } catch (error) {
    process.stderr.write(`eddy: ${argv.includes('--verbose') ? verboseReport(error) : error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

/** With --verbose: the error's stack, then each cause's ("Caused by: ..."), as Java prints them. */
export function verboseReport(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  for (let current: unknown = error; current !== undefined && !seen.has(current); current = current instanceof Error ? current.cause : undefined) {
    seen.add(current);
    const text = current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current);
    parts.push(parts.length === 0 ? text : `Caused by: ${text}`);
  }
  return parts.join('\n');
}
