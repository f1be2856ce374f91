/** eddy info: a job file's plan without a cluster, as a user runs it, and its job-file errors. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseJson, runEddy, type CliResult } from './eddy-cli.js';

const WORD_COUNT = fileURLToPath(new URL('../../../test/streaming/jobs/word-count.ts', import.meta.url));

const scratch = mkdtempSync(join(tmpdir(), 'eddy-info-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const cells = (line: string | undefined): string[] => (line ?? '').trim().split(/\s{2,}/);

/** The rows of the table under `title` in eddy info's output (its header first). */
function section(text: string, title: string): string[] {
  const blocks = text.trimEnd().split('\n\n');
  const block = blocks.find((candidate) => candidate.startsWith(title));
  assert.ok(block !== undefined, `a section '${title}' in:\n${text}`);
  return block.split('\n').slice(1);
}

interface InfoJson {
  jobName: string;
  jobFile: string;
  args: string[];
  configuration: Record<string, string>;
  vertices: { id: string; name: string; parallelism: number; maxParallelism: number; slotSharingGroup: string; operators: { id: string; name: string; kind: string }[] }[];
  edges: { source: string; target: string; partitioner: string; distributionPattern: string }[];
  slots: { total: number; perSlotSharingGroup: Record<string, number> };
}

describe('eddy info', () => {
  it("shows WordCount's two chains, the hash partitioning between them and the slots it needs, without a cluster", async () => {
    const result = await runEddy(['info', WORD_COUNT, 'in.txt', 'out', '3']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const text = result.stdout;
    assert.equal(text.split('\n')[0], "Job 'Eddy Streaming Job'");
    assert.deepEqual(cells(text.split('\n').find((line) => line.trimStart().startsWith('Arguments'))), ['Arguments', '"in.txt" "out" "3"']);
    assert.deepEqual(section(text, 'Tasks').map(cells), [
      ['TASK', 'NAME', 'PARALLELISM', 'MAX PARALLELISM', 'SLOT SHARING GROUP'],
      ['1', 'Source: Text File -> Flat Map', '3', '128', 'default'],
      ['2', 'Keyed Aggregation -> Sink: Text File Sink', '3', '128', 'default'],
    ]);
    assert.deepEqual(
      section(text, 'Operators').map((row) => cells(row).slice(0, 3)),
      [
        ['OPERATOR', 'KIND', 'TASK'],
        ['Source: Text File', 'source', '1'],
        ['Flat Map', 'flatMap', '1'],
        ['Keyed Aggregation', 'keyedReduce', '2'],
        ['Sink: Text File Sink', 'sink', '2'],
      ],
    );
    assert.deepEqual(section(text, 'Edges').map(cells), [
      ['FROM TASK', 'TO TASK', 'PARTITIONER', 'DISTRIBUTION'],
      ['1 Source: Text File -> Flat Map', '2 Keyed Aggregation -> Sink: Text File Sink', 'hash', 'ALL_TO_ALL'],
    ]);
    assert.deepEqual(section(text, 'Slots').map(cells), [
      ['SLOT SHARING GROUP', 'SLOTS'],
      ['default', '3'],
      ['total', '3'],
    ]);
  });

  it('prints the plan as JSON, takes the job arguments after --, and puts -D settings in the job configuration (secrets hidden, the auth token left out)', async () => {
    const result = await runEddy([
      'info', WORD_COUNT, '--json', '-D', 'restart-strategy.type=none', '-D', 's3.secret-key=s3cr3t-value', '-D', 'security.auth.token=t0ken-value', '--', 'in.txt', 'out', '2',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const info = parseJson(result) as InfoJson;
    assert.equal(info.jobFile, WORD_COUNT);
    assert.deepEqual(info.args, ['in.txt', 'out', '2']);
    assert.deepEqual(info.configuration, { 'restart-strategy.type': 'none', 's3.secret-key': '******' });
    assert.ok(!result.stdout.includes('s3cr3t-value') && !result.stdout.includes('t0ken-value'));
    assert.deepEqual(
      info.vertices.map((v) => [v.name, v.parallelism, v.maxParallelism, v.slotSharingGroup, v.operators.map((o) => `${o.name} (${o.kind})`)]),
      [
        ['Source: Text File -> Flat Map', 2, 128, 'default', ['Source: Text File (source)', 'Flat Map (flatMap)']],
        ['Keyed Aggregation -> Sink: Text File Sink', 2, 128, 'default', ['Keyed Aggregation (keyedReduce)', 'Sink: Text File Sink (sink)']],
      ],
    );
    assert.equal(info.vertices[0]?.id, info.vertices[0]?.operators[0]?.id, "a task is named by its head operator's id");
    assert.deepEqual(info.edges, [{ source: info.vertices[0]?.id, target: info.vertices[1]?.id, partitioner: 'hash', distributionPattern: 'ALL_TO_ALL' }]);
    assert.deepEqual(info.slots, { total: 2, perSlotSharingGroup: { default: 2 } });
  });

  /** Exit 1, the message on stderr in one piece, no stack. */
  function assertJobFileError(result: CliResult, message: RegExp): void {
    assert.equal(result.code, 1, result.stdout);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stderr, /\n\s+at .*(job-bundler|job-planner|info-command)/, 'no stack of the CLI without --verbose');
  }

  it('says a job file does not exist, where it looked and what to pass', async () => {
    const result = await runEddy(['info', 'no-such-job.ts'], { cwd: scratch });
    assertJobFileError(result, new RegExp(`^eddy: Job file ${join(scratch, 'no-such-job.ts')} \\(resolved from 'no-such-job.ts' in ${scratch}\\) does not exist; pass the path of the job's module`));
  });

  it('says where a job file does not compile', async () => {
    const file = join(scratch, 'broken.ts');
    writeFileSync(file, "import type { JobMain } from '@eddy/api';\nconst main: JobMain = (env) => {\n  env.fromElements(1, 2).print(;\n};\nexport default main;\n");
    assertJobFileError(await runEddy(['info', file]), new RegExp(`^eddy: Job file ${file} does not compile:\\n  ${file}:3:\\d+: `));
  });

  it('says a job file exports no main function, and how to write one', async () => {
    const file = join(scratch, 'no-default.ts');
    writeFileSync(file, 'export const answer = 42;\n');
    assertJobFileError(await runEddy(['info', file]), /has no default export; export the job's main function: `export default function main\(env, args\) \{ \.\.\. \}`\n$/);
  });

  it("gives the job's own error, at its line, when main throws while it builds the pipeline", async () => {
    const file = join(scratch, 'throws.ts');
    writeFileSync(file, "export default function main(env: unknown, args: string[]) {\n  if (args.length === 0) throw new Error('pass an input file');\n}\n");
    const result = await runEddy(['info', file]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `eddy: Job file ${file} failed while it built its pipeline: Error: pass an input file (at ${file}:2:32)\n`);
  });

  it('refuses a parallelism that is not a whole number of at least 1, as eddy run does', async () => {
    const result = await runEddy(['info', WORD_COUNT, '-p', '0']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: option '-p, --parallelism <n>' argument '0' is invalid\. expected a whole number from 1 to 32768, for example -p 4/);
  });

  describe('applies the default parallelism as eddy run does, to the operators whose job sets none', () => {
    /** A job that sets no parallelism anywhere: two tasks, rebalanced between them. */
    const unsetParallelism = join(scratch, 'unset-parallelism.ts');
    writeFileSync(unsetParallelism, "import type { JobMain } from '@eddy/api';\nconst main: JobMain = (env) => {\n  env.fromSequence(1, 10).rebalance().map((n: number) => n + 1).print();\n};\nexport default main;\n");

    for (const flags of [['-p', '3'], ['-D', 'parallelism.default=3']]) {
      it(`${flags.join(' ')}, in the text`, async () => {
        const result = await runEddy(['info', unsetParallelism, ...flags]);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(
          section(result.stdout, 'Tasks').slice(1).map((row) => cells(row).slice(2, 3)),
          [['3'], ['3']],
        );
        assert.deepEqual(section(result.stdout, 'Slots').map(cells).at(-1), ['total', '3']);
      });

      it(`${flags.join(' ')}, in --json`, async () => {
        const info = parseJson(await runEddy(['info', unsetParallelism, '--json', ...flags])) as InfoJson;
        assert.deepEqual(info.vertices.map((vertex) => vertex.parallelism), [3, 3]);
        assert.equal(info.slots.total, 3);
        assert.equal(info.configuration['parallelism.default'], '3', 'the job configuration eddy run would submit');
      });
    }

    it('without either, at parallelism 1', async () => {
      const info = parseJson(await runEddy(['info', unsetParallelism, '--json'])) as InfoJson;
      assert.deepEqual(info.vertices.map((vertex) => vertex.parallelism), [1, 1]);
    });
  });
});
