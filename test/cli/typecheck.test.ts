/**
 * `eddy run` and `eddy info` type-check a .ts job file and refuse a type error with its
 * file:line:col, unless --no-typecheck. The job is under the system temp directory, with no
 * package.json or node_modules above it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runEddy } from './eddy-cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'eddy-typecheck-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A job whose flatMap is misspelt: esbuild bundles it, only a type check or the plan builder notices. */
const TYPO_JOB = `import type { JobMain } from '@eddy/api';

const main: JobMain = (env) => {
  env.fromElements('a b', 'c').flatMapp((line: string) => line.split(' ')).print();
};
export default main;
`;
const TYPO_MESSAGE = "Property 'flatMapp' does not exist on type 'DataStreamSource<string>'. Did you mean 'flatMap'? (TS2551)";

describe('eddy run and eddy info type-check the job file', () => {
  const typo = join(scratch, 'typo.ts');
  writeFileSync(typo, TYPO_JOB);

  for (const command of ['run', 'info'] as const) {
    it(`eddy ${command} refuses a type error with its file:line:col, before anything else`, async () => {
      // No JobManager at 127.0.0.1:1: the check comes before any connection.
      const result = await runEddy(command === 'run' ? ['run', typo, '-m', '127.0.0.1:1'] : ['info', typo], { timeoutMs: 60_000 });
      assert.equal(result.code, 1);
      assert.equal(result.stdout, '');
      assert.equal(result.stderr, `eddy: Job file ${typo} does not type-check (--no-typecheck skips this check):\n  ${typo}:4:32: ${TYPO_MESSAGE}\n`);
    });

    it(`eddy ${command} --no-typecheck passes it on to the bundler and the plan builder`, async () => {
      const result = await runEddy(command === 'run' ? ['run', '--no-typecheck', typo, '-m', '127.0.0.1:1'] : ['info', '--no-typecheck', typo]);
      assert.equal(result.code, 1);
      assert.equal(result.stderr, `eddy: Job file ${typo} failed while it built its pipeline: TypeError: env.fromElements(...).flatMapp is not a function (at ${typo}:4:32)\n`);
    });
  }
});
