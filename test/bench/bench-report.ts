/**
 * What `npm run bench` knows about the project's benchmarks, and how it turns their outputs into
 * one table and one JSON report. No I/O here: bench-all.ts runs the scripts and hands over what
 * each printed.
 *
 * Every benchmark prints its figures on stdout (progress goes to stderr), in one of three forms:
 *   json         one JSON object (rpc, cluster, network, throughput, codec)
 *   json-lines   one JSON object per line and round (credit-transport)
 *   chain-text   chain-bench's lines "  <name>  2.11 M lines/s (12.66 M words/s) ..."
 * The numbers in them become metrics: a JSON object's numeric fields, by their dotted path, minus
 * the settings and the per-run lists (those stay in the JSON report, with the whole output).
 */

export type OutputFormat = 'json' | 'json-lines' | 'chain-text';

export interface TargetSpec {
  readonly metric: string;
  readonly op: '>=' | '<=';
  /** The threshold, possibly read from the benchmark's own output; undefined when it has none. */
  readonly threshold: (output: unknown) => number | undefined;
  /** Where the target comes from. */
  readonly source: string;
}

export interface BenchmarkSpec {
  readonly name: string;
  /** The compiled script, relative to the repository root. */
  readonly script: string;
  readonly format: OutputFormat;
  readonly description: string;
  /** Numeric fields that are settings, not figures: kept in the JSON, left out of the table. */
  readonly settings?: readonly string[];
  readonly targets?: readonly TargetSpec[];
}

/** Reads a number at a dotted path of a JSON output. */
const field =
  (path: string, scale = 1) =>
  (output: unknown): number | undefined => {
    let value: unknown = output;
    for (const key of path.split('.')) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    return typeof value === 'number' ? value * scale : undefined;
  };

export const BENCHMARKS: readonly BenchmarkSpec[] = [
  {
    name: 'rpc',
    script: 'packages/rpc/dist/bench/rpc-bench.js',
    format: 'json',
    description: 'gateway calls against bare grpc-js: latency, asks and tells per second',
    targets: [
      { metric: 'ratio_remote_p50_vs_bare', op: '<=', threshold: field('targets.remote_ask_p50_max_ratio_vs_bare'), source: 'rpc-bench' },
      { metric: 'ratio_asks_64_vs_bare', op: '>=', threshold: field('targets.remote_asks_per_s_64_min_ratio_vs_bare'), source: 'rpc-bench' },
      { metric: 'local_asks_per_s', op: '>=', threshold: field('targets.local_asks_per_s_min'), source: 'rpc-bench' },
    ],
  },
  {
    name: 'cluster',
    script: 'test/dist/bench/cluster-bench.js',
    format: 'json',
    description: 'cluster start-up, submit to running, failover, memory',
  },
  {
    name: 'network',
    script: 'packages/runtime/dist/bench/network-bench.js',
    format: 'json',
    description: 'the data plane alone: writer to gate, between threads, between TaskManagers',
  },
  {
    name: 'throughput',
    script: 'test/dist/bench/throughput-bench.js',
    format: 'json',
    description: 'a WordCount-like job against a single-thread loop, cross-TaskManager exchange, latency',
    settings: ['buffer_timeout_ms', 'latency_rate_records_per_s'],
    targets: [
      { metric: 'ratio', op: '>=', threshold: () => 0.5, source: 'docs/streaming.md' },
      { metric: 'cross_tm_records_per_s', op: '>=', threshold: () => 3_000_000, source: 'docs/streaming.md' },
      { metric: 'latency_p99_ms', op: '<=', threshold: field('buffer_timeout_ms', 2), source: 'docs/streaming.md (2 x buffer timeout)' },
    ],
  },
  {
    name: 'checkpoint',
    script: 'test/dist/bench/checkpoint-bench.js',
    format: 'json',
    description: 'checkpoints: WordCount throughput with vs without, checkpoint of 1 M keys, recovery after a SIGKILL',
    targets: [
      { metric: 'throughput_ratio_with_checkpoints', op: '>=', threshold: () => 0.9, source: 'issue 13' },
      { metric: 'checkpoint_duration_ms', op: '<=', threshold: () => 2000, source: 'issue 13' },
      { metric: 'recovery_ms', op: '<=', threshold: () => 3000, source: 'issue 13' },
    ],
  },
  {
    name: 'windows',
    script: 'test/dist/bench/windows-bench.js',
    format: 'json',
    description: 'event-time windows: Nexmark q5 (sliding) and q7 (tumbling) at parallelism 2, without and with checkpoints',
  },
  {
    name: 'state',
    script: 'test/dist/bench/state-bench.js',
    format: 'json',
    description: 'keyed state: keyed counting over 1 M keys with the hashmap and lmdb backends, full against incremental checkpoints at 1 % of keys changed, savepoint, eddy update and restore at another parallelism of a job with 1 M keys',
    settings: ['incremental_keys', 'incremental_changed_keys_per_interval'],
    targets: [
      { metric: 'lmdb_vs_heap_throughput_ratio', op: '>=', threshold: () => 0.5, source: 'issue 15' },
      { metric: 'incremental_size_ratio', op: '<=', threshold: () => 0.05, source: 'issue 15' },
      { metric: 'update_gap_ms.hashmap', op: '<=', threshold: () => 3000, source: 'issue 15' },
      { metric: 'update_gap_ms.lmdb', op: '<=', threshold: () => 3000, source: 'issue 15' },
    ],
  },
  {
    name: 'metrics',
    script: 'test/dist/bench/metrics-bench.js',
    format: 'json',
    description: 'the WordCount job with the Prometheus reporter on every process, scraped each second, against metrics off',
    targets: [{ metric: 'throughput_ratio_with_metrics', op: '>=', threshold: () => 0.97, source: 'issue 16' }],
  },
  {
    name: 'rest',
    script: 'test/dist/bench/rest-bench.js',
    format: 'json',
    description: "the REST API's latency with 100 jobs in history: /overview and /jobs/:jobid, afresh and cached",
    settings: ['jobs_in_history', 'requests'],
  },
  {
    name: 'kafka',
    script: 'test/dist/bench/kafka-bench.js',
    format: 'json',
    description: 'Kafka -> keyed count -> Kafka at parallelism 2 against a local broker: NONE, AT_LEAST_ONCE and EXACTLY_ONCE, exactly-once latency',
    settings: ['checkpoint_interval_ms'],
    targets: [{ metric: 'kafka_eo_vs_none_ratio', op: '>=', threshold: () => 0.7, source: 'issue 17' }],
  },
  {
    name: 'codec',
    script: 'packages/runtime/dist/bench/record-codec-bench.js',
    format: 'json',
    description: 'encode + decode records/s of the record codec against msgpackr (sequential and self-contained), CPU time',
    settings: ['records_per_batch'],
  },
  {
    name: 'credit-transport',
    script: 'packages/runtime/dist/bench/credit-transport-bench.js',
    format: 'json-lines',
    description: 'one credit as a stream message against a unary call (bare grpc-js)',
  },
  {
    name: 'chain',
    script: 'packages/api/dist/bench/chain-bench.js',
    format: 'chain-text',
    description: 'WordCount through task chains in one thread against a plain loop',
  },
];

/** Fields of a JSON output that describe the run, not its figures. */
const DESCRIPTIVE_FIELDS = new Set(['benchmark', 'node', 'cpus', 'timestamp', 'method', 'settings', 'record', 'recordsPerRun', 'runs', 'rounds', 'targets']);

/** What the runner saw of one benchmark process. */
export interface BenchmarkRun {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  /** The last lines it wrote on stderr. */
  readonly stderrTail: string;
  readonly durationMs: number;
}

export interface Metric {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** e.g. '>= 3000000', when the benchmark has a target for this metric. */
  readonly target?: string;
  readonly met?: boolean;
}

export interface BenchmarkResult {
  readonly benchmark: string;
  readonly script: string;
  readonly status: 'ok' | 'failed';
  /** Why it failed. */
  readonly error?: string;
  readonly durationMs: number;
  readonly metrics: Metric[];
  /** The whole parsed output, when there is one. */
  readonly output?: unknown;
}

export function resultOf(spec: BenchmarkSpec, run: BenchmarkRun): BenchmarkResult {
  const base = { benchmark: spec.name, script: spec.script, durationMs: Math.round(run.durationMs) };
  const failed = (error: string, output?: unknown): BenchmarkResult => ({ ...base, status: 'failed', error, metrics: [], ...(output === undefined ? {} : { output }) });
  const stderr = run.stderrTail.trim() === '' ? '' : `; last lines on stderr:\n${run.stderrTail.trimEnd()}`;
  if (run.timedOut) return failed(`did not finish within ${Math.round(run.durationMs / 1000)} s and was killed${stderr}`);
  if (run.exitCode !== 0) return failed(`exited with ${run.signal !== null ? `signal ${run.signal}` : `code ${run.exitCode}`}${stderr}`);
  let output: unknown;
  let metrics: Metric[];
  try {
    ({ output, metrics } = parseOutput(spec, run.stdout));
  } catch (error) {
    return failed(`printed nothing the runner understands (${error instanceof Error ? error.message : String(error)})`);
  }
  if (metrics.length === 0) return failed('printed no figures', output);
  return { ...base, status: 'ok', metrics: metrics.map((metric) => withTarget(spec, output, metric)), output };
}

function parseOutput(spec: BenchmarkSpec, stdout: string): { output: unknown; metrics: Metric[] } {
  const text = stdout.trim();
  if (text === '') throw new Error('no output on stdout');
  switch (spec.format) {
    case 'json': {
      const output = JSON.parse(text) as unknown;
      if (output === null || typeof output !== 'object' || Array.isArray(output)) throw new Error('expected one JSON object');
      const skip = new Set([...DESCRIPTIVE_FIELDS, ...(spec.settings ?? [])]);
      return { output, metrics: numericFields(output as Record<string, unknown>, '', skip) };
    }
    case 'json-lines': {
      const output = text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
      return { output, metrics: medianPerLabel(output) };
    }
    case 'chain-text':
      return parseChainText(text);
  }
}

/** Numeric fields, recursively, named by dotted path; arrays are per-run values and are skipped. A top-level 'results' adds no name. */
function numericFields(object: Record<string, unknown>, prefix: string, skip: ReadonlySet<string>): Metric[] {
  return Object.entries(object).flatMap(([key, value]): Metric[] => {
    if (skip.has(key) || Array.isArray(value)) return [];
    const name = prefix === '' && key === 'results' ? '' : `${prefix}${key}`;
    if (typeof value === 'number') return [{ metric: name, value, unit: unitOf(key) }];
    if (value !== null && typeof value === 'object') return numericFields(value as Record<string, unknown>, name === '' ? '' : `${name}.`, skip);
    return [];
  });
}

/** JSON lines: each line's text fields name it; a figure repeated over rounds is reported as its median. */
function medianPerLabel(lines: readonly Record<string, unknown>[]): Metric[] {
  const values = new Map<string, { key: string; values: number[] }>();
  for (const line of lines) {
    const label = Object.values(line).filter((v) => typeof v === 'string').join(', ');
    for (const [key, value] of Object.entries(line)) {
      if (typeof value !== 'number') continue;
      const name = label === '' ? key : `${label}: ${key}`;
      const entry = values.get(name) ?? { key, values: [] };
      entry.values.push(value);
      values.set(name, entry);
    }
  }
  return [...values].map(([name, { key, values: all }]) => ({
    metric: all.length > 1 ? `${name} (median of ${all.length})` : name,
    value: median(all),
    unit: unitOf(key),
  }));
}

const CHAIN_LINE = /^\s+(\S.*?)\s+(\d+(?:\.\d+)?) M lines\/s \((\d+(?:\.\d+)?) M words\/s\)/;

function parseChainText(text: string): { output: unknown; metrics: Metric[] } {
  const lines = text.split('\n');
  const metrics = lines.flatMap((line): Metric[] => {
    const match = CHAIN_LINE.exec(line);
    return match === null ? [] : [{ metric: match[1] as string, value: Math.round(Number(match[2]) * 1e6), unit: 'lines/s' }];
  });
  if (metrics.length === 0) throw new Error("no line like '  plain loop  2.11 M lines/s (12.66 M words/s)'");
  return { output: { lines }, metrics };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The unit a field name implies: *_ms, *_us, *_mb, <what>_per_s[_N], <what>PerSecond, cpuMicrosPer<X>, ratio*. */
export function unitOf(key: string): string {
  const perSecond = /([a-z]+)_per_s(?:_\d+)?$/.exec(key) ?? /([a-z]+)PerSecond$/.exec(key);
  if (perSecond !== null) return `${perSecond[1]}/s`;
  const microsPer = /Micros?Per([A-Z][a-z]*)$/.exec(key);
  if (microsPer !== null) return `µs/${(microsPer[1] as string).toLowerCase()}`;
  if (/_ms$/.test(key)) return 'ms';
  if (/_us$/.test(key)) return 'µs';
  if (/_mb$/.test(key)) return 'MB';
  if (/(^|_)ratio(_|$)/.test(key)) return 'x';
  return '';
}

function withTarget(spec: BenchmarkSpec, output: unknown, metric: Metric): Metric {
  const target = spec.targets?.find((t) => t.metric === metric.metric);
  const threshold = target?.threshold(output);
  if (target === undefined || threshold === undefined) return metric;
  const met = target.op === '>=' ? metric.value >= threshold : metric.value <= threshold;
  return { ...metric, target: `${target.op} ${threshold}`, met };
}

/** 1 when any benchmark failed, else 0. A missed target is shown, but is not a failure. */
export function exitCodeOf(results: readonly BenchmarkResult[]): number {
  return results.some((result) => result.status === 'failed') ? 1 : 0;
}

const formatValue = (value: number): string => value.toLocaleString('en-US', { maximumFractionDigits: 3 });

/** One row per metric, and one per failed benchmark saying why; columns aligned with spaces. */
export function formatTable(results: readonly BenchmarkResult[]): string {
  const header = ['benchmark', 'metric', 'value', 'unit', 'target'];
  const rows = results.flatMap((result): string[][] => {
    if (result.status === 'failed') {
      const [reason = ''] = (result.error ?? '').split('\n');
      return [[result.benchmark, 'FAILED', '', '', reason]];
    }
    return result.metrics.map((m) => [result.benchmark, m.metric, formatValue(m.value), m.unit, m.target === undefined ? '' : `${m.target} ${m.met ? 'met' : 'MISSED'}`]);
  });
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => (row[column] as string).length)));
  const line = (row: string[]): string =>
    row
      .map((cell, column) => (column === 2 ? cell.padStart(widths[column] as number) : cell.padEnd(widths[column] as number)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export interface BenchReport {
  readonly startedAt: string;
  readonly node: string;
  readonly cpus: number;
  readonly failed: string[];
  readonly results: readonly BenchmarkResult[];
}

export function buildReport(results: readonly BenchmarkResult[], environment: { startedAt: Date; node: string; cpus: number }): BenchReport {
  return {
    startedAt: environment.startedAt.toISOString(),
    node: environment.node,
    cpus: environment.cpus,
    failed: results.filter((result) => result.status === 'failed').map((result) => result.benchmark),
    results,
  };
}
