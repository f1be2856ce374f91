/**
 * The data-plane part of a TaskDeploymentDescriptor: which partitions an attempt produces and
 * which channels it reads, with the TaskManager each producer runs on. Built once every attempt of
 * the job has its slot, so every producer's location is known (all tasks are deployed together).
 */
import type { eddy_taskexecutor_v1 as te } from '@eddy/proto';
import type { Execution } from '../executiongraph/execution-graph.js';

/** Unique per producing attempt, so a restarted job never reads a partition of an old attempt. */
export function partitionIdOf(resultId: string, executionAttemptId: string): string {
  return `${resultId}@${executionAttemptId}`;
}

/** `host:port` of the RpcService behind an endpoint address `host:port/endpointId`. */
export function hostPortOf(endpointAddress: string): string {
  const slash = endpointAddress.lastIndexOf('/');
  return slash < 0 ? endpointAddress : endpointAddress.slice(0, slash);
}

/** One descriptor per outgoing edge, in JobGraph edge order. */
export function producedPartitionsOf(execution: Execution): te.ProducedPartitionDescriptor[] {
  return execution.vertex.jobVertex.producedResults.map((result) => {
    const partition = result.partitions[execution.vertex.subtaskIndex];
    if (partition === undefined) throw new Error(`${result.id} has no partition ${execution.vertex.subtaskIndex}`);
    const consumer = result.consumerVertex;
    return {
      resultId: result.id,
      partitionId: partitionIdOf(result.id, execution.attemptId),
      numberOfSubpartitions: partition.consumerVertexGroup.size,
      targetVertexId: consumer.id,
      targetParallelism: consumer.parallelism,
      targetMaxParallelism: consumer.maxParallelism,
    };
  });
}

/** One gate per incoming edge, in JobGraph edge order; its channels in producer subtask order. */
export function inputGatesOf(execution: Execution): te.InputGateDescriptor[] {
  const vertex = execution.vertex;
  return vertex.jobVertex.inputs.map((input) => {
    const channels: te.InputChannelDescriptor[] = [];
    for (const partition of input.result.consumedPartitionGroup(vertex.subtaskIndex).partitions()) {
      const producer = partition.producer.currentExecution;
      channels.push({
        partitionId: partitionIdOf(input.result.id, producer.attemptId),
        subpartition: vertex.subtaskIndex - partition.consumerVertexGroup.start,
        producerAddress: hostPortOf(producer.taskManagerAddress),
      });
    }
    return { resultId: input.result.id, sourceVertexId: input.result.producer.id, channels };
  });
}
