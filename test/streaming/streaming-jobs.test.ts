/**
 * Real jobs end to end: job files written against @eddy/api, bundled and submitted by the client,
 * run on a JobManager and two TaskManagers as child processes (and once on an in-process
 * MiniCluster), their records crossing worker threads and TaskManagers.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { keyGroupFor, operatorIndexForKeyGroup } from '@eddy/api/internal';
import { JobClient } from '@eddy/client';
import { Configuration, silentLogger } from '@eddy/common';
import { MiniCluster } from '@eddy/runtime';
import { startJobManager, startTaskManager, stopClusterProcesses, waitFor, type JobManagerProcess, type TaskManagerProcess } from '../cluster/cluster-harness.js';

after(stopClusterProcesses);

/** Job sources live next to the compiled tests' sources; the client bundles the .ts files. */
const jobFile = (name: string): string => fileURLToPath(new URL(`../../../test/streaming/jobs/${name}.ts`, import.meta.url));

const scratch = mkdtempSync(join(tmpdir(), 'eddy-streaming-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Deterministic text: `lines` lines of words drawn from a vocabulary with a skewed distribution. */
function generateText(lines: number, seed: number): string {
  let state = seed;
  const next = (): number => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state;
  };
  const vocabulary = Array.from({ length: 500 }, (_, i) => `w${i.toString(36)}`);
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const words: string[] = [];
    const n = 1 + (next() % 12);
    for (let j = 0; j < n; j++) words.push(vocabulary[Math.floor(Math.sqrt(next() % 250_000))] as string);
    out.push(words.join(' '));
  }
  return `${out.join('\n')}\n`;
}

function expectedCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) for (const word of line.split(' ')) if (word !== '') counts.set(word, (counts.get(word) ?? 0) + 1);
  return counts;
}

/** The records a writeAsText sink left: the file itself, or every part file of the directory. */
function readOutput(path: string): unknown[] {
  const files = statSync(path).isDirectory() ? readdirSync(path).map((name) => join(path, name)) : [path];
  const records: unknown[] = [];
  for (const file of files) {
    assert.ok(!file.split('/').at(-1)!.startsWith('.'), `no in-progress file left behind: ${file}`);
    for (const line of readFileSync(file, 'utf8').split('\n')) if (line !== '') records.push(JSON.parse(line));
  }
  return records;
}

/** Checks a WordCount output word by word: each word's running counts are exactly 1..n. */
function assertWordCounts(output: unknown[], expected: Map<string, number>): void {
  const seen = new Map<string, number[]>();
  for (const record of output as [string, number][]) seen.set(record[0], [...(seen.get(record[0]) ?? []), record[1]]);
  assert.equal(seen.size, expected.size, 'every word and no other');
  for (const [word, count] of expected) {
    const counts = seen.get(word) ?? [];
    assert.deepEqual(
      [...counts].sort((a, b) => a - b),
      Array.from({ length: count }, (_, i) => i + 1),
      `counts of '${word}'`,
    );
  }
}

describe('streaming jobs on a JobManager and two TaskManagers', () => {
  let jobManager: JobManagerProcess;
  let taskManagers: TaskManagerProcess[];
  let client: JobClient;
  const text = generateText(20_000, 7);
  const expected = expectedCounts(text);
  const input = join(scratch, 'words.txt');
  writeFileSync(input, text);

  before(async () => {
    jobManager = await startJobManager();
    taskManagers = await Promise.all([startTaskManager(jobManager.address, { slots: 2 }), startTaskManager(jobManager.address, { slots: 2 })]);
    client = await JobClient.connect(jobManager.address);
    await waitFor(async () => (await client.listJobs(false)) !== undefined, 'the client');
  });
  after(() => client?.close());

  async function run(job: string, args: string[], configuration: Record<string, string> = {}): Promise<{ jobId: string; status: string }> {
    const { jobId } = await client.submitJobFile(jobFile(job), { args, configuration });
    const terminal = await client.followJob(jobId);
    return { jobId, status: terminal.to };
  }

  for (const parallelism of [1, 2, 4]) {
    it(`counts every word of a generated text exactly, at parallelism ${parallelism}`, async () => {
      const output = join(scratch, `wordcount-p${parallelism}`);
      const { jobId, status } = await run('word-count', [input, output, String(parallelism)]);
      assert.equal(status, 'FINISHED');
      assertWordCounts(readOutput(output), expected);
      const details = await client.requestJob(jobId);
      const used = new Set(details.vertices.flatMap((v) => v.subtasks.map((s) => s.attempts.at(-1)?.taskManagerId)));
      if (parallelism >= 2) assert.equal(used.size, 2, 'the job runs on both TaskManagers');
      assert.deepEqual(
        details.vertices.map((v) => v.name),
        ['Source: Text File -> Flat Map', 'Keyed Aggregation -> Sink: Text File Sink'],
        'chained as Flink chains it',
      );
    });
  }

  it('sends every key to exactly one subtask, the one its key group belongs to', async () => {
    const output = join(scratch, 'placement');
    const { status } = await run('key-placement', [output, '4', '1000']);
    assert.equal(status, 'FINISHED');
    const placement = new Map<string, number>();
    for (const [key, subtask] of readOutput(output) as [string, number][]) {
      assert.ok(!placement.has(key), `${key} seen once`);
      placement.set(key, subtask);
    }
    assert.equal(placement.size, 1000);
    for (const [key, subtask] of placement) assert.equal(subtask, operatorIndexForKeyGroup(128, 4, keyGroupFor(key, 128)), key);
    assert.equal(new Set(placement.values()).size, 4, 'all four subtasks get keys');
  });

  it('restarts a job whose operator throws and leaves no duplicates in the file sink', async () => {
    const output = join(scratch, 'fail-once');
    const { jobId, status } = await run('fail-once', [output, '20000']);
    assert.equal(status, 'FINISHED');
    const details = await client.requestJob(jobId);
    assert.ok(details.restarts >= 1, 'the job restarted');
    const numbers = (readOutput(output) as number[]).sort((a, b) => a - b);
    assert.equal(numbers.length, 20_000);
    numbers.forEach((n, i) => assert.equal(n, i));
    const failed = details.vertices.flatMap((v) => v.subtasks.flatMap((s) => s.attempts)).find((a) => a.state === 'FAILED');
    assert.match(failed?.failureCause?.message ?? '', /planned failure in the first attempt/);
    assert.match(failed?.failureCause?.stack ?? '', /fail-once\.ts/, "the user's stack trace names the job file");
  });

  it('fails a job whose input file does not exist, with that cause', async () => {
    const { jobId, status } = await run('word-count', [join(scratch, 'missing.txt'), join(scratch, 'never'), '1'], { 'restart-strategy.type': 'none' });
    assert.equal(status, 'FAILED');
    const details = await client.requestJob(jobId);
    assert.match(details.failureCause?.message ?? '', /missing\.txt/);
    assert.equal(existsSync(join(scratch, 'never')), false);
  });

  it("prints with Flink's subtask prefix on the TaskManagers and streams collected records back to the client", async () => {
    const { jobId } = await client.submitJobFile(jobFile('print-and-collect'), { args: ['100'] });
    const collected: { n: number; square: number }[] = [];
    for await (const batch of client.collectResults(jobId)) collected.push(...(batch.records as { n: number; square: number }[]));
    assert.equal((await client.requestJob(jobId)).status, 'FINISHED');
    assert.deepEqual(
      collected.map((r) => r.n).sort((a, b) => a - b),
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    assert.ok(collected.every((r) => r.square === r.n * r.n));
    // print() writes to the TaskManagers' stdout, next to their log lines.
    const printed = (): string[] => taskManagers.flatMap((tm) => tm.lines.map((line) => line.msg)).filter((msg) => /^[12]> \{"n":\d+,"square":\d+\}$/.test(msg));
    await waitFor(() => printed().length >= 100, 'every printed line', 5_000);
    assert.equal(printed().length, 100);
    assert.deepEqual([...new Set(printed().map((msg) => msg.slice(0, 2)))].sort(), ['1>', '2>']);
  });

  it('runs an unbounded job until it is canceled', async () => {
    const { jobId } = await client.submitJobFile(jobFile('unbounded'), {});
    await waitFor(async () => (await client.requestJob(jobId)).vertices.every((v) => v.subtasks.every((s) => s.attempts.at(-1)?.state === 'RUNNING')), 'every task RUNNING');
    await client.cancelJob(jobId);
    const terminal = await client.followJob(jobId);
    assert.equal(terminal.to, 'CANCELED');
  });

  it('fails a task whose rebuilt job graph differs from the submitted one, saying so', async () => {
    process.env['EDDY_TEST_EXTRA_MAP'] = '1';
    let jobId: string;
    try {
      ({ jobId } = await client.submitJobFile(jobFile('changes-shape'), { configuration: { 'restart-strategy.type': 'none' } }));
    } finally {
      delete process.env['EDDY_TEST_EXTRA_MAP'];
    }
    assert.equal((await client.followJob(jobId)).to, 'FAILED');
    const details = await client.requestJob(jobId);
    assert.equal(details.failureCause?.name, 'JobGraphMismatchError');
    assert.match(details.failureCause?.message ?? '', /differ/);
  });
});

describe('the same job in one process', () => {
  it('gives the same counts on an in-process MiniCluster as on the cluster', async () => {
    const text = generateText(5_000, 11);
    const input = join(scratch, 'local-words.txt');
    writeFileSync(input, text);
    const cluster = await MiniCluster.start({ taskManagers: 1, slotsPerTaskManager: 2, logger: silentLogger(), configuration: Configuration.empty() });
    const client = await JobClient.connect(cluster.address);
    try {
      const output = join(scratch, 'local-wordcount');
      const { jobId } = await client.submitJobFile(jobFile('word-count'), { args: [input, output, '2'] });
      assert.equal((await client.followJob(jobId)).to, 'FINISHED');
      assertWordCounts(readOutput(output), expectedCounts(text));
    } finally {
      await client.close();
      await cluster.stop();
    }
  });
});
