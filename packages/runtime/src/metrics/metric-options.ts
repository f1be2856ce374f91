/**
 * Configuration of metric reporters, in Flink's shape: a reporter named `prom` is configured by
 * the keys under `metrics.reporter.prom.`, and `metrics.reporters` lists the reporters to start.
 * Read by each process when it starts its reporters (see metric-reporters.ts).
 */
import { stringOption } from '@eddy/common';

/** Flink's factory class of the Prometheus reporter; Eddy also takes the short name. */
export const PROMETHEUS_REPORTER_FACTORY = 'org.apache.flink.metrics.prometheus.PrometheusReporterFactory';

export const MetricOptions = {
  reporters: stringOption({
    key: 'metrics.reporters',
    defaultValue: '',
    description:
      "Names of the metric reporters to start, comma-separated (Flink's key). Eddy has one reporter, `prom` (Prometheus). " +
      'Empty: every reporter that has a `metrics.reporter.<name>.factory.class` or a `metrics.reporter.<name>.port` is started; with neither, no reporter runs, as in Flink.',
  }),
  promFactoryClass: stringOption({
    key: 'metrics.reporter.prom.factory.class',
    defaultValue: '',
    description: `Configures the Prometheus reporter, as in Flink: \`${PROMETHEUS_REPORTER_FACTORY}\` (or \`PrometheusReporterFactory\`). Setting metrics.reporter.prom.port, or listing \`prom\` in metrics.reporters, configures it too.`,
  }),
  promPort: stringOption({
    key: 'metrics.reporter.prom.port',
    defaultValue: '9249',
    description:
      "Port of the Prometheus reporter's HTTP endpoint (`/metrics`), or a range such as `9250-9260`: each process takes the first free port of the range, so several TaskManagers on one host each get one. " +
      "0 takes a free port (the process logs it). Bound to the process's bind host (jobmanager.bind-host, taskmanager.bind-host). Flink's default, 9249.",
  }),
} as const;
