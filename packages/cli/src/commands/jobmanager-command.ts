/** `eddy jobmanager`: runs a JobManager in the foreground. */
import { Command } from 'commander';
import { JobManagerRunner } from '@eddy/runtime';
import { addConfigurationFlags, addLogFormatFlags, configurationFrom, daemonLogger, type DaemonFlags, type LogFormatFlags } from './daemon-options.js';
import { stopOnSignals } from './daemon-lifecycle.js';

interface JobManagerFlags extends DaemonFlags, LogFormatFlags {
  readonly bindHost?: string;
  readonly address?: string;
  readonly port?: string;
}

export function jobManagerCommand(): Command {
  const command = new Command('jobmanager')
    .description('start a JobManager (Dispatcher, ResourceManager, a JobMaster per job) in the foreground')
    .option('--bind-host <host>', 'interface to listen on (jobmanager.bind-host)')
    .option('--address <host>', 'host others use to reach it (jobmanager.rpc.address)')
    .option('--port <port>', 'port for TaskManagers and clients (jobmanager.rpc.port)');
  addLogFormatFlags(command);
  addConfigurationFlags(command);
  return command.action(async (flags: JobManagerFlags) => {
    const configuration = configurationFrom(flags, {
      'jobmanager.bind-host': flags.bindHost,
      'jobmanager.rpc.address': flags.address,
      'jobmanager.rpc.port': flags.port,
    });
    const logger = daemonLogger('jobmanager', configuration, flags);
    const runner = await JobManagerRunner.start(configuration, logger);
    stopOnSignals('JobManager', () => runner.stop(), logger);
  });
}
