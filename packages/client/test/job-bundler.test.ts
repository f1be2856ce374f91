import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { JobFileError, type JobFileErrorKind } from '../src/client-errors.js';
import { bundleJob, type JobBundle } from '../src/job-bundler.js';
import { FAKE_API_DIR, JobDir, NUMBERS_JOB } from './fixtures/job-files.js';

/** The JobFileError `promise` rejects with, checked to be of `kind`. */
async function jobFileError(promise: Promise<unknown>, kind: JobFileErrorKind): Promise<JobFileError> {
  const error = await promise.then(
    () => assert.fail(`expected a JobFileError of kind ${kind}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof JobFileError, `expected a JobFileError, got ${String(error)}`);
  assert.equal(error.kind, kind, error.message);
  return error;
}

interface BundleExports {
  readonly default: unknown;
  readonly __eddy: Record<string, unknown>;
}

describe('bundleJob', () => {
  let dir: JobDir;
  const bundles: JobBundle[] = [];
  const bundle = async (jobFile: string, options: { apiPackageDir?: string; outDir?: string } = { apiPackageDir: FAKE_API_DIR }): Promise<JobBundle> => {
    const result = await bundleJob(jobFile, options);
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

  it('bundles a job file outside the repository, with no package.json, that imports @eddy/api', async () => {
    const jobFile = await dir.write('numbers.js', NUMBERS_JOB);
    assert.equal(existsSync(join(dirname(jobFile), 'package.json')), false);

    const result = await bundle(jobFile);

    assert.equal(result.jobFile, jobFile);
    assert.match(result.bundlePath, /\.mjs$/);
    const bytes = await readFile(result.bundlePath);
    assert.equal(result.size, bytes.length);
    assert.equal(result.key, createHash('sha256').update(bytes).digest('hex'));
    const exports = (await import(pathToFileURL(result.bundlePath).href)) as BundleExports;
    assert.equal(typeof exports.default, 'function');
    assert.equal(typeof exports.__eddy['buildPlan'], 'function');
  });

  it('gives the same bytes for the same source wherever the bundle is written, and another key when the source changes', async () => {
    const jobFile = await dir.write('same.js', NUMBERS_JOB);
    const first = await bundle(jobFile);
    const second = await bundle(jobFile, { apiPackageDir: FAKE_API_DIR, outDir: join(dir.path, 'out') });

    assert.notEqual(first.bundlePath, second.bundlePath);
    assert.equal(second.key, first.key);
    assert.deepEqual(await readFile(second.bundlePath), await readFile(first.bundlePath));

    await dir.write('same.js', NUMBERS_JOB.replace("'Print'", "'Print!'"));
    assert.notEqual((await bundle(jobFile)).key, first.key);
  });

  it("bundles @eddy/api from the client's own installed copy by default", async () => {
    const jobFile = await dir.write('default-api.js', "import * as api from '@eddy/api';\nexport default function main() { return api; }\n");
    const result = await bundle(jobFile, {});
    const exports = (await import(pathToFileURL(result.bundlePath).href)) as BundleExports;
    assert.equal(typeof exports.default, 'function');
    assert.equal(typeof exports.__eddy, 'object');
  });

  it('compiles TypeScript, and lets type-only imports of runtime packages through', async () => {
    const jobFile = await dir.write(
      'typed.ts',
      "import type { eddy_jobgraph_v1 } from '@eddy/proto';\nconst name: string = 'typed';\nexport default function main(graph?: eddy_jobgraph_v1.JobGraph): string { return graph?.name ?? name; }\n",
    );
    const result = await bundle(jobFile);
    const exports = (await import(pathToFileURL(result.bundlePath).href)) as BundleExports;
    assert.equal((exports.default as () => string)(), 'typed');
  });

  it("lets CommonJS libraries the job imports require Node's built-in modules", async () => {
    await dir.write('eol.cjs', "const os = require('node:os');\nmodule.exports = { eol: () => os.EOL };\n");
    const jobFile = await dir.write('uses-cjs.js', "import lib from './eol.cjs';\nexport default function main() { return lib.eol(); }\n");
    const result = await bundle(jobFile);
    const exports = (await import(pathToFileURL(result.bundlePath).href)) as BundleExports;
    assert.equal((exports.default as () => string)(), '\n');
  });

  it('refuses a missing job file, naming the path it tried', async () => {
    const missing = join(dir.path, 'nope', 'job.ts');
    const error = await jobFileError(bundleJob(missing, { apiPackageDir: FAKE_API_DIR }), 'not-found');
    assert.equal(error.jobFile, missing);
    assert.ok(error.message.includes(missing), error.message);
    assert.match(error.message, /does not exist/);
  });

  it('reports a syntax error with the file, line and column', async () => {
    const jobFile = await dir.write('broken.ts', "export default function main() {\n  const x = ;\n}\n");
    const error = await jobFileError(bundleJob(jobFile, { apiPackageDir: FAKE_API_DIR }), 'compile');
    assert.ok(error.message.includes(`${jobFile}:2:13`), error.message);
    assert.match(error.message, /Unexpected ";"/);
    assert.deepEqual(
      error.problems.map((p) => [p.file, p.line, p.column]),
      [[jobFile, 2, 13]],
    );
  });

  it('reports an import that cannot be resolved as a compile error naming it', async () => {
    const jobFile = await dir.write('unresolved.js', "import 'left-pad-that-is-not-installed';\nexport default function main() {}\n");
    const error = await jobFileError(bundleJob(jobFile, { apiPackageDir: FAKE_API_DIR }), 'compile');
    assert.ok(error.message.includes(`${jobFile}:1:8`), error.message);
    assert.match(error.message, /left-pad-that-is-not-installed/);
  });

  it('refuses each import of a package that runs only inside the cluster, naming it and where it is imported', async () => {
    const helper = await dir.write('helper.js', "import pino from 'pino';\nexport const log = pino;\n");
    const forbidden = [
      'node:worker_threads',
      'worker_threads',
      '@eddy/runtime',
      '@eddy/rpc',
      '@eddy/proto',
      '@eddy/client',
      '@eddy/cli',
      '@eddy/common',
      '@grpc/grpc-js',
      'pino/file',
    ];
    const jobFile = await dir.write(
      'forbidden.js',
      `${forbidden.map((specifier) => `import ${JSON.stringify(specifier)};`).join('\n')}\nimport { log } from './helper.js';\nexport default function main() { return log; }\n`,
    );

    const error = await jobFileError(bundleJob(jobFile, { apiPackageDir: FAKE_API_DIR }), 'forbidden-import');

    const why = 'runs only inside the TaskManager; jobs may import only @eddy/api';
    forbidden.forEach((specifier, index) => {
      assert.ok(error.message.includes(`${jobFile}:${index + 1}:8: '${specifier}' ${why}`), `${specifier} in: ${error.message}`);
    });
    assert.ok(error.message.includes(`${helper}:1:18: 'pino' ${why}`), error.message);
    assert.equal(error.problems.length, forbidden.length + 1);
  });

  it('refuses a job file without a default export', async () => {
    const jobFile = await dir.write('no-default.js', 'export function main() {}\n');
    const error = await jobFileError(bundleJob(jobFile, { apiPackageDir: FAKE_API_DIR }), 'no-default-export');
    assert.ok(error.message.includes(jobFile), error.message);
    assert.match(error.message, /has no default export; export the job's main function/);
  });

  it('removes the bundle and its temp directory on dispose', async () => {
    const jobFile = await dir.write('disposed.js', NUMBERS_JOB);
    const result = await bundleJob(jobFile, { apiPackageDir: FAKE_API_DIR });
    await result.dispose();
    assert.equal(existsSync(result.bundlePath), false);
    assert.equal(existsSync(dirname(result.bundlePath)), false);
  });
});
