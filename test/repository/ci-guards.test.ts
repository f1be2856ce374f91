import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { repo, runScript, writeIn } from './scripts.js';

const scratch = mkdtempSync(join(tmpdir(), 'eddy-ci-guards-'));

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

  describe('run-tests lists the tests from their sources', () => {
    const checkout = join(scratch, 'run-tests');
    const write = (path: string, text: string): void => writeIn(checkout, path, text);
    const passing = (name: string): string => `import { test } from 'node:test';\ntest(${JSON.stringify(name)}, () => {});\n`;
    write('packages/demo/test/kept.test.ts', '// compiled below\n');
    write('packages/demo/dist/test/kept.test.js', passing('a test whose source is there'));
    write('test/cli/top.test.ts', '// compiled below\n');
    write('test/dist/cli/top.test.js', passing('a top-level test whose source is there'));
    // Left in dist/ by a build before its source was deleted: it must not run.
    write('packages/demo/dist/test/deleted.test.js', "import { test } from 'node:test';\ntest('a stale compiled test', () => { throw new Error('ran a test whose source is gone'); });\n");

    it('runs the compiled file of each source, and not a compiled test whose source was deleted', () => {
      const run = runScript('run-tests.mjs', ['--root', checkout]);
      assert.equal(run.status, 0, run.output);
      assert.match(run.output, /a test whose source is there/);
      assert.match(run.output, /a top-level test whose source is there/);
      assert.doesNotMatch(run.output, /stale compiled test|deleted\.test/);
    });

    it('runs the main group two files at a time unless EDDY_TEST_CONCURRENCY says otherwise, and refuses a value that is not a whole number >= 1', () => {
      assert.match(runScript('run-tests.mjs', ['--root', checkout]).output, /Running 2 test files, 2 at a time/);
      assert.match(runScript('run-tests.mjs', ['--root', checkout], { EDDY_TEST_CONCURRENCY: '1' }).output, /Running 2 test files, 1 at a time/);
      const refused = runScript('run-tests.mjs', ['--root', checkout], { EDDY_TEST_CONCURRENCY: 'two' });
      assert.equal(refused.status, 1);
      assert.match(refused.output, /EDDY_TEST_CONCURRENCY must be a whole number >= 1, not 'two'/);
    });

    it('fails, naming the file, when a test source has no compiled file', () => {
      write('packages/demo/test/unbuilt.test.ts', '// never compiled\n');
      try {
        const run = runScript('run-tests.mjs', ['--root', checkout]);
        assert.equal(run.status, 1, run.output);
        assert.match(run.output, /packages\/demo\/test\/unbuilt\.test\.ts -> packages\/demo\/dist\/test\/unbuilt\.test\.js is missing/);
        assert.match(run.output, /npm run build/);
        assert.doesNotMatch(run.output, /a test whose source is there/, 'nothing runs');
      } finally {
        rmSync(join(checkout, 'packages/demo/test/unbuilt.test.ts'));
      }
    });
  });

  it("names in README.md, as the test command, exactly what .ci/run runs", () => {
    const ciCommand = readFileSync(join(repo, '.ci', 'run'), 'utf8').trim().split('\n').at(-1)!;
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('**The test command.**'));
    assert.ok(section.length > 0, 'README.md has its test command section');
    const block = /```sh\n([^\n]+)\n```/.exec(section);
    assert.equal(block?.[1], ciCommand);
  });
});
