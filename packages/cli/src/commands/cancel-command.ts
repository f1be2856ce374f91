/**
 * `eddy cancel <jobId>`: cancels a running job and waits (up to --timeout) until it is CANCELED.
 * A job that has already ended is reported with its status, and the command exits 1.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { JobClient } from '@eddy/client';
import { formatDuration, parseDuration } from '@eddy/common';
import { isGloballyTerminal, type JobStatus } from '@eddy/runtime';
import { CliError } from '../cli-error.js';
import { printText } from '../output/print.js';
import { addClientFlags, withJobClient, type ClientFlags } from './client-flags.js';
import { jobIdArgument } from './job-id-argument.js';

interface CancelFlags extends ClientFlags {
  /** ms */
  readonly timeout: number;
}

const DEFAULT_TIMEOUT = '30 s';

export function cancelCommand(): Command {
  const command = new Command('cancel')
    .description('cancel a running job and wait until it is CANCELED')
    .addArgument(jobIdArgument())
    .addOption(new Option('--timeout <duration>', 'how long to wait for the job to be CANCELED, e.g. 30s or 2min').default(parseDuration(DEFAULT_TIMEOUT), DEFAULT_TIMEOUT).argParser(parseTimeout));
  addClientFlags(command);
  return command.action(async (jobId: string, flags: CancelFlags) => {
    const name = await withJobClient(flags, (client) => cancelAndWait(client, jobId, flags.timeout));
    printText(`Canceled job ${jobId} ('${name}')`);
  });
}

function parseTimeout(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

/** What cancelAndWait needs of a JobClient. */
export type CancelingClient = Pick<JobClient, 'requestJob' | 'cancelJob' | 'followJob'>;

/** Resolves to the job's name once it is CANCELED; rejects with a CliError when it ended otherwise or took too long. */
export async function cancelAndWait(client: CancelingClient, jobId: string, timeoutMs: number): Promise<string> {
  const { name, status } = await client.requestJob(jobId);
  if (isGloballyTerminal(status as JobStatus)) throw alreadyEnded(jobId, status);
  try {
    await client.cancelJob(jobId);
  } catch (error) {
    // The job may have ended between the two calls; then say so rather than the Dispatcher's refusal.
    const now = await client.requestJob(jobId).catch(() => undefined);
    if (now !== undefined && isGloballyTerminal(now.status as JobStatus)) throw alreadyEnded(jobId, now.status);
    throw error;
  }

  let lastStatus = 'CANCELLING';
  const followed = client.followJob(jobId, (event) => {
    if (event.kind === 'job') lastStatus = event.to;
  });
  // Closing the client ends the stream after a timeout; nobody waits for it then.
  followed.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CliError(`Job ${jobId} is still ${lastStatus} ${formatDuration(timeoutMs)} after it was asked to cancel; see \`eddy status ${jobId}\`, or wait longer with --timeout`)),
      timeoutMs,
    );
  });
  try {
    const terminal = await Promise.race([followed, timedOut]);
    if (terminal.to !== 'CANCELED') throw new CliError(`Job ${jobId} ended ${terminal.to} while it was being canceled; \`eddy status ${jobId}\` shows why`);
    return name;
  } finally {
    clearTimeout(timer);
  }
}

function alreadyEnded(jobId: string, status: string): CliError {
  return new CliError(`Job ${jobId} has already ended: it is ${status}; there is nothing to cancel`);
}
