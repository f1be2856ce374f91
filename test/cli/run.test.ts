/**
 * `eddy run` as a user runs it: child processes of the CLI against a JobManager and a TaskManager
 * that are child processes too (one cluster for the file), and once with --local on its own. What it
 * refuses before or without a cluster: run-errors.test.ts; interrupted (Ctrl-C, SIGTERM, -d, another
 * client cancelling): run-interrupt.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { useCluster, stopClusterProcesses } from '../cluster/cluster-harness.js';
import { cliJob, killCliProcesses, runEddy, runEddyLines } from './eddy-cli.js';

after(killCliProcesses);
after(stopClusterProcesses);

const scratch = mkdtempSync(join(tmpdir(), 'eddy-cli-run-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The state transitions `eddy run` printed for subtask `subtask` (1-based) of `vertex`, in order. */
function transitionsOf(stdout: readonly string[], vertex: string, subtask: number, parallelism: number): string[] {
  const prefix = `${vertex} (${subtask}/${parallelism}) [attempt 0] `;
  return stdout.flatMap((line) => {
    const at = line.indexOf(prefix);
    return at < 0 ? [] : [line.slice(at + prefix.length).replace(/ on \S+$/, '')];
  });
}

/** A row of the final table: records in and out of one vertex. */
function recordsOf(stdout: readonly string[], vertex: string): { in: number; out: number } {
  const row = stdout.find((line) => line.startsWith(`  ${vertex} `));
  const match = row === undefined ? null : /in\s+([\d,]+)\s+out\s+([\d,]+)$/.exec(row);
  assert.ok(match, `a row for ${vertex} in:\n${stdout.join('\n')}`);
  return { in: Number(match[1]!.replace(/,/g, '')), out: Number(match[2]!.replace(/,/g, '')) };
}

describe('eddy run against a cluster', () => {
  const cluster = useCluster({ taskManagers: 1, slots: 4 });

  it('prints the job id, every transition in order and the collected records, and exits 0 once the job FINISHED', async () => {
    const { code, stdout, stderr, process } = await runEddyLines(['run', cliJob('numbers'), '-m', cluster.jobManager.address, '-n', 'doubled numbers', '--', '200']);
    assert.equal(code, 0, process.transcript());
    assert.deepEqual(stderr, []);
    assert.match(stdout[0] ?? '', /^Job has been submitted with JobID [0-9a-f]{32}$/);
    for (const [vertex, parallelism] of [['Source: Sequence Source', 2], ['Map', 2], ['Sink: Collect Sink', 1]] as const) {
      for (let subtask = 1; subtask <= parallelism; subtask++) {
        assert.deepEqual(
          transitionsOf(stdout, vertex, subtask, parallelism),
          ['CREATED -> SCHEDULED', 'SCHEDULED -> DEPLOYING', 'DEPLOYING -> INITIALIZING', 'INITIALIZING -> RUNNING', 'RUNNING -> FINISHED'],
          `${vertex} (${subtask}/${parallelism})`,
        );
      }
    }
    const jobLines = stdout.filter((line) => / Job 'doubled numbers' /.test(line));
    assert.deepEqual(jobLines.map((line) => line.replace(/^\S+ /, '')), ["Job 'doubled numbers' CREATED -> RUNNING", "Job 'doubled numbers' RUNNING -> FINISHED"]);
    assert.ok(stdout.indexOf(jobLines[0]!) < stdout.findIndex((line) => line.includes('CREATED -> SCHEDULED')), 'the job runs before its tasks are scheduled');
    const records = stdout.filter((line) => /^\d+$/.test(line)).map(Number).sort((a, b) => a - b);
    assert.deepEqual(records, Array.from({ length: 200 }, (_, i) => 2 * (i + 1)), 'every collected record, once');
    assert.match(stdout.find((line) => line.startsWith("Job 'doubled numbers'")) ?? '', /FINISHED after/);
  });

  it('counts records in and out exactly for a finished bounded job, in JobDetails and in the final table', async () => {
    const { code, stdout, process } = await runEddyLines(['run', cliJob('numbers'), '-m', cluster.jobManager.address, '--', '5000']);
    assert.equal(code, 0, process.transcript());
    const jobId = (stdout[0] ?? '').split(' ').at(-1)!;
    const details = await cluster.client.requestJob(jobId);
    const totals = new Map(
      details.vertices.map((vertex) => [
        vertex.name,
        vertex.subtasks.reduce((sum, subtask) => ({ in: sum.in + subtask.attempts.at(-1)!.numRecordsIn, out: sum.out + subtask.attempts.at(-1)!.numRecordsOut }), { in: 0, out: 0 }),
      ]),
    );
    assert.deepEqual(Object.fromEntries(totals), {
      'Source: Sequence Source': { in: 0, out: 5000 },
      Map: { in: 5000, out: 5000 },
      'Sink: Collect Sink': { in: 5000, out: 0 },
    });
    // Each map subtask got its share from the rebalance: counts are per attempt, not copies of a total.
    const mapSubtasks = details.vertices.find((vertex) => vertex.name === 'Map')!.subtasks.map((subtask) => subtask.attempts.at(-1)!.numRecordsIn);
    assert.ok(mapSubtasks.every((n) => n > 0 && n < 5000), `map subtasks took in ${mapSubtasks.join(' and ')}`);
    assert.deepEqual(recordsOf(stdout, 'Source: Sequence Source'), { in: 0, out: 5000 });
    assert.deepEqual(recordsOf(stdout, 'Map'), { in: 5000, out: 5000 });
    assert.deepEqual(recordsOf(stdout, 'Sink: Collect Sink'), { in: 5000, out: 0 });
  });

  it("exits 1 when the job FAILED, printing the root cause with the user's stack", async () => {
    const { code, stdout, stderr, process } = await runEddyLines(['run', cliJob('fails'), '-m', cluster.jobManager.address]);
    assert.equal(code, 1, process.transcript());
    const all = [...stdout, ...stderr].join('\n');
    assert.match(all, /RUNNING -> FAILED/);
    assert.match(stdout.join('\n'), /Root cause \(in Source: Sequence Source -> Map -> Sink: Unnamed \(1\/1\) \(attempt 0\)\):\n\s+Error: bad record 7\n\s+at check \(.*fails\.ts:\d+:\d+\)/);
    assert.match(stderr.join('\n'), /^Job [0-9a-f]{32} FAILED: Error: bad record 7$/m);
  });

  it("reads a relative input path from eddy run's working directory, whatever the TaskManager's, and says so", async () => {
    const dir = mkdtempSync(join(scratch, 'inputs-'));
    writeFileSync(join(dir, 'lines.txt'), 'first line\nsecond line\n');
    const result = await runEddy(['run', cliJob('read-lines'), '-m', cluster.jobManager.address, '--', 'lines.txt'], { cwd: dir });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const lines = result.stdout.split('\n');
    assert.equal(lines[0], `Input file 'lines.txt' of Source: Text File -> Sink: Collect Sink is read as ${join(dir, 'lines.txt')} (a relative path is resolved in the working directory of eddy run)`);
    assert.deepEqual(lines.filter((line) => line.endsWith(' line')).sort(), ['first line', 'second line']);
  });

  it('leaves a relative input path that is not where eddy run runs to the TaskManagers, and says so', async () => {
    const dir = mkdtempSync(join(scratch, 'elsewhere-'));
    // The TaskManager runs in the repository, where this file is; eddy run does not.
    const result = await runEddy(['run', cliJob('read-lines'), '-m', cluster.jobManager.address, '--', 'examples/data/river.txt'], { cwd: dir });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(result.stdout.split('\n')[0], `Input file 'examples/data/river.txt' of Source: Text File -> Sink: Collect Sink is not in ${dir}: each TaskManager reads it relative to its own working directory`);
    const river = readFileSync(fileURLToPath(new URL('../../../examples/data/river.txt', import.meta.url)), 'utf8').split('\n');
    const printed = new Set(result.stdout.split('\n'));
    assert.deepEqual(river.filter((line) => line !== '' && !printed.has(line)), [], "every line of the TaskManager's file came back");
  });

  it('uses -p as the parallelism of the operators that set none', async () => {
    const { code, stdout, process } = await runEddyLines(['run', cliJob('word-count'), '-m', cluster.jobManager.address, '-p', '3']);
    assert.equal(code, 0, process.transcript());
    const jobId = (stdout[0] ?? '').split(' ').at(-1)!;
    const parallelism = Object.fromEntries((await cluster.client.requestJob(jobId)).vertices.map((vertex) => [vertex.name, vertex.parallelism]));
    assert.deepEqual(parallelism, { 'Source: Collection Source': 1, 'Flat Map': 3, 'Keyed Aggregation': 3, 'Sink: Collect Sink': 1 });
  });
});

describe('eddy run --local', () => {
  it('runs a word count in its own process, prints the result and its transitions, and exits 0 leaving nothing behind', async () => {
    const { code, stdout, stderr, process } = await runEddyLines(['run', cliJob('word-count'), '--local', '-p', '2']);
    assert.equal(code, 0, process.transcript());
    assert.deepEqual(stderr, []);
    const counts = stdout.filter((line) => line.startsWith('[')).map((line) => JSON.parse(line) as [string, number]);
    const final = new Map<string, number>();
    for (const [word, count] of counts) final.set(word, Math.max(final.get(word) ?? 0, count));
    assert.deepEqual(Object.fromEntries(final), { to: 2, be: 2, or: 1, not: 1, that: 1, is: 1, the: 1, question: 1 });
    assert.ok(stdout.some((line) => / Job 'Eddy Streaming Job' RUNNING -> FINISHED$/.test(line)), process.transcript());
    assert.ok(stdout.some((line) => /Keyed Aggregation \(2\/2\) \[attempt 0\] RUNNING -> FINISHED on taskmanager-127\.0\.0\.1:\d+/.test(line)));
    // The in-process cluster logged to the file it named, not to the terminal.
    const logFile = /its log goes to (\S+)$/.exec(stdout.find((line) => line.startsWith('Starting a local cluster')) ?? '')?.[1];
    assert.ok(logFile !== undefined && existsSync(logFile), process.transcript());
    const log = readFileSync(logFile, 'utf8');
    assert.match(log, /"msg":"JobManager started"/);
    assert.match(log, /"msg":"JobManager stopped"/, 'the cluster was stopped before the process ended');
    assert.ok(!stdout.some((line) => line.startsWith('{')), 'no log line on stdout');
    rmSync(logFile);
  });
});
