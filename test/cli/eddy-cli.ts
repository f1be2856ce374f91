/**
 * Runs the eddy command as a user does, as a child process of the repository's build, and
 * collects what it printed. Nothing here imports node:test.
 */
import { spawn } from 'node:child_process';
import { EDDY } from '../cluster/cluster-harness.js';

export interface CliResult {
  /** Exit code; null when killed. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Added to the environment; EDDY_PROPERTIES is empty unless set here. */
  readonly env?: Readonly<Record<string, string>>;
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
    env: { ...process.env, EDDY_PROPERTIES: '', ...options.env },
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
