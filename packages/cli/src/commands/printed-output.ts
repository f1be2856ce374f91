/**
 * Where a job's print() output went, in words for `eddy run`, and the output itself for
 * `eddy logs <jobId> --stdout`. Both ask the TaskManagers through the ResourceManager
 * (JobClient.requestJobStdout); a TaskManager answers for the jobs whose tasks printed there.
 */
import type { JobClient } from '@eddy/client';

/** How much of a job's printed output `eddy logs --stdout` asks each TaskManager for. */
export const STDOUT_TAIL_BYTES = 1024 * 1024;

/**
 * One line saying where the job's print() output is, or none when no TaskManager has any (the job
 * printed nothing, or the TaskManagers that ran it are gone). `local`: the TaskManager runs in this
 * process, so "stdout" is this terminal.
 */
export async function describePrintedOutput(client: JobClient, jobId: string, local: boolean): Promise<string[]> {
  let answers;
  try {
    answers = await client.requestJobStdout(jobId, 0);
  } catch {
    return [];
  }
  const printed = answers.filter((answer) => answer.stdout?.known === true);
  if (printed.length === 0) return [];
  if (local) return ['print() output went to this terminal, above.'];
  const files = printed.filter((answer) => answer.stdout?.location !== 'stdout').map((answer) => `${answer.stdout?.location} (${answer.taskManagerId})`);
  const stdouts = printed.filter((answer) => answer.stdout?.location === 'stdout').map((answer) => answer.taskManagerId);
  const where: string[] = [];
  if (files.length > 0) where.push(`the .out file${files.length === 1 ? '' : 's'} ${files.join(', ')}`);
  if (stdouts.length > 0) where.push(`the standard output (a container's log) of ${stdouts.join(', ')}`);
  return [`print() output went to ${where.join(' and ')}; \`eddy logs ${jobId} --stdout\` shows it.`];
}

/** What `eddy logs <jobId> --stdout` prints: each TaskManager's part under a header, and problems apart. */
export async function printedOutputOf(client: JobClient, jobId: string): Promise<{ text: string; problems: string[]; json: object[] }> {
  const answers = await client.requestJobStdout(jobId, STDOUT_TAIL_BYTES);
  let text = '';
  const problems: string[] = [];
  for (const answer of answers) {
    if (answer.error !== '') {
      problems.push(`Could not ask TaskManager ${answer.taskManagerId} (${answer.address}) for the job's printed output: ${answer.error}`);
      continue;
    }
    const stdout = answer.stdout;
    if (stdout === undefined || stdout === null || !stdout.known) continue;
    const where = stdout.location === 'stdout' ? 'its standard output' : stdout.location;
    text += `==> ${answer.taskManagerId} (${answer.address}), ${where} <==\n`;
    if (stdout.truncated) text += `(earlier lines are not shown; ${stdout.location === 'stdout' ? "the TaskManager's log has them" : `${stdout.location} has them`})\n`;
    text += stdout.text;
  }
  if (text === '' && problems.length === 0) {
    problems.push(`No TaskManager has print() output of job ${jobId}: it printed nothing, or the TaskManagers that ran it stopped or forgot it (each keeps its 16 most recent jobs)`);
  }
  const json = answers.map((answer) => ({ taskManagerId: answer.taskManagerId, address: answer.address, error: answer.error, ...(answer.stdout ?? {}) }));
  return { text, problems, json };
}
