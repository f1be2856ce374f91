/**
 * `eddy logs <jobId>`: one job's state transitions and failures as the JobManager recorded them
 * (the Dispatcher's job event log), in the lines `eddy run` prints. Without --follow it prints
 * what is recorded so far and exits; with --follow it goes on until the job has ended.
 *
 * With --stdout it prints what the job's print() sinks wrote instead, as the TaskManagers that ran
 * them kept it (the end of it, per TaskManager; see printed-output.ts).
 */
import { Command } from 'commander';
import { JobEventStreamEndedError } from '@eddy/client';
import { isGloballyTerminal, type JobStatus } from '@eddy/runtime';
import { userFacingError } from './cli-errors.js';
import { jobIdArgument } from './job-id-argument.js';
import { addClientFlags, withJobClient, type ClientFlags } from './client-flags.js';
import { formatJobEvent, RestartHistory } from './job-event-format.js';
import { printedOutputOf, STDOUT_TAIL_BYTES } from './printed-output.js';

interface LogsFlags extends ClientFlags {
  readonly follow?: boolean;
  readonly stdout?: boolean;
}

export function logsCommand(): Command {
  const command = new Command('logs')
    .description("print a job's state transitions and failures as the JobManager recorded them")
    .addArgument(jobIdArgument())
    .option('-f, --follow', 'keep printing new events until the job has ended')
    .option('--stdout', `print what the job's print() sinks wrote, from the TaskManagers (the last ${STDOUT_TAIL_BYTES / 1024 / 1024} MiB per TaskManager)`);
  addClientFlags(command, { json: true });
  command.addHelpText(
    'after',
    "\nWith --json, each event is one JSON object per line (the JobEvent as the JobManager sends it); with --stdout, one object per TaskManager.\n" +
      "print() output: a TaskManager started with log.file (scripts/start-cluster.sh sets it) writes it to the .out file next to its log; one logging to stdout (a container) writes it there. Either way it keeps the end of each job's output for --stdout.\n",
  );
  return command.action(async (jobId: string, flags: LogsFlags) => {
    try {
      if (flags.stdout === true && flags.follow === true) throw new Error('--stdout prints what the job printed so far; it cannot go with --follow');
      await withJobClient(flags, async (client) => {
        if (flags.stdout === true) {
          await client.requestJob(jobId);
          const { text, problems, json } = await printedOutputOf(client, jobId);
          if (flags.json === true) process.stdout.write(json.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
          else process.stdout.write(text);
          if (problems.length > 0) process.stderr.write(problems.map((line) => `${line}\n`).join(''));
          return;
        }
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
