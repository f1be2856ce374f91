/**
 * When compose-podman.test.ts may skip: only where containers cannot run, and never in CI. It runs
 * here as a child with a PATH that hides podman (and apt-get, so scripts/podman/setup.sh cannot
 * install it): outside CI its tests are skipped with the reason; with CI=true the run fails.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const COMPOSE_PODMAN_TEST = fileURLToPath(new URL('./compose-podman.test.js', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'eddy-container-availability-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** What the test file and setup.sh run before they find podman missing; not podman, not apt-get. */
const TOOLS = ['bash', 'flock', 'cat', 'id', 'dpkg-query', 'grep'];

/** A directory holding links to node and TOOLS only, to be the whole PATH. */
function pathWithoutPodman(): string {
  const bin = join(scratch, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  const dirs = (process.env['PATH'] ?? '').split(':').filter((dir) => dir !== '');
  for (const tool of TOOLS) {
    const path = dirs.map((dir) => join(dir, tool)).find((candidate) => {
      try {
        accessSync(candidate, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    if (path !== undefined) symlinkSync(path, join(bin, tool));
  }
  return bin;
}

const PATH_WITHOUT_PODMAN = pathWithoutPodman();

/** compose-podman.test.js run on its own, without podman on the PATH, with its lock file in the scratch directory. */
function runWithoutPodman(ci: string | undefined): Promise<{ code: number | null; output: string }> {
  // Not under this runner's marker (the child would report to it instead of running as a file
  // of its own), and no CI unless given.
  const { NODE_TEST_CONTEXT: _marker, CI: _ci, ...env } = process.env;
  const child = spawn(process.execPath, ['--test-reporter=spec', COMPOSE_PODMAN_TEST], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...env, PATH: PATH_WITHOUT_PODMAN, TMPDIR: scratch, ...(ci === undefined ? {} : { CI: ci }) },
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`compose-podman.test.js without podman did not end within 45 s:\n${output}`));
    }, 45_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('the container test on a machine whose PATH has no podman', () => {
  it('skips every test with the reason outside CI', async () => {
    const { code, output } = await runWithoutPodman(undefined);
    assert.equal(code, 0, output);
    assert.match(output, /this machine cannot run containers: `podman --version` does not run, and scripts\/podman\/setup\.sh could not make it ready/);
    assert.match(output, /ℹ skipped [1-9]/);
    assert.match(output, /ℹ fail 0/);
  });

  it('fails the run under CI=true instead of skipping', async () => {
    const { code, output } = await runWithoutPodman('true');
    assert.equal(code, 1, output);
    assert.match(output, /CI=true: the container tests must run in CI, not be skipped, but this machine cannot run containers/);
    assert.match(output, /ℹ skipped 0/);
  });
});
