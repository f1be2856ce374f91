/**
 * Checks a job's plan against the state of a checkpoint or savepoint before the job runs from it
 * (what `eddy update` and `eddy run -s` need): every operator with state must be in the new job
 * (matched by uid) unless non-restored state is allowed, keep its max parallelism, and declare its
 * states with the same kind and a compatible type (state-compatibility.ts). Reads the metadata
 * only, never a state file. States the plan cannot see (descriptors created in open()) are checked
 * when the task restores them.
 */
import { defaultMaxParallelism } from '../../key-groups.js';
import type { JobPlan, PlanOperator, PlanVertex, StateInfo } from '../contract.js';
import { parseStateTypeJson, type StateTypeJson } from '../../types.js';
import { checkStateCompatibility } from './state-compatibility.js';
import { OPERATOR_LIST_KIND } from './operator-state-store.js';

/** One operator's state in one subtask, as checkpoint metadata lists it (the proto's OperatorSubtaskState). */
export interface OperatorStateSummary {
  readonly operatorId: string;
  readonly keyedState: readonly unknown[];
  readonly operatorState: readonly unknown[];
  /** Its states; `type` is the canonical JSON text ('' when unchecked), or already parsed. Absent in metadata written before state types. */
  readonly states?: readonly { readonly name: string; readonly kind: string; readonly type?: unknown }[];
}

/** What the check reads of a checkpoint's metadata (the runtime's CompletedCheckpoint fits it). */
export interface CheckpointStateSummary {
  readonly vertices: readonly {
    readonly vertexId: string;
    readonly maxParallelism: number;
    readonly subtasks: readonly { readonly state: { readonly operators: readonly OperatorStateSummary[] } }[];
  }[];
}

export interface JobStateCheckOptions {
  /** Flink's --allowNonRestoredState: state of an operator the new job lacks is dropped instead of refused. */
  readonly allowNonRestoredState?: boolean;
}

/** One thing that keeps the job from running from the state; `message` names the operator uid (and the state) and what changed. */
export interface StateIncompatibility {
  readonly operatorUid: string;
  readonly stateName: string | undefined;
  readonly message: string;
}

export interface JobStateCheckResult {
  /** Empty when the job can run from the state. */
  readonly incompatibilities: readonly StateIncompatibility[];
  /** Compatible changes that restore as they are (an optional field added or removed, ...), as sentences. */
  readonly migrations: readonly string[];
  /** State the check could not compare because the plan does not declare it (created in open()): checked at restore. */
  readonly checkedAtRestore: readonly string[];
  /** Operators whose state is dropped (with allowNonRestoredState). */
  readonly droppedOperators: readonly string[];
}

function parseType(type: unknown, where: string): StateTypeJson | undefined {
  if (type === undefined || type === '') return undefined;
  if (typeof type === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(type);
    } catch (error) {
      throw new TypeError(`${where} has a state type that is not JSON: ${(error as Error).message}`);
    }
    return parseStateTypeJson(parsed, where);
  }
  return parseStateTypeJson(type, where);
}

/**
 * Checks `plan` against `checkpoint`: the list of incompatibilities (empty: the job can run from
 * it), the migrations the restore will make, and what only the restore can check.
 */
export function checkJobAgainstState(plan: Pick<JobPlan, 'vertices'>, checkpoint: CheckpointStateSummary, options: JobStateCheckOptions = {}): JobStateCheckResult {
  const operators = new Map<string, { operator: PlanOperator; vertex: PlanVertex }>();
  for (const vertex of plan.vertices) for (const operator of vertex.operators) operators.set(operator.id, { operator, vertex });

  const incompatibilities: StateIncompatibility[] = [];
  const migrations: string[] = [];
  const checkedAtRestore: string[] = [];
  const droppedOperators: string[] = [];
  for (const vertex of checkpoint.vertices) {
    // Every state of each operator over its subtasks, by name (the first subtask that lists it wins).
    const recorded = new Map<string, Map<string, StateInfo>>();
    const stateful = new Set<string>();
    for (const subtask of vertex.subtasks) {
      for (const operator of subtask.state.operators) {
        if (operator.keyedState.length > 0 || operator.operatorState.length > 0) stateful.add(operator.operatorId);
        let states = recorded.get(operator.operatorId);
        if (states === undefined) recorded.set(operator.operatorId, (states = new Map()));
        for (const state of operator.states ?? []) if (!states.has(state.name)) states.set(state.name, state);
      }
    }
    for (const uid of stateful) {
      const found = operators.get(uid);
      if (found === undefined) {
        if (options.allowNonRestoredState === true) droppedOperators.push(uid);
        else {
          incompatibilities.push({
            operatorUid: uid,
            stateName: undefined,
            message: `the state has operator '${uid}', which the new job lacks: give the operator that should take its state this uid, or allow non-restored state (--allowNonRestoredState) to drop it`,
          });
        }
        continue;
      }
      // Unset, it is taken from the state when the parallelism fits under it (as the runtime does, as Flink).
      const adopted = found.vertex.maxParallelism === 0 && vertex.maxParallelism >= found.vertex.parallelism;
      const effective = found.vertex.maxParallelism > 0 ? found.vertex.maxParallelism : defaultMaxParallelism(found.vertex.parallelism);
      if (!adopted && effective !== vertex.maxParallelism) {
        incompatibilities.push({
          operatorUid: uid,
          stateName: undefined,
          message: `operator '${uid}' has max parallelism ${effective} in the new job and ${vertex.maxParallelism} in the state: the max parallelism of a stateful operator cannot change (set setMaxParallelism(${vertex.maxParallelism}) on it)`,
        });
      }
      // A plan of contract 3 or older declares nothing: every state is then left to the restore.
      const declared = new Map((found.operator.states ?? []).map((state) => [state.name, state]));
      for (const [name, state] of recorded.get(uid) ?? []) {
        const where = `the checkpoint's state '${name}' of operator '${uid}'`;
        const next = declared.get(name);
        if (next === undefined || next.kind === 'timers') {
          checkedAtRestore.push(`state '${name}' of operator '${uid}'`);
          continue;
        }
        // A function's list descriptor may be keyed or operator state: the plan cannot tell, the kind is the snapshot's.
        const ambiguousList = next.kind === 'list' && state.kind === OPERATOR_LIST_KIND;
        const previousType = parseType(state.type, where);
        const nextType = parseType(next.type, `the plan's state '${name}' of operator '${uid}'`);
        const result = checkStateCompatibility(
          uid,
          { name, kind: state.kind, type: previousType },
          { name, kind: ambiguousList ? state.kind : next.kind, type: nextType },
        );
        for (const problem of result.problems) incompatibilities.push({ operatorUid: uid, stateName: name, message: problem });
        migrations.push(...result.changes);
      }
    }
  }
  return { incompatibilities, migrations, checkedAtRestore, droppedOperators };
}
