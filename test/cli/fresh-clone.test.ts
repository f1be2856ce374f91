/**
 * A newcomer's first steps, on a fresh copy of the repository: `npm ci`, then `npx eddy` before and
 * after the build, then `eddy` on the PATH with the README's one line (`npm link -w @eddy/cli`),
 * used from a directory of jobs elsewhere: `eddy init`, `tsc --noEmit` on the sample, `eddy run
 * --local` of it.
 *
 * The copy holds the files a clone of this commit would hold (those git tracks), as they are in
 * the working tree, so that a change is tested before it is committed; a file git does not track
 * is left out, as a clone leaves it out. `npm ci` uses the local npm cache only (--offline). The
 * build is not run again in the copy (the quick-start test runs it, and it takes a minute here):
 * the packages' compiled dist/src directories are copied from this repository's build, which is
 * what `npm run build` would write. The global install goes to a prefix in the temp directory, and
 * every npm_* variable of an enclosing `npm test` is cleared, so nothing reaches the real global
 * prefix or this repository.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCommand, type CliResult } from './eddy-cli.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

const scratch = mkdtempSync(join(tmpdir(), 'eddy-fresh-clone-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The environment of this process without what an enclosing `npm test` set for its own scripts. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key) && key !== 'INIT_CWD') env[key] = value;
  return env;
}

/** Runs a command to its end in a clean environment; killed, and failing the test, after timeoutMs (default 60 s). */
function run(command: string, args: readonly string[], options: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<CliResult> {
  return runCommand(command, args, { baseEnv: cleanEnvironment(), timeoutMs: 60_000, ...options });
}

/** Copies the files git tracks, as they are in the working tree, to `target`. */
function copyTrackedFiles(target: string): void {
  const listed = spawnSync('git', ['ls-files', '-z'], { cwd: repo, encoding: 'utf8' });
  assert.equal(listed.status, 0, listed.stderr);
  for (const file of listed.stdout.split('\0')) {
    if (file === '' || !existsSync(join(repo, file))) continue;
    mkdirSync(dirname(join(target, file)), { recursive: true });
    cpSync(join(repo, file), join(target, file));
  }
}

describe('a fresh clone', () => {
  const clone = join(scratch, 'eddy');
  const prefix = join(scratch, 'global');
  const jobs = join(scratch, 'my-jobs');
  const temp = join(scratch, 'tmp');

  it('runs `npx eddy` after npm ci (saying to build first), puts eddy on the PATH with npm link, and runs an `eddy init` job from elsewhere', async () => {
    copyTrackedFiles(clone);
    const install = await run(npm, ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: clone, timeoutMs: 240_000 });
    assert.equal(install.code, 0, `npm ci --offline: ${install.stdout}${install.stderr}`);

    const unbuilt = await run(npx, ['--no', '--', 'eddy', '--help'], { cwd: clone });
    assert.equal(unbuilt.code, 1, unbuilt.stdout + unbuilt.stderr);
    assert.match(unbuilt.stderr, /^eddy: the CLI is not built yet \(.*dist\/src\/bin\/eddy\.js is missing\); run `npm run build` in /m);

    // What `npm run build` writes (see the file comment): each package's dist/src.
    for (const pkg of readdirSync(join(repo, 'packages'))) {
      const built = join(repo, 'packages', pkg, 'dist', 'src');
      if (existsSync(built)) cpSync(built, join(clone, 'packages', pkg, 'dist', 'src'), { recursive: true });
    }
    const help = await run(npx, ['--no', '--', 'eddy', '--help'], { cwd: clone });
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: eddy \[options\] \[command\]/);

    // The README's one line, with the global prefix in the temp directory.
    const link = await run(npm, ['link', '-w', '@eddy/cli', '--offline', '--no-audit', '--no-fund'], { cwd: clone, env: { npm_config_prefix: prefix } });
    assert.equal(link.code, 0, `npm link: ${link.stdout}${link.stderr}`);
    const binDir = process.platform === 'win32' ? prefix : join(prefix, 'bin');
    const path = `${binDir}${delimiter}${process.env['PATH'] ?? ''}`;
    mkdirSync(jobs);
    mkdirSync(temp);
    const eddy = (args: readonly string[], timeoutMs?: number): Promise<CliResult> => run('eddy', args, { cwd: jobs, env: { PATH: path, TMPDIR: temp }, ...(timeoutMs === undefined ? {} : { timeoutMs }) });

    const init = await eddy(['init']);
    assert.equal(init.code, 0, init.stderr);
    const tsconfig = readFileSync(join(jobs, 'tsconfig.json'), 'utf8');
    assert.ok(tsconfig.includes(join(clone, 'packages', 'api', 'dist', 'src', 'index.d.ts')), `@eddy/api resolves to the linked CLI's copy: ${tsconfig}`);

    const tsc = await run(process.execPath, [join(clone, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', jobs], { cwd: jobs, timeoutMs: 120_000 });
    assert.equal(tsc.code, 0, `tsc --noEmit: ${tsc.stdout}${tsc.stderr}`);

    const job = await eddy(['run', '--local', 'word-count.ts'], 120_000);
    assert.equal(job.code, 0, job.stdout + job.stderr);
    assert.match(job.stdout, /Job 'WordCount' RUNNING -> FINISHED/);
    const counts = new Map<string, number>();
    for (const [, word, count] of job.stdout.matchAll(/^\["(\w+)",(\d+)\]$/gm)) counts.set(word as string, Math.max(counts.get(word as string) ?? 0, Number(count)));
    assert.deepEqual(Object.fromEntries(counts), { to: 2, be: 2, or: 1, not: 1, that: 1, is: 1, the: 1, question: 1 });
  });
});
