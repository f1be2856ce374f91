#!/usr/bin/env node
// Runs the test files with Node's built-in test runner, so CI reads one summary (two when the
// long-running files below are part of the run: they go second, with their own timeout).
//
// Tests are listed from the sources (`*.test.ts` under packages/*/test and test/) and run as the
// files `npm run build` compiles them to (packages/<p>/dist/test/..., test/dist/...). So a
// compiled test whose source was deleted (left behind in dist/) is never run, and a source whose
// compiled file is missing fails the run instead of passing unnoticed.
//
// Arguments narrow the run to tests whose compiled or source path contains one of them:
//   node scripts/run-tests.mjs rpc-endpoint
// `--root DIR` runs the tests of another checkout (the repository's own tests use it).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const rootFlag = args.indexOf('--root');
const root = rootFlag >= 0 ? resolve(args.splice(rootFlag, 2)[1] ?? '.') : join(fileURLToPath(import.meta.url), '..', '..');
const filters = args;

/** Where test sources live, and where the build puts their compiled files. */
const testRoots = [
  ...readdirSync(join(root, 'packages')).map((p) => ({ source: join(root, 'packages', p, 'test'), compiled: join(root, 'packages', p, 'dist', 'test') })),
  { source: join(root, 'test'), compiled: join(root, 'test', 'dist') },
];

/** Every *.test.ts below `dir`, leaving out build outputs and installed packages. */
function sources(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    if (name === 'dist' || name === 'node_modules') return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const tests = testRoots
  .flatMap(({ source, compiled }) => sources(source).map((file) => ({ source: file, compiled: join(compiled, relative(source, file)).replace(/\.ts$/, '.js') })))
  .filter(({ source, compiled }) => filters.length === 0 || filters.some((x) => compiled.includes(x) || source.includes(x)))
  .sort((a, b) => a.compiled.localeCompare(b.compiled));
if (tests.length === 0) {
  console.error(filters.length === 0 ? 'No test sources (*.test.ts) found.' : `No test file matches ${filters.map((f) => `'${f}'`).join(', ')}.`);
  process.exit(1);
}
const missing = tests.filter(({ compiled }) => !existsSync(compiled));
if (missing.length > 0) {
  console.error(
    `${missing.length} test source(s) have no compiled file; run \`npm run build\` (and fix what stops it) first:\n` +
      missing.map(({ source, compiled }) => `  ${relative(root, source)} -> ${relative(root, compiled)} is missing`).join('\n'),
  );
  process.exit(1);
}
const files = tests.map(({ compiled }) => compiled);

/**
 * Per test, and per file too: node --test applies --test-timeout to each file as a whole.
 * Two minutes: a hang is still caught, and the files that start many `eddy` processes (each one
 * bundles and type-checks a job) keep their margin when two files run at once on a loaded machine.
 */
const DEFAULT_TIMEOUT_MS = 120_000;
/**
 * Files that need more time than that, run after the others in a second `node --test` with their
 * own timeout. compose-podman builds an image and runs a cluster in containers; on a fresh
 * machine it also installs Podman and builds the base image first. The S3 tests install moto
 * on a machine that lacks it. fresh-clone runs `npm ci` in a
 * copy of the repository (about 15 s, more under load) before it tries the CLI there.
 */
const LONG_RUNNING = new Map([
  [join('test', 'dist', 'cli', 'fresh-clone.test.js'), 10 * 60_000],
  [join('test', 'dist', 'docker', 'compose-podman.test.js'), 30 * 60_000],
  // A fresh machine installs moto (scripts/install-moto.sh, about a minute) before the first of them.
  [join('test', 'dist', 's3', 's3-checkpoints.test.js'), 5 * 60_000],
  [join('test', 'dist', 's3', 's3-restore-and-errors.test.js'), 5 * 60_000],
  [join('test', 'dist', 's3', 's3-state-file-system.test.js'), 5 * 60_000],
  // A real Kafka broker (installed by scripts/install-kafka.sh when missing) and a cluster whose
  // TaskManagers are killed mid-job.
  [join('test', 'dist', 'kafka', 'kafka-connector.test.js'), 5 * 60_000],
  [join('test', 'dist', 'kafka', 'kafka-faults.test.js'), 5 * 60_000],
  [join('test', 'dist', 'kafka', 'kafka-enumerator.test.js'), 5 * 60_000],
]);

const timeoutOf = (file) => LONG_RUNNING.get(relative(root, file)) ?? DEFAULT_TIMEOUT_MS;
/**
 * How many test files of the main group run at once (EDDY_TEST_CONCURRENCY, default 2). Most
 * files spend their time waiting for processes they start, so two at a time nearly halve the
 * run on two cores; every multi-process test uses ephemeral ports and its own temp directories,
 * so files do not meet. The long-running files run one at a time.
 */
const CONCURRENCY = Number.parseInt(process.env['EDDY_TEST_CONCURRENCY'] ?? '2', 10);
if (!(CONCURRENCY >= 1)) {
  console.error(`EDDY_TEST_CONCURRENCY must be a whole number >= 1, not '${process.env['EDDY_TEST_CONCURRENCY']}'`);
  process.exit(1);
}
const runs = [...new Set(files.map(timeoutOf))].sort((a, b) => a - b).map((timeoutMs) => ({ timeoutMs, files: files.filter((f) => timeoutOf(f) === timeoutMs) }));
let failed = false;
for (const { timeoutMs, files: group } of runs) {
  const concurrency = timeoutMs === DEFAULT_TIMEOUT_MS ? CONCURRENCY : 1;
  console.log(`Running ${group.length} test files, ${concurrency} at a time (timeout ${timeoutMs / 1000} s per test and per file):\n${group.map((f) => `  ${relative(root, f)}`).join('\n')}`);
  const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, `--test-timeout=${timeoutMs}`, ...group], { stdio: 'inherit', cwd: root });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
