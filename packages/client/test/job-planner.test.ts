import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobFileError, type JobFileErrorKind } from '../src/client-errors.js';
import { bundleJob, type JobBundle } from '../src/job-bundler.js';
import { CONTRACT_VERSION, type JobPlan } from '@eddy/api/internal';
import { inputPathNotes, planJob, withResolvedInputPaths } from '../src/job-planner.js';
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
    assert.equal(plan.contractVersion, CONTRACT_VERSION, "the contract version of the bundle's API (the fake API declares the real one)");
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

describe('withResolvedInputPaths', () => {
  let dir: JobDir;
  before(async () => {
    dir = await JobDir.create();
  });
  after(() => dir.remove());

  const split = (path: string, start = 0, length = -1): string => JSON.stringify({ path, start, length });
  const planWith = (inputSplits: string[]): JobPlan => ({
    jobName: 'files',
    configuration: {},
    fingerprint: 'f',
    edges: [],
    vertices: [{ id: 'source-0', name: 'Source: Text File', parallelism: 2, maxParallelism: 0, slotSharingGroup: 'default', operators: [], inputSplits }],
  });

  it("makes a relative path absolute against the client's directory when the file is there, and notes it once", async () => {
    const absolute = await dir.write('input.txt', 'a\nb\n');
    const plan = withResolvedInputPaths(planWith([split('input.txt', 0, 2), split('input.txt', 2, 2)]), dir.path);
    assert.deepEqual(
      plan.vertices[0]?.inputSplits.map((json) => JSON.parse(json) as unknown),
      [
        { path: absolute, start: 0, length: 2, given: 'input.txt' },
        { path: absolute, start: 2, length: 2, given: 'input.txt' },
      ],
    );
    assert.deepEqual(inputPathNotes(plan.vertices), [{ vertexName: 'Source: Text File', given: 'input.txt', resolved: absolute }]);
  });

  it('leaves a relative path with no file in that directory, and an absolute path, as they are', () => {
    const splits = [split('only-on-the-taskmanagers.txt'), split('/data/absolute.txt')];
    const plan = withResolvedInputPaths(planWith(splits), dir.path);
    assert.deepEqual(plan.vertices[0]?.inputSplits, splits);
    assert.deepEqual(inputPathNotes(plan.vertices), [{ vertexName: 'Source: Text File', given: 'only-on-the-taskmanagers.txt', resolved: undefined }]);
  });
});
