/**
 * RPC benchmark: Eddy's RPC layer against a bare grpc-js client/server doing the same work.
 *
 *   npm run bench:rpc          (builds, then runs packages/rpc/dist/bench/rpc-bench.js)
 *
 * The server side runs in a child process (bench-server-process.js) hosting both an Eddy
 * RpcService with a TestingCounterEndpoint and a bare grpc-js server for the same
 * CounterGateway.Increment. This process is the client. It measures, in ROUNDS rounds that
 * alternate bare and Eddy measurements, with a warm-up before each:
 *
 *   - sequential unary latency (p50/p99): bare grpc-js vs. an Eddy remote ask;
 *   - throughput with 64 calls in flight: bare grpc-js vs. Eddy remote asks;
 *   - throughput of Eddy tells (incrementOneWay), until the remote counter has seen them all;
 *   - throughput of Eddy local asks (an endpoint in this process, no network), 64 in flight;
 *   - sequential latency and 64-in-flight throughput of Eddy remote asks to a second RpcService of
 *     the child that has security.auth.token, from a client RpcService with the token, against
 *     the same without (issue 18: the cost of the token's interceptors and check);
 *
 * and prints ONE JSON object on stdout with the median of each metric across rounds. Progress goes
 * to stderr.
 *
 *   npm run bench:rpc -- --tls
 *
 * instead compares Eddy remote asks over plaintext and over mutual TLS (certificates of
 * scripts/gen-certs.sh; the child hosts the endpoint on a second RpcService with TLS), latency and
 * 64 in flight, alternating in each round, and prints their medians and ratios.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { silentLogger } from '@eddy/common';
import { eddy_testing_v1 as testing } from '@eddy/proto';
import { RpcService } from '../src/index.js';
import { TestingCounterEndpoint } from '../test/fixtures/testing-counter-endpoint.js';
import { loadBareCounterGateway } from './bare-grpc.js';
import { benchTls, generateBenchCertificates } from './bench-tls.js';

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

const ROUNDS = 3;
const LATENCY_WARMUP = 1_000;
const LATENCY_CALLS = 5_000;
const IN_FLIGHT = 64;
const THROUGHPUT_WARMUP_MS = 400;
const THROUGHPUT_MS = 2_000;
const TELL_WARMUP = 5_000;
const TELLS = 50_000;
const TELL_CHUNK = 1_000;
const TELL_DEADLINE_MS = 60_000;
/** Give up on tells when the counter has not moved for this long: the rest were dropped. */
const TELL_STALL_MS = 5_000;
const LOCAL_WARMUP = 20_000;
const LOCAL_CALLS = 200_000;
const CHILD_START_TIMEOUT_MS = 20_000;

const TARGETS = {
  remote_ask_p50_max_ratio_vs_bare: 1.2,
  token_ask_p50_max_ratio_vs_no_token: 1.1,
  remote_asks_per_s_64_min_ratio_vs_bare: 0.9,
  local_asks_per_s_min: 200_000,
} as const;

/** dist/bench/ → repository root's proto/ directory. */
const SERVER_SCRIPT = fileURLToPath(new URL('./bench-server-process.js', import.meta.url));

const progress = (message: string): void => {
  process.stderr.write(`[rpc-bench] ${message}\n`);
};

// ---------------------------------------------------------------------------------------------
// Timing helpers
// ---------------------------------------------------------------------------------------------

type Call = () => Promise<unknown>;

const now = (): bigint => process.hrtime.bigint();
const nsToUs = (ns: bigint): number => Number(ns) / 1_000;
const nsToS = (ns: bigint): number => Number(ns) / 1e9;

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank] as number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Sequential round trips: one call at a time. Returns p50/p99 in microseconds. */
async function measureLatency(call: Call, warmup: number, calls: number): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < warmup; i++) await call();
  const samples = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const start = now();
    await call();
    samples[i] = nsToUs(now() - start);
  }
  samples.sort();
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
}

/** Keeps `inFlight` calls outstanding for `durationMs`; returns completed calls per second. */
async function measureThroughputFor(call: Call, inFlight: number, durationMs: number): Promise<number> {
  const start = now();
  const stopAt = start + BigInt(durationMs) * 1_000_000n;
  let completed = 0;
  const worker = async (): Promise<void> => {
    while (now() < stopAt) {
      await call();
      completed++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return completed / nsToS(now() - start);
}

/** Keeps `inFlight` calls outstanding until `total` have completed; returns calls per second. */
async function measureThroughputCount(call: Call, inFlight: number, total: number): Promise<number> {
  let issued = 0;
  const start = now();
  const worker = async (): Promise<void> => {
    while (issued < total) {
      issued++;
      await call();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return total / nsToS(now() - start);
}

// ---------------------------------------------------------------------------------------------
// The child process
// ---------------------------------------------------------------------------------------------

interface ServerAddresses {
  /** `host:port/endpointId` of the Eddy TestingCounterEndpoint. */
  eddy: string;
  /** The same endpoint on an RpcService with the auth token. */
  eddyWithToken: string;
  /** `host:port` of the bare grpc-js server. */
  bare: string;
  pid: number;
  /** With --tls: the same endpoint on an RpcService with mutual TLS. */
  eddyTls?: string;
}

/** Kills the child however this process ends. */
function killChild(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode === null && child.signalCode === null) {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** The auth token of the child's second RpcService and of this process's client of it. */
const AUTH_TOKEN = randomBytes(24).toString('hex');

async function startServerProcess(tlsDir: string | undefined): Promise<{ child: ChildProcess; addresses: ServerAddresses }> {
  const child = spawn(process.execPath, [SERVER_SCRIPT, AUTH_TOKEN, ...(tlsDir === undefined ? [] : ['--tls', tlsDir])], { stdio: ['pipe', 'pipe', 'inherit'] });
  // Last resort: whatever path this process takes out, the child goes with it.
  process.once('exit', () => killChild(child, 'SIGKILL'));
  const lines = createInterface({ input: child.stdout! });
  const firstLine = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench-server-process did not report its addresses within ${CHILD_START_TIMEOUT_MS} ms`)), CHILD_START_TIMEOUT_MS);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`bench-server-process exited before reporting its addresses (code ${code}, signal ${signal})`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  try {
    const addresses = JSON.parse(await firstLine) as ServerAddresses;
    // Anything else the child prints is not ours to echo on stdout.
    lines.on('line', (line) => progress(`server stdout: ${line}`));
    return { child, addresses };
  } catch (error) {
    killChild(child, 'SIGKILL');
    throw error;
  }
}

async function stopServerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  killChild(child, 'SIGTERM');
  child.stdin?.end();
  const force = setTimeout(() => killChild(child, 'SIGKILL'), 3_000);
  await exited;
  clearTimeout(force);
}

// ---------------------------------------------------------------------------------------------
// The bare grpc-js client
// ---------------------------------------------------------------------------------------------

interface BareCounterClient extends grpc.Client {
  Increment(
    request: { delta: number },
    callback: (error: grpc.ServiceError | null, response?: { value: number; endpointId: string }) => void,
  ): grpc.ClientUnaryCall;
}

function createBareClient(address: string): BareCounterClient {
  const Client = loadBareCounterGateway();
  return new Client(address, grpc.credentials.createInsecure()) as unknown as BareCounterClient;
}

// ---------------------------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------------------------

interface RoundResult {
  bare_grpc_p50_us: number;
  bare_grpc_p99_us: number;
  remote_ask_p50_us: number;
  remote_ask_p99_us: number;
  bare_grpc_calls_per_s_64: number;
  remote_asks_per_s_64: number;
  /** null when some tells never arrived; see tells_lost. */
  tells_per_s: number | null;
  tells_lost?: number;
  local_asks_per_s: number;
  /** Eddy without a token, measured back to back with the token's latency. */
  no_token_ask_p50_us: number;
  token_ask_p50_us: number;
  token_ask_p99_us: number;
  token_asks_per_s_64: number;
}

/**
 * Sends `count` tells in chunks, then polls getValue until the counter has grown by `count`.
 * Resolves to tells per second, or to the number that never arrived when the counter stopped
 * growing (tells that miss their deadline are dropped silently, as tells are) or the deadline passed.
 */
async function measureTells(counter: testing.CounterGateway, count: number): Promise<{ perSecond: number } | { lost: number }> {
  // A tell's gRPC deadline runs from the moment it is sent, and with no backpressure a burst queues
  // in grpc-js: give tells and the polls queued behind them the whole measurement deadline, so a
  // slow machine yields a low rate rather than tells silently dropped at rpc.ask-timeout.
  const options = { timeoutMs: TELL_DEADLINE_MS };
  const base = (await counter.getValue({}, options)).value;
  const deadline = Date.now() + TELL_DEADLINE_MS;
  const start = now();
  for (let sent = 0; sent < count; ) {
    const chunkEnd = Math.min(count, sent + TELL_CHUNK);
    for (; sent < chunkEnd; sent++) counter.incrementOneWay({ delta: 1 }, options);
    await yieldToEventLoop();
  }
  let lastValue = base;
  let lastProgress = Date.now();
  for (;;) {
    const value = (await counter.getValue({}, options)).value;
    if (value - base >= count) break;
    const at = Date.now();
    if (value !== lastValue) {
      lastValue = value;
      lastProgress = at;
    }
    if (at > deadline || at - lastProgress > TELL_STALL_MS) {
      progress(`tells: only ${value - base} of ${count} arrived (${at > deadline ? 'deadline passed' : 'counter stopped growing'})`);
      return { lost: count - (value - base) };
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return { perSecond: count / nsToS(now() - start) };
}

async function run(addresses: ServerAddresses): Promise<Record<string, unknown>> {
  const rpc = await RpcService.start({ logger: silentLogger() });
  const rpcWithToken = await RpcService.start({ logger: silentLogger(), authToken: AUTH_TOKEN });
  const bareClient = createBareClient(addresses.bare);
  try {
    const remote = await rpc.connect(addresses.eddy, testing.CounterGateway);
    const withToken = await rpcWithToken.connect(addresses.eddyWithToken, testing.CounterGateway);
    const tokenCall: Call = () => withToken.increment({ delta: 1 });

    const localEndpoint = new TestingCounterEndpoint(rpc, 'bench-local-counter');
    await localEndpoint.start();
    const local = await rpc.connect(localEndpoint.address, testing.CounterGateway);

    const bareCall: Call = () =>
      new Promise((resolve, reject) => {
        bareClient.Increment({ delta: 1 }, (error, response) => (error ? reject(error) : resolve(response)));
      });
    const remoteCall: Call = () => remote.increment({ delta: 1 });
    const localCall: Call = () => local.increment({ delta: 1 });

    // Both paths must really work before anything is timed.
    const bareFirst = (await bareCall()) as { value: number };
    const remoteFirst = await remote.increment({ delta: 1 });
    if (typeof bareFirst.value !== 'number' || typeof remoteFirst.value !== 'number') {
      throw new Error(`unexpected replies: bare ${JSON.stringify(bareFirst)}, eddy ${JSON.stringify(remoteFirst)}`);
    }

    // One-off warm-up of the tell path (JIT, channel), not counted.
    progress(`warm-up: ${TELL_WARMUP} tells`);
    await measureTells(remote, TELL_WARMUP);

    const rounds: RoundResult[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which side goes first, so neither always runs on a warmer (or more tired) machine.
      const bareFirstThisRound = r % 2 === 0;
      const pair = async <T>(bare: () => Promise<T>, eddy: () => Promise<T>): Promise<{ bare: T; eddy: T }> => {
        if (bareFirstThisRound) {
          const b = await bare();
          const e = await eddy();
          return { bare: b, eddy: e };
        }
        const e = await eddy();
        const b = await bare();
        return { bare: b, eddy: e };
      };

      progress(`round ${r + 1}/${ROUNDS}: sequential latency (${LATENCY_CALLS} calls each)`);
      const latency = await pair(
        () => measureLatency(bareCall, LATENCY_WARMUP, LATENCY_CALLS),
        () => measureLatency(remoteCall, LATENCY_WARMUP, LATENCY_CALLS),
      );

      progress(`round ${r + 1}/${ROUNDS}: sequential latency with the auth token (${LATENCY_CALLS} calls)`);
      // The "bare" side of this pair is Eddy without a token, measured again right next to the token's.
      const tokenLatency = await pair(
        () => measureLatency(remoteCall, LATENCY_WARMUP, LATENCY_CALLS),
        () => measureLatency(tokenCall, LATENCY_WARMUP, LATENCY_CALLS),
      );
      await measureThroughputFor(tokenCall, IN_FLIGHT, THROUGHPUT_WARMUP_MS);
      const tokenThroughput = await measureThroughputFor(tokenCall, IN_FLIGHT, THROUGHPUT_MS);

      progress(`round ${r + 1}/${ROUNDS}: throughput, ${IN_FLIGHT} in flight (${THROUGHPUT_MS} ms each)`);
      const throughput = await pair(
        async () => {
          await measureThroughputFor(bareCall, IN_FLIGHT, THROUGHPUT_WARMUP_MS);
          return measureThroughputFor(bareCall, IN_FLIGHT, THROUGHPUT_MS);
        },
        async () => {
          await measureThroughputFor(remoteCall, IN_FLIGHT, THROUGHPUT_WARMUP_MS);
          return measureThroughputFor(remoteCall, IN_FLIGHT, THROUGHPUT_MS);
        },
      );

      progress(`round ${r + 1}/${ROUNDS}: ${TELLS} tells`);
      const tells = await measureTells(remote, TELLS);

      progress(`round ${r + 1}/${ROUNDS}: ${LOCAL_CALLS} local asks, ${IN_FLIGHT} in flight`);
      await measureThroughputCount(localCall, IN_FLIGHT, LOCAL_WARMUP);
      const localRate = await measureThroughputCount(localCall, IN_FLIGHT, LOCAL_CALLS);

      const result: RoundResult = {
        bare_grpc_p50_us: round1(latency.bare.p50),
        bare_grpc_p99_us: round1(latency.bare.p99),
        remote_ask_p50_us: round1(latency.eddy.p50),
        remote_ask_p99_us: round1(latency.eddy.p99),
        bare_grpc_calls_per_s_64: Math.round(throughput.bare),
        remote_asks_per_s_64: Math.round(throughput.eddy),
        tells_per_s: 'perSecond' in tells ? Math.round(tells.perSecond) : null,
        ...('lost' in tells ? { tells_lost: tells.lost } : {}),
        local_asks_per_s: Math.round(localRate),
        no_token_ask_p50_us: round1(tokenLatency.bare.p50),
        token_ask_p50_us: round1(tokenLatency.eddy.p50),
        token_ask_p99_us: round1(tokenLatency.eddy.p99),
        token_asks_per_s_64: Math.round(tokenThroughput),
      };
      progress(`round ${r + 1}/${ROUNDS}: ${JSON.stringify(result)}`);
      rounds.push(result);
    }

    const med = (key: Exclude<keyof RoundResult, 'tells_per_s' | 'tells_lost'>): number => median(rounds.map((round) => round[key]));
    // Rounds whose tells did not all arrive have no rate; the median is over the others.
    const tellRates = rounds.flatMap((round) => (round.tells_per_s === null ? [] : [round.tells_per_s]));
    const tellsLost = rounds.reduce((sum, round) => sum + (round.tells_lost ?? 0), 0);
    const remoteP50 = med('remote_ask_p50_us');
    const bareP50 = med('bare_grpc_p50_us');
    const remote64 = med('remote_asks_per_s_64');
    const bare64 = med('bare_grpc_calls_per_s_64');
    const localRate = med('local_asks_per_s');
    const ratioP50 = round3(remoteP50 / bareP50);
    const ratio64 = round3(remote64 / bare64);
    const tokenP50 = med('token_ask_p50_us');
    const noTokenP50 = med('no_token_ask_p50_us');
    const ratioToken = round3(tokenP50 / noTokenP50);

    return {
      bare_grpc_p50_us: bareP50,
      bare_grpc_p99_us: med('bare_grpc_p99_us'),
      remote_ask_p50_us: remoteP50,
      remote_ask_p99_us: med('remote_ask_p99_us'),
      bare_grpc_calls_per_s_64: bare64,
      remote_asks_per_s_64: remote64,
      tells_per_s: tellRates.length > 0 ? median(tellRates) : null,
      ...(tellsLost > 0 ? { tells_lost: tellsLost } : {}),
      local_asks_per_s: localRate,
      ratio_remote_p50_vs_bare: ratioP50,
      ratio_asks_64_vs_bare: ratio64,
      no_token_ask_p50_us: noTokenP50,
      token_ask_p50_us: tokenP50,
      token_ask_p99_us: med('token_ask_p99_us'),
      token_asks_per_s_64: med('token_asks_per_s_64'),
      ratio_token_p50_vs_no_token: ratioToken,
      targets: {
        ...TARGETS,
        met: {
          remote_ask_p50: ratioP50 <= TARGETS.remote_ask_p50_max_ratio_vs_bare,
          remote_asks_per_s_64: ratio64 >= TARGETS.remote_asks_per_s_64_min_ratio_vs_bare,
          local_asks_per_s: localRate >= TARGETS.local_asks_per_s_min,
          token_ask_p50: ratioToken <= TARGETS.token_ask_p50_max_ratio_vs_no_token,
        },
      },
      method:
        `Server in a child process (Eddy RpcService + TestingCounterEndpoint, and a bare grpc-js server with the same Increment, ` +
        `both from eddy/testing/v1/testing.proto); client in this process. ${ROUNDS} rounds; in each, bare and Eddy are measured ` +
        `back to back (bare first in odd rounds, Eddy first in even rounds), each after its own warm-up. ` +
        `Latency: ${LATENCY_CALLS} sequential unary calls after ${LATENCY_WARMUP} warm-up calls, nearest-rank percentiles. ` +
        `Throughput: ${IN_FLIGHT} calls kept in flight for ${THROUGHPUT_MS} ms after ${THROUGHPUT_WARMUP_MS} ms warm-up. ` +
        `Tells: ${TELLS} incrementOneWay (timeoutMs ${TELL_DEADLINE_MS}) sent in chunks of ${TELL_CHUNK} with setImmediate between, then getValue polled until the ` +
        `counter grew by ${TELLS}; rate = ${TELLS} / elapsed (null, with tells_lost, when tells were dropped). Local asks: in-process endpoint through RpcService.connect to its own ` +
        `address, ${IN_FLIGHT} in flight, ${LOCAL_CALLS} calls after ${LOCAL_WARMUP} warm-up. Auth token: the same latency and throughput ` +
        `against a second RpcService of the child with security.auth.token, from a client RpcService with the token, its latency back to back ` +
        `with Eddy's without a token (no_token_ask_p50_us; order alternating by round). Each reported metric is the median ` +
        `across rounds (per-round values under "rounds"); ratios are computed from the medians. Timing with process.hrtime.bigint().`,
      rounds,
      node: process.version,
      cpus: cpus().length,
      timestamp: new Date().toISOString(),
    };
  } finally {
    bareClient.close();
    await rpcWithToken.stop();
    await rpc.stop();
  }
}

/** `--tls`: Eddy remote asks over plaintext against the same over mutual TLS, alternating in each round. */
async function runTls(addresses: ServerAddresses, tlsDir: string): Promise<Record<string, unknown>> {
  const plainRpc = await RpcService.start({ logger: silentLogger() });
  const tlsRpc = await RpcService.start({ logger: silentLogger(), tls: benchTls(tlsDir, 'taskmanager') });
  try {
    const plain = await plainRpc.connect(addresses.eddy, testing.CounterGateway);
    const secure = await tlsRpc.connect(addresses.eddyTls ?? '', testing.CounterGateway);
    const plainCall: Call = () => plain.increment({ delta: 1 });
    const tlsCall: Call = () => secure.increment({ delta: 1 });
    const rounds: Record<string, number>[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const order: [string, Call][] = r % 2 === 0 ? [['plain', plainCall], ['tls', tlsCall]] : [['tls', tlsCall], ['plain', plainCall]];
      const result: Record<string, number> = {};
      progress(`round ${r + 1}/${ROUNDS}: sequential latency and ${IN_FLIGHT} in flight, plaintext and TLS`);
      for (const [name, call] of order) {
        const latency = await measureLatency(call, LATENCY_WARMUP, LATENCY_CALLS);
        result[`${name}_ask_p50_us`] = round1(latency.p50);
        result[`${name}_ask_p99_us`] = round1(latency.p99);
      }
      for (const [name, call] of order) {
        await measureThroughputFor(call, IN_FLIGHT, THROUGHPUT_WARMUP_MS);
        result[`${name}_asks_per_s_64`] = Math.round(await measureThroughputFor(call, IN_FLIGHT, THROUGHPUT_MS));
      }
      progress(`round ${r + 1}/${ROUNDS}: ${JSON.stringify(result)}`);
      rounds.push(result);
    }
    const med = (key: string): number => median(rounds.map((round) => round[key] ?? Number.NaN));
    const ratioP50 = round3(med('tls_ask_p50_us') / med('plain_ask_p50_us'));
    return {
      plain_ask_p50_us: med('plain_ask_p50_us'),
      tls_ask_p50_us: med('tls_ask_p50_us'),
      plain_ask_p99_us: med('plain_ask_p99_us'),
      tls_ask_p99_us: med('tls_ask_p99_us'),
      plain_asks_per_s_64: med('plain_asks_per_s_64'),
      tls_asks_per_s_64: med('tls_asks_per_s_64'),
      ratio_tls_ask_p50: ratioP50,
      ratio_tls_asks_64: round3(med('tls_asks_per_s_64') / med('plain_asks_per_s_64')),
      targets: { tls_ask_p50_max_ratio: 1.3, met: { tls_ask_p50: ratioP50 <= 1.3 } },
      method:
        `Server in a child process hosting the same TestingCounterEndpoint on two RpcServices, one plaintext, one with mutual TLS (EC P-256 ` +
        `certificates of scripts/gen-certs.sh); the client holds one RpcService of each. ${ROUNDS} rounds, plaintext first in odd rounds and TLS first in even ones; ` +
        `latency: ${LATENCY_CALLS} sequential asks after ${LATENCY_WARMUP}; throughput: ${IN_FLIGHT} in flight for ${THROUGHPUT_MS} ms after ${THROUGHPUT_WARMUP_MS} ms. ` +
        `Medians across rounds; ratios from the medians. The TLS handshake happens once per channel, before timing.`,
      rounds,
      node: process.version,
      cpus: cpus().length,
      timestamp: new Date().toISOString(),
    };
  } finally {
    await tlsRpc.stop();
    await plainRpc.stop();
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  progress('starting bench-server-process');
  const tlsDir = process.argv.includes('--tls') ? generateBenchCertificates() : undefined;
  process.once('exit', () => {
    if (tlsDir !== undefined) rmSync(tlsDir, { recursive: true, force: true });
  });
  const { child, addresses } = await startServerProcess(tlsDir);
  const onSignal = (signal: NodeJS.Signals): void => {
    killChild(child, 'SIGKILL');
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    progress(`server pid ${addresses.pid}: eddy ${addresses.eddy}, bare ${addresses.bare}`);
    const result = tlsDir === undefined ? await run(addresses) : await runTls(addresses, tlsDir);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    progress(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } finally {
    await stopServerProcess(child);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
