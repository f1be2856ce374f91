/**
 * The README's quick-start command, run as a user runs it: `npm run quickstart` in the repository
 * (dependencies present, so it builds and runs the WordCount example on a local cluster).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCommand } from './eddy-cli.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

describe('npm run quickstart', () => {
  it('builds, runs examples/word-count.ts locally, prints its transitions and the right counts, and exits 0', async () => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    // Its own TMPDIR: the local cluster's log file and blob directories go there, and away afterwards.
    const scratch = mkdtempSync(join(tmpdir(), 'eddy-quickstart-'));
    let result;
    try {
      result = await runCommand(npm, ['run', 'quickstart', '--silent'], { cwd: repo, timeoutMs: 180_000, env: { TMPDIR: scratch } });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Job has been submitted with JobID [0-9a-f]{32}/);
    assert.match(result.stdout, /Source: Text File -> Tokenizer \(1\/2\) \[attempt 0\] DEPLOYING -> INITIALIZING/);
    assert.match(result.stdout, /Job 'WordCount' RUNNING -> FINISHED/);
    // print() writes each running count as `subtask> ["word",count]`; the last count of a word is its total.
    const printed = new Map<string, number>();
    for (const [, word, count] of result.stdout.matchAll(/^\d+> \["([^"]*)",(\d+)\]$/gm)) {
      printed.set(word as string, Math.max(printed.get(word as string) ?? 0, Number(count)));
    }
    const expected = new Map<string, number>();
    const text = readFileSync(`${repo}examples/data/river.txt`, 'utf8');
    for (const word of text.toLowerCase().split(/\W+/)) if (word !== '') expected.set(word, (expected.get(word) ?? 0) + 1);
    assert.deepEqual(new Map([...printed].sort()), new Map([...expected].sort()));

    // The README shows this run's output: every line it shows is one the run printed.
    const shown = readmeQuickStartOutput();
    assert.ok(shown.length >= 5, `the README's quick-start output block: ${shown.join('\n')}`);
    // This run's temp directory stands where a user's is, /tmp.
    const lines = result.stdout.replaceAll(`${scratch}/`, '/tmp/').split('\n');
    for (const line of shown) assert.ok(lines.some((printedLine) => pattern(line).test(printedLine)), `README line not printed by npm run quickstart: ${line}\n${result.stdout}`);
  });
});

/** The lines of the output block that follows `npm run quickstart` in the README, without the elisions (…). */
function readmeQuickStartOutput(): string[] {
  const readme = readFileSync(`${repo}README.md`, 'utf8');
  const block = /```sh\nnpm run quickstart\n```\n\n```\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block !== undefined, 'a quick-start output block in the README');
  return block.split('\n').filter((line) => line.trim() !== '' && line.trim() !== '…');
}

/** A README line as a pattern: times, job ids, TaskManager ids and durations vary; `…` stands for anything. */
function pattern(line: string): RegExp {
  const escaped = line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const source = escaped
    .replace(/\d{2}:\d{2}:\d{2}\\\.\d{3}/g, '\\d{2}:\\d{2}:\\d{2}\\.\\d{3}')
    .replace(/\b[0-9a-f]{32}\b/g, '[0-9a-f]{32}')
    .replace(/taskmanager-\S+/g, 'taskmanager-\\S+')
    .replace(/after \d+(?:\\\.\d+)? m?s/g, 'after \\d+(?:\\.\\d+)? m?s')
    .replace(/…/g, '.*');
  return new RegExp(`^${source}$`);
}
