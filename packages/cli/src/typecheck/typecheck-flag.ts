/** `--no-typecheck` of `eddy run` and `eddy info`, and the check it skips. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { bundleJob, JobFileError, type JobBundle } from '@eddy/client';
import { CliError } from '../cli-error.js';
import { isTypeScriptFile } from './job-compiler-options.js';
import { formatTypeProblems, isFile, typeCheckJobFile } from './job-type-checker.js';

export interface TypecheckFlags {
  /** False with --no-typecheck. */
  readonly typecheck?: boolean;
}

export function addTypecheckFlag(command: Command): Command {
  return command.option('--no-typecheck', 'do not type-check a .ts job file first (esbuild only strips the types; faster)');
}

/**
 * Type-checks a .ts job file unless --no-typecheck; refuses it with each problem's file:line:col.
 * A .js file is not checked. What the bundler refuses (a missing file, a syntax error, a forbidden
 * import, no default export) is left to it: the file is bundled first, which takes tens of
 * milliseconds against the check's seconds, and not checked when that fails; the command then
 * bundles it again and reports the bundler's error.
 */
export async function typeCheckOrRefuse(jobFile: string, flags: TypecheckFlags): Promise<void> {
  const absolute = resolve(jobFile);
  if (flags.typecheck === false || !isTypeScriptFile(absolute) || !isFile(absolute)) return;
  if (!(await bundles(absolute))) return;
  const { problems } = await typeCheckJobFile(absolute);
  if (problems.length === 0) return;
  const lines = formatTypeProblems(problems).map((line) => `  ${line}`);
  throw new CliError(`Job file ${absolute} does not type-check (--no-typecheck skips this check):\n${lines.join('\n')}`);
}

async function bundles(jobFile: string): Promise<boolean> {
  let bundle: JobBundle;
  try {
    bundle = await bundleJob(jobFile);
  } catch (error) {
    if (error instanceof JobFileError) return false;
    throw error;
  }
  await bundle.dispose();
  return true;
}
