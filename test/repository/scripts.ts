/** Running the repository's scripts/ from tests, on the repository or on a layout a test writes. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs `node scripts/<script> <args>` from the repository root to its end. */
export function runScript(script: string, args: string[], extraEnv: Record<string, string> = {}): { status: number | null; output: string } {
  // Without the test runner's marker, or a `node --test` the script starts would not run its files;
  // and without the run's own test concurrency, which a test sets when it means to.
  const { NODE_TEST_CONTEXT: _marker, EDDY_TEST_CONCURRENCY: _concurrency, ...env } = process.env;
  const result = spawnSync(process.execPath, [join(repo, 'scripts', script), ...args], { encoding: 'utf8', cwd: repo, env: { ...env, ...extraEnv } });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Writes `text` to `path` below `dir`, creating the directories on the way. */
export function writeIn(dir: string, path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}
