/**
 * Type-checks a job file (and what it imports) before `eddy run` or `eddy info` bundles it: esbuild
 * strips types without checking them, so without this a typo such as `flatMapp` would only show
 * as a TypeError while the plan is built, or in a task.
 *
 * TypeScript is loaded only here, when a check runs (it takes most of a second to load), so that
 * `eddy --help` and the other commands stay fast. A check of examples/word-count.ts costs about
 * 2.3 s on two cores (loading TypeScript 0.8 s, checking 1.5 s, most of that @types/node; 3-4 s
 * of CPU when the machine is loaded), so its outcome is remembered: a small file
 * under the temp directory lists every file the check read with its sha256, and the problems it
 * found. The next check of the same job file, with the same settings and TypeScript version, gives
 * the same outcome at once when none of those files changed; a change to any of them (the job, a
 * module it imports, the API's declarations) checks again.
 *
 * Problems the bundler reports better are left to it: a syntax error, and an import of a module
 * that a job may not import (FORBIDDEN_IMPORTS). (`eddy run` and `eddy info` bundle the job once
 * before they check it, see typecheck-flag.ts, so such a job costs no check at all.)
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { isForbiddenImport } from '@eddy/client';
import { jobCompilerOptions, jobTypeEnvironment, type JobTypeEnvironment } from './job-compiler-options.js';

/** One type error, at its place. */
export interface TypeProblem {
  /** Absolute path; '' for a problem of the settings themselves. */
  readonly file: string;
  /** 1-based; 0 when it has no place. */
  readonly line: number;
  readonly column: number;
  /** One line. */
  readonly message: string;
  /** TypeScript's error code (2551 for TS2551). */
  readonly code: number;
}

export interface TypeCheckResult {
  readonly problems: readonly TypeProblem[];
  /** The check was skipped because an earlier one passed on the same files. */
  readonly cached: boolean;
}

/** Where passed checks are remembered; one small JSON file per job file and settings. */
const CACHE_DIR = 'eddy-typecheck';

interface CacheEntry {
  /** [absolute path, sha256 hex] of every file the check read but TypeScript's own lib files. */
  readonly files: readonly (readonly [string, string])[];
  readonly problems: readonly TypeProblem[];
}

/** Type-checks `jobFile` (relative to the working directory); resolves to its problems (none: it passed). */
export async function typeCheckJobFile(jobFile: string, environment: JobTypeEnvironment = jobTypeEnvironment()): Promise<TypeCheckResult> {
  const absolute = resolve(jobFile);
  const options = jobCompilerOptions(environment);
  const cacheFile = join(tmpdir(), CACHE_DIR, `${sha256(JSON.stringify([absolute, options, environment.typescriptVersion]))}.json`);
  const remembered = await rememberedOutcome(cacheFile);
  if (remembered !== undefined) return { problems: remembered, cached: true };

  const ts = (await import('typescript')).default;
  const converted = ts.convertCompilerOptionsFromJson(options, dirname(absolute));
  const program = ts.createProgram({ rootNames: [absolute], options: converted.options });
  // A syntax error is the bundler's to report (it names the place as well); checking the types of a
  // file that does not parse says little.
  if (program.getSyntacticDiagnostics().length > 0) return { problems: [], cached: false };
  const diagnostics = [...converted.errors, ...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(), ...program.getSemanticDiagnostics()];
  const problems: TypeProblem[] = [];
  for (const diagnostic of diagnostics) {
    if (diagnostic.category !== ts.DiagnosticCategory.Error) continue;
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ').replace(/\s*\n\s*/g, ' ');
    if (diagnostic.code === CANNOT_FIND_MODULE && forbiddenModuleOf(message)) continue;
    if (diagnostic.file === undefined || diagnostic.start === undefined) {
      problems.push({ file: diagnostic.file?.fileName ?? '', line: 0, column: 0, message, code: diagnostic.code });
      continue;
    }
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    problems.push({ file: resolve(diagnostic.file.fileName), line: line + 1, column: character + 1, message, code: diagnostic.code });
  }
  // An import that did not resolve may resolve once a package is installed, which changes no file
  // the check read: such an outcome is not remembered.
  if (problems.every((problem) => !UNRESOLVED_IMPORT_CODES.has(problem.code))) {
    const files = program.getSourceFiles().filter((file) => !program.isSourceFileDefaultLibrary(file)).map((file) => resolve(file.fileName));
    await remember(cacheFile, files, problems);
  } else {
    await rm(cacheFile, { force: true });
  }
  return { problems, cached: false };
}

/** TS2307: Cannot find module 'x' or its corresponding type declarations. */
const CANNOT_FIND_MODULE = 2307;
/** Cannot find module (2307, 2792), no declaration file for a module (7016). */
const UNRESOLVED_IMPORT_CODES: ReadonlySet<number> = new Set([CANNOT_FIND_MODULE, 2792, 7016]);

function forbiddenModuleOf(message: string): boolean {
  const specifier = /Cannot find module '([^']+)'/.exec(message)?.[1];
  return specifier !== undefined && isForbiddenImport(specifier);
}

/** How `eddy run` and `eddy info` list the problems: one line each, at most `limit`. */
export function formatTypeProblems(problems: readonly TypeProblem[], limit = 10): string[] {
  const lines = problems.slice(0, limit).map((problem) => {
    const place = problem.file === '' ? '' : problem.line > 0 ? `${problem.file}:${problem.line}:${problem.column}: ` : `${problem.file}: `;
    return `${place}${problem.message} (TS${problem.code})`;
  });
  if (problems.length > limit) lines.push(`... and ${problems.length - limit} more`);
  return lines;
}

/** The problems of the remembered check, when none of the files it read has changed since. */
async function rememberedOutcome(cacheFile: string): Promise<readonly TypeProblem[] | undefined> {
  let entry: CacheEntry;
  try {
    entry = JSON.parse(await readFile(cacheFile, 'utf8')) as CacheEntry;
  } catch {
    return undefined;
  }
  if (!Array.isArray(entry.files) || entry.files.length === 0 || !Array.isArray(entry.problems)) return undefined;
  for (const [file, hash] of entry.files) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch {
      return undefined;
    }
    if (sha256(bytes) !== hash) return undefined;
  }
  return entry.problems;
}

async function remember(cacheFile: string, files: readonly string[], problems: readonly TypeProblem[]): Promise<void> {
  const temporary = `${cacheFile}.${process.pid}.tmp`;
  try {
    const entry: CacheEntry = { files: await Promise.all(files.map(async (file) => [file, sha256(await readFile(file))] as const)), problems };
    await mkdir(dirname(cacheFile), { recursive: true });
    // Written aside and renamed: a check running at the same time reads the old entry or the new one.
    await writeFile(temporary, JSON.stringify(entry));
    await rename(temporary, cacheFile);
  } catch {
    // Only a cache: the next check runs in full.
    await rm(temporary, { force: true });
  }
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Whether `file` exists as a file (a missing job file is the bundler's to report). */
export function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
