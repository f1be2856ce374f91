/**
 * Runs the eddy command as a user does, as a child process of the repository's build (without a
 * terminal, so `eddy run` prints plain lines), and collects what it printed: to its end (runEddy,
 * runEddyLines), or while it runs (startEddy, a CliProcess whose lines a test waits for). Test files
 * that start processes call `after(killCliProcesses)` so that no child outlives them. Nothing here
 * imports node:test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EDDY, killOnSigterm, waitFor } from '../cluster/cluster-harness.js';

export interface CliResult {
  /** Exit code; null when killed. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Added to the environment; EDDY_PROPERTIES is empty unless set here. */
  readonly env?: Readonly<Record<string, string>>;
  /** The environment `env` is added to; default this process's. */
  readonly baseEnv?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** The command is killed, and the promise rejects, after this long. */
  readonly timeoutMs?: number;
}

/** `eddy <args>` to its end. */
export function runEddy(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return runCommand(process.execPath, [EDDY, ...args], options);
}

/** Any command (the cluster scripts) to its end, killed after options.timeoutMs. */
export function runCommand(command: string, args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...(options.baseEnv ?? process.env), EDDY_PROPERTIES: '', ...options.env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${[command, ...args].join(' ')} did not end within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The JSON document a --json command printed; fails with the output when it is not one. */
export function parseJson(result: CliResult): unknown {
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`expected one JSON document on stdout (exit ${result.code}); stdout: ${result.stdout}; stderr: ${result.stderr}`);
  }
}

/** A job file of test/cli/jobs (the sources: the CLI bundles the .ts). */
export const cliJob = (name: string): string => fileURLToPath(new URL(`../../../test/cli/jobs/${name}.ts`, import.meta.url));

const live = new Set<CliProcess>();

// A test file that node --test ends on its timeout takes its eddy commands along.
killOnSigterm(() => live.forEach((cli) => cli.child.kill('SIGKILL')));

export class CliProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  /** Resolves to the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  #exitCode: number | null | undefined;

  constructor(
    readonly args: readonly string[],
    readonly child: ChildProcess,
  ) {
    live.add(this);
    // 'close', not 'exit': it comes after stdout and stderr have ended, so every line is in.
    this.exited = new Promise((resolve) =>
      child.once('close', (code) => {
        this.#exitCode = code;
        live.delete(this);
        resolve(code);
      }),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => this.stdout.push(line));
    createInterface({ input: child.stderr! }).on('line', (line) => this.stderr.push(line));
  }

  get hasExited(): boolean {
    return this.#exitCode !== undefined;
  }

  /** The first stdout line matching `pattern`, waiting for it. */
  async waitForLine(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    let found: string | undefined;
    await waitFor(
      () => {
        found = this.stdout.find((line) => pattern.test(line));
        if (found === undefined && this.hasExited) throw new Error(`eddy ${this.args.join(' ')} exited before printing ${pattern}; ${this.transcript()}`);
        return found !== undefined;
      },
      `${pattern} from eddy ${this.args.join(' ')}`,
      timeoutMs,
    );
    return found as string;
  }

  /** The exit code, failing the test if the process has not exited within `timeoutMs`. */
  async exitCode(timeoutMs = 30_000): Promise<number | null> {
    await waitFor(() => this.hasExited, `eddy ${this.args.join(' ')} to exit; ${this.transcript()}`, timeoutMs);
    return this.exited;
  }

  /** The job id `eddy run` printed. */
  async jobId(): Promise<string> {
    const line = await this.waitForLine(/^Job has been submitted with JobID [0-9a-f]{32}$/);
    return line.slice(line.lastIndexOf(' ') + 1);
  }

  transcript(): string {
    return `stdout:\n${this.stdout.join('\n')}\nstderr:\n${this.stderr.join('\n')}`;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.hasExited) this.child.kill(signal);
  }
}

/** Starts `eddy <args>` (no terminal, EDDY_PROPERTIES cleared). */
export function startEddy(args: readonly string[]): CliProcess {
  const child = spawn(process.execPath, [EDDY, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDDY_PROPERTIES: '' } });
  return new CliProcess(args, child);
}

/** Runs `eddy <args>` to its end, its output as lines. */
export async function runEddyLines(args: readonly string[], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string[]; stderr: string[]; process: CliProcess }> {
  const process = startEddy(args);
  const code = await process.exitCode(timeoutMs);
  return { code, stdout: process.stdout, stderr: process.stderr, process };
}

export function killCliProcesses(): void {
  for (const process of live) process.kill('SIGKILL');
}
