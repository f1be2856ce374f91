import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobFileError, type JobFileErrorKind } from '../src/client-errors.js';
import { bundleJob, type JobBundle } from '../src/job-bundler.js';
import { planJob } from '../src/job-planner.js';
import { FAKE_API_DIR, JobDir, NUMBERS_JOB } from './fixtures/job-files.js';

async function jobFileError(promise: Promise<unknown>, kind: JobFileErrorKind): Promise<JobFileError> {
  const error = await promise.then(
    () => assert.fail(`expected a JobFileError of kind ${kind}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof JobFileError, `expected a JobFileError, got ${String(error)}`);
  assert.equal(error.kind, kind, error.message);
  return error;
}

describe('planJob', () => {
  let dir: JobDir;
  const bundles: JobBundle[] = [];
  const bundle = async (name: string, source: string): Promise<JobBundle> => {
    const result = await bundleJob(await dir.write(name, source), { apiPackageDir: FAKE_API_DIR });
    bundles.push(result);
    return result;
  };

  before(async () => {
    dir = await JobDir.create();
  });
  after(async () => {
    await Promise.all(bundles.map((b) => b.dispose()));
    await dir.remove();
  });

  it("builds the plan through the bundle's own copy of @eddy/api, with the job's arguments", async () => {
    const { bundlePath } = await bundle('numbers.js', NUMBERS_JOB);

    const plan = await planJob(bundlePath, ['--from', '7']);

    assert.equal(plan.jobName, 'numbers');
    assert.deepEqual(plan.configuration, { 'numbers.args': '--from,7' });
    assert.deepEqual(
      plan.vertices.map((v) => [v.id, v.name, v.parallelism]),
      [
        ['source-0', 'Numbers', 2],
        ['map-1', 'Double', 2],
        ['sink-2', 'Print', 3],
      ],
    );
    assert.deepEqual(
      plan.edges.map((e) => [e.source, e.target, e.partitioner]),
      [
        ['source-0', 'map-1', 'forward'],
        ['map-1', 'sink-2', 'rebalance'],
      ],
    );
    assert.match(plan.fingerprint, /^[0-9a-f]{64}$/);
  });

  it("reports a pipeline that throws while it is built as build-failed, with the user's message and file:line", async () => {
    const source = [
      "import { StreamExecutionEnvironment } from '@eddy/api';",
      'type Env = StreamExecutionEnvironment;',
      'export default function main(env: Env, args: string[]): void {',
      "  env.source('Numbers', 1);",
      "  throw new RangeError(`no input file given (args: ${args.length})`);",
      '}',
      '',
    ].join('\n');
    const { bundlePath, jobFile } = await bundle('throws.ts', source);

    const error = await jobFileError(planJob(bundlePath, [], jobFile), 'build-failed');

    assert.ok(error.message.startsWith(`Job file ${jobFile} failed while it built its pipeline: RangeError: no input file given (args: 0)`), error.message);
    assert.equal(error.message, `Job file ${jobFile} failed while it built its pipeline: RangeError: no input file given (args: 0) (at ${jobFile}:5:9)`);
    assert.ok(error.cause instanceof RangeError);
  });

  it('reports a job that throws while it is loaded as build-failed', async () => {
    const { bundlePath, jobFile } = await bundle('load-throws.js', "throw new Error('missing HOME');\nexport default function main() {}\n");
    const error = await jobFileError(planJob(bundlePath, [], jobFile), 'build-failed');
    assert.equal(error.message, `Job file ${jobFile} failed while it was loaded: Error: missing HOME (at ${jobFile}:1:7)`);
  });

  it('refuses a default export that is not a function', async () => {
    const { bundlePath, jobFile } = await bundle('not-a-function.js', "export default { name: 'job' };\n");
    const error = await jobFileError(planJob(bundlePath, [], jobFile), 'no-default-export');
    assert.ok(error.message.includes(jobFile), error.message);
    assert.match(error.message, /exports a default that is an object .*, not a function/);
  });
});
