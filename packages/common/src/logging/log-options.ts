/**
 * Where a daemon (`eddy jobmanager`, `eddy taskmanager`) writes its log, and how the files are
 * capped. Without `log.file` a daemon logs to stdout (a container's log, a terminal); with it, the
 * JSON lines go to that file, and a TaskManager writes what print() sinks print next to it, in the
 * same name with `.out` (Flink's taskmanager-N.log and taskmanager-N.out). Both roll over by size.
 */
import { integerOption, memorySizeOption, stringOption } from '../config/config-option.js';

export const LogOptions = {
  file: stringOption({
    key: 'log.file',
    defaultValue: '',
    description:
      "File the daemon writes its log to, as JSON lines (Flink's log.file). A TaskManager writes what print() sinks print to the same name with .out instead of .log. " +
      "Empty: the log goes to stdout, and print() output too (a container's log; what Flink's docker images do). scripts/start-cluster.sh sets it to <log dir>/<daemon>.log.",
  }),
  maxFileSize: memorySizeOption({
    key: 'log.max-file-size',
    defaultBytes: 100 * 1024 * 1024,
    minBytes: 1024,
    description:
      "Size at which the log file, and a TaskManager's .out file, roll over to <file>.1 (log4j's MaxFileSize; Flink's log4j configuration uses 100 MB).",
  }),
  maxBackupIndex: integerOption({
    key: 'log.max-backup-index',
    defaultValue: 10,
    min: 0,
    max: 1000,
    description:
      'Rolled-over files kept per log or .out file: <file>.1 (the newest) to <file>.N; older ones are deleted. 0 keeps none (log4j\'s max index; Flink keeps 10).',
  }),
} as const;

/** The .out file next to a log file: `taskmanager-1.log` -> `taskmanager-1.out`. */
export function outFileOf(logFile: string): string {
  return logFile.endsWith('.log') ? `${logFile.slice(0, -'.log'.length)}.out` : `${logFile}.out`;
}
