/**
 * `eddy logs <jobId>`: one job's state transitions and failures as the JobManager recorded them
 * (the Dispatcher's job event log), in the lines `eddy run` prints. Without --follow it prints
 * what is recorded so far and exits; with --follow it goes on until the job has ended.
 */
import { Command } from 'commander';
import { JobEventStreamEndedError } from '@eddy/client';
import { isGloballyTerminal, type JobStatus } from '@eddy/runtime';
import { userFacingError } from './cli-errors.js';
import { jobIdArgument } from './job-id-argument.js';
import { addClientFlags, withJobClient, type ClientFlags } from './client-flags.js';
import { formatJobEvent, RestartHistory } from './job-event-format.js';

interface LogsFlags extends ClientFlags {
  readonly follow?: boolean;
}

export function logsCommand(): Command {
  const command = new Command('logs')
    .description("print a job's state transitions and failures as the JobManager recorded them")
    .addArgument(jobIdArgument())
    .option('-f, --follow', 'keep printing new events until the job has ended');
  addClientFlags(command, { json: true });
  command.addHelpText('after', '\nWith --json, each event is one JSON object per line (the JobEvent as the JobManager sends it).\n');
  return command.action(async (jobId: string, flags: LogsFlags) => {
    try {
      await withJobClient(flags, async (client) => {
        // Asked first: it names the job in its status lines, and an unknown id fails here clearly.
        const { name, status } = await client.requestJob(jobId);
        let lastStatus = status;
        const restarts = new RestartHistory();
        for await (const event of client.jobEvents(jobId, { follow: flags.follow === true })) {
          if (event.kind === 'job') lastStatus = event.to;
          process.stdout.write(flags.json === true ? `${JSON.stringify(event)}\n` : formatJobEvent(event, name, restarts).map((line) => `${line}\n`).join(''));
        }
        // Following, the stream ends after the job's terminal status, or early when the JobManager stops.
        if (flags.follow === true && !isGloballyTerminal(lastStatus as JobStatus)) throw new JobEventStreamEndedError(jobId, client.jobManagerAddress, lastStatus);
      });
    } catch (error) {
      throw userFacingError(error);
    }
  });
}
