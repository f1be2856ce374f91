#!/usr/bin/env node
// Runs every compiled test file (*.test.js under packages/*/dist/test and test/dist) with Node's
// built-in test runner, so CI reads one summary. Arguments narrow the run to paths containing them:
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

const filters = process.argv.slice(2);
const files = testRoots.flatMap(find).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error('No compiled test files found; run `npm run build` first.');
  process.exit(1);
}
console.log(`Running ${files.length} test files:\n${files.map((f) => `  ${relative(root, f)}`).join('\n')}`);
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-timeout=60000', ...files], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
