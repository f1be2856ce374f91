/** Samples the TaskExecutor's tasks' metric views and keeps their metric groups in the process's registry. */
import type { eddy_taskexecutor_v1 as te } from '@eddy/proto';
import type { MetricGroup, MetricRegistry } from './metric-registry.js';
import { registerTaskMetrics, registerUserMetric, type TaskScope } from './task-metric-group.js';
import type { UserMetricAnnouncement } from './user-metrics-region.js';
import { NO_RATES, TaskMetricsView, type TaskMetricsSource, type TaskRates } from './task-metrics-view.js';

/** How often the TaskExecutor samples its tasks. */
export const TASK_METRICS_SAMPLE_INTERVAL_MS = 1000;

interface SampledTask {
  readonly deployment: te.TaskDeploymentDescriptor;
  readonly source: TaskMetricsSource;
  readonly view: TaskMetricsView;
  readonly group: MetricGroup | undefined;
  /** The user metrics' operator groups, and how many announced metrics are in them. */
  readonly userGroups: Map<string, MetricGroup>;
  userMetrics: number;
}

/**
 * The TaskExecutor's collaborator for task metrics: samples the view of every running task once
 * per interval (one timer for all tasks, running while there is one) and, when the process has a
 * metric registry, adds each task's metric group to it (see task-metric-group.ts) and removes it
 * when the task ends.
 */
export class TaskMetricsSampler {
  readonly #tasks = new Map<string, SampledTask>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: { readonly registry: MetricRegistry; readonly scope: TaskScope } | undefined,
    private readonly intervalMs = TASK_METRICS_SAMPLE_INTERVAL_MS,
  ) {}

  /** Starts sampling an attempt's task; returns its view. */
  register(deployment: te.TaskDeploymentDescriptor, source: TaskMetricsSource): TaskMetricsView {
    this.unregister(deployment.executionAttemptId);
    const view = new TaskMetricsView(source);
    const group = this.registry === undefined ? undefined : registerTaskMetrics(this.registry.registry, this.registry.scope, deployment, source.ioMetrics, view);
    this.#tasks.set(deployment.executionAttemptId, { deployment, source, view, group, userGroups: new Map(), userMetrics: 0 });
    this.#timer ??= setInterval(() => {
      for (const task of this.#tasks.values()) {
        task.view.sample();
        this.#addUserMetrics(task);
      }
    }, this.intervalMs).unref();
    return view;
  }

  /** The task ended: its metrics leave the registry. */
  unregister(executionAttemptId: string): void {
    const task = this.#tasks.get(executionAttemptId);
    if (task === undefined) return;
    task.group?.close();
    for (const userGroup of task.userGroups.values()) userGroup.close();
    this.#tasks.delete(executionAttemptId);
    if (this.#tasks.size === 0) this.#stopTimer();
  }

  rates(executionAttemptId: string): TaskRates {
    return this.#tasks.get(executionAttemptId)?.view.rates() ?? NO_RATES;
  }

  close(): void {
    for (const id of [...this.#tasks.keys()]) this.unregister(id);
    this.#stopTimer();
  }

  /** Adds the user metrics the task's worker announced since the last sample to the registry. */
  #addUserMetrics(task: SampledTask): void {
    const region = task.source.userMetrics;
    if (this.registry === undefined || region === undefined) return;
    while (task.userMetrics < region.announced.length) {
      const metric = region.announced[task.userMetrics++] as UserMetricAnnouncement;
      registerUserMetric(this.registry.registry, this.registry.scope, task.deployment, region.slots, metric, task.userGroups);
    }
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
