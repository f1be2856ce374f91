/**
 * `eddy init` sets up a directory for jobs outside the repository (under the system temp directory,
 * with no package.json or node_modules above it) whose jobs type-check with `tsc --noEmit` as
 * `eddy run` and `eddy info` check them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCommand, runEddy } from './eddy-cli.js';

const TSC = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));

const scratch = mkdtempSync(join(tmpdir(), 'eddy-init-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('eddy init', () => {
  it('writes a job directory where tsc --noEmit and eddy info find a type error at the same place', async () => {
    // That the sample itself type-checks and runs, with eddy on the PATH, is the fresh-clone test's.
    const dir = join(scratch, 'my jobs');
    const init = await runEddy(['init', dir]);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /^Wrote package\.json, tsconfig\.json, word-count\.ts to .*my jobs\.\n/);
    assert.equal((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type: string }).type, 'module');

    const job = join(dir, 'word-count.ts');
    writeFileSync(job, readFileSync(job, 'utf8').replace('.flatMap(', '.flatMapp('));
    const tsc = await runCommand(process.execPath, [TSC, '--noEmit', '-p', dir], { timeoutMs: 50_000 });
    assert.notEqual(tsc.code, 0);
    const at = /word-count\.ts\((\d+),(\d+)\): error TS2551: Property 'flatMapp' does not exist/.exec(tsc.stdout);
    assert.ok(at !== null, tsc.stdout);
    const refused = await runEddy(['info', job], { timeoutMs: 50_000 });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`^  ${escape(job)}:${at[1]}:${at[2]}: Property 'flatMapp' does not exist`, 'm'));
  });

  it('keeps existing files unless --force', async () => {
    const dir = join(scratch, 'twice');
    assert.equal((await runEddy(['init', dir])).code, 0);
    writeFileSync(join(dir, 'word-count.ts'), '// mine\n');
    const again = await runEddy(['init', dir]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `eddy: ${dir} already has package.json, tsconfig.json, word-count.ts; keep them, or overwrite them with \`eddy init --force\`\n`);
    assert.equal(readFileSync(join(dir, 'word-count.ts'), 'utf8'), '// mine\n');
    assert.equal((await runEddy(['init', dir, '--force'])).code, 0);
    assert.match(readFileSync(join(dir, 'word-count.ts'), 'utf8'), /flatMap/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
