/**
 * `eddy run` as a user runs it: child processes of the CLI against a JobManager and a TaskManager
 * that are child processes too (one cluster for the file), and once with --local on its own.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JobClient } from '@eddy/client';
import { freePort, startJobManager, startTaskManager, stopClusterProcesses, waitFor, type JobManagerProcess } from '../cluster/cluster-harness.js';
import { cliJob, killCliProcesses, runEddyLines, startEddy, type CliProcess } from './eddy-cli.js';

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
  let jobManager: JobManagerProcess;
  let client: JobClient;
  let address: string;

  before(async () => {
    jobManager = await startJobManager();
    address = jobManager.address;
    await startTaskManager(address, { slots: 4 });
    client = await JobClient.connect(address);
    await waitFor(async () => (await client.listJobs()) !== undefined, 'a client connection');
  });
  after(() => client?.close());

  /** Waits until every task of the job runs. */
  async function waitForRunning(jobId: string): Promise<void> {
    await waitFor(async () => {
      const details = await client.requestJob(jobId);
      return details.vertices.every((vertex) => vertex.subtasks.every((subtask) => subtask.attempts.at(-1)?.state === 'RUNNING'));
    }, `every task of job ${jobId} RUNNING`, 20_000);
  }

  /** An attached run of the endless job, once all its tasks run. */
  async function attachedEndlessRun(extra: string[] = []): Promise<{ run: CliProcess; jobId: string }> {
    const run = startEddy(['run', cliJob('endless'), '-m', address, ...extra]);
    const jobId = await run.jobId();
    await waitForRunning(jobId);
    await run.waitForLine(/Source: Generator -> Sink: Unnamed \(1\/1\) \[attempt 0\] INITIALIZING -> RUNNING/);
    return { run, jobId };
  }

  it('prints the job id, every transition in order and the collected records, and exits 0 once the job FINISHED', async () => {
    const { code, stdout, stderr, process } = await runEddyLines(['run', cliJob('numbers'), '-m', address, '-n', 'doubled numbers', '--', '200']);
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
    const { code, stdout, process } = await runEddyLines(['run', cliJob('numbers'), '-m', address, '--', '5000']);
    assert.equal(code, 0, process.transcript());
    const jobId = (stdout[0] ?? '').split(' ').at(-1)!;
    const details = await client.requestJob(jobId);
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
    const { code, stdout, stderr, process } = await runEddyLines(['run', cliJob('fails'), '-m', address]);
    assert.equal(code, 1, process.transcript());
    const all = [...stdout, ...stderr].join('\n');
    assert.match(all, /RUNNING -> FAILED/);
    assert.match(stdout.join('\n'), /Root cause \(in Source: Sequence Source -> Map -> Sink: Unnamed \(1\/1\) \(attempt 0\)\):\n\s+Error: bad record 7\n\s+at check \(.*fails\.ts:\d+:\d+\)/);
    assert.match(stderr.join('\n'), /^Job [0-9a-f]{32} FAILED: Error: bad record 7$/m);
  });

  it('exits 2 when another client cancels the job it follows', async () => {
    const { run, jobId } = await attachedEndlessRun();
    await client.cancelJob(jobId);
    assert.equal(await run.exitCode(), 2, run.transcript());
    assert.ok(run.stdout.some((line) => /Job '.*' CANCELLING -> CANCELED$/.test(line)), run.transcript());
    assert.equal((await client.requestJob(jobId)).status, 'CANCELED');
  });

  it('with -d prints the job id and returns while the job keeps running', async () => {
    const { code, stdout, process } = await runEddyLines(['run', cliJob('endless'), '-m', address, '-d']);
    assert.equal(code, 0, process.transcript());
    const jobId = (stdout[0] ?? '').split(' ').at(-1)!;
    assert.match(stdout[0] ?? '', /^Job has been submitted with JobID [0-9a-f]{32}$/);
    assert.match(stdout.join('\n'), new RegExp(`eddy logs ${jobId} --follow -m ${address}`));
    await waitForRunning(jobId);
    await client.cancelJob(jobId);
    await waitFor(async () => (await client.requestJob(jobId)).status === 'CANCELED', 'the detached job to be canceled');
  });

  it('cancels the job on Ctrl-C, waits for CANCELED and exits 130', async () => {
    const { run, jobId } = await attachedEndlessRun();
    run.kill('SIGINT');
    assert.equal(await run.exitCode(), 130, run.transcript());
    assert.ok(run.stdout.includes(`Cancelling job ${jobId} (Ctrl-C again to stop waiting)...`), run.transcript());
    assert.ok(run.stdout.some((line) => / CANCELLING -> CANCELED$/.test(line)), 'it waited for the job to be canceled');
    assert.equal((await client.requestJob(jobId)).status, 'CANCELED');
  });

  it('cancels the job on SIGTERM as on Ctrl-C, waits for CANCELED and exits 143', async () => {
    const { run, jobId } = await attachedEndlessRun();
    run.kill('SIGTERM');
    assert.equal(await run.exitCode(), 143, run.transcript());
    assert.ok(run.stdout.includes(`Cancelling job ${jobId} (SIGTERM again to stop waiting)...`), run.transcript());
    assert.ok(run.stdout.some((line) => / CANCELLING -> CANCELED$/.test(line)), 'it waited for the job to be canceled');
    assert.equal((await client.requestJob(jobId)).status, 'CANCELED');
  });

  it('with --detach-on-interrupt leaves the job RUNNING on SIGTERM too', async () => {
    const { run, jobId } = await attachedEndlessRun(['--detach-on-interrupt']);
    run.kill('SIGTERM');
    assert.equal(await run.exitCode(), 0, run.transcript());
    assert.ok(run.stdout.includes(`Detached from job ${jobId}; it keeps running on the cluster.`), run.transcript());
    assert.equal((await client.requestJob(jobId)).status, 'RUNNING');
    await client.cancelJob(jobId);
  });

  it('with --detach-on-interrupt leaves the job RUNNING on Ctrl-C and says how to reach it', async () => {
    const { run, jobId } = await attachedEndlessRun(['--detach-on-interrupt']);
    run.kill('SIGINT');
    assert.equal(await run.exitCode(), 0, run.transcript());
    assert.ok(run.stdout.includes(`Detached from job ${jobId}; it keeps running on the cluster.`), run.transcript());
    assert.ok(run.stdout.some((line) => line.includes(`eddy cancel ${jobId} -m ${address}`)));
    assert.equal((await client.requestJob(jobId)).status, 'RUNNING');
    await client.cancelJob(jobId);
  });

  it('uses -p as the parallelism of the operators that set none', async () => {
    const { code, stdout, process } = await runEddyLines(['run', cliJob('word-count'), '-m', address, '-p', '3']);
    assert.equal(code, 0, process.transcript());
    const jobId = (stdout[0] ?? '').split(' ').at(-1)!;
    const parallelism = Object.fromEntries((await client.requestJob(jobId)).vertices.map((vertex) => [vertex.name, vertex.parallelism]));
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

describe('eddy run --local on Ctrl-C', () => {
  it('cancels the job, stops the local cluster and exits 130', async () => {
    const run = startEddy(['run', cliJob('endless'), '--local']);
    const jobId = await run.jobId();
    await run.waitForLine(/\[attempt 0\] INITIALIZING -> RUNNING/);
    run.kill('SIGINT');
    assert.equal(await run.exitCode(), 130, run.transcript());
    assert.ok(run.stdout.includes(`Cancelling job ${jobId} (Ctrl-C again to stop waiting)...`), run.transcript());
    assert.ok(run.stdout.some((line) => / CANCELLING -> CANCELED$/.test(line)), run.transcript());
    const logFile = /its log goes to (\S+)$/.exec(run.stdout[0] ?? '')?.[1] as string;
    assert.match(readFileSync(logFile, 'utf8'), /"msg":"JobManager stopped"/, 'the local cluster was stopped after the job was canceled');
    rmSync(logFile);
  });
});

describe('eddy run errors', () => {
  const noStack = (stderr: readonly string[]): void => assert.ok(!stderr.some((line) => /^\s+at /.test(line)), `no stack trace without --verbose: ${stderr.join('\n')}`);

  it('names the address, the cause and how to start a JobManager when none answers', async () => {
    const port = await freePort();
    const { code, stdout, stderr } = await runEddyLines(['run', cliJob('numbers'), '-m', `127.0.0.1:${port}`]);
    assert.equal(code, 1);
    assert.deepEqual(stdout, []);
    assert.match(stderr.join('\n'), new RegExp(`^eddy: Could not reach a JobManager at 127\\.0\\.0\\.1:${port}: connection refused .*start one with \`eddy jobmanager\``));
    noStack(stderr);
  });

  it('says a missing job file does not exist', async () => {
    const missing = join(scratch, 'missing.ts');
    const { code, stderr } = await runEddyLines(['run', missing, '-m', '127.0.0.1:1']);
    assert.equal(code, 1);
    assert.equal(stderr.join('\n'), `eddy: Job file ${missing} does not exist; pass the path of the job's module (.ts, .js or .mjs)`);
  });

  it('points at the file and line of a job that does not compile', async () => {
    const broken = join(scratch, 'broken.ts');
    writeFileSync(broken, "import type { JobMain } from '@eddy/api';\nconst main: JobMain = (env) => {\n  env.fromElements(1, 2).map((n => n).print();\n};\nexport default main;\n");
    const { code, stderr } = await runEddyLines(['run', broken, '-m', '127.0.0.1:1']);
    assert.equal(code, 1);
    assert.match(stderr.join('\n'), new RegExp(`^eddy: Job file ${broken} does not compile:\n  ${broken}:3:\\d+: `));
    noStack(stderr);
  });

  it("shows in one line where the job's own code threw while it built its pipeline", async () => {
    const throwing = join(scratch, 'throwing.ts');
    writeFileSync(throwing, "import type { JobMain } from '@eddy/api';\nconst main: JobMain = () => {\n  throw new Error('no input given');\n};\nexport default main;\n");
    const { code, stderr } = await runEddyLines(['run', throwing, '-m', '127.0.0.1:1']);
    assert.equal(code, 1);
    assert.deepEqual(stderr, [`eddy: Job file ${throwing} failed while it built its pipeline: Error: no input given (at ${throwing}:3:9)`]);
  });

  it("names the user's line, not the API's frames, when the API refuses a call; --verbose shows the whole stack", async () => {
    const emptyPath = join(scratch, 'empty-path.ts');
    writeFileSync(emptyPath, "import type { JobMain } from '@eddy/api';\n\nconst main: JobMain = (env) => {\n  env.readTextFile('').print();\n};\nexport default main;\n");
    const plain = await runEddyLines(['run', emptyPath, '-m', '127.0.0.1:1']);
    assert.equal(plain.code, 1);
    assert.deepEqual(plain.stderr, [`eddy: Job file ${emptyPath} failed while it built its pipeline: TypeError: readTextFile needs a path (at ${emptyPath}:4:7)`]);
    const verbose = await runEddyLines(['run', emptyPath, '-m', '127.0.0.1:1', '--verbose']);
    assert.equal(verbose.code, 1);
    const text = verbose.stderr.join('\n');
    assert.match(text, /^eddy: JobFileError: Job file .* failed while it built its pipeline: TypeError: readTextFile needs a path \(at .*\)\n\s+at /);
    assert.match(text, /\nCaused by: TypeError: readTextFile needs a path\n\s+at StreamExecutionEnvironment\.readTextFile \(.*packages[\\/]api[\\/]/, 'the API frame is there with --verbose');
  });

  it("refuses a parallelism that is not a whole number, with commander's message", async () => {
    const { code, stderr } = await runEddyLines(['run', cliJob('numbers'), '-p', 'zero']);
    assert.equal(code, 1);
    assert.equal(stderr.join('\n'), "error: option '-p, --parallelism <n>' argument 'zero' is invalid. expected a whole number from 1 to 32768, for example -p 4\n(`eddy run --help` shows the usage)");
  });

  it('refuses an invalid -D value, naming the key, the value and what it expects', async () => {
    const { code, stderr } = await runEddyLines(['run', cliJob('numbers'), '-D', 'heartbeat.interval=often']);
    assert.equal(code, 1);
    assert.match(stderr.join('\n'), /^eddy: Invalid value 'often' for heartbeat\.interval \(from command line\): expected a duration/);
  });
});
