/**
 * Flink's Prometheus reporter: an HTTP endpoint `/metrics` on the process's main thread that
 * prom-client renders from the process's MetricRegistry at each scrape.
 *
 * Naming as Flink's reporter, with Eddy's prefix: the logical scope and the metric name joined by
 * underscores (`eddy_taskmanager_job_task_numRecordsIn`), the scope's variables as labels
 * (`host`, `tm_id`, `job_id`, `job_name`, `task_name`, `subtask_index`...). Counters are exported as
 * gauges, as Flink does (a task's counters start again at 0 when it restarts); histograms as
 * summaries with Flink's quantiles and a `_count`.
 *
 * prom-client renders and escapes the text format; its own metric classes are not used for the
 * values, which live in the registry (and task counters in the tasks' shared memory): each scrape
 * reads them once. prom-client's releases do not aggregate worker threads, which is why task
 * counters are read from shared memory here instead of counted in the workers' registries.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, type MetricValue } from 'prom-client';
import type { Logger } from '@eddy/common';
import type { MetricRegistry } from './metric-registry.js';

export const PROMETHEUS_PREFIX = 'eddy';

/** Prometheus allows [a-zA-Z0-9_:] in names and [a-zA-Z0-9_] in label names. */
function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_:]/g, '_');
}

interface Series {
  readonly labels: Record<string, string>;
  readonly metricName?: string;
  readonly value: number;
}

interface Family {
  readonly name: string;
  readonly type: 'gauge' | 'summary';
  readonly help: string;
  readonly values: Series[];
}

/** The registry's metrics, grouped into Prometheus metric families. */
export function collectFamilies(registry: MetricRegistry): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const group of registry.groups) {
    const labels: Record<string, string> = {};
    for (const [key, value] of Object.entries(group.variables)) labels[sanitize(key)] = value;
    for (const [metricName, metric] of group.metrics) {
      const name = sanitize(`${PROMETHEUS_PREFIX}_${group.logicalScope.replace(/\./g, '_')}_${metricName}`);
      const type = metric.kind === 'histogram' ? 'summary' : 'gauge';
      let family = families.get(name);
      if (family === undefined) {
        family = { name, type, help: `${metricName} (scope: ${group.logicalScope})`, values: [] };
        families.set(name, family);
      }
      try {
        if (metric.kind === 'histogram') {
          const statistics = metric.read();
          for (const [quantile, value] of statistics.quantiles) family.values.push({ labels: { ...labels, quantile: String(quantile) }, value });
          family.values.push({ labels, metricName: `${name}_count`, value: statistics.count });
        } else {
          family.values.push({ labels, value: metric.read() });
        }
      } catch {
        // A gauge that throws is left out of this scrape, as Flink's reporter does.
      }
    }
  }
  return families;
}

/** The text of one scrape. */
export async function renderPrometheus(registry: MetricRegistry): Promise<string> {
  const prom = new Registry();
  for (const family of collectFamilies(registry).values()) {
    prom.registerMetric({
      name: family.name,
      // prom-client's Registry only calls get() on what it holds; the rest of Metric is unused.
      get: () => Promise.resolve({ name: family.name, help: family.help, type: family.type, values: family.values as MetricValue<string>[], aggregator: 'sum' }),
    } as unknown as Parameters<Registry['registerMetric']>[0]);
  }
  return prom.metrics();
}

/** Parses `9249`, `9250-9260` or `0` into the ports to try, in order. */
export function parsePortRange(text: string, key: string): number[] {
  const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  const from = match === null ? NaN : Number(match[1]);
  const to = match === null ? NaN : match[2] === undefined ? from : Number(match[2]);
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > 65535 || to < from) {
    throw new RangeError(`${key} must be a port (0-65535) or a range such as 9250-9260, got '${text}'`);
  }
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

export class PrometheusReporter {
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /**
   * Serves `/metrics` on the first free port of `ports`. Rejects, naming the range and the key to
   * change, when none is free.
   */
  static async start(options: { registry: MetricRegistry; host: string; ports: readonly number[]; portKey: string; logger: Logger }): Promise<PrometheusReporter> {
    const { registry, host, ports, portKey, logger } = options;
    const server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (request.method !== 'GET' || (path !== '/metrics' && path !== '/')) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: scrape /metrics\n');
        return;
      }
      renderPrometheus(registry).then(
        (text) => response.writeHead(200, { 'content-type': Registry.PROMETHEUS_CONTENT_TYPE }).end(text),
        (error: unknown) => {
          logger.warn({ err: error }, 'Could not render the Prometheus metrics');
          response.writeHead(500, { 'content-type': 'text/plain' }).end('Could not render the metrics\n');
        },
      );
    });
    // A scraper that stalls must not hold a socket forever.
    server.requestTimeout = 10_000;
    server.headersTimeout = 10_000;
    let lastError: unknown;
    for (const port of ports) {
      try {
        await new Promise<void>((resolve, reject) => {
          const onError = (error: Error): void => reject(error);
          server.once('error', onError);
          server.listen(port, host, () => {
            server.off('error', onError);
            resolve();
          });
        });
        const bound = (server.address() as AddressInfo).port;
        server.unref();
        logger.info({ host, port: bound, path: '/metrics' }, 'Prometheus reporter started');
        return new PrometheusReporter(server, bound);
      } catch (error) {
        lastError = error;
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') break;
      }
    }
    const range = ports.length === 1 ? String(ports[0]) : `${ports[0]}-${ports[ports.length - 1]}`;
    throw new Error(`The Prometheus reporter could not listen on ${host}:${range} (${lastError instanceof Error ? lastError.message : String(lastError)}); set ${portKey} to a free port or a range`, {
      cause: lastError,
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
