/**
 * The per-second metrics of one task, computed on the TaskExecutor's thread from samples of the
 * task's shared counters (TaskIOMetrics) and of its worker thread's event-loop utilization:
 * numRecordsIn/OutPerSecond, numBytesIn/OutPerSecond and Flink's three task load times,
 * backPressuredTimeMsPerSecond, idleTimeMsPerSecond and busyTimeMsPerSecond.
 *
 * As in Flink the load times are measured, not derived from records:
 * - back-pressured: the time the task waited for output credit (the worker's BackPressureTimer);
 * - idle: the time its worker's event loop waited for anything else (for input), which is the
 *   event loop's idle time minus the back-pressured time (a backpressured task's loop is idle too);
 * - busy: the rest of the second, 1000 - idle - back-pressured, as Flink computes it.
 *
 * A value is the rate over a sliding window of the last `windowSamples` samples, one per sampling
 * interval (see task-metrics-sampler.ts: 1 s, so a window of 5 s, Flink's metrics view update interval).
 * Flink's MeterView averages its rates over 60 s; a 5 s window makes `eddy status` and the REST
 * API show what the job does now, which is what a user looks at them for.
 */
import type { TaskIOMetrics } from './task-io-metrics.js';
import type { UserMetricsRegion } from './user-metrics-region.js';

/** What a view samples: the task's shared counters and its worker's event-loop utilization (ms), if it runs. */
export interface TaskMetricsSource {
  readonly ioMetrics: TaskIOMetrics;
  /** The task's user metrics, when it has a worker that can register them. */
  readonly userMetrics?: UserMetricsRegion;
  eventLoopUtilization(): { readonly idle: number; readonly active: number } | undefined;
}

export interface TaskRates {
  readonly numRecordsInPerSecond: number;
  readonly numRecordsOutPerSecond: number;
  readonly numBytesInPerSecond: number;
  readonly numBytesOutPerSecond: number;
  readonly backPressuredTimeMsPerSecond: number;
  readonly idleTimeMsPerSecond: number;
  readonly busyTimeMsPerSecond: number;
}

export const NO_RATES: TaskRates = {
  numRecordsInPerSecond: 0,
  numRecordsOutPerSecond: 0,
  numBytesInPerSecond: 0,
  numBytesOutPerSecond: 0,
  backPressuredTimeMsPerSecond: 0,
  idleTimeMsPerSecond: 0,
  busyTimeMsPerSecond: 0,
};

interface Sample {
  readonly atMs: number;
  readonly numRecordsIn: number;
  readonly numRecordsOut: number;
  readonly numBytesIn: number;
  readonly numBytesOut: number;
  readonly backPressuredMs: number;
  /** The worker's event-loop idle time; undefined before its loop runs. */
  readonly idleMs: number | undefined;
}

export const DEFAULT_WINDOW_SAMPLES = 5;

function perSecond(delta: number, elapsedMs: number): number {
  return (Math.max(0, delta) * 1000) / elapsedMs;
}

function clamp(ms: number): number {
  return Math.min(1000, Math.max(0, ms));
}

export class TaskMetricsView {
  readonly #samples: Sample[] = [];
  #rates: TaskRates = NO_RATES;

  constructor(
    private readonly source: TaskMetricsSource,
    private readonly windowSamples = DEFAULT_WINDOW_SAMPLES,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.sample();
  }

  /** Takes a sample and updates the rates over the window it closes. */
  sample(): void {
    const counts = this.source.ioMetrics.snapshot();
    const sample: Sample = {
      atMs: this.now(),
      numRecordsIn: counts.numRecordsIn,
      numRecordsOut: counts.numRecordsOut,
      numBytesIn: counts.numBytesIn,
      numBytesOut: counts.numBytesOut,
      backPressuredMs: counts.backPressuredTimeUs / 1000,
      idleMs: this.source.eventLoopUtilization()?.idle,
    };
    this.#samples.push(sample);
    if (this.#samples.length > this.windowSamples + 1) this.#samples.shift();
    const first = this.#samples[0] as Sample;
    const elapsedMs = sample.atMs - first.atMs;
    if (elapsedMs <= 0) return;
    const backPressured = clamp(perSecond(sample.backPressuredMs - first.backPressuredMs, elapsedMs));
    const idle =
      sample.idleMs === undefined || first.idleMs === undefined ? 0 : clamp(Math.min(1000 - backPressured, perSecond(sample.idleMs - first.idleMs, elapsedMs) - backPressured));
    this.#rates = {
      numRecordsInPerSecond: perSecond(sample.numRecordsIn - first.numRecordsIn, elapsedMs),
      numRecordsOutPerSecond: perSecond(sample.numRecordsOut - first.numRecordsOut, elapsedMs),
      numBytesInPerSecond: perSecond(sample.numBytesIn - first.numBytesIn, elapsedMs),
      numBytesOutPerSecond: perSecond(sample.numBytesOut - first.numBytesOut, elapsedMs),
      backPressuredTimeMsPerSecond: backPressured,
      idleTimeMsPerSecond: idle,
      busyTimeMsPerSecond: Math.max(0, 1000 - backPressured - idle),
    };
  }

  /** The rates over the last window; zeros until a second sample was taken. */
  rates(): TaskRates {
    return this.#rates;
  }
}
