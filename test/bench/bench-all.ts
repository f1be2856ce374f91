/**
 * npm run bench: runs every benchmark of the project, one after the other, from the compiled
 * scripts (`npm run bench` builds once first), then prints one table of all their figures and
 * writes everything, with each benchmark's whole output, as JSON.
 *
 *   npm run bench                                  all of them; JSON to bench-results/bench-results.json
 *   npm run bench -- rpc network                   only these
 *   npm run bench -- --output /tmp/bench.json      the JSON elsewhere
 *   npm run bench -- --timeout-minutes 30          per benchmark (default 20)
 *
 * A benchmark that fails (non-zero exit, killed at the timeout, output not understood) gets a
 * FAILED row and makes the exit code 1; the others still run. A missed target is shown in the
 * table but is not a failure. The benchmarks' own progress lines pass through on stderr. The
 * machine should be otherwise idle for the figures to mean anything.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCHMARKS, buildReport, exitCodeOf, formatTable, resultOf, type BenchmarkResult, type BenchmarkRun, type BenchmarkSpec } from './bench-report.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const STDERR_TAIL_LINES = 20;
/** After SIGTERM at the timeout, how long a benchmark gets to clean up its child processes. */
const KILL_GRACE_MS = 10_000;

interface Options {
  readonly names: string[];
  readonly output: string;
  readonly timeoutMs: number;
}

function parseArguments(argv: readonly string[]): Options {
  const names: string[] = [];
  let output = join(root, 'bench-results', 'bench-results.json');
  let timeoutMinutes = 20;
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i] as string;
    if (argument === '--output' || argument === '--timeout-minutes') {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${argument} needs a value`);
      if (argument === '--output') {
        output = resolve(value);
      } else {
        timeoutMinutes = Number(value);
        if (!(timeoutMinutes > 0)) throw new Error(`--timeout-minutes must be a number above 0, got '${value}'`);
      }
    } else if (argument.startsWith('-')) {
      throw new Error(`Unknown option '${argument}'; use [benchmark names] [--output file] [--timeout-minutes n]`);
    } else {
      names.push(argument);
    }
  }
  const known = BENCHMARKS.map((b) => b.name);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new Error(`Unknown benchmark ${unknown.join(', ')}; the benchmarks are ${known.join(', ')}`);
  return { names, output, timeoutMs: timeoutMinutes * 60_000 };
}

/** Runs one compiled benchmark script, forwarding its stderr, keeping its stdout and the tail of its stderr. */
function run(spec: BenchmarkSpec, timeoutMs: number): Promise<BenchmarkRun> {
  const started = performance.now();
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [join(root, spec.script)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderrTail: string[] = [];
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      stderrTail = [...stderrTail, ...chunk.toString('utf8').split('\n')].slice(-STDERR_TAIL_LINES - 1);
    });
    let killer: NodeJS.Timeout | undefined;
    const timeout = setTimeout(() => {
      timedOut = true;
      process.stderr.write(`[bench] ${spec.name} is still running after ${timeoutMs / 60_000} min; stopping it\n`);
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    }, timeoutMs);
    const finish = (exitCode: number | null, signal: string | null): void => {
      clearTimeout(timeout);
      clearTimeout(killer);
      resolveRun({
        exitCode,
        signal,
        timedOut,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderrTail: stderrTail.join('\n'),
        durationMs: performance.now() - started,
      });
    };
    child.once('error', (error) => {
      stderrTail.push(`could not start: ${error.message}`);
      finish(null, null);
    });
    child.once('close', finish);
  });
}

async function main(): Promise<number> {
  const options = parseArguments(process.argv.slice(2));
  const selected = BENCHMARKS.filter((spec) => options.names.length === 0 || options.names.includes(spec.name));
  const missing = selected.filter((spec) => !existsSync(join(root, spec.script)));
  if (missing.length > 0) throw new Error(`Not built: ${missing.map((spec) => spec.script).join(', ')}; run \`npm run build\` first (npm run bench does)`);

  const startedAt = new Date();
  const results: BenchmarkResult[] = [];
  for (const [index, spec] of selected.entries()) {
    process.stderr.write(`[bench] ${index + 1}/${selected.length} ${spec.name}: ${spec.description}\n`);
    const result = resultOf(spec, await run(spec, options.timeoutMs));
    process.stderr.write(`[bench] ${spec.name} ${result.status === 'ok' ? 'done' : 'FAILED'} in ${(result.durationMs / 1000).toFixed(1)} s\n`);
    results.push(result);
  }

  mkdirSync(dirname(options.output), { recursive: true });
  writeFileSync(options.output, `${JSON.stringify(buildReport(results, { startedAt, node: process.version, cpus: cpus().length }), null, 2)}\n`);
  process.stdout.write(`${formatTable(results)}\n\nAll figures and outputs: ${options.output}\n`);
  for (const result of results) if (result.status === 'failed') process.stdout.write(`\n${result.benchmark} failed: ${result.error}\n`);
  return exitCodeOf(results);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
