/**
 * `eddy savepoint <jobId> [targetDirectory]`: takes a savepoint of a running job (Flink's
 * `flink savepoint`) and prints `Savepoint completed. Path: <path>`; the job keeps running.
 * `eddy savepoint --dispose <path>` deletes a savepoint, which the JobManager checks is one.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_SAVEPOINT_TIMEOUT_MS } from '@eddy/client';
import { formatDuration, parseDuration } from '@eddy/common';
import { isJobId } from '@eddy/runtime';
import { CliError } from '../cli-error.js';
import { printJson, printText } from '../output/print.js';
import { addClientFlags, withJobClient, type ClientFlags } from './client-flags.js';
import { pathForJobManager } from './path-argument.js';

interface SavepointFlags extends ClientFlags {
  readonly dispose?: string;
  /** ms */
  readonly timeout: number;
}

export function savepointCommand(): Command {
  const command = new Command('savepoint')
    .description('take a savepoint of a running job (it keeps running), or delete one with --dispose')
    .argument('[job-id]', 'id of the job, as `eddy list` prints it')
    .argument('[target-directory]', 'directory to create the savepoint in (default: state.savepoints.dir of the cluster)')
    .option('-d, --dispose <savepointPath>', 'delete this savepoint (its directory or _metadata) instead')
    .addOption(savepointTimeoutOption('how long to wait for the savepoint to complete, e.g. 10min'));
  addClientFlags(command, { json: true });
  command.addHelpText(
    'after',
    `
Examples:
  eddy savepoint 3f2a...e1 /shared/savepoints       prints Savepoint completed. Path: /shared/savepoints/savepoint-3f2a..-...
  eddy savepoint --dispose /shared/savepoints/savepoint-3f2a01-5e6f7a8b9c0d
  eddy run -s /shared/savepoints/savepoint-3f2a01-5e6f7a8b9c0d job.ts    resume from it
`,
  );
  return command.action(async (jobId: string | undefined, targetDirectory: string | undefined, flags: SavepointFlags) => {
    if (flags.dispose !== undefined) {
      if (jobId !== undefined) throw new CliError('--dispose takes the savepoint path only; leave out the job id');
      const path = pathForJobManager(flags.dispose);
      await withJobClient(flags, (client) => client.disposeSavepoint(path));
      if (flags.json === true) printJson({ disposedSavepointPath: path });
      else printText(`Savepoint '${path}' disposed.`);
      return;
    }
    if (jobId === undefined) throw new CliError('name the job: `eddy savepoint <job-id> [target-directory]`, or delete a savepoint with --dispose <path>');
    const id = jobId.trim().toLowerCase();
    if (!isJobId(id)) throw new CliError(`'${jobId}' is not a job id: a job id is 32 hexadecimal characters, as \`eddy list\` prints them.`);
    const target = targetDirectory === undefined ? undefined : pathForJobManager(targetDirectory);
    if (flags.json !== true) {
      process.stderr.write(`Triggering savepoint for job ${id}; waiting up to ${formatDuration(flags.timeout)} for it to complete (--timeout)\n`);
    }
    const path = await withJobClient(flags, (client) => client.triggerSavepoint(id, target, { timeoutMs: flags.timeout }));
    if (flags.json === true) printJson({ savepointPath: path });
    else printText(`Savepoint completed. Path: ${path}\nResume from it with \`eddy run -s ${path} <job file>\`.`);
  });
}

/** --timeout of savepoint and stop: generous by default, savepoints of large state take long. */
export function savepointTimeoutOption(description: string): Option {
  return new Option('--timeout <duration>', description).default(DEFAULT_SAVEPOINT_TIMEOUT_MS, formatDuration(DEFAULT_SAVEPOINT_TIMEOUT_MS)).argParser(parseTimeout);
}

function parseTimeout(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}
