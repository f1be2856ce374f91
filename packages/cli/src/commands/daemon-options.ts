/** Flags shared by the daemon commands, and turning them into a Configuration. */
import { Option, type Command } from 'commander';
import { createFileLogger, createRootLogger, loadConfiguration, LogOptions, type Configuration, type Logger } from '@eddy/common';
import { allRuntimeOptions, withAuthTokenFromEnvironment } from '@eddy/runtime';

export interface DaemonFlags {
  readonly define: string[];
  readonly config?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** --pretty and --no-pretty: how a daemon writes its log lines. */
export interface LogFormatFlags {
  /** Undefined when neither flag was given. */
  readonly pretty?: boolean;
}

export function addLogFormatFlags(command: Command): Command {
  return command
    .option('--pretty', 'write human-readable log lines (the default when stdout is a terminal)')
    .option('--no-pretty', 'write JSON log lines (the default when stdout is a file or a pipe)');
}

/** Human-readable lines for a person at a terminal, JSON for files, pipes and log shippers. */
export function prettyLogs(flags: LogFormatFlags): boolean {
  return flags.pretty ?? process.stdout.isTTY === true;
}

export function addConfigurationFlags(command: Command): Command {
  return command
    .addOption(new Option('-D, --define <key=value>', 'set a configuration option (repeatable)').argParser(collect).default([]))
    .option('--config <file>', 'read configuration options from a properties file');
}

/**
 * Flags > EDDY_PROPERTIES > config file > defaults; `extra` are flags spelled as options of the
 * command. The auth token may also come from EDDY_AUTH_TOKEN, after -D and before the rest.
 */
export function configurationFrom(flags: DaemonFlags, extra: Record<string, string | undefined>): Configuration {
  const explicit: string[] = [];
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) explicit.push(`${key}=${value}`);
  const loaded = loadConfiguration({
    flags: [...flags.define, ...explicit],
    environment: process.env,
    ...(flags.config === undefined ? {} : { configFile: flags.config }),
    options: allRuntimeOptions(),
  });
  return withAuthTokenFromEnvironment(loaded, process.env);
}

/**
 * The daemon's root logger: JSON lines to log.file when it is set (rolled over by size), else to
 * stdout, human-readable on a terminal unless --no-pretty.
 */
export function daemonLogger(name: string, configuration: Configuration, flags: LogFormatFlags): Logger {
  const file = configuration.get(LogOptions.file);
  if (file === '') return createRootLogger({ name, pretty: prettyLogs(flags) });
  return createFileLogger({ name, path: file, maxFileSizeBytes: configuration.get(LogOptions.maxFileSize), maxBackupIndex: configuration.get(LogOptions.maxBackupIndex) });
}
