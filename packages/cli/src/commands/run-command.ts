/**
 * `eddy run <job file> [-- job args]`: bundles the job file, submits it and, unless detached,
 * follows it until it ends (attached-run.ts). With --local the job runs on a cluster inside this
 * process (a MiniCluster: a JobManager and one TaskManager, gRPC on 127.0.0.1, a worker thread per
 * task, the same code paths as a real cluster), sized to the job, and stopped when the job ends.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { createFileLogger, silentLogger, type Configuration } from '@eddy/common';
import { JobClient, missingUidWarningFor, prepareJobFile, type PreparedJob } from '@eddy/client';
import { MiniCluster, requiredSlots } from '@eddy/runtime';
import { followAttached, Interrupts, RunExitCode, RunOutput } from './attached-run.js';
import { userFacingError } from './cli-errors.js';
import { inputPathLines } from './input-path-lines.js';
import { addClientFlags, clientConfiguration, type ClientFlags } from './client-flags.js';
import { parseParallelism, submitOptionsFrom } from './job-submit-options.js';
import { pathForJobManager } from './path-argument.js';
import { addTypecheckFlag, typeCheckOrRefuse, type TypecheckFlags } from '../typecheck/typecheck-flag.js';

interface RunFlags extends ClientFlags, TypecheckFlags {
  readonly parallelism?: number;
  readonly detached?: boolean;
  readonly name?: string;
  readonly local?: boolean;
  readonly detachOnInterrupt?: boolean;
  readonly fromSavepoint?: string;
  readonly allowNonRestoredState?: boolean;
}

/** The local cluster listens on loopback only, whatever the configuration says about addresses. */
const LOCAL_ADDRESSES: Record<string, string> = {
  'jobmanager.bind-host': '127.0.0.1',
  'jobmanager.rpc.address': '127.0.0.1',
  'taskmanager.bind-host': '127.0.0.1',
  'taskmanager.host': '127.0.0.1',
};

const EXIT_CODES_HELP = `
Exit codes:
  ${RunExitCode.FINISHED}    the job FINISHED (or was submitted with --detached, or left running with --detach-on-interrupt)
  ${RunExitCode.FAILED}    the job FAILED, or it could not be submitted (bad job file, no JobManager, bad flags)
  ${RunExitCode.CANCELED}    the job was canceled by someone else (eddy cancel, another client)
  ${RunExitCode.INTERRUPTED}  Ctrl-C: this command canceled the job
  ${RunExitCode.TERMINATED}  SIGTERM: this command canceled the job, as on Ctrl-C

Examples:
  eddy run word-count.ts -- input.txt counts     submit to localhost:6123 and follow the job
  eddy run word-count.ts --local -p 2            run it in this process, no cluster needed
  eddy run job.ts -d -m jobmanager:6123          submit and return; prints the job id
  eddy run -s /savepoints/savepoint-1a2b3c-... job.ts   resume from a savepoint
`;

export function runCommand(): Command {
  const command = new Command('run')
    .description('submit a job file (.ts or .js) and follow it until it ends')
    .argument('<job-file>', "the job: a module whose default export builds the pipeline")
    .argument('[job-args...]', "arguments for the job's main function; put them after -- when they start with -")
    .option('-p, --parallelism <n>', 'parallelism of the operators that set none', parseParallelism)
    .option('-d, --detached', 'submit the job, print its id and return at once')
    .option('-n, --name <name>', 'job name (default: the name the job gives itself)')
    .option('-s, --fromSavepoint <savepointPath>', 'start from this savepoint (its directory or _metadata) or retained checkpoint')
    // Flink's short flag -n is --name here (Eddy had it first); see docs/savepoints.md.
    .option('--allowNonRestoredState', "with -s: drop the savepoint's state of operators (uids) the job no longer has, instead of refusing to start")
    .option('--local', 'run the job in this process, on a local cluster started for it (no daemons needed)')
    .option('--detach-on-interrupt', 'on Ctrl-C or SIGTERM leave the job running and return, instead of cancelling it');
  addTypecheckFlag(command);
  addClientFlags(command);
  command.addHelpText('after', EXIT_CODES_HELP);
  return command.action(async (jobFile: string, jobArgs: string[], flags: RunFlags) => {
    let exitCode: number;
    try {
      exitCode = await runJob(jobFile, jobArgs, flags);
    } catch (error) {
      throw userFacingError(error);
    }
    process.exit(exitCode);
  });
}

async function runJob(jobFile: string, jobArgs: string[], flags: RunFlags): Promise<number> {
  if (flags.local === true) {
    if (flags.detached === true) throw new Error('--detached needs a cluster that outlives this command; it cannot go with --local');
    if (flags.detachOnInterrupt === true) throw new Error('--detach-on-interrupt needs a cluster that outlives this command; it cannot go with --local');
    if (flags.jobmanager !== undefined) throw new Error('--local starts its own cluster; leave out -m/--jobmanager, or leave out --local to use the JobManager at that address');
  }
  const { configuration, jobManagerAddress } = clientConfiguration(flags);
  if (flags.allowNonRestoredState === true && flags.fromSavepoint === undefined) throw new Error('--allowNonRestoredState only applies with -s/--fromSavepoint <savepointPath>');
  const submitOptions = {
    ...submitOptionsFrom(jobArgs, { ...flags, detached: flags.detached === true }, configuration),
    ...(flags.fromSavepoint === undefined ? {} : { savepointPath: pathForJobManager(flags.fromSavepoint) }),
    ...(flags.allowNonRestoredState === true ? { allowNonRestoredState: true } : {}),
  };
  const output = new RunOutput();
  const interrupts = new Interrupts(output);
  let prepared: PreparedJob | undefined;
  try {
    // Checked, bundled and planned first: a broken job file is reported whether or not a cluster is there.
    await typeCheckOrRefuse(jobFile, flags);
    prepared = await prepareJobFile(jobFile, submitOptions);
    const uidWarning = missingUidWarningFor(prepared.graph);
    if (uidWarning !== undefined) output.errors([`Warning: ${uidWarning}`]);
    if (interrupts.interrupted) return notSubmitted(output, interrupts);
    if (flags.local === true) return await runLocally(prepared, configuration, output, interrupts);
    return await runOnCluster(prepared, configuration, jobManagerAddress, flags, output, interrupts);
  } finally {
    await prepared?.dispose();
    interrupts.dispose();
  }
}

/** Ctrl-C (or SIGTERM) came before the job was submitted: nothing to cancel. */
function notSubmitted(output: RunOutput, interrupts: Interrupts): number {
  output.errors(['Interrupted before the job was submitted; nothing runs']);
  return interrupts.exitCode;
}

/** How to reach the job later, as commands to copy. */
function followHints(jobId: string, jobManager: string | undefined): string[] {
  const at = jobManager === undefined ? '' : ` -m ${jobManager}`;
  return [`Follow it with \`eddy logs ${jobId} --follow${at}\`; cancel it with \`eddy cancel ${jobId}${at}\`.`];
}

async function runOnCluster(prepared: PreparedJob, configuration: Configuration, jobManagerAddress: string, flags: RunFlags, output: RunOutput, interrupts: Interrupts): Promise<number> {
  const client = await JobClient.connect(jobManagerAddress, { configuration, logger: silentLogger() });
  try {
    // On a cluster the TaskManagers may run elsewhere: say which files they will read.
    output.lines(inputPathLines(prepared.graph.vertices));
    const { jobId } = await client.submitPreparedJob(prepared);
    output.lines([`Job has been submitted with JobID ${jobId}`]);
    const hints = followHints(jobId, flags.jobmanager);
    if (flags.detached === true) {
      output.lines(hints);
      return RunExitCode.FINISHED;
    }
    return await followAttached(client, { jobId, name: prepared.graph.name }, { output, interrupts, onInterrupt: flags.detachOnInterrupt === true ? 'detach' : 'cancel', hints });
  } finally {
    await client.close();
  }
}

/** On a MiniCluster in this process, with as many slots as the job needs; stopped when the job has ended. */
async function runLocally(prepared: PreparedJob, configuration: Configuration, output: RunOutput, interrupts: Interrupts): Promise<number> {
  let cluster: MiniCluster | undefined;
  let client: JobClient | undefined;
  try {
    const slots = requiredSlots(prepared.graph);
    const logFile = join(tmpdir(), `eddy-local-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`);
    output.lines([`Starting a local cluster: one TaskManager with ${slots} slot${slots === 1 ? '' : 's'}; its log goes to ${logFile}`]);
    cluster = await MiniCluster.start({
      taskManagers: 1,
      slotsPerTaskManager: slots,
      configuration: configuration.withOverrides(LOCAL_ADDRESSES, 'eddy run --local'),
      logger: createFileLogger({ name: 'local-cluster', path: logFile }),
    });
    if (interrupts.interrupted) return notSubmitted(output, interrupts);
    client = await JobClient.connect(cluster.address, { configuration, logger: silentLogger() });
    const { jobId } = await client.submitPreparedJob(prepared);
    output.lines([`Job has been submitted with JobID ${jobId}`]);
    return await followAttached(client, { jobId, name: prepared.graph.name }, { output, interrupts, onInterrupt: 'cancel', hints: [], local: true });
  } finally {
    await client?.close();
    await cluster?.stop();
  }
}
