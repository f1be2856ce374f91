/**
 * Drives the `eddy` command as a user does: a child process running packages/cli/dist/src/bin/
 * eddy.js, without a terminal (so `eddy run` prints plain lines), its output collected line by
 * line. Test files call `after(killCliProcesses)` so that no child outlives them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../cluster/cluster-harness.js';

const EDDY = fileURLToPath(new URL('../../../packages/cli/dist/src/bin/eddy.js', import.meta.url));

/** A job file of test/cli/jobs (the sources: the CLI bundles the .ts). */
export const cliJob = (name: string): string => fileURLToPath(new URL(`../../../test/cli/jobs/${name}.ts`, import.meta.url));

const live = new Set<CliProcess>();

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

/** Runs `eddy <args>` to its end. */
export async function runEddy(args: readonly string[], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string[]; stderr: string[]; process: CliProcess }> {
  const process = startEddy(args);
  const code = await process.exitCode(timeoutMs);
  return { code, stdout: process.stdout, stderr: process.stderr, process };
}

export function killCliProcesses(): void {
  for (const process of live) process.kill('SIGKILL');
}
