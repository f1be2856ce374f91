import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'eddy-ci-guards-'));

function runScript(script: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [join(repo, 'scripts', script), ...args], { encoding: 'utf8', cwd: repo });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('the guards npm test runs before the tests', () => {
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('check:proto passes on a copy of the repository and fails, naming the stale file, once a proto changes', () => {
    const copy = join(scratch, 'proto-copy');
    cpSync(join(repo, 'proto'), join(copy, 'proto'), { recursive: true });
    cpSync(join(repo, 'packages', 'proto', 'src', 'generated'), join(copy, 'packages', 'proto', 'src', 'generated'), { recursive: true });
    assert.equal(runScript('gen-proto.mjs', ['--check', '--root', copy]).status, 0);

    const proto = join(copy, 'proto', 'eddy', 'testing', 'v1', 'testing.proto');
    writeFileSync(proto, readFileSync(proto, 'utf8').replace('int64 delta = 1;', 'int64 delta = 1;\n  string reason = 2;'));
    const stale = runScript('gen-proto.mjs', ['--check', '--root', copy]);
    assert.equal(stale.status, 1);
    assert.match(stale.output, /eddy\/testing\/v1\.ts/);
    assert.match(stale.output, /npm run gen:proto/);
  });

  it('check:cycles fails on two source files that import each other, naming both', () => {
    const dir = join(scratch, 'cycle');
    cpSync(join(repo, 'packages', 'rpc', 'src', 'rpc-address.ts'), join(dir, 'acyclic.ts'));
    writeFileSync(join(dir, 'left.ts'), "import { right } from './right.js';\nexport const left = (): number => right() + 1;\n");
    writeFileSync(join(dir, 'right.ts'), "import { left } from './left.js';\nexport const right = (): number => left() - 1;\n");
    const cyclic = runScript('check-cycles.mjs', [dir]);
    assert.equal(cyclic.status, 1);
    assert.match(cyclic.output, /left\.ts -> right\.ts -> left\.ts|right\.ts -> left\.ts -> right\.ts/);
    rmSync(join(dir, 'right.ts'));
    writeFileSync(join(dir, 'left.ts'), 'export const left = (): number => 1;\n');
    assert.equal(runScript('check-cycles.mjs', [dir]).status, 0);
  });
});
