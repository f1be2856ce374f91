/**
 * The TypeScript settings a job is checked with: the same for `eddy run`/`eddy info` (which check
 * a job file before they bundle it) and for the tsconfig.json `eddy init` writes (for editors and
 * `tsc --noEmit`), so all three agree on what is an error.
 *
 * They follow what esbuild accepts, since esbuild compiles the job: ES modules bundled as they are
 * written (`module: preserve`, `moduleResolution: bundler`: imports with or without extensions,
 * `.ts` extensions too), one file at a time (`isolatedModules`), strict. `@eddy/api` resolves to the
 * declarations of the API this CLI bundles jobs with, and Node's types come from this CLI's
 * @types/node, so a job anywhere on disk, with no package.json or node_modules, type-checks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the CLI type-checks jobs against; absolute paths. */
export interface JobTypeEnvironment {
  /** The declarations of the @eddy/api this CLI bundles jobs with (its index.d.ts). */
  readonly apiTypes: string;
  /** The node_modules/@types directory that holds the CLI's @types/node. */
  readonly typeRoot: string;
  /** The TypeScript version that checks jobs. */
  readonly typescriptVersion: string;
}

const require = createRequire(import.meta.url);

/** Finds the API's declarations, @types/node and TypeScript next to this CLI; throws when one is missing. */
export function jobTypeEnvironment(): JobTypeEnvironment {
  let apiEntry: string;
  try {
    apiEntry = fileURLToPath(import.meta.resolve('@eddy/api'));
  } catch (error) {
    throw new Error('The CLI cannot find its @eddy/api; reinstall it (npm ci) in the Eddy repository', { cause: error });
  }
  const apiTypes = apiEntry.replace(/\.js$/, '.d.ts');
  if (!existsSync(apiTypes)) throw new Error(`The declarations of @eddy/api (${apiTypes}) are missing; run \`npm run build\` in the Eddy repository`);
  const nodeTypes = dirname(require.resolve('@types/node/package.json'));
  const { version } = JSON.parse(readFileSync(require.resolve('typescript/package.json'), 'utf8')) as { version: string };
  return { apiTypes, typeRoot: dirname(nodeTypes), typescriptVersion: version };
}

/** The compilerOptions of a job's tsconfig.json, as JSON (what `eddy init` writes and the check parses). */
export function jobCompilerOptions(environment: JobTypeEnvironment): Record<string, unknown> {
  return {
    target: 'ES2022',
    lib: ['ES2023'],
    module: 'preserve',
    moduleResolution: 'bundler',
    allowImportingTsExtensions: true,
    resolveJsonModule: true,
    isolatedModules: true,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    typeRoots: [environment.typeRoot],
    paths: { '@eddy/api': [environment.apiTypes] },
  };
}

/** Whether a job file is TypeScript (checked) rather than JavaScript (bundled as it is). */
export function isTypeScriptFile(file: string): boolean {
  return /\.(ts|mts|cts|tsx)$/.test(file) && !file.endsWith('.d.ts');
}
