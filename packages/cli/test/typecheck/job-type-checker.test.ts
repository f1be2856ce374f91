import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatTypeProblems, typeCheckJobFile } from '../../src/typecheck/job-type-checker.js';

describe('typeCheckJobFile', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'eddy-type-checker-'));
  const originalTmpdir = process.env['TMPDIR'];
  // The cache of passed checks goes to the temp directory: this test's own.
  before(() => (process.env['TMPDIR'] = scratch));
  after(() => {
    if (originalTmpdir === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = originalTmpdir;
    rmSync(scratch, { recursive: true, force: true });
  });

  it('passes a good job, remembers the outcome, and checks again once a file it read has changed', async () => {
    const helper = join(scratch, 'helper.ts');
    const job = join(scratch, 'job.ts');
    writeFileSync(helper, 'export const double = (n: number): number => n * 2;\n');
    writeFileSync(job, "import type { JobMain } from '@eddy/api';\nimport { double } from './helper';\n\nconst main: JobMain = (env) => {\n  env.fromSequence(1, 3).map(double).print();\n};\nexport default main;\n");
    assert.deepEqual(await typeCheckJobFile(job), { problems: [], cached: false });
    assert.deepEqual(await typeCheckJobFile(job), { problems: [], cached: true });

    writeFileSync(helper, 'export const double = (n: string): string => n + n;\n');
    const { problems, cached } = await typeCheckJobFile(job);
    assert.equal(cached, false);
    assert.equal(problems.length, 1, formatTypeProblems(problems).join('\n'));
    assert.equal(problems[0]?.file, job);
    assert.equal(problems[0]?.line, 5);
    assert.equal(problems[0]?.code, 2345);
    assert.deepEqual(await typeCheckJobFile(job), { problems, cached: true }, 'a failed check is remembered too');
    writeFileSync(helper, 'export const double = (n: number): number => n + n;\n');
    assert.deepEqual(await typeCheckJobFile(job), { problems: [], cached: false });
  });

  it("leaves syntax errors and imports a job may not make to the bundler, which says them in Eddy's words", async () => {
    const syntax = join(scratch, 'syntax.ts');
    writeFileSync(syntax, 'export default function main(env) {\n  env.fromElements(1).map((n => n).print();\n}\n');
    assert.deepEqual((await typeCheckJobFile(syntax)).problems, []);
    const forbidden = join(scratch, 'forbidden.ts');
    writeFileSync(forbidden, "import type { JobMain } from '@eddy/api';\nimport { JobClient } from '@eddy/no-such-package';\nimport { RpcService } from '@eddy/rpc';\n\nconst main: JobMain = () => {\n  console.log(JobClient, RpcService);\n};\nexport default main;\n");
    const problems = (await typeCheckJobFile(forbidden)).problems;
    assert.deepEqual(
      problems.map((problem) => [problem.line, problem.code]),
      [[2, 2307]],
      'only the unknown package, not the forbidden one, is a type problem',
    );
  });

  it('lists at most ten problems, one line each, and says how many more there are', () => {
    const problems = Array.from({ length: 12 }, (_, i) => ({ file: '/jobs/job.ts', line: i + 1, column: 3, message: `problem ${i + 1}`, code: 2304 }));
    const lines = formatTypeProblems(problems);
    assert.equal(lines.length, 11);
    assert.equal(lines[0], '/jobs/job.ts:1:3: problem 1 (TS2304)');
    assert.equal(lines[10], '... and 2 more');
  });
});
