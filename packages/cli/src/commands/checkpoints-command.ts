/**
 * `eddy checkpoints <jobId>`: a job's recent checkpoints (Flink's checkpoint statistics): counts,
 * then one row per checkpoint, newest first, and with --details the subtasks of each with their
 * state size and alignment time. --json prints the statistics as the JobManager keeps them.
 */
import { Command } from 'commander';
import type { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import { formatBytes } from '../output/byte-size.js';
import { printJson, printText } from '../output/print.js';
import { formatFields, formatTable } from '../output/table.js';
import { formatElapsed, formatTimestamp } from '../output/time-format.js';
import { addClientFlags, withJobClient, type ClientFlags } from './client-flags.js';
import { jobIdArgument } from './job-id-argument.js';

interface CheckpointsFlags extends ClientFlags {
  readonly details?: boolean;
}

export function checkpointsCommand(): Command {
  const command = new Command('checkpoints')
    .description("list a job's recent checkpoints: status, duration, size, and per subtask with --details")
    .addArgument(jobIdArgument())
    .option('--details', 'also list every subtask of each checkpoint: state size, alignment, synchronous and asynchronous time');
  addClientFlags(command, { json: true });
  return command.action(async (jobId: string, flags: CheckpointsFlags) => {
    const details = await withJobClient(flags, (client) => client.requestJob(jobId));
    const statistics = details.checkpoints ?? emptyStatistics();
    if (flags.json === true) printJson({ jobId: details.jobId, ...statistics });
    else printText(renderCheckpoints(details, statistics, flags.details === true));
  });
}

function emptyStatistics(): dispatcher.CheckpointStatistics {
  return { enabled: false, intervalMs: 0, mode: '', completed: 0, failed: 0, inProgress: 0, latestCompleted: null, latestFailed: null, history: [], restoredCheckpointId: 0, restoredPath: '', storage: '' };
}

export function durationOf(checkpoint: dispatcher.CheckpointSummary): string {
  return checkpoint.endTimestamp > 0 ? formatElapsed(checkpoint.endTimestamp - checkpoint.triggerTimestamp) : '-';
}

/** One line for `eddy status`: the latest completed checkpoint and the counts. */
export function checkpointStatusLine(statistics: dispatcher.CheckpointStatistics): string {
  const latest = statistics.latestCompleted;
  const counts = `${statistics.completed} completed, ${statistics.failed} failed${statistics.inProgress > 0 ? `, ${statistics.inProgress} in progress` : ''}`;
  if (!latest) return `none completed yet (${counts})`;
  return `#${latest.checkpointId} at ${formatTimestamp(latest.endTimestamp)}, took ${durationOf(latest)}, ${formatBytes(latest.stateSize)} (${counts})`;
}

export function renderCheckpoints(details: dispatcher.JobDetails, statistics: dispatcher.CheckpointStatistics, withSubtasks: boolean): string {
  const title = `Checkpoints of job '${details.name}' (${details.jobId})`;
  if (!statistics.enabled && statistics.history.length === 0) {
    return `${title}\n\n  Checkpointing is off for this job: set execution.checkpointing.interval (env.enableCheckpointing(ms) or -D execution.checkpointing.interval=10s).`;
  }
  const fields: [string, string][] = [
    ['Interval', `${formatElapsed(statistics.intervalMs)}, ${statistics.mode}`],
    ['Storage', statistics.storage],
    ['Counts', `${statistics.completed} completed, ${statistics.failed} failed, ${statistics.inProgress} in progress`],
  ];
  if (statistics.restoredCheckpointId > 0) fields.push(['Restored from', `#${statistics.restoredCheckpointId}${statistics.restoredPath === '' ? '' : ` (${statistics.restoredPath})`}`]);
  if (statistics.latestFailed) fields.push(['Last failure', `#${statistics.latestFailed.checkpointId}: ${statistics.latestFailed.failureMessage}`]);
  const rows = statistics.history.map((checkpoint) => [
    `#${checkpoint.checkpointId}`,
    checkpoint.status,
    formatTimestamp(checkpoint.triggerTimestamp),
    durationOf(checkpoint),
    checkpoint.status === 'COMPLETED' ? formatBytes(checkpoint.stateSize) : '-',
    `${checkpoint.acknowledgedSubtasks}/${checkpoint.totalSubtasks}`,
    maxAlignment(checkpoint),
  ]);
  const sections = [
    title,
    formatFields(fields, '  '),
    formatTable(
      [{ header: 'ID', align: 'right' }, { header: 'STATUS' }, { header: 'TRIGGERED' }, { header: 'DURATION', align: 'right' }, { header: 'SIZE', align: 'right' }, { header: 'ACKED', align: 'right' }, { header: 'MAX ALIGNMENT', align: 'right' }],
      rows,
      '  ',
    ),
  ];
  if (withSubtasks) {
    for (const checkpoint of statistics.history) {
      if (checkpoint.subtasks.length === 0) continue;
      const subtaskRows = checkpoint.subtasks.map((subtask) => [
        subtask.vertexName,
        String(subtask.subtask + 1),
        formatBytes(subtask.stateSize),
        formatElapsed(subtask.alignmentDurationMs),
        formatElapsed(subtask.syncDurationMs),
        formatElapsed(subtask.asyncDurationMs),
      ]);
      sections.push(
        `Checkpoint #${checkpoint.checkpointId}\n${formatTable(
          [{ header: 'TASK' }, { header: 'SUBTASK', align: 'right' }, { header: 'STATE', align: 'right' }, { header: 'ALIGNMENT', align: 'right' }, { header: 'SYNC', align: 'right' }, { header: 'ASYNC', align: 'right' }],
          subtaskRows,
          '  ',
        )}`,
      );
    }
  }
  return sections.join('\n\n');
}

function maxAlignment(checkpoint: dispatcher.CheckpointSummary): string {
  if (checkpoint.subtasks.length === 0) return '-';
  return formatElapsed(Math.max(...checkpoint.subtasks.map((subtask) => subtask.alignmentDurationMs)));
}
