/**
 * Builds a job's plan on the client: imports the bundle and runs its main function on the bundle's
 * own copy of the API (`__eddy.buildPlan`), the same way a TaskManager's worker will rebuild it.
 *
 * The bundle runs in this process, so source maps are switched on first
 * (process.setSourceMapsEnabled): an error the job throws then names the user's file:line. The
 * message is one line, the error and the first frame of the user's code (not the API's frames);
 * the whole stack stays on the error's cause, for --verbose.
 *
 * Relative input paths of file sources are resolved here, against the client's working directory,
 * when the file is there (withResolvedInputPaths).
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { JobMain, JobPlan } from '@eddy/api/internal';
import { JobFileError } from './client-errors.js';

/** What a job bundle exports (see job-bundler.ts). */
interface BundleModule {
  readonly default?: unknown;
  readonly __eddy?: { readonly buildPlan?: unknown; readonly CONTRACT_VERSION?: unknown };
}

/**
 * A job's plan and the version of the bundle/runtime contract its bundle's API speaks (1 for an
 * API from before the version existed); the JobGraph carries it so the cluster can refuse a
 * bundle it does not speak at submission. Absent in plans built without a bundle.
 */
export type PlannedJob = JobPlan & { readonly contractVersion?: number };

type BuildPlan = (main: JobMain, args: string[], options: { jobConfiguration: Readonly<Record<string, string>> }) => Promise<JobPlan>;

/**
 * Imports the bundle at `bundlePath` and builds its plan for `args`. `jobFile` (the bundled job
 * file) only makes messages name the user's file rather than the bundle. `jobConfiguration` is
 * the configuration the job will be submitted with: the environment starts with its defaults
 * (parallelism.default), as the TaskManagers' rebuild of the plan will. Rejects with a
 * JobFileError: no-default-export when the default export is not a function, build-failed when
 * the job's code throws while it is loaded or while it builds its pipeline.
 */
export async function planJob(
  bundlePath: string,
  args: readonly string[],
  jobFile: string = bundlePath,
  jobConfiguration: Readonly<Record<string, string>> = {},
  /** The @eddy/api the bundle was made with (see BundleOptions); its frames are left out of messages. Default: the client's copy. */
  apiPackageDir?: string,
): Promise<PlannedJob> {
  process.setSourceMapsEnabled(true);
  let bundle: BundleModule;
  try {
    bundle = (await import(pathToFileURL(bundlePath).href)) as BundleModule;
  } catch (error) {
    throw buildFailed(jobFile, 'failed while it was loaded', error, apiPackageDir);
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
  let plan: JobPlan;
  try {
    plan = await (buildPlan as BuildPlan)(main as JobMain, [...args], { jobConfiguration });
  } catch (error) {
    throw buildFailed(jobFile, 'failed while it built its pipeline', error, apiPackageDir);
  }
  const version = bundle.__eddy?.CONTRACT_VERSION;
  return { ...withResolvedInputPaths(plan, process.cwd()), contractVersion: typeof version === 'number' ? version : 1 };
}

/**
 * A file source's input split as the API cuts it (`{ path, start, length }`, JSON), and `given`:
 * the relative path the job gave, when the client made `path` absolute.
 */
interface InputSplit {
  readonly path: string;
  readonly start: number;
  readonly length: number;
  readonly given?: string;
}

/**
 * The plan with each relative input path (readTextFile('input.txt')) made absolute against `cwd`,
 * the client's working directory, when the file is there: `eddy run job.ts input.txt` reads the
 * file the user means, whatever the TaskManagers' working directory. A relative path with no file
 * there is left as it is: each TaskManager resolves it against its own working directory (Flink's
 * behaviour), which is right for a file that exists only where the TaskManagers run. The plan's
 * fingerprint does not cover input splits, so the TaskManagers' rebuild of the plan still matches.
 */
export function withResolvedInputPaths(plan: JobPlan, cwd: string): JobPlan {
  const resolvedPaths = new Map<string, string | undefined>();
  const resolveSplit = (json: string): string => {
    const split = parseInputSplit(json);
    if (split === undefined || isAbsolute(split.path)) return json;
    if (!resolvedPaths.has(split.path)) {
      const absolute = resolve(cwd, split.path);
      resolvedPaths.set(split.path, existsSync(absolute) ? absolute : undefined);
    }
    const absolute = resolvedPaths.get(split.path);
    return absolute === undefined ? json : JSON.stringify({ ...split, path: absolute, given: split.path } satisfies InputSplit);
  };
  return { ...plan, vertices: plan.vertices.map((vertex) => ({ ...vertex, inputSplits: vertex.inputSplits.map(resolveSplit) })) };
}

/** What happened to a relative input path of a job's sources. */
export interface InputPathNote {
  /** The vertex (task) whose source reads the file. */
  readonly vertexName: string;
  /** The path the job gave. */
  readonly given: string;
  /** The absolute path the client resolved it to; undefined when it left it to the TaskManagers. */
  readonly resolved: string | undefined;
}

/** The relative input paths of a plan or JobGraph's sources (after withResolvedInputPaths), one note per path and vertex. */
export function inputPathNotes(vertices: readonly { readonly name: string; readonly inputSplits: readonly string[] }[]): InputPathNote[] {
  const notes: InputPathNote[] = [];
  for (const vertex of vertices) {
    const seen = new Set<string>();
    for (const json of vertex.inputSplits) {
      const split = parseInputSplit(json);
      if (split === undefined) continue;
      const note = split.given !== undefined ? { given: split.given, resolved: split.path } : isAbsolute(split.path) ? undefined : { given: split.path, resolved: undefined };
      if (note === undefined || seen.has(note.given)) continue;
      seen.add(note.given);
      notes.push({ vertexName: vertex.name, ...note });
    }
  }
  return notes;
}

function parseInputSplit(json: string): InputSplit | undefined {
  try {
    const split = JSON.parse(json) as Partial<InputSplit> | null;
    return typeof split?.path === 'string' && typeof split.start === 'number' && typeof split.length === 'number' ? (split as InputSplit) : undefined;
  } catch {
    return undefined;
  }
}

function buildFailed(jobFile: string, when: string, error: unknown, apiPackageDir: string | undefined): JobFileError {
  return new JobFileError('build-failed', jobFile, `Job file ${jobFile} ${when}: ${oneLine(error, apiPackageDir)}`, [], { cause: error });
}

const OWN_FILE = fileURLToPath(import.meta.url);
/** This module's TypeScript source, as frames name it when Node applies the client's own source maps. */
const OWN_SOURCE = OWN_FILE.replace(/([\\/])dist([\\/])src([\\/])(.*)\.js$/, '$1src$3$4.ts');

/**
 * The error as the user wants to read it, in one line: name, message and the place in their code
 * it came from: "TypeError: readTextFile needs a path (at /home/me/job.ts:4:7)".
 */
function oneLine(error: unknown, apiPackageDir: string | undefined): string {
  if (!(error instanceof Error)) return String(error);
  const headline = `${error.name}: ${error.message}`.replace(/\s*\n\s*/g, ' ');
  const place = userFrameOf(error, apiPackageDir === undefined ? clientApiDir() : resolve(apiPackageDir));
  return place === undefined ? headline : `${headline} (at ${place})`;
}

/**
 * The file:line:col of the first frame of the stack in the user's code: not the API's (its
 * frames name its sources or its compiled files, both under its package directory), not Node's,
 * not this module's.
 */
function userFrameOf(error: Error, apiDir: string | undefined): string | undefined {
  const stack = typeof error.stack === 'string' ? error.stack : '';
  for (const line of stack.split('\n')) {
    const frame = /^\s+at (?:.*? \()?(.+?):(\d+):(\d+)\)?$/.exec(line);
    if (frame === null) continue;
    const file = (frame[1] as string).startsWith('file://') ? fileURLToPath(frame[1] as string) : (frame[1] as string);
    if (file.startsWith('node:') || file === OWN_FILE || file === OWN_SOURCE) continue;
    if (apiDir !== undefined && file.startsWith(apiDir + sep)) continue;
    return `${file}:${frame[2]}:${frame[3]}`;
  }
  return undefined;
}

let clientApi: string | undefined | null = null;
/** The package directory of the client's own @eddy/api (what bundleJob uses by default). */
function clientApiDir(): string | undefined {
  if (clientApi === null) {
    clientApi = undefined;
    try {
      for (let dir = dirname(fileURLToPath(import.meta.resolve('@eddy/api'))); dir !== dirname(dir); dir = dirname(dir)) {
        if (existsSync(join(dir, 'package.json'))) {
          clientApi = dir;
          break;
        }
      }
    } catch {
      // No @eddy/api next to the client: every frame counts as the user's.
    }
  }
  return clientApi;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value)})`;
  return `a ${typeof value} (${String(value).slice(0, 40)})`;
}
