/**
 * `npm run bench`'s assembly of results, from canned benchmark outputs (no benchmark runs here):
 * metrics and units, targets, failures, the table, the JSON report, and the list of benchmarks
 * kept in step with package.json.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BENCHMARKS, buildReport, exitCodeOf, formatTable, resultOf, unitOf, type BenchmarkResult, type BenchmarkRun, type Metric } from './bench-report.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

const spec = (name: string) => {
  const found = BENCHMARKS.find((b) => b.name === name);
  assert.ok(found, `benchmark ${name}`);
  return found;
};

const succeeded = (stdout: string): BenchmarkRun => ({ exitCode: 0, signal: null, timedOut: false, stdout, stderrTail: '', durationMs: 1234.4 });

const metric = (result: BenchmarkResult, name: string): Metric => {
  const found = result.metrics.find((m) => m.metric === name);
  assert.ok(found, `metric ${name} among ${result.metrics.map((m) => m.metric).join(', ')}`);
  return found;
};

const RPC_OUTPUT = JSON.stringify({
  bare_grpc_p50_us: 410.5,
  bare_grpc_p99_us: 900,
  remote_ask_p50_us: 451.6,
  remote_ask_p99_us: 1000,
  bare_grpc_calls_per_s_64: 20_000,
  remote_asks_per_s_64: 17_000,
  tells_per_s: null,
  tells_lost: 3,
  local_asks_per_s: 250_000,
  ratio_remote_p50_vs_bare: 1.1,
  ratio_asks_64_vs_bare: 0.85,
  targets: {
    remote_ask_p50_max_ratio_vs_bare: 1.2,
    remote_asks_per_s_64_min_ratio_vs_bare: 0.9,
    local_asks_per_s_min: 200_000,
    met: { remote_ask_p50: true, remote_asks_per_s_64: false, local_asks_per_s: true },
  },
  method: 'five rounds',
  rounds: [{ bare_grpc_p50_us: 410 }],
  node: 'v20.20.2',
  cpus: 2,
  timestamp: '2025-01-01T00:00:00.000Z',
});

const NETWORK_OUTPUT = JSON.stringify(
  {
    benchmark: 'network',
    node: 'v20.20.2',
    cpus: 2,
    record: { word: 'word-123', count: 123 },
    recordsPerRun: 5_000_000,
    runs: 3,
    settings: { segmentSizeBytes: 32768, bufferTimeoutMs: 100, creditsPerChannel: 4, maxQueuedBuffersPerChannel: 8 },
    results: {
      'writer-gate-one-thread': { recordsPerSecond: 6_000_000, runs: [6_000_000, 6_100_000, 5_900_000] },
      'two-tms-two-processes': { recordsPerSecond: 4_500_000, runs: [4_500_000, 4_400_000, 4_600_000] },
    },
  },
  null,
  2,
);

const THROUGHPUT_OUTPUT = JSON.stringify({
  loop_records_per_s: 2_110_000,
  cluster_records_per_s: 850_000,
  ratio: 0.4,
  cross_tm_records_per_s: 3_390_000,
  latency_p50_ms: 1.7,
  latency_p99_ms: 21,
  latency_rate_records_per_s: 1_695_000,
  buffer_timeout_ms: 100,
  runs: { loop: [1, 2, 3], cluster: [1, 2, 3], cross_tm: [1, 2, 3] },
});

const CREDIT_OUTPUT = [
  { mode: 'message on a bidirectional stream', creditsPerSecond: 60_000, cpuMicrosPerCredit: 14.5 },
  { mode: 'unary call, 1 in flight', creditsPerSecond: 6_000, cpuMicrosPerCredit: 210 },
  { mode: 'message on a bidirectional stream', creditsPerSecond: 80_000, cpuMicrosPerCredit: 21.5 },
  { mode: 'unary call, 1 in flight', creditsPerSecond: 7_000, cpuMicrosPerCredit: 190 },
]
  .map((line) => JSON.stringify(line))
  .join('\n');

const CHAIN_OUTPUT = [
  'WordCount, 200000 lines of 6 words, 5000 distinct words, medians of 7 rounds',
  '  plain loop        2.11 M lines/s (12.66 M words/s)',
  '  one task          1.90 M lines/s (11.40 M words/s)  loop/chain 1.11x',
  '  keyBy, two tasks  1.20 M lines/s (7.20 M words/s)  loop/chain 1.76x',
].join('\n');

describe('npm run bench: from benchmark outputs to one table and one report', () => {
  it('names the figures of a JSON output by their fields, with units, leaving out descriptions, settings and per-run lists', () => {
    const network = resultOf(spec('network'), succeeded(NETWORK_OUTPUT));
    assert.equal(network.status, 'ok');
    assert.deepEqual(network.metrics, [
      { metric: 'writer-gate-one-thread.recordsPerSecond', value: 6_000_000, unit: 'records/s' },
      { metric: 'two-tms-two-processes.recordsPerSecond', value: 4_500_000, unit: 'records/s' },
    ]);
    const rpc = resultOf(spec('rpc'), succeeded(RPC_OUTPUT));
    assert.deepEqual(
      rpc.metrics.map((m) => `${m.metric} ${m.unit}`),
      [
        'bare_grpc_p50_us µs',
        'bare_grpc_p99_us µs',
        'remote_ask_p50_us µs',
        'remote_ask_p99_us µs',
        'bare_grpc_calls_per_s_64 calls/s',
        'remote_asks_per_s_64 asks/s',
        'tells_lost ',
        'local_asks_per_s asks/s',
        'ratio_remote_p50_vs_bare x',
        'ratio_asks_64_vs_bare x',
      ],
      'tells_per_s is null in this run: no figure',
    );
    assert.equal(rpc.durationMs, 1234);
  });

  it("compares figures with their targets, read from the benchmark's own output where it states them", () => {
    const rpc = resultOf(spec('rpc'), succeeded(RPC_OUTPUT));
    assert.deepEqual(metric(rpc, 'ratio_remote_p50_vs_bare'), { metric: 'ratio_remote_p50_vs_bare', value: 1.1, unit: 'x', target: '<= 1.2', met: true });
    assert.equal(metric(rpc, 'ratio_asks_64_vs_bare').met, false);
    assert.equal(metric(rpc, 'local_asks_per_s').target, '>= 200000');
    assert.equal(metric(rpc, 'bare_grpc_p50_us').target, undefined);

    const throughput = resultOf(spec('throughput'), succeeded(THROUGHPUT_OUTPUT));
    assert.deepEqual(
      throughput.metrics.map((m) => m.metric),
      ['loop_records_per_s', 'cluster_records_per_s', 'ratio', 'cross_tm_records_per_s', 'latency_p50_ms', 'latency_p99_ms'],
    );
    assert.deepEqual(metric(throughput, 'latency_p99_ms'), { metric: 'latency_p99_ms', value: 21, unit: 'ms', target: '<= 200', met: true });
    assert.equal(metric(throughput, 'ratio').met, false);
    assert.equal(metric(throughput, 'cross_tm_records_per_s').met, true);
  });

  it('reports a figure repeated over rounds of JSON lines as its median, and reads the chain benchmark text', () => {
    const credits = resultOf(spec('credit-transport'), succeeded(CREDIT_OUTPUT));
    assert.deepEqual(credits.metrics, [
      { metric: 'message on a bidirectional stream: creditsPerSecond (median of 2)', value: 70_000, unit: 'credits/s' },
      { metric: 'message on a bidirectional stream: cpuMicrosPerCredit (median of 2)', value: 18, unit: 'µs/credit' },
      { metric: 'unary call, 1 in flight: creditsPerSecond (median of 2)', value: 6_500, unit: 'credits/s' },
      { metric: 'unary call, 1 in flight: cpuMicrosPerCredit (median of 2)', value: 200, unit: 'µs/credit' },
    ]);
    const chain = resultOf(spec('chain'), succeeded(CHAIN_OUTPUT));
    assert.deepEqual(chain.metrics, [
      { metric: 'plain loop', value: 2_110_000, unit: 'lines/s' },
      { metric: 'one task', value: 1_900_000, unit: 'lines/s' },
      { metric: 'keyBy, two tasks', value: 1_200_000, unit: 'lines/s' },
    ]);
  });

  it('fails a benchmark that exits non-zero, is killed at its timeout, or prints what cannot be read, saying why', () => {
    const crashed = resultOf(spec('cluster'), { exitCode: 1, signal: null, timedOut: false, stdout: '', stderrTail: 'Error: no slots\n    at main\n', durationMs: 5000 });
    assert.equal(crashed.status, 'failed');
    assert.equal(crashed.error, 'exited with code 1; last lines on stderr:\nError: no slots\n    at main');
    const killed = resultOf(spec('cluster'), { exitCode: null, signal: 'SIGTERM', timedOut: true, stdout: '', stderrTail: '', durationMs: 1_200_000 });
    assert.equal(killed.error, 'did not finish within 1200 s and was killed');
    const signaled = resultOf(spec('cluster'), { exitCode: null, signal: 'SIGKILL', timedOut: false, stdout: '', stderrTail: '', durationMs: 10 });
    assert.equal(signaled.error, 'exited with signal SIGKILL');
    assert.match(resultOf(spec('rpc'), succeeded('{"truncated": ')).error ?? '', /^printed nothing the runner understands \(.*JSON/);
    assert.match(resultOf(spec('chain'), succeeded('nothing measured')).error ?? '', /no line like/);
    assert.equal(resultOf(spec('cluster'), succeeded('{"node": "v20"}')).error, 'printed no figures');
    assert.equal(resultOf(spec('cluster'), succeeded('  ')).status, 'failed');
  });

  it('prints one aligned table with a FAILED row per failed benchmark, and exits 1 only when one failed', () => {
    const network = resultOf(spec('network'), succeeded(NETWORK_OUTPUT));
    const throughput = resultOf(spec('throughput'), succeeded(THROUGHPUT_OUTPUT));
    const crashed = resultOf(spec('cluster'), { exitCode: 3, signal: null, timedOut: false, stdout: '', stderrTail: 'boom\nmore', durationMs: 10 });
    const table = formatTable([network, crashed, throughput]).split('\n');
    assert.match(table[0] as string, /^benchmark\s+metric\s+value\s+unit\s+target$/);
    assert.match(table[1] as string, /^-+ {2}-+ {2}-+ {2}-+ {2}-+$/);
    assert.equal(table.length, 2 + 2 + 1 + 6);
    const columnOf = (row: string, text: string): number => row.indexOf(text);
    const valueEnd = columnOf(table[0] as string, 'unit') - 2;
    const row = (text: string): string => table.find((line) => line.includes(text)) as string;
    assert.equal(columnOf(row('writer-gate'), '6,000,000') + '6,000,000'.length, valueEnd, 'values are right-aligned');
    assert.equal(columnOf(row('latency_p50_ms'), '1.7') + '1.7'.length, valueEnd);
    assert.match(row('cluster'), /^cluster\s+FAILED\s+exited with code 3; last lines on stderr:$/);
    assert.match(row('cross_tm_records_per_s'), /3,390,000\s+records\/s\s+>= 3000000 met$/);
    assert.match(row(' ratio '), /0\.4\s+x\s+>= 0\.5 MISSED$/);

    assert.equal(exitCodeOf([network, crashed, throughput]), 1);
    assert.equal(exitCodeOf([network, throughput]), 0, 'a missed target is not a failure');
  });

  it('writes every result, its metrics and its whole output, and names the failed ones', () => {
    const network = resultOf(spec('network'), succeeded(NETWORK_OUTPUT));
    const crashed = resultOf(spec('cluster'), { exitCode: 1, signal: null, timedOut: false, stdout: '', stderrTail: '', durationMs: 10 });
    const report = JSON.parse(JSON.stringify(buildReport([network, crashed], { startedAt: new Date(0), node: 'v20.20.2', cpus: 2 }))) as ReturnType<typeof buildReport>;
    assert.equal(report.startedAt, '1970-01-01T00:00:00.000Z');
    assert.deepEqual(report.failed, ['cluster']);
    assert.deepEqual(report.results[0]?.output, JSON.parse(NETWORK_OUTPUT));
    assert.equal(report.results[0]?.metrics.length, 2);
    assert.equal(report.results[1]?.status, 'failed');
  });

  it('derives units from the naming conventions of the benchmarks', () => {
    assert.deepEqual(
      ['cold_start_ms', 'jm_idle_rss_mb', 'remote_ask_p50_us', 'tells_per_s', 'recordsPerSecond', 'cpuMicrosPerCredit', 'ratio', 'tm_loss_detected_ms', 'tells_lost'].map(unitOf),
      ['ms', 'MB', 'µs', 'tells/s', 'records/s', 'µs/credit', 'x', 'ms', ''],
    );
  });

  it("runs every benchmark that package.json's bench:* scripts run, from compiled scripts that exist", () => {
    const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const benchScripts = Object.entries(scripts).filter(([name]) => name.startsWith('bench:'));
    assert.ok(benchScripts.length >= 4);
    for (const [name, command] of benchScripts) {
      const script = /node (\S+\.js)/.exec(command)?.[1];
      assert.ok(script !== undefined && BENCHMARKS.some((b) => b.script === script), `${name} (${command}) is one of npm run bench's benchmarks`);
    }
    for (const benchmark of BENCHMARKS) assert.ok(existsSync(join(root, benchmark.script)), `${benchmark.script} is built`);
    assert.match(scripts['bench'] ?? '', /^npm run build && node test\/dist\/bench\/bench-all\.js$/);
  });
});
