#!/usr/bin/env node
// Runs every compiled test file (*.test.js under packages/*/dist/test and test/dist) with Node's
// built-in test runner, so CI reads one summary (two when the long-running files below are part of
// the run: they go second, with their own timeout). Arguments narrow the run to paths containing them:
//   node scripts/run-tests.mjs rpc-endpoint
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const testRoots = [
  ...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'dist', 'test')),
  join(root, 'test', 'dist'),
];

function find(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

/** Per test, and per file too: node --test applies --test-timeout to each file as a whole. */
const DEFAULT_TIMEOUT_MS = 60_000;
/**
 * Files that need more time than that, run after the others in a second `node --test` with their
 * own timeout. compose-podman builds an image and runs a cluster in containers; on a fresh
 * machine it also installs Podman and builds the base image first. fresh-clone runs `npm ci` in a
 * copy of the repository (about 15 s, more under load) before it tries the CLI there.
 */
const LONG_RUNNING = new Map([
  [join('test', 'dist', 'cli', 'fresh-clone.test.js'), 10 * 60_000],
  [join('test', 'dist', 'docker', 'compose-podman.test.js'), 30 * 60_000],
]);

const filters = process.argv.slice(2);
const files = testRoots.flatMap(find).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error('No compiled test files found; run `npm run build` first.');
  process.exit(1);
}
const timeoutOf = (file) => LONG_RUNNING.get(relative(root, file)) ?? DEFAULT_TIMEOUT_MS;
const runs = [...new Set(files.map(timeoutOf))].sort((a, b) => a - b).map((timeoutMs) => ({ timeoutMs, files: files.filter((f) => timeoutOf(f) === timeoutMs) }));
let failed = false;
for (const { timeoutMs, files: group } of runs) {
  console.log(`Running ${group.length} test files (timeout ${timeoutMs / 1000} s per test and per file):\n${group.map((f) => `  ${relative(root, f)}`).join('\n')}`);
  const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', `--test-timeout=${timeoutMs}`, ...group], { stdio: 'inherit', cwd: root });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
