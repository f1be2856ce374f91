/**
 * Flink's task metric group on a TaskManager: scope `<host>.taskmanager.<tm_id>.<job_name>.<task_name>.<subtask_index>`,
 * logical scope `taskmanager.job.task`, with Flink's task variables. Its metrics read the task's
 * shared counters (TaskIOMetrics) and its TaskMetricsView, so a scrape costs the task nothing.
 */
import type { eddy_taskexecutor_v1 as te } from '@eddy/proto';
import { scopeComponent, type MetricGroup, type MetricRegistry } from './metric-registry.js';
import type { TaskIOMetrics } from './task-io-metrics.js';
import type { TaskMetricsView } from './task-metrics-view.js';
import { HISTOGRAM_QUANTILES } from '@eddy/api/internal';
import type { UserMetricAnnouncement } from './user-metrics-region.js';

export interface TaskScope {
  readonly host: string;
  readonly taskManagerId: string;
}

/** Flink's task variables, without the angle brackets. */
export function taskVariables(scope: TaskScope, deployment: te.TaskDeploymentDescriptor): Record<string, string> {
  return {
    host: scope.host,
    tm_id: scope.taskManagerId,
    job_id: deployment.jobId,
    job_name: deployment.jobName,
    task_id: deployment.vertexId,
    task_attempt_id: deployment.executionAttemptId,
    task_name: deployment.vertexName,
    task_attempt_num: String(deployment.attemptNumber),
    subtask_index: String(deployment.subtaskIndex),
  };
}

export function taskScope(scope: TaskScope, deployment: te.TaskDeploymentDescriptor): string[] {
  return [scope.host, 'taskmanager', scope.taskManagerId, scopeComponent(deployment.jobName), scopeComponent(deployment.vertexName), String(deployment.subtaskIndex)];
}

/** Adds the task's group with Flink's task IO metrics; close it when the task ends. */
export function registerTaskMetrics(registry: MetricRegistry, scope: TaskScope, deployment: te.TaskDeploymentDescriptor, ioMetrics: TaskIOMetrics, view: TaskMetricsView): MetricGroup {
  const group = registry.addGroup(taskScope(scope, deployment), 'taskmanager.job.task', taskVariables(scope, deployment));
  group.counter('numRecordsIn', () => ioMetrics.numRecordsIn.getCount());
  group.counter('numRecordsOut', () => ioMetrics.numRecordsOut.getCount());
  group.counter('numBytesIn', () => ioMetrics.numBytesIn.getCount());
  group.counter('numBytesOut', () => ioMetrics.numBytesOut.getCount());
  group.gauge('numRecordsInPerSecond', () => view.rates().numRecordsInPerSecond);
  group.gauge('numRecordsOutPerSecond', () => view.rates().numRecordsOutPerSecond);
  group.gauge('numBytesInPerSecond', () => view.rates().numBytesInPerSecond);
  group.gauge('numBytesOutPerSecond', () => view.rates().numBytesOutPerSecond);
  group.gauge('backPressuredTimeMsPerSecond', () => view.rates().backPressuredTimeMsPerSecond);
  group.gauge('idleTimeMsPerSecond', () => view.rates().idleTimeMsPerSecond);
  group.gauge('busyTimeMsPerSecond', () => view.rates().busyTimeMsPerSecond);
  // Flink's watermark gauges read Long.MIN_VALUE before the first watermark; Prometheus takes -Inf.
  group.gauge('currentInputWatermark', () => ioMetrics.currentInputWatermark.snapshot()?.currentInputWatermark ?? Number.NEGATIVE_INFINITY);
  group.gauge('currentOutputWatermark', () => ioMetrics.currentOutputWatermark.value() ?? Number.NEGATIVE_INFINITY);
  return group;
}

/**
 * Adds a user metric the task's worker announced to its operator's group (Flink's operator scope
 * `<host>.taskmanager.<tm_id>.<job_name>.<operator_name>.<subtask_index>`, logical scope
 * `taskmanager.job.task.operator`), made on first use; close the groups when the task ends.
 */
export function registerUserMetric(
  registry: MetricRegistry,
  scope: TaskScope,
  deployment: te.TaskDeploymentDescriptor,
  slots: Float64Array,
  metric: UserMetricAnnouncement,
  groups: Map<string, MetricGroup>,
): void {
  let group = groups.get(metric.operatorId);
  if (group === undefined) {
    const variables = { ...taskVariables(scope, deployment), operator_id: metric.operatorId, operator_name: metric.operatorName };
    const components = [scope.host, 'taskmanager', scope.taskManagerId, scopeComponent(deployment.jobName), scopeComponent(metric.operatorName), String(deployment.subtaskIndex)];
    group = registry.addGroup(components, 'taskmanager.job.task.operator', variables);
    groups.set(metric.operatorId, group);
  }
  // The API refuses a second metric of one name in an operator: a repeated announcement is added once.
  if (group.metrics.has(metric.name)) return;
  const at = metric.offset;
  const slot = (i: number): number => slots[at + i] as number;
  switch (metric.kind) {
    case 'counter':
      group.counter(metric.name, () => slot(0));
      break;
    case 'gauge':
      group.gauge(metric.name, () => {
        const value = slot(0);
        // NaN: the gauge's function threw when sampled; reporters leave it out.
        if (Number.isNaN(value)) throw new Error(`gauge ${metric.name} has no value`);
        return value;
      });
      break;
    case 'meter':
      // Flink reports a meter as its rate.
      group.gauge(metric.name, () => slot(1));
      break;
    case 'histogram':
      group.histogram(metric.name, () => ({ count: slot(0), min: slot(1), max: slot(2), mean: slot(3), quantiles: new Map(HISTOGRAM_QUANTILES.map((quantile, i) => [quantile, slot(4 + i)])) }));
      break;
  }
}
