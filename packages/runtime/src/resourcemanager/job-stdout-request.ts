/**
 * The ResourceManager's side of `eddy logs <jobId> --stdout`: asks every registered TaskManager
 * for the end of what the job's print() sinks wrote there (TaskExecutorGateway.requestJobStdout),
 * all at once, each within `timeoutMs`. A TaskManager that does not answer in time is listed with
 * the error instead of holding up the others. Each one's share of the answer is cut so that all of
 * them fit in one RPC response.
 */
import type { eddy_resourcemanager_v1 as rm, eddy_taskexecutor_v1 as te } from '@eddy/proto';

export interface StdoutSource {
  readonly id: string;
  readonly address: string;
  readonly gateway: te.TaskExecutorGateway;
}

export async function requestJobStdout(
  taskManagers: readonly StdoutSource[],
  request: te.JobStdoutRequest,
  options: { readonly maxAnswerChars: number; readonly timeoutMs: number },
): Promise<rm.JobStdoutResponse> {
  const share = Math.max(0, Math.min(request.maxBytes, Math.floor(options.maxAnswerChars / Math.max(1, taskManagers.length))));
  const answers = await Promise.allSettled(
    taskManagers.map((tm) => tm.gateway.requestJobStdout({ jobId: request.jobId, maxBytes: share }, { timeoutMs: options.timeoutMs })),
  );
  return {
    taskManagers: answers.map((answer, i) => {
      const { id, address } = taskManagers[i] as StdoutSource;
      return answer.status === 'fulfilled'
        ? { taskManagerId: id, address, stdout: answer.value, error: '' }
        : { taskManagerId: id, address, stdout: null, error: answer.reason instanceof Error ? answer.reason.message : String(answer.reason) };
    }),
  };
}
