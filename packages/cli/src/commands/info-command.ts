/**
 * `eddy info <job file> [-p N] [-D key=value] [-- job args]`: the plan of a job without running
 * it and without a cluster. The job file is bundled and planned exactly as `eddy run` does (the
 * same function, from the same flags: job-submit-options.ts), then
 * shown as Flink shows a plan: its operators, how they are chained into tasks (JobVertices), each
 * task's parallelism, the partitioner on each edge between tasks, and the slots the job needs.
 */
import { Command } from 'commander';
import { prepareJobFile } from '@eddy/client';
import { hideSensitiveValues } from '@eddy/common';
import type { eddy_jobgraph_v1 as jg } from '@eddy/proto';
import { effectiveMaxParallelism, JOB_ARGS_KEY, PLAN_FINGERPRINT_KEY, requiredSlots, requiredSlotsPerGroup, slotSharingGroupOf, topologicalOrder } from '@eddy/runtime';
import { printJson, printText } from '../output/print.js';
import { formatFields, formatTable } from '../output/table.js';
import { addOutputFlags } from './client-flags.js';
import { addConfigurationFlags, configurationFrom, type DaemonFlags } from './daemon-options.js';
import { parseParallelism, submitOptionsFrom } from './job-submit-options.js';
import { addTypecheckFlag, typeCheckOrRefuse, type TypecheckFlags } from '../typecheck/typecheck-flag.js';

interface InfoFlags extends DaemonFlags, TypecheckFlags {
  readonly parallelism?: number;
  readonly json?: boolean;
  readonly verbose?: boolean;
}

/** A job's plan as `eddy info --json` prints it. */
export interface JobInfo {
  readonly jobName: string;
  /** Absolute path. */
  readonly jobFile: string;
  readonly args: readonly string[];
  /** What the job sets through its environment and -D sets, without Eddy's internal keys. */
  readonly configuration: Readonly<Record<string, string>>;
  /** In topological order, sources first. */
  readonly vertices: readonly InfoVertex[];
  readonly edges: readonly InfoEdge[];
  readonly slots: { readonly total: number; readonly perSlotSharingGroup: Readonly<Record<string, number>> };
}

/** A task (JobVertex): a chain of operators that runs as one task per subtask. */
export interface InfoVertex {
  readonly id: string;
  readonly name: string;
  readonly parallelism: number;
  /** The effective number of key groups (Flink's default when the job sets none). */
  readonly maxParallelism: number;
  readonly slotSharingGroup: string;
  /** Head first, in pipeline order. */
  readonly operators: readonly { readonly id: string; readonly name: string; readonly kind: string }[];
}

export interface InfoEdge {
  /** Vertex ids. */
  readonly source: string;
  readonly target: string;
  readonly partitioner: string;
  readonly distributionPattern: string;
}

export function infoCommand(): Command {
  const command = new Command('info')
    .description('show the plan of a job file without running it: operators, chains, parallelism, partitioners, slots')
    .argument('<job-file>', "the job's module (.ts, .js or .mjs)")
    .argument('[job-args...]', "arguments for the job's main function; put them after -- when they start with -")
    .option('-p, --parallelism <n>', 'parallelism of the operators whose job sets none', parseParallelism);
  addTypecheckFlag(command);
  addOutputFlags(command, { json: true });
  addConfigurationFlags(command);
  return command.action(async (jobFile: string, args: string[], flags: InfoFlags) => {
    await typeCheckOrRefuse(jobFile, flags);
    const info = await planInfo(jobFile, args, flags);
    if (flags.json === true) printJson(info);
    else printText(renderJobInfo(info));
  });
}

/**
 * Bundles and plans the job file as `eddy run` does (prepareJobFile with the options run builds
 * from the same flags), and describes the JobGraph it would submit.
 */
async function planInfo(jobFile: string, args: readonly string[], flags: InfoFlags): Promise<JobInfo> {
  // -D values are checked like every command's, and go into the job's configuration as `run` sends them.
  const configuration = configurationFrom(flags, {});
  const prepared = await prepareJobFile(jobFile, submitOptionsFrom(args, flags, configuration));
  try {
    return describeJobGraph(prepared.graph, prepared.jobFile, args, operatorsOf);
  } finally {
    await prepared.dispose();
  }
}

/** A vertex's operators as the client wrote them into the JobGraph (the kind rides in configJson). */
function operatorsOf(vertex: jg.JobVertex): InfoVertex['operators'] {
  return vertex.operators.map((operator) => ({ id: operator.id, name: operator.name, kind: String((JSON.parse(operator.configJson) as { kind?: unknown }).kind ?? '') }));
}

export function describeJobGraph(graph: jg.JobGraph, jobFile: string, args: readonly string[], operatorsOf: (vertex: jg.JobVertex) => InfoVertex['operators']): JobInfo {
  const { [PLAN_FINGERPRINT_KEY]: _fingerprint, [JOB_ARGS_KEY]: _args, ...configuration } = graph.configuration;
  return {
    jobName: graph.name,
    jobFile,
    args: [...args],
    // Shown to whoever reads the terminal or the --json output: secrets as ******.
    configuration: hideSensitiveValues(configuration),
    vertices: topologicalOrder(graph).map((vertex) => ({
      id: vertex.id,
      name: vertex.name,
      parallelism: vertex.parallelism,
      maxParallelism: effectiveMaxParallelism(vertex),
      slotSharingGroup: slotSharingGroupOf(vertex),
      operators: operatorsOf(vertex).map(({ id, name, kind }) => ({ id, name, kind })),
    })),
    edges: graph.edges.map((edge) => ({ source: edge.sourceVertexId, target: edge.targetVertexId, partitioner: edge.partitioner, distributionPattern: edge.distributionPattern })),
    slots: { total: requiredSlots(graph), perSlotSharingGroup: Object.fromEntries(requiredSlotsPerGroup(graph)) },
  };
}

export function renderJobInfo(info: JobInfo): string {
  const fields: [string, string][] = [['Job file', info.jobFile]];
  fields.push(['Arguments', info.args.length === 0 ? '(none)' : info.args.map((arg) => JSON.stringify(arg)).join(' ')]);
  const configured = Object.entries(info.configuration);
  if (configured.length > 0) fields.push(['Configuration', configured.map(([key, value]) => `${key}: ${value}`).join('\n')]);

  const number = new Map(info.vertices.map((vertex, index) => [vertex.id, index + 1]));
  const taskOf = (id: string): string => `${number.get(id) ?? '?'} ${info.vertices.find((vertex) => vertex.id === id)?.name ?? id}`;
  const tasks = formatTable(
    [{ header: 'TASK', align: 'right' }, { header: 'NAME' }, { header: 'PARALLELISM', align: 'right' }, { header: 'MAX PARALLELISM', align: 'right' }, { header: 'SLOT SHARING GROUP' }],
    info.vertices.map((vertex, index) => [String(index + 1), vertex.name, String(vertex.parallelism), String(vertex.maxParallelism), vertex.slotSharingGroup]),
    '  ',
  );
  const operators = formatTable(
    [{ header: 'OPERATOR' }, { header: 'KIND' }, { header: 'TASK', align: 'right' }, { header: 'ID' }],
    info.vertices.flatMap((vertex, index) => vertex.operators.map((operator) => [operator.name, operator.kind, String(index + 1), operator.id])),
    '  ',
  );
  const edges =
    info.edges.length === 0
      ? '  (none: every operator is chained into one task)'
      : formatTable(
          [{ header: 'FROM TASK' }, { header: 'TO TASK' }, { header: 'PARTITIONER' }, { header: 'DISTRIBUTION' }],
          info.edges.map((edge) => [taskOf(edge.source), taskOf(edge.target), edge.partitioner, edge.distributionPattern]),
          '  ',
        );
  const slots = formatTable(
    [{ header: 'SLOT SHARING GROUP' }, { header: 'SLOTS', align: 'right' }],
    [...Object.entries(info.slots.perSlotSharingGroup).map(([group, count]) => [group, String(count)]), ['total', String(info.slots.total)]],
    '  ',
  );
  return [
    `Job '${info.jobName}'`,
    formatFields(fields, '  '),
    `Tasks (each runs a chain of operators, one task per subtask)\n${tasks}`,
    `Operators\n${operators}`,
    `Edges between tasks\n${edges}`,
    `Slots needed (a slot sharing group needs as many as its widest task)\n${slots}`,
  ].join('\n\n');
}
