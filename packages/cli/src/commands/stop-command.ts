/**
 * `eddy stop <jobId> [--savepointPath dir] [--drain]`: Flink's stop-with-savepoint. The sources
 * stop, a final savepoint is taken, every task finishes (exactly-once sinks commit the savepoint)
 * and the job ends FINISHED; prints `Savepoint completed. Path: <path>`. If the savepoint fails the
 * command says why, and the job fails over and runs on from its latest checkpoint.
 */
import { Command } from 'commander';
import type { JobClient } from '@eddy/client';
import { formatDuration } from '@eddy/common';
import { isGloballyTerminal, type JobStatus } from '@eddy/runtime';
import { CliError } from '../cli-error.js';
import { printJson, printText } from '../output/print.js';
import { addClientFlags, withJobClient, type ClientFlags } from './client-flags.js';
import { jobIdArgument } from './job-id-argument.js';
import { pathForJobManager } from './path-argument.js';
import { savepointTimeoutOption } from './savepoint-command.js';

interface StopFlags extends ClientFlags {
  readonly savepointPath?: string;
  readonly drain?: boolean;
  /** ms */
  readonly timeout: number;
}

export function stopCommand(): Command {
  const command = new Command('stop')
    .description('stop a running job with a savepoint (sources stop, a final savepoint, then FINISHED) and print its path')
    .addArgument(jobIdArgument())
    .option('-p, --savepointPath <directory>', 'directory to create the savepoint in (default: state.savepoints.dir of the cluster)')
    .option('-d, --drain', 'emit the end-of-time watermark before the savepoint, so every event-time window fires (without it, open windows stay in the savepoint)')
    .addOption(savepointTimeoutOption('how long to wait for the savepoint and the job to finish, e.g. 10min'));
  addClientFlags(command, { json: true });
  return command.action(async (jobId: string, flags: StopFlags) => {
    if (flags.json !== true) process.stderr.write(`Stopping job ${jobId} with a savepoint${flags.drain === true ? ' (drain)' : ''}; waiting up to ${formatDuration(flags.timeout)} (--timeout)\n`);
    const { path, status } = await withJobClient(flags, (client) => stopAndWait(client, jobId, flags));
    if (flags.json === true) printJson({ savepointPath: path, status });
    else printText(`Savepoint completed. Path: ${path}\nJob ${jobId} is ${status}. Resume it with \`eddy run -s ${path} <job file>\`.`);
  });
}

/** Stops the job and waits, within the timeout, for its terminal status. */
async function stopAndWait(client: JobClient, jobId: string, flags: StopFlags): Promise<{ path: string; status: string }> {
  const { status } = await client.requestJob(jobId);
  if (isGloballyTerminal(status as JobStatus)) throw new CliError(`Job ${jobId} has already ended: it is ${status}; there is nothing to stop`);
  const started = Date.now();
  const targetDirectory = flags.savepointPath === undefined ? {} : { targetDirectory: pathForJobManager(flags.savepointPath) };
  const path = await client.stopWithSavepoint(jobId, { ...targetDirectory, drain: flags.drain === true, timeoutMs: flags.timeout });
  const followed = client.followJob(jobId, () => undefined);
  followed.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const left = Math.max(1_000, flags.timeout - (Date.now() - started));
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CliError(`The savepoint ${path} completed, but job ${jobId} did not finish within ${formatDuration(left)}; see \`eddy status ${jobId}\``)), left);
  });
  try {
    const terminal = await Promise.race([followed, timedOut]);
    return { path, status: terminal.to };
  } finally {
    clearTimeout(timer);
  }
}
