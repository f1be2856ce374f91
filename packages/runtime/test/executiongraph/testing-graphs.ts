import type { eddy_cluster_v1 } from '@eddy/proto';
import type { ExecutionState } from '../../src/executiongraph/execution-state.js';
import type { Execution, ExecutionGraphListener } from '../../src/executiongraph/execution-graph.js';
import { JobGraphBuilder, type JobStatus } from '@eddy/cluster-common';

export const JOB_ID = 'feedc0de0123456789abcdef01234567';

/** Source(2) -forward-> Map(2) -hash-> Sink(1). */
export function wordCountGraph(): ReturnType<JobGraphBuilder['build']> {
  return new JobGraphBuilder('WordCount')
    .jobId(JOB_ID)
    .vertex({ id: 'source', name: 'Source', parallelism: 2 })
    .vertex({ id: 'map', name: 'Map', parallelism: 2 })
    .vertex({ id: 'sink', name: 'Sink', parallelism: 1, slotSharingGroup: 'sinks', maxParallelism: 16 })
    .edge('map', 'sink', 'hash')
    .edge('source', 'map', 'forward')
    .build();
}

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public time = 1_000) {}
  readonly now = (): number => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}

export type ListenerCall =
  | { kind: 'job'; from: JobStatus; to: JobStatus; timestamp: number; cause: eddy_cluster_v1.ErrorInfo | undefined }
  | { kind: 'execution'; execution: Execution; from: ExecutionState; to: ExecutionState; timestamp: number; cause: eddy_cluster_v1.ErrorInfo | undefined };

/** Records every notification in order. */
export class RecordingListener implements ExecutionGraphListener {
  readonly calls: ListenerCall[] = [];
  notifyJobStatusChange(from: JobStatus, to: JobStatus, timestamp: number, cause?: eddy_cluster_v1.ErrorInfo): void {
    this.calls.push({ kind: 'job', from, to, timestamp, cause });
  }
  notifyExecutionStateChange(execution: Execution, from: ExecutionState, to: ExecutionState, timestamp: number, cause?: eddy_cluster_v1.ErrorInfo): void {
    this.calls.push({ kind: 'execution', execution, from, to, timestamp, cause });
  }
}

export function errorInfo(message: string): eddy_cluster_v1.ErrorInfo {
  return { name: 'Error', message, stack: '', location: '' };
}
