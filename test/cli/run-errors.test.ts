/** `eddy run` refusing what it cannot run, before or without a cluster, as a user runs it. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { refusedPort } from '../cluster/cluster-harness.js';
import { cliJob, killCliProcesses, runEddyLines } from './eddy-cli.js';

after(killCliProcesses);

const scratch = mkdtempSync(join(tmpdir(), 'eddy-cli-run-errors-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('eddy run errors', () => {
  const noStack = (stderr: readonly string[]): void => assert.ok(!stderr.some((line) => /^\s+at /.test(line)), `no stack trace without --verbose: ${stderr.join('\n')}`);

  it('names the address, the cause and how to start a JobManager when none answers', async () => {
    const port = await refusedPort();
    const { code, stdout, stderr } = await runEddyLines(['run', cliJob('numbers'), '-m', `127.0.0.1:${port}`]);
    assert.equal(code, 1);
    assert.deepEqual(stdout, []);
    assert.match(stderr.join('\n'), new RegExp(`^eddy: Could not reach a JobManager at 127\\.0\\.0\\.1:${port}: connection refused .*start one with \`eddy jobmanager\``));
    noStack(stderr);
  });

  it('says a missing job file does not exist', async () => {
    const missing = join(scratch, 'missing.ts');
    const { code, stderr } = await runEddyLines(['run', missing, '-m', '127.0.0.1:1']);
    assert.equal(code, 1);
    assert.equal(stderr.join('\n'), `eddy: Job file ${missing} does not exist; pass the path of the job's module (.ts, .js or .mjs)`);
  });

  it('points at the file and line of a job that does not compile', async () => {
    const broken = join(scratch, 'broken.ts');
    writeFileSync(broken, "import type { JobMain } from '@eddy/api';\nconst main: JobMain = (env) => {\n  env.fromElements(1, 2).map((n => n).print();\n};\nexport default main;\n");
    const { code, stderr } = await runEddyLines(['run', broken, '-m', '127.0.0.1:1']);
    assert.equal(code, 1);
    assert.match(stderr.join('\n'), new RegExp(`^eddy: Job file ${broken} does not compile:\n  ${broken}:3:\\d+: `));
    noStack(stderr);
  });

  it("shows in one line where the job's own code threw while it built its pipeline", async () => {
    const throwing = join(scratch, 'throwing.ts');
    writeFileSync(throwing, "import type { JobMain } from '@eddy/api';\nconst main: JobMain = () => {\n  throw new Error('no input given');\n};\nexport default main;\n");
    // The job type-checks; the check itself is typecheck.test.ts's, and costs seconds: skipped here.
    const { code, stderr } = await runEddyLines(['run', '--no-typecheck', throwing, '-m', '127.0.0.1:1']);
    assert.equal(code, 1);
    assert.deepEqual(stderr, [`eddy: Job file ${throwing} failed while it built its pipeline: Error: no input given (at ${throwing}:3:9)`]);
  });

  it("names the user's line, not the API's frames, when the API refuses a call; --verbose shows the whole stack", async () => {
    const emptyPath = join(scratch, 'empty-path.ts');
    writeFileSync(emptyPath, "import type { JobMain } from '@eddy/api';\n\nconst main: JobMain = (env) => {\n  env.readTextFile('').print();\n};\nexport default main;\n");
    const plain = await runEddyLines(['run', '--no-typecheck', emptyPath, '-m', '127.0.0.1:1']);
    assert.equal(plain.code, 1);
    assert.deepEqual(plain.stderr, [`eddy: Job file ${emptyPath} failed while it built its pipeline: TypeError: readTextFile needs a path (at ${emptyPath}:4:7)`]);
    const verbose = await runEddyLines(['run', '--no-typecheck', emptyPath, '-m', '127.0.0.1:1', '--verbose']);
    assert.equal(verbose.code, 1);
    const text = verbose.stderr.join('\n');
    assert.match(text, /^eddy: JobFileError: Job file .* failed while it built its pipeline: TypeError: readTextFile needs a path \(at .*\)\n\s+at /);
    assert.match(text, /\nCaused by: TypeError: readTextFile needs a path\n\s+at StreamExecutionEnvironment\.readTextFile \(.*packages[\\/]api[\\/]/, 'the API frame is there with --verbose');
  });

  it("refuses a parallelism that is not a whole number, with commander's message", async () => {
    const { code, stderr } = await runEddyLines(['run', cliJob('numbers'), '-p', 'zero']);
    assert.equal(code, 1);
    assert.equal(stderr.join('\n'), "error: option '-p, --parallelism <n>' argument 'zero' is invalid. expected a whole number from 1 to 32768, for example -p 4\n(`eddy run --help` shows the usage)");
  });

  it('refuses an invalid -D value, naming the key, the value and what it expects', async () => {
    const { code, stderr } = await runEddyLines(['run', cliJob('numbers'), '-D', 'heartbeat.interval=often']);
    assert.equal(code, 1);
    assert.match(stderr.join('\n'), /^eddy: Invalid value 'often' for heartbeat\.interval \(from command line\): expected a duration/);
  });
});
