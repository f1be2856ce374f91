/**
 * `eddy update <jobId> <job-file> [job-args...] [-p N]`: replaces a running job's code without
 * losing its state, in one command (updateJob in @eddy/client): the new code is bundled, planned
 * and checked against the job's state before anything happens to the job; an incompatible change
 * is refused with the list, the job untouched. Otherwise the job stops with a savepoint and the
 * new code starts from it; the command prints the new job's id and the gap in processing.
 */
import { Command } from 'commander';
import { IncompatibleUpdateError, prepareJobFile, UpdateFailedAfterStopError, updateJob, type PreparedJob } from '@eddy/client';
import { CliError } from '../cli-error.js';
import { printJson, printText } from '../output/print.js';
import { addTypecheckFlag, typeCheckOrRefuse, type TypecheckFlags } from '../typecheck/typecheck-flag.js';
import { userFacingError } from './cli-errors.js';
import { addClientFlags, clientConfiguration, withJobClient, type ClientFlags } from './client-flags.js';
import { jobIdArgument } from './job-id-argument.js';
import { parseParallelism, submitOptionsFrom } from './job-submit-options.js';
import { pathForJobManager } from './path-argument.js';
import { savepointTimeoutOption } from './savepoint-command.js';

interface UpdateFlags extends ClientFlags, TypecheckFlags {
  readonly parallelism?: number;
  readonly name?: string;
  readonly savepointPath?: string;
  readonly allowNonRestoredState?: boolean;
  /** ms */
  readonly timeout: number;
}

export function updateCommand(): Command {
  const command = new Command('update')
    .description("replace a running job's code, keeping its state: check the new code against the state, stop with a savepoint, start the new code from it")
    .addArgument(jobIdArgument())
    .argument('<job-file>', 'the new code: a module whose default export builds the pipeline')
    .argument('[job-args...]', "arguments for the job's main function; put them after -- when they start with -")
    .option('-p, --parallelism <n>', 'parallelism of the operators that set none (default: what the new code or the cluster says)', parseParallelism)
    .option('-n, --name <name>', 'name of the new job (default: the name the job gives itself)')
    .option('--savepointPath <directory>', 'directory to create the savepoint in (default: state.savepoints.dir of the cluster)')
    .option('--allowNonRestoredState', 'drop the state of operators (uids) the new code no longer has, instead of refusing the update')
    .addOption(savepointTimeoutOption('how long each step may take (savepoint, start of the new job), e.g. 10min'));
  addTypecheckFlag(command);
  addClientFlags(command, { json: true });
  command.addHelpText(
    'after',
    `
Nothing happens to the running job until the new code has been bundled, planned and checked
against the job's state (its latest checkpoint: operator uids, state names, kinds and types, max
parallelism); a change that does not fit is refused with the list, and the job keeps running.

Examples:
  eddy update 3f2a...e1 counter-v2.ts              keeps counting where v1 was
  eddy update 3f2a...e1 counter-v2.ts -p 4         and rescales to 4
`,
  );
  return command.action(async (jobId: string, jobFile: string, jobArgs: string[], flags: UpdateFlags) => {
    const result = await update(jobId, jobFile, jobArgs, flags).catch((error: unknown) => {
      throw error instanceof IncompatibleUpdateError || error instanceof UpdateFailedAfterStopError ? new CliError(error.message) : userFacingError(error);
    });
    if (flags.json === true) {
      printJson({ oldJobId: result.oldJobId, jobId: result.newJobId, savepointPath: result.savepointPath, gapMs: result.gapMs, migrations: result.check.migrations, checkedAtRestore: result.check.checkedAtRestore });
      return;
    }
    printText(
      [
        `Savepoint completed. Path: ${result.savepointPath}`,
        `Job ${result.oldJobId} is FINISHED; the new code runs as job ${result.newJobId}`,
        `Gap in processing: ${result.gapMs} ms (from the stop to every subtask of the new job running)`,
      ].join('\n'),
    );
  });
}

async function update(jobId: string, jobFile: string, jobArgs: string[], flags: UpdateFlags) {
  const { configuration } = clientConfiguration(flags);
  const say = (message: string): void => {
    if (flags.json !== true) process.stderr.write(`${message}\n`);
  };
  let prepared: PreparedJob | undefined;
  try {
    await typeCheckOrRefuse(jobFile, flags);
    prepared = await prepareJobFile(jobFile, submitOptionsFrom(jobArgs, { ...flags, detached: true }, configuration));
    const ready = prepared;
    const result = await withJobClient(flags, (client) =>
      updateJob(client, jobId, ready, {
        allowNonRestoredState: flags.allowNonRestoredState === true,
        ...(flags.savepointPath === undefined ? {} : { savepointDirectory: pathForJobManager(flags.savepointPath) }),
        timeoutMs: flags.timeout,
        onProgress: say,
      }),
    );
    for (const migration of result.check.migrations) say(`Restored as it was: ${migration}`);
    for (const state of result.check.checkedAtRestore) say(`Checked when the task restores it: ${state}`);
    return result;
  } finally {
    await prepared?.dispose();
  }
}
