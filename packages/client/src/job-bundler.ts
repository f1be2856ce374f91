/**
 * Bundles a job file into one ES module that a TaskManager can run with nothing else installed:
 * the user's code, the libraries it imports and its own copy of @eddy/api, with Node's built-in
 * modules left as imports. The bundle exports
 *
 *   default  the job's main function (the job file's default export)
 *   __eddy   the bundle's copy of @eddy/api/internal (buildPlan, createTaskChain; see contract.ts)
 *
 * so the client and the workers both build the job's plan with the very API code the job was
 * bundled with. `@eddy/api` is always resolved to the client's copy (or `apiPackageDir`), so a
 * job file anywhere on disk, with no package.json, can import it.
 *
 * Imports of packages that run only inside the cluster (see FORBIDDEN_IMPORTS) are refused with
 * the place of each. Type-only imports are erased before resolution and so are allowed.
 *
 * The bundle's bytes depend only on the sources and their absolute paths, never on the output
 * directory or the time: its key (sha256) is the same for the same code, and the blob store keeps
 * it once. The source map is inline and names the original files by absolute file URL, so stack
 * traces point at the user's file:line wherever the bundle is run from.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type BuildFailure, type Message, type OutputFile, type Plugin } from 'esbuild';
import { createOwnedTempDir, removeStaleTempDirs } from '@eddy/cluster-common';
import { JobFileError, type SourceProblem } from './client-errors.js';

export interface BundleOptions {
  /**
   * Directory of the @eddy/api package to bundle into the job (its package.json `exports` for
   * `.` and `./internal`, else `index.js` and `internal.js`). Default: the client's own copy.
   */
  readonly apiPackageDir?: string;
  /** Where the bundle file goes; default: a fresh directory under the system temp directory. */
  readonly outDir?: string;
}

/** A bundled job on disk. */
export interface JobBundle {
  /** Absolute path of the job file it was built from. */
  readonly jobFile: string;
  /** Absolute path of the bundle, an `.mjs` file named by its key. */
  readonly bundlePath: string;
  /** sha256 of the bundle's bytes, in hex: its blob key. */
  readonly key: string;
  readonly size: number;
  /** Removes the bundle (and the temp directory it was made in, when no outDir was given). */
  dispose(): Promise<void>;
}

/** What a job may not import, and why. Sub-paths (`pino/file`, `@eddy/runtime/x`) are refused too. */
export const FORBIDDEN_IMPORTS: readonly string[] = [
  '@eddy/runtime',
  '@eddy/cluster-common',
  '@eddy/rpc',
  '@eddy/proto',
  '@eddy/client',
  '@eddy/cli',
  '@eddy/common',
  '@grpc/*',
  'pino',
  'worker_threads',
  'node:worker_threads',
];

const FORBIDDEN_FILTER = /^(@eddy\/(runtime|cluster-common|rpc|proto|client|cli|common)|@grpc\/[^/]+|pino|(node:)?worker_threads)(\/.*)?$/;

/** Whether a job may not import `specifier` (see FORBIDDEN_IMPORTS); the bundler refuses it. */
export function isForbiddenImport(specifier: string): boolean {
  return FORBIDDEN_FILTER.test(specifier);
}

const WHY_FORBIDDEN = 'runs only inside the TaskManager; jobs may import only @eddy/api';

/** Name of the generated entry module, as it appears in esbuild's messages. */
const ENTRY_NAME = '<eddy job entry>';

/** Lets CommonJS libraries bundled into the ES module `require` Node's built-in modules. */
const REQUIRE_SHIM = "import { createRequire as __eddyCreateRequire } from 'node:module';\nconst require = __eddyCreateRequire(import.meta.url);";

/** Bundles `jobFile` (relative paths are taken from the working directory); rejects with a JobFileError. */
export async function bundleJob(jobFile: string, options: BundleOptions = {}): Promise<JobBundle> {
  const absoluteJobFile = resolve(jobFile);
  await checkJobFileExists(jobFile, absoluteJobFile);
  const api = await apiEntryPoints(options.apiPackageDir);
  const workDir = dirname(absoluteJobFile);
  // Never written: only where esbuild takes relative source paths from, which we make absolute.
  const virtualOutFile = join(workDir, '.eddy-job-bundle.mjs');

  let outputFiles: OutputFile[];
  try {
    ({ outputFiles } = await build({
      stdin: { contents: entrySource(absoluteJobFile), resolveDir: workDir, sourcefile: ENTRY_NAME, loader: 'js' },
      absWorkingDir: workDir,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outfile: virtualOutFile,
      write: false,
      sourcemap: 'external',
      sourcesContent: true,
      // Function and class names as written: operator names and stack traces use them.
      keepNames: true,
      banner: { js: REQUIRE_SHIM },
      // Packages that read a file next to their own module (import.meta.url) cannot be bundled as
      // they are; these have an entry point with the file inlined (the Kafka client's WebAssembly).
      alias: { '@platformatic/wasm-utils': '@platformatic/wasm-utils/bundled' },
      logLevel: 'silent',
      plugins: [eddyJobPlugin(api)],
    }));
  } catch (error) {
    if (isBuildFailure(error)) throw jobFileErrorOf(absoluteJobFile, workDir, error);
    throw error;
  }

  const code = outputFiles.find((file) => file.path === virtualOutFile);
  const map = outputFiles.find((file) => file.path === `${virtualOutFile}.map`);
  if (code === undefined || map === undefined) throw new Error(`esbuild produced no bundle for ${absoluteJobFile}`);
  const bytes = Buffer.from(withInlineSourceMap(code.text, map.text, dirname(virtualOutFile)), 'utf8');
  const key = createHash('sha256').update(bytes).digest('hex');

  const ownDir = options.outDir === undefined;
  const outDir = options.outDir !== undefined ? resolve(options.outDir) : await ownBundleDirectory();
  if (!ownDir) await mkdir(outDir, { recursive: true });
  const bundlePath = join(outDir, `${key}.mjs`);
  await writeFile(bundlePath, bytes);
  return {
    jobFile: absoluteJobFile,
    bundlePath,
    key,
    size: bytes.length,
    dispose: () => rm(ownDir ? outDir : bundlePath, { recursive: true, force: true }),
  };
}

/** Prefix of the bundle directories in the temp directory. */
const BUNDLE_DIR_PREFIX = 'eddy-job-';

/**
 * A fresh bundle directory in the temp directory, named after this process; first removes those
 * that processes now gone (an `eddy run` killed before it could dispose of its bundle) left there.
 */
async function ownBundleDirectory(): Promise<string> {
  await removeStaleTempDirs(BUNDLE_DIR_PREFIX);
  return createOwnedTempDir(BUNDLE_DIR_PREFIX);
}

async function checkJobFileExists(given: string, absolute: string): Promise<void> {
  const problem = await stat(absolute).then(
    (stats) => (stats.isFile() ? undefined : 'is not a file'),
    () => 'does not exist',
  );
  if (problem === undefined) return;
  const from = given === absolute ? '' : ` (resolved from '${given}' in ${process.cwd()})`;
  throw new JobFileError('not-found', absolute, `Job file ${absolute}${from} ${problem}; pass the path of the job's module (.ts, .js or .mjs)`);
}

/** The generated entry: the job's default export and the API copy's internals, nothing else. */
function entrySource(absoluteJobFile: string): string {
  return `export { default } from ${JSON.stringify(absoluteJobFile)};\nexport * as __eddy from '@eddy/api/internal';\n`;
}

interface ApiEntryPoints {
  /** Absolute path `@eddy/api` resolves to. */
  readonly api: string;
  /** Absolute path `@eddy/api/internal` resolves to. */
  readonly internal: string;
}

async function apiEntryPoints(apiPackageDir: string | undefined): Promise<ApiEntryPoints> {
  if (apiPackageDir === undefined) {
    return { api: fileURLToPath(import.meta.resolve('@eddy/api')), internal: fileURLToPath(import.meta.resolve('@eddy/api/internal')) };
  }
  const dir = resolve(apiPackageDir);
  const manifestPath = join(dir, 'package.json');
  const manifest = existsSync(manifestPath) ? (JSON.parse(await readFile(manifestPath, 'utf8')) as { exports?: unknown; main?: unknown }) : {};
  const exported = (subpath: string): string | undefined => {
    const exports = manifest.exports;
    if (typeof exports === 'string') return subpath === '.' ? exports : undefined;
    if (typeof exports !== 'object' || exports === null) return undefined;
    return importTarget((exports as Record<string, unknown>)[subpath]);
  };
  const main = typeof manifest.main === 'string' ? manifest.main : undefined;
  return {
    api: join(dir, exported('.') ?? main ?? 'index.js'),
    internal: join(dir, exported('./internal') ?? 'internal.js'),
  };
}

/** The file an `exports` entry gives an ES module import on Node (conditions import, node, default). */
function importTarget(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (typeof entry !== 'object' || entry === null) return undefined;
  const conditions = entry as Record<string, unknown>;
  for (const condition of ['import', 'node', 'default']) {
    const target = importTarget(conditions[condition]);
    if (target !== undefined) return target;
  }
  return undefined;
}

/** Marks an esbuild error as a forbidden import. */
interface ForbiddenDetail {
  readonly forbiddenImport: string;
}

function eddyJobPlugin(api: ApiEntryPoints): Plugin {
  return {
    name: 'eddy-job',
    setup(build) {
      build.onResolve({ filter: /^@eddy\/api(\/internal)?$/ }, (args) => ({ path: args.path === '@eddy/api' ? api.api : api.internal }));
      build.onResolve({ filter: FORBIDDEN_FILTER }, (args) => {
        const detail: ForbiddenDetail = { forbiddenImport: args.path };
        return { errors: [{ text: `'${args.path}' ${WHY_FORBIDDEN}`, detail }] };
      });
    },
  };
}

function isBuildFailure(error: unknown): error is BuildFailure {
  return error instanceof Error && Array.isArray((error as Partial<BuildFailure>).errors);
}

function forbiddenImportOf(message: Message): string | undefined {
  const detail = message.detail as Partial<ForbiddenDetail> | undefined;
  return typeof detail?.forbiddenImport === 'string' ? detail.forbiddenImport : undefined;
}

function jobFileErrorOf(jobFile: string, workDir: string, failure: BuildFailure): JobFileError {
  const problemOf = (message: Message): SourceProblem => {
    const location = message.location;
    // Errors in the generated entry are about the job file's exports.
    if (location === null || location.file === ENTRY_NAME) return { file: jobFile, line: 0, column: 0, message: message.text };
    return { file: resolve(workDir, location.file), line: location.line, column: location.column + 1, message: message.text };
  };
  const list = (problems: readonly SourceProblem[]): string => problems.map((p) => `\n  ${placeOf(p)}: ${p.message}`).join('');

  const forbidden = failure.errors.filter((message) => forbiddenImportOf(message) !== undefined).map(problemOf);
  if (forbidden.length > 0) {
    return new JobFileError('forbidden-import', jobFile, `Job file ${jobFile} imports what it may not:${list(forbidden)}`, forbidden, { cause: failure });
  }
  const noDefault = failure.errors.find(
    (message) => message.location?.file === ENTRY_NAME && /No matching export .* for import "default"/.test(message.text),
  );
  if (noDefault !== undefined) {
    return new JobFileError(
      'no-default-export',
      jobFile,
      `Job file ${jobFile} has no default export; export the job's main function: \`export default function main(env, args) { ... }\``,
      [problemOf(noDefault)],
      { cause: failure },
    );
  }
  const problems = failure.errors.map(problemOf);
  return new JobFileError('compile', jobFile, `Job file ${jobFile} does not compile:${list(problems)}`, problems, { cause: failure });
}

function placeOf(problem: SourceProblem): string {
  return problem.line > 0 ? `${problem.file}:${problem.line}:${problem.column}` : problem.file;
}

/**
 * The bundle's code with its source map inline, the map's sources made absolute file URLs (esbuild
 * writes them relative to the output file, which would tie the bytes to where the bundle is built).
 */
function withInlineSourceMap(code: string, mapText: string, outDir: string): string {
  const map = JSON.parse(mapText) as { sources: string[] };
  map.sources = map.sources.map((source) => pathToFileURL(resolve(outDir, source)).href);
  const body = code.replace(/\/\/# sourceMappingURL=[^\n]*\n?$/, '');
  return `${body}//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map), 'utf8').toString('base64')}\n`;
}
