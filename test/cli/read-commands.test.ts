/**
 * eddy list, status, cancel and taskmanagers as a user runs them: child processes of the eddy
 * command against a JobManager and a TaskManager that are child processes too. Jobs are submitted
 * with the job client (eddy run is not part of this test).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JobClient } from '@eddy/client';
import { newJobId } from '@eddy/runtime';
import { startJobManager, startTaskManager, stopClusterProcesses, waitFor, type JobManagerProcess, type TaskManagerProcess } from '../cluster/cluster-harness.js';
import { parseJson, runEddy, type CliResult } from './eddy-cli.js';

after(stopClusterProcesses);

const jobFile = (path: string): string => fileURLToPath(new URL(`../../../test/${path}`, import.meta.url));

/** The cells of a table row: what lies between runs of two or more spaces. */
const cells = (line: string | undefined): string[] => (line ?? '').trim().split(/\s{2,}/);
const rowStarting = (text: string, start: string): string | undefined => text.split('\n').find((line) => line.trimStart().startsWith(start));

function assertSucceeded(result: CliResult): void {
  assert.equal(result.code, 0, `exit code; stderr: ${result.stderr}`);
  assert.equal(result.stderr, '');
}

/** Exit 1, one line on stderr, nothing on stdout, no stack. */
function assertShortError(result: CliResult): string {
  assert.equal(result.code, 1, `exit code; stdout: ${result.stdout}`);
  assert.equal(result.stdout, '');
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack without --verbose');
  return result.stderr;
}

describe('eddy list, status, cancel and taskmanagers against a JobManager and a TaskManager', () => {
  let jobManager: JobManagerProcess;
  let taskManager: TaskManagerProcess;
  let client: JobClient;
  const eddy = (...args: string[]): Promise<CliResult> => runEddy([...args, '-m', jobManager.address]);
  let runningJobId = '';

  before(async () => {
    jobManager = await startJobManager();
    taskManager = await startTaskManager(jobManager.address, { slots: 2 });
    client = await JobClient.connect(jobManager.address);
    await waitFor(async () => (await client.requestTaskManagers()).length === 1, 'the TaskManager to register', 15_000);
  });
  after(() => client?.close());

  it('says there are no running jobs, points at --all, and prints an empty array for --json', async () => {
    const table = await eddy('list');
    assertSucceeded(table);
    assert.equal(table.stdout, 'No running jobs (`eddy list --all` shows ended ones too)\n');
    assert.deepEqual(parseJson(await eddy('list', '--json')), []);
  });

  it('lists the registered TaskManager with its address and slots, for people and as JSON', async () => {
    const table = await eddy('taskmanagers');
    assertSucceeded(table);
    const [header, row, extra] = table.stdout.trimEnd().split('\n');
    assert.deepEqual(cells(header), ['ID', 'ADDRESS', 'SLOTS FREE/TOTAL', 'LAST HEARTBEAT', 'EVENT-LOOP LAG', 'REGISTERED SINCE']);
    assert.equal(extra, undefined, 'one TaskManager');
    const [id, address, slots, heartbeat] = cells(row);
    assert.equal(id, taskManager.taskManagerId);
    assert.match(address ?? '', /^127\.0\.0\.1:\d+$/);
    assert.equal(slots, '2/2');
    assert.match(heartbeat ?? '', / ago$/);

    const json = parseJson(await eddy('taskmanagers', '--json')) as Record<string, unknown>[];
    assert.equal(json.length, 1);
    assert.equal(json[0]?.['id'], taskManager.taskManagerId);
    assert.equal(json[0]?.['address'], address);
    assert.equal(json[0]?.['slotsTotal'], 2);
    assert.equal(json[0]?.['slotsFree'], 2);
    assert.ok(typeof json[0]?.['lastHeartbeat'] === 'number' && json[0]['lastHeartbeat'] > Date.now() - 60_000, 'a recent heartbeat, ms since the epoch');
    assert.equal(typeof json[0]?.['eventLoopLagMs'], 'number');
    assert.equal(typeof json[0]?.['registeredAt'], 'number');
  });

  it('lists a running job and shows its subtasks with their state, attempt and TaskManager', async () => {
    ({ jobId: runningJobId } = await client.submitJobFile(jobFile('streaming/jobs/unbounded.ts')));
    await waitFor(async () => (await client.requestJob(runningJobId)).vertices.every((v) => v.subtasks.every((s) => s.attempts.at(-1)?.state === 'RUNNING')), 'every subtask RUNNING', 20_000);

    const list = await eddy('list');
    assertSucceeded(list);
    assert.deepEqual(cells(list.stdout.split('\n')[0]), ['JOB ID', 'NAME', 'STATUS', 'STARTED', 'DURATION']);
    assert.deepEqual(cells(rowStarting(list.stdout, runningJobId)).slice(0, 3), [runningJobId, 'Eddy Streaming Job', 'RUNNING']);
    const [listed] = parseJson(await eddy('list', '--json')) as Record<string, unknown>[];
    assert.equal(listed?.['jobId'], runningJobId);
    assert.equal(listed?.['status'], 'RUNNING');
    assert.equal(listed?.['endTime'], null);
    assert.ok(typeof listed?.['startTime'] === 'number' && typeof listed['durationMs'] === 'number' && listed['durationMs'] >= 0);

    const status = await eddy('status', runningJobId);
    assertSucceeded(status);
    assert.equal(status.stdout.split('\n')[0], `Job 'Eddy Streaming Job' (${runningJobId})`);
    assert.match(cells(rowStarting(status.stdout, 'Status'))[1] ?? '', /^RUNNING for /);
    assert.deepEqual(cells(rowStarting(status.stdout, 'Restarts')), ['Restarts', '0']);
    assert.deepEqual(cells(rowStarting(status.stdout, 'Source: Generator')), ['Source: Generator', "(parallelism 2, slot sharing group 'default')"]);
    assert.deepEqual(cells(rowStarting(status.stdout, 'Keyed Aggregation -> Sink: Unnamed')), ['Keyed Aggregation -> Sink: Unnamed', "(parallelism 2, slot sharing group 'default')"]);
    const subtaskRows = status.stdout.split('\n').filter((line) => /^\s+\d\/2 /.test(line));
    assert.equal(subtaskRows.length, 4);
    for (const row of subtaskRows) {
      const [, state, attempt, taskManagerId, address] = cells(row);
      assert.deepEqual([state, attempt, taskManagerId], ['RUNNING', '0', taskManager.taskManagerId]);
      assert.match(address ?? '', /^127\.0\.0\.1:\d+$/);
    }

    const json = parseJson(await eddy('status', runningJobId, '--json')) as { jobId: string; status: string; restarts: number; vertices: { name: string; parallelism: number; slotSharingGroup: string; subtasks: { attempts: { state: string; taskManagerId: string }[] }[] }[] };
    assert.equal(json.jobId, runningJobId);
    assert.equal(json.status, 'RUNNING');
    assert.equal(json.restarts, 0);
    assert.deepEqual(
      json.vertices.map((v) => [v.name, v.parallelism, v.slotSharingGroup, v.subtasks.map((s) => s.attempts.at(-1)?.state)]),
      [
        ['Source: Generator', 2, 'default', ['RUNNING', 'RUNNING']],
        ['Keyed Aggregation -> Sink: Unnamed', 2, 'default', ['RUNNING', 'RUNNING']],
      ],
    );
  });

  it('cancels a running job, returning once it is CANCELED, and refuses to cancel it again', async () => {
    assert.ok(runningJobId !== '', 'the previous test started a job');
    const cancel = await eddy('cancel', runningJobId);
    assertSucceeded(cancel);
    assert.equal(cancel.stdout, `Canceled job ${runningJobId} ('Eddy Streaming Job')\n`);
    assert.equal((await client.requestJob(runningJobId)).status, 'CANCELED', 'canceled by the time the command returned');

    const again = assertShortError(await eddy('cancel', runningJobId));
    assert.equal(again, `eddy: Job ${runningJobId} has already ended: it is CANCELED; there is nothing to cancel\n`);

    assert.equal((await eddy('list')).stdout, 'No running jobs (`eddy list --all` shows ended ones too)\n');
    const all = await eddy('list', '--all');
    assert.deepEqual(cells(rowStarting(all.stdout, runningJobId)).slice(0, 3), [runningJobId, 'Eddy Streaming Job', 'CANCELED']);
    const [ended] = parseJson(await eddy('list', '--all', '--json')) as Record<string, unknown>[];
    assert.equal(ended?.['status'], 'CANCELED');
    assert.ok(typeof ended?.['endTime'] === 'number' && ended['endTime'] >= (ended['startTime'] as number));
  });

  it("shows a failed job's cause and where it happened, and its stack only with --verbose", async () => {
    const { jobId } = await client.submitJobFile(jobFile('cli/jobs/fail-always.ts'));
    assert.equal((await client.followJob(jobId)).to, 'FAILED');

    const status = await eddy('status', jobId);
    assertSucceeded(status);
    assert.match(cells(rowStarting(status.stdout, 'Status'))[1] ?? '', /^FAILED after /);
    assert.deepEqual(cells(rowStarting(status.stdout, 'Failure')), ['Failure', 'Error: planned failure at record 5']);
    assert.match(status.stdout, /\n\s+in Source: Sequence Source -> Map -> Sink: Print to Std\. Out \(1\/1\) \(attempt 0\)/);
    assert.doesNotMatch(status.stdout, /fail-always\.ts/);

    const verbose = await eddy('status', jobId, '--verbose');
    assert.match(verbose.stdout, /\n\s+at .*test\/cli\/jobs\/fail-always\.ts:\d+:\d+/, "the stack names the job file's line");

    const json = parseJson(await eddy('status', jobId, '--json')) as { status: string; failureCause: { name: string; message: string; location: string; stack: string } };
    assert.equal(json.status, 'FAILED');
    assert.equal(json.failureCause.message, 'planned failure at record 5');
    assert.match(json.failureCause.location, /\(1\/1\) \(attempt 0\)/);
  });

  it('says which job id the JobManager does not know and suggests eddy list --all', async () => {
    const unknown = newJobId();
    for (const command of ['status', 'cancel']) {
      const stderr = assertShortError(await eddy(command, unknown));
      assert.equal(stderr, `eddy: No job ${unknown} at the JobManager at ${jobManager.address}; \`eddy list --all\` shows the jobs it knows\n`);
    }
  });

  it('refuses what is not a job id before asking the JobManager', async () => {
    const result = await eddy('status', 'not-a-job-id');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: command-argument value 'not-a-job-id' is invalid for argument 'job-id'\. a job id is 32 hexadecimal characters, as `eddy list` prints them\.\n\(`eddy status --help` shows the usage\)\n$/);
  });
});
