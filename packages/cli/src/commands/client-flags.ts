/**
 * Flags shared by the commands that talk to a running JobManager (run, list, status, cancel,
 * logs, taskmanagers), and the JobClient they open.
 */
import type { Command } from 'commander';
import { silentLogger, type Configuration } from '@eddy/common';
import { JobClient } from '@eddy/client';
import { JobManagerOptions } from '@eddy/runtime';
import { addConfigurationFlags, configurationFrom, type DaemonFlags } from './daemon-options.js';

export interface ClientFlags extends DaemonFlags {
  /** host:port of the JobManager, from -m. */
  readonly jobmanager?: string;
  readonly json?: boolean;
  readonly verbose?: boolean;
}

/** -m, -D, --config and --verbose; `--json` too when `json` is set (read commands). */
export function addClientFlags(command: Command, { json = false }: { json?: boolean } = {}): Command {
  command.option('-m, --jobmanager <host:port>', 'JobManager to talk to (default: jobmanager.rpc.address:jobmanager.rpc.port, localhost:6123)');
  addOutputFlags(command, { json });
  return addConfigurationFlags(command);
}

/** --verbose, and --json when `json` is set; for commands that need no JobManager too (info). */
export function addOutputFlags(command: Command, { json }: { json: boolean }): Command {
  if (json) command.option('--json', 'print JSON for scripts instead of a table');
  return command.option('--verbose', 'print stack traces with errors');
}

/** The configuration these flags describe, and the JobManager address they point at. */
export function clientConfiguration(flags: ClientFlags): { configuration: Configuration; jobManagerAddress: string } {
  const configuration = configurationFrom(flags, {});
  if (flags.jobmanager !== undefined) {
    if (!/^.+:\d+$/.test(flags.jobmanager)) throw new Error(`-m/--jobmanager '${flags.jobmanager}' is not host:port (for example localhost:6123)`);
    return { configuration, jobManagerAddress: flags.jobmanager };
  }
  const host = configuration.get(JobManagerOptions.address) || 'localhost';
  return { configuration, jobManagerAddress: `${host}:${configuration.get(JobManagerOptions.port)}` };
}

/** Connects a JobClient as the flags say, runs `use`, and closes the client whatever happens. */
export async function withJobClient<T>(flags: ClientFlags, use: (client: JobClient) => Promise<T>): Promise<T> {
  const { configuration, jobManagerAddress } = clientConfiguration(flags);
  // The client's own RPC logging stays quiet: the CLI speaks through stdout and stderr.
  const logger = silentLogger();
  const client = await JobClient.connect(jobManagerAddress, { configuration, logger });
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}
