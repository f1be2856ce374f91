/**
 * Multi-process cluster tests: a JobManager and TaskManagers as real child processes (`eddy
 * jobmanager`, `eddy taskmanager`) on 127.0.0.1 with ephemeral ports, their JSON log lines
 * collected, and a client that uploads job code and talks to the Dispatcher over gRPC.
 *
 * Test files call `after(stopClusterProcesses)` so every process they start is killed when the
 * file ends, stopped ones included. Nothing here imports node:test: the benchmark uses it too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, afterEach, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JobClient } from '@eddy/client';
import { eddy_dispatcher_v1 as dispatcher, eddy_jobgraph_v1 as jg, eddy_resourcemanager_v1 as rm } from '@eddy/proto';
import { RpcService, type StreamClient } from '@eddy/rpc';
import { BlobClient, DISPATCHER_ENDPOINT_ID, JobGraphBuilder, RESOURCE_MANAGER_ENDPOINT_ID } from '@eddy/runtime';

/** The eddy command as built in this repository. */
export const EDDY = fileURLToPath(new URL('../../../packages/cli/dist/src/bin/eddy.js', import.meta.url));
/** The test tasks, shipped to TaskManagers as a job's code through the blob store. */
export const TEST_TASKS_BUNDLE = fileURLToPath(new URL('../../../packages/runtime/dist/test/fixtures/test-tasks.js', import.meta.url));

/** Settings that make failure detection and restarts fast enough for tests. */
export const FAST_CLUSTER: Record<string, string> = {
  'heartbeat.interval': '200 ms',
  'heartbeat.timeout': '2 s',
  'cluster.registration.max-timeout': '300 ms',
  'restart-strategy.type': 'fixed-delay',
  'restart-strategy.fixed-delay.attempts': '3',
  'restart-strategy.fixed-delay.delay': '100 ms',
};

export interface LogLine {
  readonly msg: string;
  readonly level: number;
  readonly [field: string]: unknown;
}

const live = new Set<ClusterProcess>();

const killsOnSigterm: (() => void)[] = [];

/** Kills what is left, synchronously: every process started here, and what tests registered. */
function killLeftovers(): void {
  for (const clusterProcess of live) clusterProcess.child.kill('SIGKILL');
  for (const kill of killsOnSigterm) kill();
}

/**
 * Runs `kill` when node --test ends this test file with SIGTERM, which it does to a file that runs
 * past its timeout, without running its after() hooks: the processes a file started go with it
 * instead of running on for good (a loaded machine collected dozens of JobManagers and TaskManagers).
 */
export function killOnSigterm(kill: () => void): void {
  killsOnSigterm.push(kill);
}

// A test file the runner stops (SIGTERM past its timeout) or that exits without its `after` hooks
// must not leave its cluster running.
process.once('exit', killLeftovers);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    killLeftovers();
    process.exit(signal === 'SIGTERM' ? 143 : 130);
  });
}

/** Kills every process started through this module that is still alive, and closes clients. */
export async function stopClusterProcesses(): Promise<void> {
  await Promise.all([...live].map((process) => process.kill('SIGKILL')));
  await Promise.all([...clients].map((client) => client.close()));
}

const clients = new Set<ClusterClient>();

/** Polls `condition` every `intervalMs` until it holds; fails with `what` after `timeoutMs`. */
/** Polls `condition` until it holds; `what` (or what it returns at the deadline) names it in the timeout error. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs = 10_000, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export class ClusterProcess {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  constructor(
    readonly role: string,
    readonly child: ChildProcess,
    /** The process's TMPDIR (blob store, blob cache, job bundles), removed when it exits: a killed process cannot clean up itself. */
    private readonly scratch?: string,
  ) {
    live.add(this);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exitCode = code;
        live.delete(this);
        if (this.scratch !== undefined) rmSync(this.scratch, { recursive: true, force: true });
        resolve(code);
      }),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as LogLine);
      } catch {
        this.lines.push({ msg: line, level: 30 });
      }
    });
    const stderr: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
    this.stderr = stderr;
  }

  readonly stderr: string[];

  get hasExited(): boolean {
    return this.exitCode !== undefined;
  }

  /** The first log line matching `predicate`, waiting up to timeoutMs for it. */
  async waitForLine(predicate: (line: LogLine) => boolean, what: string, timeoutMs = 10_000): Promise<LogLine> {
    let found: LogLine | undefined;
    await waitFor(
      () => {
        found = this.lines.find(predicate);
        if (found === undefined && this.hasExited) throw new Error(`${this.role} exited while waiting for ${what}; stderr: ${this.stderr.join('\n')}`);
        return found !== undefined;
      },
      `${what} in the ${this.role} log`,
      timeoutMs,
    );
    return found as LogLine;
  }

  linesWith(msg: string | RegExp): LogLine[] {
    return this.lines.filter((line) => (typeof msg === 'string' ? line.msg === msg : msg.test(line.msg)));
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.hasExited) return this.exitCode ?? null;
    if (signal === 'SIGKILL') this.child.kill('SIGCONT');
    this.child.kill(signal);
    return this.exited;
  }
}

function spawnEddy(role: string, args: string[], config: Record<string, string>, env: Record<string, string> = {}): ClusterProcess {
  const defines = Object.entries(config).flatMap(([key, value]) => ['-D', `${key}=${value}`]);
  const scratch = mkdtempSync(join(tmpdir(), `eddy-test-${role}-`));
  const child = spawn(process.execPath, [EDDY, ...args, ...defines], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, EDDY_LOG_LEVEL: process.env['EDDY_TEST_LOG_LEVEL'] ?? 'info', EDDY_PROPERTIES: '', TMPDIR: scratch, ...env },
  });
  return new ClusterProcess(role, child, scratch);
}

export interface JobManagerProcess extends ClusterProcess {
  /** host:port */
  address: string;
  /** The REST API's URL, e.g. http://127.0.0.1:40123 (rest.port is 0 unless `config` sets it). */
  restUrl: string;
}

/**
 * Starts `eddy jobmanager` and waits until it listens. Port 0 unless given. FAST_CLUSTER's keys
 * named in `unset` are left out (so that their defaults apply), `config` is added; `env` adds
 * environment variables (test hooks).
 */
export async function startJobManager(
  options: { port?: number; config?: Record<string, string>; unset?: readonly string[]; env?: Record<string, string> } = {},
): Promise<JobManagerProcess> {
  const fast = Object.fromEntries(Object.entries(FAST_CLUSTER).filter(([key]) => !(options.unset ?? []).includes(key)));
  const process = spawnEddy('jobmanager', ['jobmanager', '--port', String(options.port ?? 0)], { 'rest.port': '0', ...fast, ...options.config }, options.env) as JobManagerProcess;
  const started = await process.waitForLine((line) => line.msg === 'JobManager started', 'JobManager started', 15_000);
  process.address = started['advertisedAddress'] as string;
  process.restUrl = started['restAddress'] as string;
  return process;
}

export interface TaskManagerProcess extends ClusterProcess {
  taskManagerId: string;
}

/** Starts `eddy taskmanager` against `jobManagerAddress` and waits until it runs (not until it registered). */
export async function startTaskManager(
  jobManagerAddress: string,
  options: { slots?: number; config?: Record<string, string>; env?: Record<string, string> } = {},
): Promise<TaskManagerProcess> {
  const args = ['taskmanager', '--jobmanager', jobManagerAddress, '--slots', String(options.slots ?? 2), '--port', '0'];
  const process = spawnEddy('taskmanager', args, { ...FAST_CLUSTER, ...options.config }, options.env) as TaskManagerProcess;
  const started = await process.waitForLine((line) => line.msg === 'TaskManager started', 'TaskManager started', 15_000);
  process.taskManagerId = started['taskManagerId'] as string;
  return process;
}

/** A cluster a describe block shares: see useCluster. */
export interface SharedCluster {
  readonly jobManager: JobManagerProcess;
  /** With replaceDeadTaskManagers, one killed by a test is replaced after it. */
  readonly taskManagers: TaskManagerProcess[];
  /** A JobClient connected to the JobManager. */
  readonly client: JobClient;
}

/**
 * Registers hooks that start a JobManager (with `config` over FAST_CLUSTER) and `taskManagers`
 * TaskManagers of `slots` slots before the describe block's tests, and a JobClient to it; closes
 * the client and stops the processes after them. With `replaceDeadTaskManagers`, a TaskManager a
 * test killed is started again after that test.
 */
export function useCluster(options: {
  readonly taskManagers: number;
  readonly slots: number;
  readonly config?: Record<string, string>;
  readonly replaceDeadTaskManagers?: boolean;
}): SharedCluster {
  let jobManager: JobManagerProcess | undefined;
  let client: JobClient | undefined;
  const taskManagers: TaskManagerProcess[] = [];
  after(stopClusterProcesses);
  before(async () => {
    jobManager = await startJobManager(options.config === undefined ? {} : { config: options.config });
    for (let i = 0; i < options.taskManagers; i++) taskManagers.push(await startTaskManager(jobManager.address, { slots: options.slots }));
    client = await JobClient.connect(jobManager.address);
  });
  after(async () => client?.close());
  if (options.replaceDeadTaskManagers === true) {
    afterEach(async () => {
      for (let i = 0; i < taskManagers.length; i++) {
        if (taskManagers[i]!.hasExited) taskManagers[i] = await startTaskManager((jobManager as JobManagerProcess).address, { slots: options.slots });
      }
    });
  }
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the shared cluster is started in a before() hook of its describe block');
    return value;
  };
  return {
    get jobManager() {
      return started(jobManager);
    },
    taskManagers,
    get client() {
      return started(client);
    },
  };
}

/**
 * A port on 127.0.0.1 that refuses connections, and keeps refusing them while the tests run: for a
 * test of what a client says when nobody answers. Not freePort(): a port it found free can be
 * handed to a server binding port 0 in another test process a moment later (ports below 1024 are
 * never handed out that way; the first of them that refuses a connection now is taken).
 */
export async function refusedPort(): Promise<number> {
  for (let port = 1; port < 1024; port++) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
    });
    if (refused) return port;
  }
  throw new Error('no port below 1024 on 127.0.0.1 refuses connections');
}

/** A free TCP port on 127.0.0.1 (for a JobManager that must come up on a known port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** What a client of the cluster does: upload code, submit, ask, follow. */
export class ClusterClient {
  private constructor(
    readonly rpc: RpcService,
    readonly jobManagerAddress: string,
    readonly dispatcher: dispatcher.DispatcherGateway,
    readonly resourceManager: rm.ResourceManagerGateway,
  ) {}

  /** `authToken`: the cluster's security.auth.token, when it has one. */
  static async connect(jobManagerAddress: string, options: { authToken?: string } = {}): Promise<ClusterClient> {
    const rpc = await RpcService.start(options);
    // The first connect may race the JobManager's start-up; stop the service if it fails.
    try {
      return await ClusterClient.connectWith(rpc, jobManagerAddress);
    } catch (error) {
      await rpc.stop();
      throw error;
    }
  }

  private static async connectWith(rpc: RpcService, jobManagerAddress: string): Promise<ClusterClient> {
    const gateway = await rpc.connect(`${jobManagerAddress}/${DISPATCHER_ENDPOINT_ID}`, dispatcher.DispatcherGateway);
    const resourceManager = await rpc.connect(`${jobManagerAddress}/${RESOURCE_MANAGER_ENDPOINT_ID}`, rm.ResourceManagerGateway);
    const client = new ClusterClient(rpc, jobManagerAddress, gateway, resourceManager);
    clients.add(client);
    return client;
  }

  async close(): Promise<void> {
    clients.delete(this);
    await this.rpc.stop();
  }

  /** Uploads the test tasks bundle; resolves to its blob key. */
  async uploadTestTasks(): Promise<string> {
    const result = await new BlobClient(this.rpc, this.jobManagerAddress).uploadFile(TEST_TASKS_BUNDLE);
    return result.key;
  }

  async submit(graph: jg.JobGraph): Promise<string> {
    const response = await this.dispatcher.submitJob({ jobGraph: graph });
    return response.jobId;
  }

  async status(jobId: string): Promise<string> {
    return (await this.dispatcher.requestJobStatus({ jobId })).status;
  }

  async waitForStatus(jobId: string, status: string, timeoutMs = 15_000): Promise<dispatcher.JobDetails> {
    let last = '';
    await waitFor(
      async () => {
        last = await this.status(jobId);
        return last === status;
      },
      () => `job ${jobId} to be ${status} (last seen ${last})`,
      timeoutMs,
    );
    return this.dispatcher.requestJob({ jobId });
  }

  async waitForSlots(total: number, timeoutMs = 15_000): Promise<void> {
    await waitFor(
      async () => {
        const { taskManagers } = await this.resourceManager.requestTaskManagers({});
        return taskManagers.reduce((sum, tm) => sum + tm.slotsTotal, 0) === total;
      },
      `${total} registered slots`,
      timeoutMs,
    );
  }

  /** Every event of the job, from its start until its terminal status. */
  async followJob(jobId: string, onEvent?: (event: dispatcher.JobEvent) => void): Promise<dispatcher.JobEvent[]> {
    const stream = this.eventStream().serverStream<dispatcher.FollowJobRequest, dispatcher.JobEvent>(dispatcher.JobEvents.methods['followJob']!, { jobId, replayOnly: false });
    const events: dispatcher.JobEvent[] = [];
    for await (const event of stream) {
      events.push(event);
      onEvent?.(event);
    }
    return events;
  }

  private eventStream(): StreamClient {
    return this.rpc.streamClient(this.jobManagerAddress);
  }
}

/** A job of test tasks: `vertices` is [name, parallelism, invokable][], chained source to sink with rebalance edges. */
export function testJob(name: string, blobKey: string, vertices: [string, number, string][], configuration: Record<string, string> = {}): jg.JobGraph {
  const builder = new JobGraphBuilder(name);
  vertices.forEach(([vertexName, parallelism, invokable], index) => {
    builder.vertex({ id: `v${index}`, name: vertexName, parallelism, invokable });
    if (index > 0) builder.edge(`v${index - 1}`, `v${index}`, 'rebalance');
  });
  return builder.configuration(configuration).blobKey(blobKey).build();
}
