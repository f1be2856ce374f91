/**
 * Flink's job metric group on the JobManager: scope `<host>.jobmanager.<job_name>`, logical scope
 * `jobmanager.job`, variables host, job_id, job_name; with Flink's availability and checkpointing
 * metrics, read from the JobMaster's ExecutionGraph and checkpoint statistics at each scrape.
 */
import type { ExecutionGraph } from '../executiongraph/execution-graph.js';
import type { CheckpointStatsTracker } from '../checkpoint/checkpoint-stats.js';
import { scopeComponent, type MetricGroup, type MetricRegistry } from './metric-registry.js';

export function registerJobMetrics(registry: MetricRegistry, host: string, graph: ExecutionGraph, checkpointStats: () => CheckpointStatsTracker): MetricGroup {
  const group = registry.addGroup([host, 'jobmanager', scopeComponent(graph.jobName)], 'jobmanager.job', { host, job_id: graph.jobId, job_name: graph.jobName });
  // Flink: time since the job last switched to RUNNING while it runs, 0 otherwise (and -1 once it ended).
  group.gauge('uptime', () => {
    const state = graph.state;
    if (state === 'FINISHED' || state === 'FAILED' || state === 'CANCELED') return -1;
    const since = graph.statusTimestamps.get('RUNNING');
    return state === 'RUNNING' && since !== undefined ? Date.now() - since : 0;
  });
  group.counter('numRestarts', () => graph.restarts);
  group.gauge('lastCheckpointDuration', () => {
    const latest = checkpointStats().latestCompleted;
    return latest === undefined ? -1 : latest.endedAt - latest.triggeredAt;
  });
  group.gauge('lastCheckpointSize', () => checkpointStats().latestCompleted?.stateSize ?? -1);
  group.gauge('numberOfCompletedCheckpoints', () => checkpointStats().numberOfCompleted);
  group.gauge('numberOfFailedCheckpoints', () => checkpointStats().numberOfFailed);
  group.gauge('numberOfInProgressCheckpoints', () => checkpointStats().inProgress);
  return group;
}
