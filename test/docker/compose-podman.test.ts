/**
 * docker-compose.yml for real, with Podman: the image built from the repository's Dockerfile as it
 * is, the compose file brought up by podman-compose (one JobManager, two TaskManagers from
 * `deploy.replicas`), and everything else done from the host as a user does it, through the
 * published ports: `eddy taskmanagers`, the REST API, the dashboard and the Prometheus endpoints, `eddy run` of test/docker/jobs/across-containers.ts (bundled
 * on the host, shipped to the containers by the blob store), `podman stop` and `podman kill` of a
 * TaskManager container under a running job, and `podman-compose down`.
 *
 * scripts/podman/setup.sh prepares the machine first (packages, containers.conf, the base image;
 * quick when done before). Without Podman, and no way to install it, every test is skipped with
 * the reason; but not under CI (CI set, as CI systems set it, and not to false or 0): there the
 * machines can run containers, so a machine that cannot fails the run instead of passing it with
 * nothing tested (container-availability.test.ts checks both ways). Runs of this test on one machine take turns (a lock file), since they share port
 * 6123, the image tag and the compose project; whatever the project made is removed at the end,
 * whether the tests passed or not, and at the start, in case a run died before its cleanup.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCommand } from '../cli/eddy-cli.js';
import { killCliProcesses, runEddy, runEddyLines, startEddy, type CliProcess } from '../cli/eddy-cli.js';
import { waitFor } from '../cluster/cluster-harness.js';
import { GEN_CERTS, httpsGet } from '../cluster/tls-fixtures.js';
import type { PrintedRecord } from './jobs/across-containers.js';
import { assertPortFree, ComposeProject, hostnameOf, jsonLogLines, logsOf, MachineLock, mountCountOf, podman, REPOSITORY, stateOf } from './podman.js';

const SETUP = join(REPOSITORY, 'scripts/podman/setup.sh');
const JOB = join(REPOSITORY, 'test/docker/jobs/across-containers.ts');
const LOCK_FILE = join(tmpdir(), 'eddy-compose-podman-test.lock');
/** What docker-compose.yml's `image:` names, and what `docker compose build` would tag. */
const IMAGE = 'eddy:latest';
const JOB_MANAGER_PORT = 6123;
/** rest.port and the JobManager's metrics.reporter.prom.port, as docker-compose.yml publishes them. */
const REST_PORT = 8081;
const METRICS_PORT = 9249;
const JOB_MANAGER = `localhost:${JOB_MANAGER_PORT}`;
const project = new ComposeProject('eddy-compose-test');
/** The secure mode: both compose files, copied with gen-certs.sh's certificates into a scratch directory (compose mounts ./certs). */
const SECURE_TOKEN = randomBytes(24).toString('hex');
const secureDirectory = mkdtempSync(join(tmpdir(), 'eddy-compose-secure-'));
const secureProject = new ComposeProject('eddy-compose-secure-test', ['docker-compose.yml', 'docker-compose.secure.yml'], secureDirectory, { EDDY_AUTH_TOKEN: SECURE_TOKEN });

/** The job's two tasks (chains), each of parallelism 2. */
const TASKS = ['Source: Generator -> Process', 'KeyedProcess -> Sink: Print to Std. Out'];
const LIFECYCLE = ['CREATED -> SCHEDULED', 'SCHEDULED -> DEPLOYING', 'DEPLOYING -> INITIALIZING', 'INITIALIZING -> RUNNING', 'RUNNING -> FINISHED'];

/** Set when this machine cannot run containers: every test is skipped with it (outside CI). */
let unavailable: string | undefined;
/** Whether this runs in CI, where containers must run: CI set, and not to false or 0. */
const IN_CI = !['', '0', 'false'].includes((process.env['CI'] ?? '').trim().toLowerCase());
let lock: MachineLock | undefined;

interface ListedTaskManager {
  readonly id: string;
  readonly address: string;
  readonly slotsTotal: number;
  readonly slotsFree: number;
}

/** `eddy taskmanagers --json` from the host. */
async function listTaskManagers(): Promise<ListedTaskManager[]> {
  const { code, stdout, process } = await runEddyLines(['taskmanagers', '-m', JOB_MANAGER, '--json']);
  assert.equal(code, 0, process.transcript());
  return JSON.parse(stdout.join('\n')) as ListedTaskManager[];
}

/** A running TaskManager container and the registration it made. */
interface TaskManagerContainer {
  readonly container: string;
  readonly hostname: string;
  readonly taskManagerId: string;
}

/**
 * Starts the TaskManager containers that are not running and waits until both are registered, each
 * once, with every slot free. In the order of their names.
 */
async function twoRegisteredTaskManagers(): Promise<TaskManagerContainer[]> {
  const containers = await project.containers('taskmanager');
  assert.equal(containers.length, 2, `two taskmanager containers: ${containers.join(', ')}`);
  for (const container of containers) if (!(await stateOf(container)).running) await podman(['start', container]);
  let registered: TaskManagerContainer[] = [];
  let last: ListedTaskManager[] = [];
  const waiting = waitFor(
    async () => {
      last = await listTaskManagers();
      registered = [];
      for (const container of containers) {
        const address = await project.addressOf(container);
        const own = last.filter((tm) => tm.address.startsWith(`${address}:`));
        if (own.length !== 1 || own[0]!.slotsFree !== own[0]!.slotsTotal) return false;
        registered.push({ container, hostname: await hostnameOf(container), taskManagerId: own[0]!.id });
      }
      return last.length === containers.length;
    },
    'both TaskManager containers registered with free slots',
    90_000,
    500,
  );
  try {
    await waiting;
  } catch (error) {
    const tails = await Promise.all(containers.map(async (container) => `${container}:\n${(await logsOf(container)).slice(-5).join('\n')}`));
    throw new Error(`${(error as Error).message}; eddy taskmanagers listed ${JSON.stringify(last)}; the containers' last log lines:\n${tails.join('\n')}`, { cause: error });
  }
  return registered;
}

/** What the job printed in a container's log for one run, by the subtask prefix print() gives each line. */
async function printedIn(container: string, run: string): Promise<(PrintedRecord & { subtask: number })[]> {
  return (await logsOf(container)).flatMap((line) => {
    const match = /^(\d+)> (\{.*\})$/.exec(line);
    if (match === null) return [];
    const record = JSON.parse(match[2]!) as PrintedRecord;
    return record.run === run ? [{ ...record, subtask: Number(match[1]) }] : [];
  });
}

/** The numbers 0..count-1, each once. */
const range = (count: number): number[] => Array.from({ length: count }, (_, n) => n);
const sortedNumbers = (records: readonly PrintedRecord[]): number[] => records.map((record) => record.n).sort((a, b) => a - b);

/** The transitions `eddy run` printed for one subtask's attempt, without the TaskManager. */
function transitionsInCli(stdout: readonly string[], task: string, subtask: number, attempt: number): string[] {
  const prefix = `${task} (${subtask}/2) [attempt ${attempt}] `;
  return stdout.flatMap((line) => {
    const at = line.indexOf(prefix);
    return at < 0 ? [] : [line.slice(at + prefix.length).replace(/ on \S+$/, '')];
  });
}

/** The TaskManager `eddy run` said each task's last attempt FINISHED on, per subtask line. */
function finishedOn(stdout: readonly string[]): string[] {
  return TASKS.flatMap((task) =>
    [1, 2].map((subtask) => {
      const finished = stdout.filter((line) => line.includes(`${task} (${subtask}/2) [attempt `) && line.includes('RUNNING -> FINISHED on '));
      assert.equal(finished.length, 1, `one FINISHED line for ${task} (${subtask}/2):\n${stdout.join('\n')}`);
      return finished[0]!.slice(finished[0]!.lastIndexOf(' on ') + 4);
    }),
  );
}

/** The JobManager container's JSON log lines about one job. */
async function jobManagerLog(jobId: string): Promise<Record<string, unknown>[]> {
  const [jobManager] = await project.containers('jobmanager');
  assert.ok(jobManager !== undefined, 'a jobmanager container');
  return jsonLogLines(await logsOf(jobManager)).filter((line) => line['jobId'] === jobId);
}

/** `eddy run` of the job, attached, as `run` with `records` records at `recordsPerSecond`. */
function runJob(run: string, records: number, recordsPerSecond: number): CliProcess {
  return startEddy(['run', JOB, '-m', JOB_MANAGER, '-n', run, '--', run, String(records), String(recordsPerSecond)]);
}

/**
 * Runs the job, and once both TaskManager containers print its records, stops the first with
 * `podman <how>`; the job must restart on the other and finish there with every record.
 */
async function recoversWhenStopped(how: 'stop' | 'kill', victimIndex: number): Promise<{ victim: string; jobId: string; stdout: string[] }> {
  const taskManagers = await twoRegisteredTaskManagers();
  const victim = taskManagers[victimIndex]!;
  const survivor = taskManagers[1 - victimIndex]!;
  const records = 2_000;
  const run = runJob(how, records, 250);
  const jobId = await run.jobId();
  await waitFor(
    async () => (await printedIn(victim.container, how)).length > 0 && (await printedIn(survivor.container, how)).length > 0,
    `records of run ${how} printed in both TaskManager containers`,
    60_000,
    250,
  );
  await podman([how, victim.container]);
  assert.equal(await run.exitCode(180_000), 0, run.transcript());

  assert.ok(run.stdout.some((line) => line.endsWith(`Job '${how}' RUNNING -> RESTARTING`)), run.transcript());
  assert.match(run.stdout.find((line) => line.startsWith(`Job '${how}' (${jobId}) FINISHED after`)) ?? '', /, \d+ restarts?$/, run.transcript());
  assert.deepEqual(new Set(finishedOn(run.stdout)), new Set([survivor.taskManagerId]), 'every task finished on the other TaskManager');
  assert.deepEqual([...new Set(sortedNumbers(await printedIn(survivor.container, how)))], range(records), 'the other container printed every record');
  const statuses = (await jobManagerLog(jobId)).map((line) => String(line['msg']));
  for (const change of ['RUNNING to RESTARTING', 'RUNNING to FINISHED']) {
    assert.ok(statuses.includes(`Job ${how} (${jobId}) switched from state ${change}.`), `the jobmanager container logged ${change}`);
  }
  return { victim: victim.container, jobId, stdout: run.stdout };
}

/**
 * after() hooks do not run when the file is ended by a signal: SIGTERM from node --test when the
 * file outlives its timeout, SIGINT from Ctrl-C. The project is removed then too.
 */
function removeOnSignals(): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      killCliProcesses();
      try {
        project.removeAll();
        secureProject.removeAll();
      } finally {
        lock?.release();
        process.exit(1);
      }
    });
  }
}

describe('docker-compose.yml brought up with podman-compose', { timeout: 30 * 60_000 }, () => {
  before(
    async () => {
      lock = await MachineLock.acquire(LOCK_FILE, 15 * 60_000);
      const setup = await runCommand('bash', [SETUP], { timeoutMs: 20 * 60_000 });
      if (setup.code !== 0) {
        const output = `${setup.stdout}\n${setup.stderr}`.trim().split('\n').slice(-15).join('\n');
        const podmanRuns = await runCommand('podman', ['--version']).then((result) => result.code === 0, () => false);
        if (!podmanRuns) {
          unavailable = `this machine cannot run containers: \`podman --version\` does not run, and scripts/podman/setup.sh could not make it ready (exit ${setup.code}):\n${output}`;
          if (IN_CI) throw new Error(`CI=${process.env['CI']}: the container tests must run in CI, not be skipped, but ${unavailable}`);
          return;
        }
        throw new Error(`scripts/podman/setup.sh exited with ${setup.code}:\n${output}`);
      }
      // A run that died before its cleanup may have left the project behind, port 6123 included.
      project.removeAll();
      secureProject.removeAll();
      removeOnSignals();
      for (const port of [JOB_MANAGER_PORT, REST_PORT, METRICS_PORT]) await assertPortFree(port, `stop whatever listens there (\`ss -ltnp | grep ${port}\`, \`podman ps\`) and run the test again`);
      await podman(['build', '--network', 'host', '--pull=never', '--tag', IMAGE, '.'], 20 * 60_000);
      await project.up();
    },
    { timeout: 25 * 60_000 },
  );

  after(
    async () => {
      killCliProcesses();
      try {
        if (unavailable === undefined) {
          project.removeAll();
          secureProject.removeAll();
        }
      } finally {
        lock?.release();
        rmSync(secureDirectory, { recursive: true, force: true });
      }
    },
    { timeout: 5 * 60_000 },
  );

  /** A test that needs the cluster; skipped, with the reason, on a machine without Podman. */
  function withCluster(name: string, timeoutMs: number, body: () => Promise<void>): void {
    it(name, { timeout: timeoutMs }, async (t) => {
      if (unavailable !== undefined) {
        t.skip(unavailable);
        return;
      }
      await body();
    });
  }

  withCluster('lists both TaskManagers from the host at the addresses of their containers, not at loopback', 120_000, async () => {
    const taskManagers = await twoRegisteredTaskManagers();
    const listed = await listTaskManagers();
    assert.equal(listed.length, 2);
    for (const { container, taskManagerId } of taskManagers) {
      const address = await project.addressOf(container);
      assert.match(address, /^\d+\.\d+\.\d+\.\d+$/, `${container} has an address on ${project.network}`);
      assert.ok(!address.startsWith('127.') && address !== '0.0.0.0', `${container}: ${address}`);
      const entry = listed.find((tm) => tm.id === taskManagerId)!;
      assert.match(entry.address, new RegExp(`^${address.replace(/\./g, '\\.')}:\\d+$`), `${container} advertises its own address`);
      assert.equal(entry.slotsTotal, 2);
    }
  });

  withCluster(
    "runs a job submitted from the host over both TaskManager containers, records crossing between them, with its transitions in the CLI and the jobmanager's log and its print() output in the taskmanagers' logs",
    180_000,
    async () => {
      const taskManagers = await twoRegisteredTaskManagers();
      const records = 2_000;
      const run = runJob('spread', records, 2_000);
      const jobId = await run.jobId();
      assert.equal(await run.exitCode(120_000), 0, run.transcript());
      assert.ok(run.stdout.some((line) => line.endsWith("Job 'spread' RUNNING -> FINISHED")), run.transcript());

      // Every subtask went through its whole life once, and the four subtasks ran on both TaskManagers.
      const log = await jobManagerLog(jobId);
      for (const task of TASKS) {
        for (const subtask of [1, 2]) {
          assert.deepEqual(transitionsInCli(run.stdout, task, subtask, 0), LIFECYCLE, `${task} (${subtask}/2) in eddy run's output`);
          const logged = log.flatMap((line) => {
            const match = new RegExp(`^${task.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(${subtask}/2\\) \\(attempt 0\\) switched from (\\w+) to (\\w+)$`).exec(String(line['msg']));
            return match === null ? [] : [`${match[1]} -> ${match[2]}`];
          });
          assert.deepEqual(logged, LIFECYCLE, `${task} (${subtask}/2) in the jobmanager container's log`);
        }
      }
      assert.ok(log.some((line) => line['msg'] === `Job spread (${jobId}) switched from state RUNNING to FINISHED.`));
      assert.deepEqual(new Set(finishedOn(run.stdout)), new Set(taskManagers.map((tm) => tm.taskManagerId)), 'tasks ran on both TaskManagers');

      // print() wrote each record once, in the container that keyed it; each container keyed
      // records that the other one produced, so records crossed between the containers both ways.
      const printed = new Map<string, PrintedRecord[]>();
      await waitFor(
        async () => {
          for (const { container } of taskManagers) printed.set(container, await printedIn(container, 'spread'));
          return [...printed.values()].reduce((sum, lines) => sum + lines.length, 0) >= records;
        },
        'every record printed',
        30_000,
        250,
      );
      assert.deepEqual(sortedNumbers([...printed.values()].flat()), range(records));
      for (const { container, hostname } of taskManagers) {
        const own = printed.get(container)!;
        const other = taskManagers.find((tm) => tm.container !== container)!.hostname;
        assert.ok(own.length > 0, `${container} printed records`);
        assert.ok(own.every((record) => record.processedOn === hostname), `${container} printed only what it keyed`);
        assert.ok(own.some((record) => record.producedOn === other), `${container} keyed records produced in ${other}`);
      }

      // The job's code reached the containers through the blob store: they mount nothing.
      for (const container of await project.containers()) assert.equal(await mountCountOf(container), 0, `${container} mounts nothing`);
      for (const { container } of taskManagers) {
        const downloads = jsonLogLines(await logsOf(container)).filter((line) => line['msg'] === 'Downloaded blob');
        assert.ok(downloads.some((line) => line['jobManager'] === `jobmanager:${JOB_MANAGER_PORT}`), `${container} downloaded the job's code from the JobManager`);
      }
    },
  );

  withCluster("serves the REST API, the web dashboard and every process's Prometheus endpoint on the host's loopback, through the published ports", 120_000, async () => {
    const taskManagers = await twoRegisteredTaskManagers();
    const rest = async (path: string): Promise<Record<string, unknown>> => {
      const response = await fetch(`http://127.0.0.1:${REST_PORT}${path}`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(response.status, 200, `GET ${path}`);
      return (await response.json()) as Record<string, unknown>;
    };
    const overview = await rest('/overview');
    assert.equal(overview['taskmanagers'], 2, JSON.stringify(overview));
    assert.equal(overview['slots-total'], 4, JSON.stringify(overview));
    const listed = ((await rest('/taskmanagers'))['taskmanagers'] as { id: string }[]).map((tm) => tm.id).sort();
    assert.deepEqual(listed, taskManagers.map((tm) => tm.taskManagerId).sort(), 'the REST API lists the TaskManagers the CLI lists');
    // The job the test before ran is in the history, as the dashboard's job list shows it.
    const jobs = (await rest('/jobs/overview'))['jobs'] as { name: string; state: string }[];
    assert.ok(jobs.some((job) => job.name === 'spread' && job.state === 'FINISHED'), JSON.stringify(jobs));
    const page = await fetch(`http://127.0.0.1:${REST_PORT}/`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /<script[^>]+src="[^"]+\.js"/, 'the dashboard page loads its script from the JobManager (no CDN)');

    const scrape = async (port: number): Promise<string> => {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(response.status, 200, `GET :${port}/metrics`);
      return response.text();
    };
    assert.match(await scrape(METRICS_PORT), /^eddy_jobmanager_Status_Node_Memory_Heap_Used(\{[^}]*\})? [1-9]/m, "the JobManager's endpoint");
    for (const { container, taskManagerId } of taskManagers) {
      // "127.0.0.1:<port>": the host port the engine picked for this replica.
      const published = /^127\.0\.0\.1:(\d+)$/m.exec(await podman(['port', container, `${METRICS_PORT}/tcp`]));
      assert.ok(published !== null, `${container} publishes ${METRICS_PORT} on loopback`);
      const metrics = await scrape(Number(published[1]));
      assert.match(metrics, new RegExp(`^eddy_taskmanager_Status_Node_Memory_Heap_Used\\{[^}]*tm_id="${taskManagerId}"[^}]*\\} [1-9]`, 'm'), `${container}'s endpoint, with its tm_id`);
    }
  });

  withCluster('restarts the job on the other TaskManager and finishes it when one TaskManager container is stopped (podman stop) mid-job', 240_000, async () => {
    const { victim } = await recoversWhenStopped('stop', 0);
    // podman stop sends SIGTERM: the TaskManager shut down cleanly.
    assert.equal((await stateOf(victim)).exitCode, 0);
    assert.ok(jsonLogLines(await logsOf(victim)).some((line) => line['msg'] === 'TaskManager stopped'), `${victim} logged its stop`);
  });

  withCluster('restarts the job on the other TaskManager and finishes it when one TaskManager container is killed (podman kill) mid-job', 240_000, async () => {
    // The other container this time: the one stopped before is back, registered anew, and takes over.
    const { victim } = await recoversWhenStopped('kill', 1);
    assert.equal((await stateOf(victim)).exitCode, 137, 'killed by SIGKILL');
  });

  withCluster('leaves no container, volume or network of the project behind after podman-compose down', 120_000, async () => {
    await project.down();
    assert.deepEqual(await project.containers(), []);
    assert.deepEqual(await project.volumes(), []);
    // podman-compose 1.0.3 (Debian 12's) keeps the network it made (podman-compose issue #490, fixed
    // in 1.3); Docker Compose removes it. It is the only thing left, and goes with podman network rm.
    const networks = await project.networks();
    assert.ok(networks.every((network) => network === project.network), `left behind: ${networks.join(', ')}`);
    if (networks.length > 0) await podman(['network', 'rm', project.network]);
    assert.deepEqual(await project.networks(), []);
    for (const port of [JOB_MANAGER_PORT, REST_PORT, METRICS_PORT]) await assertPortFree(port, 'podman-compose down should have freed it');
  });
  withCluster(
    'brings up the secure mode (docker-compose.secure.yml): from the host, the CLI with the client certificate and the token lists both TaskManagers and runs a job across them, without the token or without a certificate it is refused, and the REST API answers over HTTPS with the token only',
    300_000,
    async () => {
      for (const file of ['docker-compose.yml', 'docker-compose.secure.yml']) copyFileSync(join(REPOSITORY, file), join(secureDirectory, file));
      const certs = join(secureDirectory, 'certs');
      await runCommand('bash', [GEN_CERTS, certs, '--readable-keys'], { timeoutMs: 60_000 }).then((result) => assert.equal(result.code, 0, result.stderr));
      for (const port of [JOB_MANAGER_PORT, REST_PORT, METRICS_PORT]) await assertPortFree(port, 'the plain project should be down');
      await secureProject.up();
      const tls = ['security.ssl.internal.enabled=true', `security.ssl.internal.truststore=${certs}/ca.pem`, `security.ssl.internal.key=${certs}/client.key`, `security.ssl.internal.cert=${certs}/client.pem`].flatMap((define) => ['-D', define]);
      const withToken = { env: { EDDY_AUTH_TOKEN: SECURE_TOKEN }, timeoutMs: 60_000 };

      let listed: ListedTaskManager[] = [];
      await waitFor(
        async () => {
          const result = await runEddy(['taskmanagers', '-m', JOB_MANAGER, '--json', ...tls], withToken);
          listed = result.code === 0 ? (JSON.parse(result.stdout) as ListedTaskManager[]) : [];
          return listed.length === 2 && listed.every((tm) => tm.slotsFree === tm.slotsTotal);
        },
        'both TaskManager containers registered over mutual TLS with the token',
        90_000,
        1_000,
      );
      const records = 500;
      const run = await runEddy(['run', JOB, '-m', JOB_MANAGER, '-n', 'secure', ...tls, '--', 'secure', String(records), '2000'], { ...withToken, timeoutMs: 120_000 });
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /Job 'secure' RUNNING -> FINISHED/);
      const taskManagers = await secureProject.containers('taskmanager');
      const printed = (await Promise.all(taskManagers.map((container) => printedIn(container, 'secure')))).flat();
      assert.deepEqual([...new Set(sortedNumbers(printed))], range(records), 'every record printed');
      assert.equal(new Set(printed.map((record) => record.processedOn)).size, 2, 'both TaskManagers keyed records: they crossed over TLS');

      const noToken = await runEddy(['list', '-m', JOB_MANAGER, ...tls], { timeoutMs: 60_000 });
      assert.equal(noToken.code, 1, noToken.stderr);
      assert.match(noToken.stderr, /security\.auth\.token/);
      const noCertificate = await runEddy(['list', '-m', JOB_MANAGER, '-D', 'rpc.ask-timeout=3 s'], withToken);
      assert.notEqual(noCertificate.code, 0);
      assert.match(noCertificate.stderr, /mutual TLS/);

      const overview = (authorization?: string) => httpsGet(`https://localhost:${REST_PORT}/overview`, { caFile: join(certs, 'ca.pem'), headers: authorization === undefined ? {} : { authorization } });
      assert.equal((await overview()).status, 401);
      const answered = await overview(`Bearer ${SECURE_TOKEN}`);
      assert.equal(answered.status, 200);
      assert.equal((JSON.parse(answered.body) as { taskmanagers: number }).taskmanagers, 2);

      for (const container of await secureProject.containers()) {
        assert.deepEqual((await logsOf(container)).filter((line) => line.includes(SECURE_TOKEN)), [], `${container} logged the token`);
      }
      await secureProject.down();
      secureProject.removeAll();
    },
  );
});
