/**
 * What state a checkpoint or savepoint holds, per vertex and operator, without its bytes: the
 * answer to DispatcherGateway.RequestJobState, which `eddy update` checks new code against
 * (checkJobAgainstState) before it touches a running job.
 */
import type { eddy_checkpoint_v1 as cp, eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import type { CompletedCheckpoint } from './checkpoint-metadata.js';

export function summarizeJobState(checkpoint: CompletedCheckpoint | undefined): dispatcher.JobStateResponse {
  if (checkpoint === undefined) return { found: false, checkpointId: 0, metadataPath: '', vertices: [] };
  const vertices = checkpoint.vertices.map((vertex): dispatcher.VertexStateSummary => {
    const operators = new Map<string, { hasKeyedState: boolean; hasOperatorState: boolean; states: Map<string, cp.StateMetaInfo> }>();
    for (const subtask of vertex.subtasks) {
      for (const operator of subtask.state.operators) {
        const summary = operators.get(operator.operatorId) ?? { hasKeyedState: false, hasOperatorState: false, states: new Map<string, cp.StateMetaInfo>() };
        summary.hasKeyedState ||= operator.keyedState.length > 0;
        summary.hasOperatorState ||= operator.operatorState.length > 0;
        for (const state of operator.states ?? []) if (!summary.states.has(state.name)) summary.states.set(state.name, state);
        operators.set(operator.operatorId, summary);
      }
    }
    return {
      vertexId: vertex.vertexId,
      name: vertex.name,
      parallelism: vertex.parallelism,
      maxParallelism: vertex.maxParallelism,
      operators: [...operators].map(([operatorId, summary]) => ({ operatorId, hasKeyedState: summary.hasKeyedState, hasOperatorState: summary.hasOperatorState, states: [...summary.states.values()] })),
    };
  });
  return { found: true, checkpointId: checkpoint.checkpointId, metadataPath: checkpoint.metadataPath, vertices };
}
