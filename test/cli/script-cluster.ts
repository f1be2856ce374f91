/**
 * A cluster started by scripts/start-cluster.sh as a user starts it, from another working
 * directory, with a temporary log directory and a free JobManager port so it never meets a cluster
 * on 6123. Every process it starts carries `marker` among its flags (pass `-D marker`), so a test
 * file can tell that none is left: it calls `after(cleanUpScriptClusters)`. Nothing here imports
 * node:test.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../cluster/cluster-harness.js';
import { runCommand, type CliResult } from './eddy-cli.js';

const SCRIPTS = fileURLToPath(new URL('../../../scripts/', import.meta.url));
/** A flag to give every process a test starts: `-D marker`. */
export const marker = `test.cluster-marker=${randomUUID()}`;
const scratch = mkdtempSync(join(tmpdir(), 'eddy-scripts-'));

/** Pids of the processes still running with this file's marker among their arguments. */
export function markedProcesses(): number[] {
  const table = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return table
    .split('\n')
    .filter((line) => line.includes(marker))
    .map((line) => Number.parseInt(line.trim(), 10));
}

/** Kills what is left and removes the log directories. */
export function cleanUpScriptClusters(): void {
  for (const pid of markedProcesses()) process.kill(pid, 'SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
}

export interface ScriptCluster {
  readonly logDir: string;
  readonly port: number;
  run(script: 'start-cluster.sh' | 'stop-cluster.sh', ...args: string[]): Promise<CliResult>;
}

/** A log directory and JobManager port of its own; the scripts run from a scratch directory, not the repository. */
export async function scriptCluster(name: string): Promise<ScriptCluster> {
  const logDir = join(scratch, name);
  const port = await freePort();
  const env = { EDDY_LOG_DIR: logDir, EDDY_PROPERTIES: `jobmanager.rpc.port: ${port}\nrest.port: 0\n`, EDDY_START_TIMEOUT: '60', EDDY_STOP_TIMEOUT: '20' };
  return {
    logDir,
    port,
    run: (script, ...args) => runCommand('bash', [join(SCRIPTS, script), ...args], { env, cwd: scratch, timeoutMs: 120_000 }),
  };
}
