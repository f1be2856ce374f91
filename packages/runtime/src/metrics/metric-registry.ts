/**
 * A process's metric registry, with Flink's metric groups and scopes. Each JobManager and
 * TaskManager process has one; reporters (the Prometheus one, see prometheus-reporter.ts) read it
 * when they are asked, so a metric costs nothing until someone scrapes.
 *
 * A MetricGroup is one scope: its components (Flink's scope format, e.g.
 * `<host>.taskmanager.<tm_id>.<job_name>.<task_name>.<subtask_index>`), its logical scope (the same
 * without the variables, `taskmanager.job.task`) and its variables (`host`, `tm_id`, `job_id`,
 * `job_name`, `task_name`, `subtask_index`...), which reporters that label (Prometheus) use instead
 * of the components. Metrics are read through functions: counters and gauges from shared memory or
 * a component's fields, histograms from their latest statistics.
 *
 * Threading: the main thread of the process only; task metrics live in worker threads and reach
 * the registry through shared memory (TaskIOMetrics, UserMetricsRegion) and samples.
 */

/** Flink's metric types; a meter reads as its rate (its count is a counter of its own). */
export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** A histogram's statistics as last sampled (Flink's HistogramStatistics). */
export interface HistogramStatistics {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** Quantile (0.5, 0.75, 0.95, 0.98, 0.99, 0.999) to value. */
  readonly quantiles: ReadonlyMap<number, number>;
}

export type Metric =
  | { readonly kind: 'counter' | 'gauge'; readonly read: () => number }
  | { readonly kind: 'histogram'; readonly read: () => HistogramStatistics };

/** Scope variables, Flink's names without the angle brackets. */
export type ScopeVariables = Readonly<Record<string, string>>;

export class MetricGroup {
  readonly #metrics = new Map<string, Metric>();
  #closed = false;

  constructor(
    private readonly registry: MetricRegistry,
    /** The scope's components, e.g. [host, 'taskmanager', tm_id, job_name, task_name, subtask_index]. */
    readonly scope: readonly string[],
    /** The scope without its variables, e.g. 'taskmanager.job.task'. */
    readonly logicalScope: string,
    readonly variables: ScopeVariables,
  ) {}

  /** Flink's metric identifier: the scope and the name, joined by dots. */
  identifier(name: string): string {
    return [...this.scope, name].join('.');
  }

  counter(name: string, read: () => number): void {
    this.add(name, { kind: 'counter', read });
  }

  gauge(name: string, read: () => number): void {
    this.add(name, { kind: 'gauge', read });
  }

  histogram(name: string, read: () => HistogramStatistics): void {
    this.add(name, { kind: 'histogram', read });
  }

  add(name: string, metric: Metric): void {
    if (this.#metrics.has(name)) throw new Error(`The metric group ${this.identifier('')} already has a metric named '${name}'; give the new one another name`);
    this.#metrics.set(name, metric);
  }

  get metrics(): ReadonlyMap<string, Metric> {
    return this.#metrics;
  }

  /** Removes the group and its metrics from the registry (a task or job ended). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.registry.remove(this);
  }
}

export class MetricRegistry {
  readonly #groups = new Set<MetricGroup>();

  /** Adds a group; it shows until closed. */
  addGroup(scope: readonly string[], logicalScope: string, variables: ScopeVariables): MetricGroup {
    const group = new MetricGroup(this, scope, logicalScope, variables);
    this.#groups.add(group);
    return group;
  }

  remove(group: MetricGroup): void {
    this.#groups.delete(group);
  }

  get groups(): Iterable<MetricGroup> {
    return this.#groups;
  }

  /** Every metric's identifier and current value (histograms as their count); for logs and tests. */
  dump(): Map<string, number> {
    const values = new Map<string, number>();
    for (const group of this.#groups) {
      for (const [name, metric] of group.metrics) {
        try {
          values.set(group.identifier(name), metric.kind === 'histogram' ? metric.read().count : metric.read());
        } catch {
          // A gauge that throws is left out, as Flink's reporters do.
        }
      }
    }
    return values;
  }
}

/** Flink's scope component for a name: dots would split the scope, so they become underscores. */
export function scopeComponent(name: string): string {
  return name.replace(/[.\s]+/g, '_');
}

/** The host of a host:port address, without an IPv6 host's brackets (the `host` variable). */
export function hostOfAddress(address: string): string {
  const host = address.slice(0, Math.max(0, address.lastIndexOf(':')));
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
