import { JobDefinitionError, JobGraphMismatchError } from '../errors.js';
import { StreamExecutionEnvironment, TRANSFORMATION_GRAPH } from '../stream-execution-environment.js';
import type { ChainContext, JobPlan, TaskChain } from './contract.js';
import { DEFAULT_PARALLELISM_KEY } from './config.js';
import { compileJob, type CompiledJob, type CompileOptions } from './job-plan.js';
import { OperatorTaskChain } from './task-chain.js';

/**
 * What the client and the task workers call on a job bundle (through its `__eddy` export): build
 * the plan, check a rebuilt plan against the submitted one, and instantiate one vertex's chain.
 */

/** A job's main as these functions take it: typed for users, `(env: unknown, ...)` from the contract fits too. */
export type JobMainFunction = (env: StreamExecutionEnvironment, args: string[]) => void | Promise<void>;

/**
 * Where the plan is built or rebuilt, the same job configuration settings reach the environment
 * before main runs: the client passes the configuration it submits, a worker the job's. Only the
 * keys the environment reads as defaults are taken, so both sides build the same plan.
 */
export interface PlanOptions {
  /** The job's configuration; `parallelism.default` (what `eddy run -p` sets) becomes the environment's default parallelism. */
  readonly jobConfiguration?: Readonly<Record<string, string>>;
}

/** Job configuration keys the environment starts with (Flink: the client's -p is parallelism.default). */
const ENVIRONMENT_DEFAULT_KEYS: readonly string[] = [DEFAULT_PARALLELISM_KEY];

async function compileMain(main: JobMainFunction, args: readonly string[], options: CompileOptions, planOptions: PlanOptions): Promise<CompiledJob> {
  if (typeof main !== 'function') {
    throw new JobDefinitionError('the job module must default-export a function (env, args) => void that builds the pipeline');
  }
  const env = new StreamExecutionEnvironment();
  for (const key of ENVIRONMENT_DEFAULT_KEYS) {
    const value = planOptions.jobConfiguration?.[key];
    if (value !== undefined) env[TRANSFORMATION_GRAPH].configuration.set(key, value);
  }
  await main(env, [...args]);
  return compileJob(env[TRANSFORMATION_GRAPH], env.getParallelism(), options);
}

/** Runs the job's main on a fresh environment and translates the pipeline into a JobPlan (with chaining and input splits). */
export async function buildPlan(main: JobMainFunction, args: readonly string[], options: PlanOptions = {}): Promise<JobPlan> {
  return (await compileMain(main, args, { computeInputSplits: true }, options)).plan;
}

/**
 * Rebuilds the plan and throws JobGraphMismatchError ("the rebuilt job graph differs from the
 * submitted one: ...") unless its fingerprint equals the submitted one. Given the submitted plan
 * rather than only its fingerprint, the error names what differs. Resolves to the rebuilt plan
 * (without input splits).
 */
export async function checkPlan(main: JobMainFunction, args: readonly string[], expected: string | JobPlan, options: PlanOptions = {}): Promise<JobPlan> {
  const compiled = await compileMain(main, args, { computeInputSplits: false }, options);
  verifyPlan(compiled.plan, expected);
  return compiled.plan;
}

export interface CreateTaskChainOptions extends PlanOptions {
  /** Checks the rebuilt plan as checkPlan does, without running main a second time. */
  readonly expectedPlan?: string | JobPlan;
}

/** Rebuilds the job's pipeline and instantiates the operators of vertex `vertexId` for the subtask `context` describes. */
export async function createTaskChain(
  main: JobMainFunction,
  args: readonly string[],
  vertexId: string,
  context: ChainContext,
  options: CreateTaskChainOptions = {},
): Promise<TaskChain> {
  const compiled = await compileMain(main, args, { computeInputSplits: false }, options);
  if (options.expectedPlan !== undefined) verifyPlan(compiled.plan, options.expectedPlan);
  const chain = compiled.chains.get(vertexId);
  if (chain === undefined) {
    const known = compiled.plan.vertices.map((v) => `'${v.id}' (${v.name})`).join(', ');
    throw new JobGraphMismatchError(`the rebuilt job graph differs from the submitted one: it has no vertex '${vertexId}'; its vertices are ${known}`, [
      `vertex '${vertexId}' is missing`,
    ]);
  }
  return new OperatorTaskChain(chain, context);
}

function verifyPlan(rebuilt: JobPlan, expected: string | JobPlan): void {
  const expectedFingerprint = typeof expected === 'string' ? expected : expected.fingerprint;
  if (rebuilt.fingerprint === expectedFingerprint) return;
  if (typeof expected === 'string') {
    throw new JobGraphMismatchError(
      `the rebuilt job graph differs from the submitted one: its fingerprint is ${rebuilt.fingerprint}, the submitted one's ${expectedFingerprint}. ` +
        'The job code or arguments differ, or main builds the pipeline from something that changes between runs (the clock, random numbers, the environment).',
      ['fingerprint'],
    );
  }
  const differences = describePlanDifferences(expected, rebuilt);
  if (differences.length === 0) differences.push(`the fingerprint is ${rebuilt.fingerprint}, the submitted one's ${expectedFingerprint}`);
  throw new JobGraphMismatchError(`the rebuilt job graph differs from the submitted one: ${differences.join('; ')}`, differences);
}

/** Human-readable differences between two plans, ignoring input splits. */
export function describePlanDifferences(submitted: JobPlan, rebuilt: JobPlan): string[] {
  const out: string[] = [];
  if (submitted.jobName !== rebuilt.jobName) out.push(`the job name is '${rebuilt.jobName}', was '${submitted.jobName}'`);
  const keys = new Set([...Object.keys(submitted.configuration), ...Object.keys(rebuilt.configuration)]);
  for (const key of [...keys].sort()) {
    const before = submitted.configuration[key];
    const after = rebuilt.configuration[key];
    if (before !== after) out.push(`configuration '${key}' is ${after === undefined ? 'unset' : `'${after}'`}, was ${before === undefined ? 'unset' : `'${before}'`}`);
  }
  const rebuiltVertices = new Map(rebuilt.vertices.map((v) => [v.id, v]));
  const submittedIds = new Set(submitted.vertices.map((v) => v.id));
  for (const before of submitted.vertices) {
    const after = rebuiltVertices.get(before.id);
    if (after === undefined) {
      out.push(`vertex '${before.id}' (${before.name}) is missing`);
      continue;
    }
    for (const field of ['name', 'parallelism', 'maxParallelism', 'slotSharingGroup'] as const) {
      if (before[field] !== after[field]) out.push(`vertex '${before.id}' has ${field} ${JSON.stringify(after[field])}, was ${JSON.stringify(before[field])}`);
    }
    const ops = (v: typeof before): string => v.operators.map((o) => `${o.id}:${o.kind}:${o.name}`).join(', ');
    if (ops(before) !== ops(after)) out.push(`vertex '${before.id}' has operators [${ops(after)}], was [${ops(before)}]`);
    else {
      const states = (o: (typeof before.operators)[number]): string => JSON.stringify(o.states ?? []);
      after.operators.forEach((o, i) => {
        const was = before.operators[i] as (typeof before.operators)[number];
        if (states(o) !== states(was)) out.push(`operator '${o.id}' declares the states ${states(o)}, was ${states(was)}`);
      });
    }
  }
  for (const after of rebuilt.vertices) if (!submittedIds.has(after.id)) out.push(`vertex '${after.id}' (${after.name}) is new`);
  const edge = (e: JobPlan['edges'][number]): string => `${e.source} -${e.partitioner}/${e.distributionPattern}/${e.targetInput}-> ${e.target}`;
  const beforeEdges = submitted.edges.map(edge);
  const afterEdges = rebuilt.edges.map(edge);
  for (const e of beforeEdges) if (!afterEdges.includes(e)) out.push(`edge ${e} is missing`);
  for (const e of afterEdges) if (!beforeEdges.includes(e)) out.push(`edge ${e} is new`);
  if (out.length === 0 && beforeEdges.join() !== afterEdges.join()) out.push('the edges are in a different order');
  return out;
}
