import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Configuration } from '@eddy/common';
import { MetricRegistry } from '../../src/metrics/metric-registry.js';
import { parsePortRange, PrometheusReporter, renderPrometheus } from '../../src/metrics/prometheus-reporter.js';
import { prometheusEnabled } from '../../src/metrics/process-metrics.js';
import { capturingLogger } from '../fixtures/capturing-logger.js';

function taskGroup(registry: MetricRegistry) {
  return registry.addGroup(['127.0.0.1', 'taskmanager', 'tm-1', 'word_count', 'Map', '0'], 'taskmanager.job.task', {
    host: '127.0.0.1',
    tm_id: 'tm-1',
    job_id: 'j1',
    job_name: 'word count',
    task_name: 'Map "quoted"',
    subtask_index: '0',
  });
}

describe('PrometheusReporter', () => {
  it("names metrics as Flink's reporter does, with the eddy_ prefix and the scope variables as labels", async () => {
    const registry = new MetricRegistry();
    const group = taskGroup(registry);
    let count = 41;
    group.counter('numRecordsIn', () => ++count);
    group.gauge('currentInputWatermark', () => Number.NEGATIVE_INFINITY);
    group.histogram('latency', () => ({ count: 3, min: 1, max: 9, mean: 4, quantiles: new Map([[0.5, 2], [0.99, 9]]) }));
    assert.equal(group.identifier('numRecordsIn'), '127.0.0.1.taskmanager.tm-1.word_count.Map.0.numRecordsIn');
    const text = await renderPrometheus(registry);
    assert.match(text, /^# TYPE eddy_taskmanager_job_task_numRecordsIn gauge$/m);
    assert.match(text, /^eddy_taskmanager_job_task_numRecordsIn\{host="127\.0\.0\.1",tm_id="tm-1",job_id="j1",job_name="word count",task_name="Map \\"quoted\\"",subtask_index="0"\} 42$/m);
    assert.match(text, /^eddy_taskmanager_job_task_currentInputWatermark\{.*\} -Inf$/m);
    assert.match(text, /^# TYPE eddy_taskmanager_job_task_latency summary$/m);
    assert.match(text, /^eddy_taskmanager_job_task_latency\{.*quantile="0\.99"\} 9$/m);
    assert.match(text, /^eddy_taskmanager_job_task_latency_count\{.*\} 3$/m);
    // Read at each scrape: the counter moved.
    assert.match(await renderPrometheus(registry), /numRecordsIn\{[^}]*\} 43$/m);
    group.close();
    assert.doesNotMatch(await renderPrometheus(registry), /numRecordsIn/);
  });

  it('leaves out a gauge that throws, and refuses two metrics of one name in a group', async () => {
    const registry = new MetricRegistry();
    const group = taskGroup(registry);
    group.gauge('broken', () => {
      throw new Error('no value');
    });
    group.gauge('fine', () => 1);
    assert.throws(() => group.gauge('fine', () => 2), /already has a metric named 'fine'/);
    const text = await renderPrometheus(registry);
    assert.doesNotMatch(text, /^eddy_taskmanager_job_task_broken\{/m);
    assert.match(text, /^eddy_taskmanager_job_task_fine\{.*\} 1$/m);
  });

  it('takes the first free port of a range and serves /metrics there', async () => {
    const registry = new MetricRegistry();
    registry.addGroup(['h', 'jobmanager'], 'jobmanager', { host: 'h' }).gauge('up', () => 1);
    const logger = capturingLogger().logger;
    const first = await PrometheusReporter.start({ registry, host: '127.0.0.1', ports: [0], portKey: 'metrics.reporter.prom.port', logger });
    try {
      const taken = first.port;
      const second = await PrometheusReporter.start({ registry, host: '127.0.0.1', ports: [taken, 0], portKey: 'metrics.reporter.prom.port', logger });
      try {
        assert.notEqual(second.port, taken);
        const response = await fetch(`http://127.0.0.1:${second.port}/metrics`);
        assert.match(await response.text(), /^eddy_jobmanager_up\{host="h"\} 1$/m);
        assert.equal((await fetch(`http://127.0.0.1:${second.port}/other`)).status, 404);
      } finally {
        await second.close();
      }
      await assert.rejects(PrometheusReporter.start({ registry, host: '127.0.0.1', ports: [taken], portKey: 'metrics.reporter.prom.port', logger }), /could not listen on 127\.0\.0\.1:\d+ .*set metrics\.reporter\.prom\.port to a free port or a range/);
    } finally {
      await first.close();
    }
  });

  it('parses ports and ranges, and says what a bad one should look like', () => {
    assert.deepEqual(parsePortRange('9249', 'k'), [9249]);
    assert.deepEqual(parsePortRange('9250-9252', 'k'), [9250, 9251, 9252]);
    assert.throws(() => parsePortRange('9260-9250', 'metrics.reporter.prom.port'), /metrics\.reporter\.prom\.port must be a port \(0-65535\) or a range such as 9250-9260, got '9260-9250'/);
    assert.throws(() => parsePortRange('prom', 'k'), /got 'prom'/);
  });

  it('is off unless configured, as in Flink', () => {
    assert.equal(prometheusEnabled(Configuration.empty()), false);
    assert.equal(prometheusEnabled(Configuration.fromRecord({ 'metrics.reporter.prom.port': '9250-9260' })), true);
    assert.equal(prometheusEnabled(Configuration.fromRecord({ 'metrics.reporter.prom.factory.class': 'org.apache.flink.metrics.prometheus.PrometheusReporterFactory' })), true);
    assert.equal(prometheusEnabled(Configuration.fromRecord({ 'metrics.reporters': 'prom' })), true);
    assert.equal(prometheusEnabled(Configuration.fromRecord({ 'metrics.reporters': ' ', 'metrics.reporter.prom.port': '0' })), true);
    assert.throws(() => prometheusEnabled(Configuration.fromRecord({ 'metrics.reporters': 'jmx' })), /unknown reporter 'jmx'; Eddy has prom/);
    assert.throws(() => prometheusEnabled(Configuration.fromRecord({ 'metrics.reporter.prom.factory.class': 'com.example.Other' })), /Eddy's Prometheus reporter is org\.apache\.flink\.metrics\.prometheus\.PrometheusReporterFactory/);
  });
});
