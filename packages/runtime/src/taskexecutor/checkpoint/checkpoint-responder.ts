/**
 * Sends a task's checkpoint replies from the TaskExecutor to its JobMaster: acknowledgements
 * (with the state handles), declines and the end of a source's input. Each is one call with the
 * ask timeout; a lost acknowledgement is not retried, the checkpoint then times out and the next
 * one is taken (Flink treats them the same way). Failures are logged at debug: the JobMaster's own
 * log says which checkpoint failed and why.
 */
import type { Logger } from '@eddy/common';
import type { eddy_checkpoint_v1 as cp, eddy_cluster_v1 as cluster, eddy_jobmaster_v1 as jm } from '@eddy/proto';

export class CheckpointResponder {
  constructor(
    private readonly gatewayOf: (jobId: string) => jm.JobMasterGateway | undefined,
    private readonly logger: Logger,
  ) {}

  acknowledge(jobId: string, executionAttemptId: string, checkpointId: number, state: cp.TaskStateSnapshot, metrics: cp.SubtaskCheckpointMetrics): void {
    this.send(jobId, 'acknowledgeCheckpoint', checkpointId, (gateway) => gateway.acknowledgeCheckpoint({ executionAttemptId, checkpointId, state, metrics }));
  }

  decline(jobId: string, executionAttemptId: string, checkpointId: number, reason: cluster.ErrorInfo, kind: string): void {
    this.send(jobId, 'declineCheckpoint', checkpointId, (gateway) => gateway.declineCheckpoint({ executionAttemptId, checkpointId, reason, kind }));
  }

  notifyEndOfData(jobId: string, executionAttemptId: string): void {
    this.send(jobId, 'notifyEndOfData', 0, (gateway) => gateway.notifyEndOfData({ executionAttemptId }));
  }

  private send(jobId: string, call: string, checkpointId: number, invoke: (gateway: jm.JobMasterGateway) => Promise<unknown>): void {
    const gateway = this.gatewayOf(jobId);
    if (gateway === undefined) {
      this.logger.debug({ jobId, call, checkpointId }, 'No JobMaster connection for a checkpoint reply; dropped');
      return;
    }
    invoke(gateway).catch((error: unknown) => this.logger.debug({ err: error, jobId, call, checkpointId }, 'Could not send a checkpoint reply to the JobMaster'));
  }
}
