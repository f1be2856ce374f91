/** `eddy taskmanager`: runs a TaskManager in the foreground. */
import { Command } from 'commander';
import { JobManagerOptions, TaskManagerRunner } from '@eddy/runtime';
import { addConfigurationFlags, addLogFormatFlags, configurationFrom, daemonLogger, type DaemonFlags, type LogFormatFlags } from './daemon-options.js';
import { stopOnSignals } from './daemon-lifecycle.js';

interface TaskManagerFlags extends DaemonFlags, LogFormatFlags {
  readonly jobmanager?: string;
  readonly slots?: string;
  readonly bindHost?: string;
  readonly host?: string;
  readonly port?: string;
}

export function taskManagerCommand(): Command {
  const command = new Command('taskmanager')
    .description('start a TaskManager in the foreground; it registers at the JobManager and offers its slots')
    .option('-m, --jobmanager <host:port>', 'JobManager to register at (jobmanager.rpc.address and jobmanager.rpc.port)')
    .option('--slots <n>', 'number of task slots (taskmanager.numberOfTaskSlots)')
    .option('--bind-host <host>', 'interface to listen on (taskmanager.bind-host)')
    .option('--host <host>', 'host others use to reach it (taskmanager.host)')
    .option('--port <port>', 'port to listen on (taskmanager.rpc.port)');
  addLogFormatFlags(command);
  addConfigurationFlags(command);
  return command.action(async (flags: TaskManagerFlags) => {
    let jobManagerHost: string | undefined;
    let jobManagerPort: string | undefined;
    if (flags.jobmanager !== undefined) {
      const match = /^(.+):(\d+)$/.exec(flags.jobmanager);
      if (match === null) throw new Error(`--jobmanager '${flags.jobmanager}' is not host:port (for example localhost:6123)`);
      jobManagerHost = match[1];
      jobManagerPort = match[2];
    }
    const configuration = configurationFrom(flags, {
      'jobmanager.rpc.address': jobManagerHost,
      'jobmanager.rpc.port': jobManagerPort,
      'taskmanager.numberOfTaskSlots': flags.slots,
      'taskmanager.bind-host': flags.bindHost,
      'taskmanager.host': flags.host,
      'taskmanager.rpc.port': flags.port,
    });
    const host = configuration.get(JobManagerOptions.address) || 'localhost';
    const jobManagerAddress = `${host}:${configuration.get(JobManagerOptions.port)}`;
    const logger = daemonLogger('taskmanager', configuration, flags);
    const runner = await TaskManagerRunner.start(configuration, jobManagerAddress, logger);
    stopOnSignals('TaskManager', () => runner.stop(), logger);
  });
}
