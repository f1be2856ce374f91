/**
 * `eddy init [dir]`: a directory for jobs that live outside the Eddy repository. It writes
 *
 *   package.json   an ES module package, with scripts that run and check the sample job
 *   tsconfig.json  the settings `eddy run` type-checks jobs with (job-compiler-options.ts), with
 *                  `@eddy/api` resolved to this CLI's copy and Node's types from this CLI, so
 *                  editors and `tsc --noEmit` see what `eddy run` sees, with nothing installed
 *   word-count.ts  a sample job
 *
 * The paths in tsconfig.json are absolute: after moving or updating the Eddy clone, run
 * `eddy init --force` again. Existing files are kept unless --force.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { printText } from '../output/print.js';
import { jobCompilerOptions, jobTypeEnvironment } from '../typecheck/job-compiler-options.js';

interface InitFlags {
  readonly force?: boolean;
}

export const SAMPLE_JOB_FILE = 'word-count.ts';

/** The sample job: a WordCount over lines given in the job, its counts sent back to `eddy run`. */
export const SAMPLE_JOB = `// A WordCount: lines -> words -> a running count per word, sent back to \`eddy run\` by collect().
//   eddy run --local ${SAMPLE_JOB_FILE}                 in this process, no cluster needed
//   eddy run -m localhost:6123 ${SAMPLE_JOB_FILE}       on a running cluster
//   eddy info ${SAMPLE_JOB_FILE}                        the plan: operators, chains, slots
import type { Collector, JobMain } from '@eddy/api';

const main: JobMain = (env, args) => {
  const lines = args.length > 0 ? args : ['to be or not to be', 'that is the question'];
  env.setJobName('WordCount');
  env
    .fromCollection(lines)
    .flatMap((line: string, out: Collector<[string, number]>) => {
      for (const word of line.toLowerCase().split(/\\W+/)) if (word !== '') out.collect([word, 1]);
    })
    .name('Tokenizer')
    .keyBy(([word]) => word)
    .sum(1)
    .collect();
};
export default main;
`;

export function initCommand(): Command {
  return new Command('init')
    .description('set up a directory for jobs outside the Eddy repository: package.json, tsconfig.json (types of this eddy) and a sample job')
    .argument('[dir]', 'the directory; created when missing', '.')
    .option('--force', 'overwrite the files when they exist')
    .addHelpText(
      'after',
      '\nThe tsconfig.json points at the @eddy/api and @types/node of this eddy by absolute path, so editors and\n' +
        '`tsc --noEmit` check a job as `eddy run` does. Run `eddy init --force` again after moving the Eddy clone.\n',
    )
    .action(async (dir: string, flags: InitFlags) => {
      const target = resolve(dir);
      const files = jobDirectoryFiles(target);
      const existing = Object.keys(files).filter((name) => existsSync(join(target, name)));
      if (existing.length > 0 && flags.force !== true) {
        throw new CliError(`${target} already has ${existing.join(', ')}; keep them, or overwrite them with \`eddy init --force\``);
      }
      await mkdir(target, { recursive: true });
      for (const [name, text] of Object.entries(files)) await writeFile(join(target, name), text);
      const cd = relative(process.cwd(), target);
      printText(
        [
          `Wrote ${Object.keys(files).join(', ')} to ${target}.`,
          'Next:',
          ...(cd === '' ? [] : [`  cd ${cd.includes(' ') ? JSON.stringify(cd) : cd}`]),
          `  eddy run --local ${SAMPLE_JOB_FILE}`,
        ].join('\n'),
      );
    });
}

/** The files `eddy init` writes into `dir`, by name. */
export function jobDirectoryFiles(dir: string): Record<string, string> {
  const compilerOptions = jobCompilerOptions(jobTypeEnvironment());
  const packageJson = {
    name: packageNameOf(basename(dir)),
    private: true,
    type: 'module',
    scripts: {
      start: `eddy run --local ${SAMPLE_JOB_FILE}`,
      check: `eddy info ${SAMPLE_JOB_FILE}`,
    },
  };
  const tsconfig = { compilerOptions, include: ['**/*.ts'], exclude: ['node_modules'] };
  return {
    'package.json': `${JSON.stringify(packageJson, null, 2)}\n`,
    // tsconfig.json may carry comments (TypeScript and editors read it as JSON with comments).
    'tsconfig.json': `// Written by \`eddy init\`: the settings \`eddy run\` and \`eddy info\` type-check jobs with.\n${JSON.stringify(tsconfig, null, 2)}\n`,
    [SAMPLE_JOB_FILE]: SAMPLE_JOB,
  };
}

/** A valid npm package name from a directory name. */
function packageNameOf(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|[-]+$/g, '');
  return cleaned === '' ? 'eddy-jobs' : cleaned;
}
