/**
 * The metrics of a JobManager or TaskManager process and the reporters that publish them: the
 * process's MetricRegistry, its status group (Flink's `Status.JVM.*`, here `Status.Node.*`: heap
 * used and total, event-loop lag, CPU load and time) and the Prometheus reporter when configured
 * (see metric-options.ts). One per process, started by the process's runner and closed with it.
 */
import { ConfigurationError, type Configuration, type Logger } from '@eddy/common';
import { EventLoopLagProbe } from '../heartbeat/event-loop-lag.js';
import { MetricOptions, PROMETHEUS_REPORTER_FACTORY } from './metric-options.js';
import { MetricRegistry, type MetricGroup } from './metric-registry.js';
import { parsePortRange, PrometheusReporter } from './prometheus-reporter.js';

const KNOWN_REPORTERS = ['prom'];

/** Whether the Prometheus reporter is configured, as Flink decides which reporters to start. */
export function prometheusEnabled(configuration: Configuration): boolean {
  const listed = configuration
    .get(MetricOptions.reporters)
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  for (const name of listed) {
    if (!KNOWN_REPORTERS.includes(name)) {
      throw new ConfigurationError(`${MetricOptions.reporters.key} names an unknown reporter '${name}'; Eddy has ${KNOWN_REPORTERS.join(', ')} (Prometheus)`, { rawValue: name, source: configuration.sourceOf(MetricOptions.reporters.key) });
    }
  }
  const factory = configuration.get(MetricOptions.promFactoryClass);
  if (factory !== '' && factory !== PROMETHEUS_REPORTER_FACTORY && factory !== 'PrometheusReporterFactory') {
    throw new ConfigurationError(`${MetricOptions.promFactoryClass.key} is '${factory}'; Eddy's Prometheus reporter is ${PROMETHEUS_REPORTER_FACTORY}`, { rawValue: factory, source: configuration.sourceOf(MetricOptions.promFactoryClass.key) });
  }
  const configured = factory !== '' || configuration.has(MetricOptions.promPort.key);
  return listed.length > 0 ? listed.includes('prom') : configured;
}

export interface ProcessMetricsOptions {
  readonly configuration: Configuration;
  /** Flink's process scope: `<host>.jobmanager` or `<host>.taskmanager.<tm_id>`. */
  readonly component: 'jobmanager' | 'taskmanager';
  /** The host the process advertises (the `host` variable). */
  readonly host: string;
  readonly taskManagerId?: string;
  /** Where the reporter's endpoint listens: the process's bind host. */
  readonly bindHost: string;
  readonly logger: Logger;
}

export class ProcessMetrics {
  readonly #lag = new EventLoopLagProbe();
  readonly #status: MetricGroup;
  #cpu = { atMs: performance.now(), usage: process.cpuUsage() };
  #cpuLoad = 0;

  private constructor(
    readonly registry: MetricRegistry,
    readonly scope: readonly string[],
    readonly variables: Readonly<Record<string, string>>,
    readonly prometheus: PrometheusReporter | undefined,
  ) {
    this.#status = registry.addGroup(scope, scope[1] ?? '', variables);
    this.#status.gauge('Status.Node.Memory.Heap.Used', () => process.memoryUsage().heapUsed);
    this.#status.gauge('Status.Node.Memory.Heap.Total', () => process.memoryUsage().heapTotal);
    this.#status.gauge('Status.Node.EventLoop.Lag', () => this.#lag.sampleMs());
    this.#status.gauge('Status.Node.CPU.Load', () => this.#sampleCpuLoad());
    this.#status.gauge('Status.Node.CPU.Time', () => {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1000;
    });
  }

  /** The registry and status group; the Prometheus endpoint when the configuration asks for it. */
  static async start(options: ProcessMetricsOptions): Promise<ProcessMetrics> {
    const { configuration, component, host, logger } = options;
    const variables: Record<string, string> = component === 'jobmanager' ? { host } : { host, tm_id: options.taskManagerId ?? '' };
    const scope = component === 'jobmanager' ? [host, 'jobmanager'] : [host, 'taskmanager', options.taskManagerId ?? ''];
    const registry = new MetricRegistry();
    let prometheus: PrometheusReporter | undefined;
    if (prometheusEnabled(configuration)) {
      prometheus = await PrometheusReporter.start({
        registry,
        host: options.bindHost,
        ports: parsePortRange(configuration.get(MetricOptions.promPort), MetricOptions.promPort.key),
        portKey: MetricOptions.promPort.key,
        logger,
      });
    }
    return new ProcessMetrics(registry, scope, variables, prometheus);
  }

  /** CPU time of the process per wall time since the previous read (1 = one core busy). */
  #sampleCpuLoad(): number {
    const now = performance.now();
    const elapsedMs = now - this.#cpu.atMs;
    if (elapsedMs < 100) return this.#cpuLoad;
    const usage = process.cpuUsage(this.#cpu.usage);
    this.#cpuLoad = (usage.user + usage.system) / 1000 / elapsedMs;
    this.#cpu = { atMs: now, usage: process.cpuUsage() };
    return this.#cpuLoad;
  }

  async close(): Promise<void> {
    this.#status.close();
    this.#lag.close();
    await this.prometheus?.close();
  }
}
