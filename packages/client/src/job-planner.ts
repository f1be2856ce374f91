/**
 * Builds a job's plan on the client: imports the bundle and runs its main function on the bundle's
 * own copy of the API (`__eddy.buildPlan`), the same way a TaskManager's worker will rebuild it.
 *
 * The bundle runs in this process, so source maps are switched on first
 * (process.setSourceMapsEnabled): an error the job throws then names the user's file:line.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { JobMain, JobPlan } from '@eddy/api/internal';
import { JobFileError } from './client-errors.js';

/** What a job bundle exports (see job-bundler.ts). */
interface BundleModule {
  readonly default?: unknown;
  readonly __eddy?: { readonly buildPlan?: unknown };
}

type BuildPlan = (main: JobMain, args: string[], options: { jobConfiguration: Readonly<Record<string, string>> }) => Promise<JobPlan>;

/**
 * Imports the bundle at `bundlePath` and builds its plan for `args`. `jobFile` (the bundled job
 * file) only makes messages name the user's file rather than the bundle. `jobConfiguration` is
 * the configuration the job will be submitted with: the environment starts with its defaults
 * (parallelism.default), as the TaskManagers' rebuild of the plan will. Rejects with a
 * JobFileError: no-default-export when the default export is not a function, build-failed when
 * the job's code throws while it is loaded or while it builds its pipeline.
 */
export async function planJob(bundlePath: string, args: readonly string[], jobFile: string = bundlePath, jobConfiguration: Readonly<Record<string, string>> = {}): Promise<JobPlan> {
  process.setSourceMapsEnabled(true);
  let bundle: BundleModule;
  try {
    bundle = (await import(pathToFileURL(bundlePath).href)) as BundleModule;
  } catch (error) {
    throw buildFailed(jobFile, 'failed while it was loaded', error);
  }
  const main = bundle.default;
  if (typeof main !== 'function') {
    const what = main === undefined ? 'has no default export' : `exports a default that is ${describeValue(main)}, not a function`;
    throw new JobFileError('no-default-export', jobFile, `Job file ${jobFile} ${what}; export the job's main function: \`export default function main(env, args) { ... }\``);
  }
  const buildPlan = bundle.__eddy?.buildPlan;
  if (typeof buildPlan !== 'function') {
    throw new JobFileError(
      'build-failed',
      jobFile,
      `The bundle of job file ${jobFile} (${bundlePath}) carries no @eddy/api buildPlan; bundle it with bundleJob and an @eddy/api that implements the contract`,
    );
  }
  try {
    return await (buildPlan as BuildPlan)(main as JobMain, [...args], { jobConfiguration });
  } catch (error) {
    throw buildFailed(jobFile, 'failed while it built its pipeline', error);
  }
}

function buildFailed(jobFile: string, when: string, error: unknown): JobFileError {
  return new JobFileError('build-failed', jobFile, `Job file ${jobFile} ${when}: ${userStack(error)}`, [], { cause: error });
}

const OWN_FILE = fileURLToPath(import.meta.url);
/** This module's TypeScript source, as frames name it when Node applies the client's own source maps. */
const OWN_SOURCE = OWN_FILE.replace(/([\\/])dist([\\/])src([\\/])(.*)\.js$/, '$1src$3$4.ts');

/** The error as the user wants to read it: name, message and the frames of their code (source-mapped). */
function userStack(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const stack = typeof error.stack === 'string' && error.stack !== '' ? error.stack : `${error.name}: ${error.message}`;
  const lines = stack.split('\n');
  // Frames from here on down (this module, Node's module loader) say nothing about the job.
  const ownFrame = lines.findIndex((line, index) => index > 0 && /^\s+at /.test(line) && (line.includes(OWN_FILE) || line.includes(OWN_SOURCE) || line.includes('node:internal/')));
  return (ownFrame < 0 ? lines : lines.slice(0, ownFrame)).join('\n');
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value)})`;
  return `a ${typeof value} (${String(value).slice(0, 40)})`;
}
