/**
 * Podman and podman-compose as compose-podman.test.ts drives them: one compose project of the
 * repository's docker-compose.yml, its containers found by the labels podman-compose puts on them,
 * their logs and addresses, and the cleanup that removes everything the project made. Nothing here
 * imports node:test.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { runCommand, type CliResult } from '../cli/eddy-cli.js';
import { waitFor } from '../cluster/cluster-harness.js';

export const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs `podman <args>`; fails with its output unless it exits 0. */
export async function podman(args: readonly string[], timeoutMs = 60_000): Promise<string> {
  return succeeded(await runCommand('podman', args, { timeoutMs, cwd: REPOSITORY }), `podman ${args.join(' ')}`);
}

function podmanSync(args: readonly string[]): string {
  const result = spawnSync('podman', args, { encoding: 'utf8', timeout: 120_000 });
  if (result.error !== undefined) throw new Error(`podman ${args.join(' ')} failed: ${result.error.message}`);
  return succeeded({ code: result.status, stdout: result.stdout, stderr: result.stderr }, `podman ${args.join(' ')}`);
}

function succeeded(result: CliResult, what: string): string {
  if (result.code !== 0) throw new Error(`${what} exited with ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result.stdout;
}

const lines = (text: string): string[] => text.split('\n').filter((line) => line.trim() !== '');

/** How to list and remove each kind of thing a compose project makes, in the order of removal. */
const RESOURCES = {
  containers: { list: ['ps', '--all', '--format', '{{.Names}}'], remove: ['rm', '--force', '--time', '1'] },
  volumes: { list: ['volume', 'ls', '--format', '{{.Name}}'], remove: ['volume', 'rm', '--force'] },
  networks: { list: ['network', 'ls', '--format', '{{.Name}}'], remove: ['network', 'rm', '--force'] },
} as const;

type Resource = keyof typeof RESOURCES;

/** One docker-compose.yml project run by podman-compose under its own project name. */
export class ComposeProject {
  /** podman-compose 1.0.3 names the default network `<project>_default`. */
  readonly network: string;

  /**
   * `files`: the compose files, in order (`-f` each), in `directory`, which relative paths in them
   * (volumes) are relative to; `env`: added to podman-compose's environment (the files' variables).
   */
  constructor(
    readonly name: string,
    private readonly files: readonly string[] = ['docker-compose.yml'],
    private readonly directory: string = REPOSITORY,
    private readonly env: Readonly<Record<string, string>> = {},
  ) {
    this.network = `${name}_default`;
  }

  private listArgs(resource: Resource, filters: readonly string[] = []): string[] {
    return [...RESOURCES[resource].list, '--filter', `label=io.podman.compose.project=${this.name}`, ...filters.flatMap((filter) => ['--filter', filter])];
  }

  private async compose(args: readonly string[], timeoutMs: number): Promise<string> {
    const result = await runCommand('podman-compose', ['-p', this.name, ...this.files.flatMap((file) => ['-f', file]), ...args], { timeoutMs, cwd: this.directory, env: this.env });
    return succeeded(result, `podman-compose ${args.join(' ')}`);
  }

  /** `podman-compose up -d`: creates the network and starts every service's containers (the image must exist). */
  async up(): Promise<void> {
    await this.compose(['up', '-d'], 120_000);
  }

  /** `podman-compose down`. */
  async down(): Promise<void> {
    await this.compose(['down'], 120_000);
  }

  /** The names of the project's containers, of one service or all, running or not. */
  async containers(service?: string): Promise<string[]> {
    return lines(await podman(this.listArgs('containers', service === undefined ? [] : [`label=com.docker.compose.service=${service}`]))).sort();
  }

  async networks(): Promise<string[]> {
    return lines(await podman(this.listArgs('networks')));
  }

  async volumes(): Promise<string[]> {
    return lines(await podman(this.listArgs('volumes')));
  }

  /**
   * Removes whatever the project left: containers (running or not), volumes and networks.
   * Synchronous, so that a signal handler can run it too. Fails with podman's output.
   */
  removeAll(): void {
    for (const resource of Object.keys(RESOURCES) as Resource[]) {
      const names = lines(podmanSync(this.listArgs(resource)));
      if (names.length > 0) podmanSync([...RESOURCES[resource].remove, ...names]);
    }
  }

  /** The container's address on the project's network. */
  async addressOf(container: string): Promise<string> {
    return (await podman(['inspect', '--format', `{{(index .NetworkSettings.Networks "${this.network}").IPAddress}}`, container])).trim();
  }
}

/** A container's hostname: what `os.hostname()` returns inside it. */
export async function hostnameOf(container: string): Promise<string> {
  return (await podman(['inspect', '--format', '{{.Config.Hostname}}', container])).trim();
}

/** How many mounts (volumes, bind mounts) the container has. */
export async function mountCountOf(container: string): Promise<number> {
  return Number((await podman(['inspect', '--format', '{{len .Mounts}}', container])).trim());
}

export interface ContainerState {
  readonly running: boolean;
  readonly exitCode: number;
}

export async function stateOf(container: string): Promise<ContainerState> {
  const [running, exitCode] = (await podman(['inspect', '--format', '{{.State.Running}} {{.State.ExitCode}}', container])).trim().split(' ');
  return { running: running === 'true', exitCode: Number(exitCode) };
}

/** Everything the container wrote to stdout and stderr, line by line. */
export async function logsOf(container: string): Promise<string[]> {
  const result = await runCommand('podman', ['logs', container], { timeoutMs: 60_000 });
  succeeded(result, `podman logs ${container}`);
  return lines(`${result.stdout}\n${result.stderr}`);
}

/** The JSON log lines among `lines` (pino's), parsed. */
export function jsonLogLines(logLines: readonly string[]): Record<string, unknown>[] {
  return logLines.flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** Fails, saying what holds it, when nothing may listen on `port` of 127.0.0.1. */
export async function assertPortFree(port: number, hint: string): Promise<void> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
  } catch (error) {
    throw new Error(`Port ${port} on this machine is in use (${(error as Error).message}), and docker-compose.yml publishes the JobManager on it; ${hint}`);
  } finally {
    await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  }
}

/**
 * An exclusive lock on `path`, held by a `flock` child process until release() (or until this
 * process dies, which closes the child's stdin). Another holder makes it wait, up to `timeoutMs`.
 */
export class MachineLock {
  private constructor(private readonly holder: ChildProcessWithoutNullStreams) {}

  static async acquire(path: string, timeoutMs: number): Promise<MachineLock> {
    const holder = spawn('flock', ['--exclusive', '--timeout', String(Math.ceil(timeoutMs / 1000)), path, '--command', 'echo locked; exec cat']);
    let output = '';
    let exited = false;
    holder.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    holder.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    holder.once('exit', () => (exited = true));
    holder.once('error', (error) => {
      exited = true;
      output += error.message;
    });
    try {
      await waitFor(
        () => {
          if (exited) throw new Error(`Could not lock ${path} within ${timeoutMs} ms (another run of this test holds it?): ${output}`);
          return output.startsWith('locked');
        },
        `the lock on ${path}`,
        timeoutMs + 5_000,
        100,
      );
    } catch (error) {
      holder.kill('SIGKILL');
      throw error;
    }
    return new MachineLock(holder);
  }

  release(): void {
    this.holder.stdin.end();
    this.holder.kill('SIGTERM');
  }
}
