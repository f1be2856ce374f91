/**
 * User metrics, as in Flink: `getRuntimeContext().getMetricGroup()` in open() registers counters,
 * gauges, histograms and meters of the operator, which the TaskManager's metric reporters (the
 * Prometheus endpoint) show under the operator's scope, e.g. `eddy_taskmanager_job_task_operator_myCounter`.
 *
 * Updating costs what it costs in Flink: a counter's inc() and a meter's markEvent() are one add to
 * the task's shared memory, a histogram's update() one write into its sample window. The runtime
 * reads gauges and histograms once per second, not per update. Register metrics in open(), once:
 * a second metric of the same name in an operator is refused.
 */

/** Flink's Counter. */
export interface Counter {
  inc(n?: number): void;
  dec(n?: number): void;
  getCount(): number;
}

/** Flink's Gauge: a value read when reported. */
export interface Gauge {
  getValue(): number;
}

/** Flink's HistogramStatistics of the values in a histogram's window. */
export interface HistogramStatistics {
  readonly size: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  getQuantile(quantile: number): number;
}

/** Flink's Histogram: the statistics of the last values updated (a window of 1024 by default). */
export interface Histogram {
  update(value: number): void;
  /** Values updated since it was registered. */
  getCount(): number;
  getStatistics(): HistogramStatistics;
}

/** Flink's Meter: events per second, averaged over the last 60 s. */
export interface Meter {
  markEvent(n?: number): void;
  getRate(): number;
  getCount(): number;
}

/** Flink's MetricGroup of an operator. */
export interface MetricGroup {
  counter(name: string): Counter;
  gauge(name: string, value: () => number): Gauge;
  /** A histogram over the last `windowSize` values (default 1024). */
  histogram(name: string, windowSize?: number): Histogram;
  meter(name: string): Meter;
}
