/**
 * `eddy status <jobId>`: one job as the JobManager sees it: status and times, restarts, what it
 * waits for, its failure cause, and each task's subtasks with their state, attempt and TaskManager;
 * in a job with event time, each task's input watermark (the minimum over its subtasks) and how
 * far it lags behind now.
 */
import { Command } from 'commander';
import type { eddy_cluster_v1 as cluster, eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import { backPressureLevel, backPressureRatio, isGloballyTerminal, isRequestingSlots, type JobStatus } from '@eddy/runtime';
import { hostPortOf } from '../output/addresses.js';
import { printJson, printText } from '../output/print.js';
import { formatFields, formatTable } from '../output/table.js';
import { formatElapsed, formatTimestamp } from '../output/time-format.js';
import { checkpointStatusLine } from './checkpoints-command.js';
import { addClientFlags, withJobClient, type ClientFlags } from './client-flags.js';
import { jobIdArgument } from './job-id-argument.js';

export function statusCommand(): Command {
  const command = new Command('status').description("show a job's status, failure cause and subtasks").addArgument(jobIdArgument());
  addClientFlags(command, { json: true });
  return command.action(async (jobId: string, flags: ClientFlags) => {
    const details = await withJobClient(flags, (client) => client.requestJob(jobId));
    if (flags.json === true) printJson(jobDetailsForJson(details, Date.now()));
    else printText(renderJobDetails(details, { verbose: flags.verbose === true, now: Date.now() }));
  });
}

/**
 * The JobManager's JobDetails whole, so fields it gains later reach scripts as they are; only the
 * keys are put in reading order (ids and names first, lists last). A vertex with event time gains
 * `currentInputWatermark` (the minimum over its subtasks) and, when it is a time, `watermarkLagMs`
 * (now minus it); JSON has no infinities, so a watermark no input has yet, or past the end of
 * input, prints as "-Infinity" or "Infinity".
 */
export function jobDetailsForJson(details: dispatcher.JobDetails, now: number): Record<string, unknown> {
  const { jobId, name, status, startTime, endTime, restarts, waitingFor, failureCause } = details;
  return {
    ...{ jobId, name, status, startTime, endTime, restarts, waitingFor, failureCause },
    ...details,
    vertices: details.vertices.map((vertex) => {
      const watermark = vertexWatermark(vertex);
      const ratio = vertexBackPressureRatio(vertex);
      return {
        ...{ id: vertex.id, name: vertex.name, parallelism: vertex.parallelism, maxParallelism: vertex.maxParallelism, slotSharingGroup: vertex.slotSharingGroup },
        ...(ratio === undefined ? {} : { backPressure: { level: backPressureLevel(ratio), ratio } }),
        ...(watermark === undefined ? {} : { currentInputWatermark: watermarkForJson(watermark), ...(Number.isFinite(watermark) ? { watermarkLagMs: now - watermark } : {}) }),
        ...vertex,
        subtasks: vertex.subtasks.map((subtask) => ({
          ...{ subtask: subtask.subtask },
          ...subtask,
          attempts: subtask.attempts.map((attempt) => ({
            ...{ attempt: attempt.attempt, state: attempt.state },
            ...attempt,
            ...(attempt.currentInputWatermark === undefined ? {} : { currentInputWatermark: watermarkForJson(attempt.currentInputWatermark) }),
            ...(attempt.currentOutputWatermark === undefined ? {} : { currentOutputWatermark: watermarkForJson(attempt.currentOutputWatermark) }),
          })),
        })),
      };
    }),
  };
}

function watermarkForJson(watermark: number): number | string {
  return Number.isFinite(watermark) ? watermark : String(watermark);
}

/** The minimum input watermark over the vertex's current attempts; undefined when none has one (no event time). */
export function vertexWatermark(vertex: dispatcher.VertexDetails): number | undefined {
  let min: number | undefined;
  for (const subtask of vertex.subtasks) {
    const watermark = subtask.attempts[subtask.attempts.length - 1]?.currentInputWatermark;
    if (watermark !== undefined && (min === undefined || watermark < min)) min = watermark;
  }
  return min;
}

/** "2026-12-03T18:59:01.200Z (1796320741200), 1.2 s behind now"; what -Infinity and Infinity mean. */
export function describeWatermark(watermark: number, now: number): string {
  if (watermark === Number.NEGATIVE_INFINITY) return 'none yet (an input has sent no watermark)';
  if (watermark === Number.POSITIVE_INFINITY) return 'end of input';
  const at = Math.abs(watermark) <= 8.64e15 ? `${new Date(watermark).toISOString()} (${watermark})` : String(watermark);
  return now > watermark ? `${at}, ${formatElapsed(now - watermark)} behind now` : at;
}

export interface RenderOptions {
  /** Print the failure's stack too. */
  readonly verbose: boolean;
  /** For the duration of a job that still runs. */
  readonly now: number;
}

export function renderJobDetails(details: dispatcher.JobDetails, options: RenderOptions): string {
  const ended = isGloballyTerminal(details.status as JobStatus);
  const endTime = details.endTime > 0 ? details.endTime : options.now;
  const duration = details.startTime > 0 ? `${ended ? ' after' : ' for'} ${formatElapsed(endTime - details.startTime)}` : '';
  const fields: [string, string][] = [
    ['Status', `${details.status}${duration}`],
    ['Started', formatTimestamp(details.startTime)],
    ['Ended', formatTimestamp(details.endTime)],
    ['Restarts', String(details.restarts)],
  ];
  // "requesting 2 slots" is no wait (the slots exist and are on their way).
  if (details.waitingFor !== '') fields.push(isRequestingSlots(details.waitingFor) ? ['Slots', details.waitingFor] : ['Waiting for slots', details.waitingFor]);
  if (details.checkpoints?.enabled === true) fields.push(['Checkpoints', checkpointStatusLine(details.checkpoints)]);
  // The cause is the job's failure once it FAILED, else the one that made it restart last.
  if (details.failureCause) fields.push([details.status === 'FAILED' ? 'Failure' : 'Last failure', renderCause(details.failureCause, options.verbose)]);
  const sections = [`Job '${details.name}' (${details.jobId})`, formatFields(fields, '  ')];
  for (const vertex of details.vertices) sections.push(renderVertex(vertex, options.now));
  return sections.join('\n\n');
}

function renderCause(cause: cluster.ErrorInfo, verbose: boolean): string {
  const headline = `${cause.name}: ${cause.message}`;
  const lines = [headline];
  if (cause.location !== '') lines.push(`in ${cause.location}`);
  if (cause.stack !== '' && !verbose) lines.push('(--verbose prints the stack)');
  if (cause.stack !== '' && verbose) {
    // A stack starts with the headline already printed.
    const frames = cause.stack.startsWith(headline) ? cause.stack.slice(headline.length) : cause.stack;
    lines.push(...frames.split('\n').map((line) => line.trim()).filter((line) => line !== '').map((line) => `    ${line}`));
  }
  return lines.join('\n');
}

/**
 * Flink's backpressure of a vertex: its most backpressured running subtask's share of time waiting
 * for output credit, as a level (ok up to 0.10, low up to 0.50, high above) and the ratio;
 * undefined when no subtask runs.
 */
export function vertexBackPressure(vertex: dispatcher.VertexDetails): string | undefined {
  const ratio = vertexBackPressureRatio(vertex);
  return ratio === undefined ? undefined : `${backPressureLevel(ratio)} (${ratio.toFixed(2)})`;
}

function vertexBackPressureRatio(vertex: dispatcher.VertexDetails): number | undefined {
  let ratio: number | undefined;
  for (const subtask of vertex.subtasks) {
    const current = subtask.attempts[subtask.attempts.length - 1];
    if (current?.state !== 'RUNNING') continue;
    ratio = Math.max(ratio ?? 0, backPressureRatio(current.backPressuredTimeMsPerSecond));
  }
  return ratio;
}

function renderVertex(vertex: dispatcher.VertexDetails, now: number): string {
  const watermark = vertexWatermark(vertex);
  const backPressure = vertexBackPressure(vertex);
  const lines: [string, string][] = [];
  if (backPressure !== undefined) lines.push(['Backpressure', backPressure]);
  if (watermark !== undefined) lines.push(['Watermark', describeWatermark(watermark, now)]);
  const heading = `${vertex.name}  (parallelism ${vertex.parallelism}, slot sharing group '${vertex.slotSharingGroup}')` + (lines.length === 0 ? '' : `\n${formatFields(lines, '  ')}`);
  const rows = vertex.subtasks.map((subtask) => {
    const current = subtask.attempts[subtask.attempts.length - 1];
    return [
      `${subtask.subtask + 1}/${vertex.parallelism}`,
      current?.state ?? '-',
      current === undefined ? '-' : String(current.attempt),
      current?.taskManagerId || '-',
      hostPortOf(current?.taskManagerAddress ?? '') || '-',
      String(current?.numRecordsIn ?? 0),
      String(current?.numRecordsOut ?? 0),
    ];
  });
  const table = formatTable(
    [{ header: 'SUBTASK', align: 'right' }, { header: 'STATE' }, { header: 'ATTEMPT', align: 'right' }, { header: 'TASKMANAGER' }, { header: 'ADDRESS' }, { header: 'RECORDS IN', align: 'right' }, { header: 'RECORDS OUT', align: 'right' }],
    rows,
    '  ',
  );
  return `${heading}\n${table}`;
}
