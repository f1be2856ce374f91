/** `eddy list [--all]`: the JobManager's running jobs, and with --all the ended ones it remembers. */
import { Command } from 'commander';
import type { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import { printJson, printText } from '../output/print.js';
import { formatTable } from '../output/table.js';
import { formatElapsed, formatTimestamp } from '../output/time-format.js';
import { addClientFlags, withJobClient, type ClientFlags } from './client-flags.js';

interface ListFlags extends ClientFlags {
  readonly all?: boolean;
}

/** One job as `eddy list --json` prints it. */
export interface ListedJob {
  readonly jobId: string;
  readonly name: string;
  readonly status: string;
  /** ms since the epoch. */
  readonly startTime: number;
  /** ms since the epoch; null while the job runs. */
  readonly endTime: number | null;
  /** Until now while the job runs. */
  readonly durationMs: number;
  /** How many subtasks are in each ExecutionState (current attempts). */
  readonly tasks: Readonly<Record<string, number>>;
}

export function listCommand(): Command {
  const command = new Command('list')
    .description('list the running jobs (and with --all the ended ones the JobManager remembers)')
    .option('-a, --all', 'also list finished, failed and canceled jobs');
  addClientFlags(command, { json: true });
  return command.action(async (flags: ListFlags) => {
    const summaries = await withJobClient(flags, (client) => client.listJobs(flags.all === true));
    const jobs = listedJobs(summaries, Date.now());
    if (flags.json === true) printJson(jobs);
    else printText(renderJobList(jobs, flags.all === true));
  });
}

/** Oldest first, as Flink lists them. */
export function listedJobs(summaries: readonly dispatcher.JobSummary[], now: number): ListedJob[] {
  return [...summaries]
    .sort((a, b) => a.startTime - b.startTime)
    .map((job) => ({
      jobId: job.jobId,
      name: job.name,
      status: job.status,
      startTime: job.startTime,
      endTime: job.endTime > 0 ? job.endTime : null,
      durationMs: (job.endTime > 0 ? job.endTime : now) - job.startTime,
      tasks: job.tasksPerState,
    }));
}

export function renderJobList(jobs: readonly ListedJob[], all: boolean): string {
  if (jobs.length === 0) return all ? 'No jobs' : 'No running jobs (`eddy list --all` shows ended ones too)';
  return formatTable(
    [{ header: 'JOB ID' }, { header: 'NAME' }, { header: 'STATUS' }, { header: 'STARTED' }, { header: 'DURATION', align: 'right' }],
    jobs.map((job) => [job.jobId, job.name, job.status, formatTimestamp(job.startTime), formatElapsed(job.durationMs)]),
  );
}
