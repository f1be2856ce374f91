/**
 * User metrics behind @eddy/api's MetricGroup (see ../metrics.ts): each metric owns a few slots of
 * a Float64Array the runtime shares with the TaskManager's main thread (ChainContext.userMetrics),
 * so an update is a write to memory and no message. The runtime calls each metric's `sample` once
 * per report interval on the task's thread: gauges read their function, histograms write their
 * statistics, meters their rate. Without a runtime that offers user metrics (an older one, or a
 * unit test) the metrics work locally and are reported nowhere.
 *
 * Slot layouts, read by the runtime (metrics/user-metrics-region.ts):
 *   counter    [count]
 *   gauge      [value]                       NaN when the function threw
 *   meter      [count, rate per second]
 *   histogram  [count, min, max, mean, ...one per HISTOGRAM_QUANTILES]
 */
import type { Counter, Gauge, Histogram, HistogramStatistics, Meter, MetricGroup } from '../metrics.js';

export type UserMetricKind = 'counter' | 'gauge' | 'meter' | 'histogram';

/** Flink's reported quantiles of a histogram. */
export const HISTOGRAM_QUANTILES: readonly number[] = [0.5, 0.75, 0.95, 0.98, 0.99, 0.999];

export const USER_METRIC_WIDTH: Readonly<Record<UserMetricKind, number>> = { counter: 1, gauge: 1, meter: 2, histogram: 4 + HISTOGRAM_QUANTILES.length };

export interface UserMetricDefinition {
  readonly kind: UserMetricKind;
  readonly operatorId: string;
  readonly operatorName: string;
  readonly name: string;
}

/** What the runtime offers a chain for user metrics. */
export interface UserMetricsBacking {
  /**
   * Reserves the metric's slots (USER_METRIC_WIDTH of its kind); `sample` runs once per report
   * interval on the task's thread. Throws when the task has no room left for it.
   */
  register(definition: UserMetricDefinition, sample: ((slots: Float64Array, offset: number) => void) | undefined): { readonly slots: Float64Array; readonly offset: number };
}

/** Slots of a metric without a runtime behind it. */
const LOCAL: UserMetricsBacking = {
  register: (definition) => ({ slots: new Float64Array(USER_METRIC_WIDTH[definition.kind]), offset: 0 }),
};

class SlotCounter implements Counter {
  constructor(
    private readonly slots: Float64Array,
    private readonly offset: number,
  ) {}

  inc(n = 1): void {
    this.slots[this.offset] = (this.slots[this.offset] as number) + n;
  }

  dec(n = 1): void {
    this.slots[this.offset] = (this.slots[this.offset] as number) - n;
  }

  getCount(): number {
    return this.slots[this.offset] as number;
  }
}

/** Events per second over the last 60 s, as Flink's MeterView. */
const METER_WINDOW_SECONDS = 60;

class SlotMeter implements Meter {
  private readonly history: { readonly at: number; readonly count: number }[] = [];
  slots: Float64Array = new Float64Array(2);
  offset = 0;

  markEvent(n = 1): void {
    this.slots[this.offset] = (this.slots[this.offset] as number) + n;
  }

  getCount(): number {
    return this.slots[this.offset] as number;
  }

  getRate(): number {
    return this.slots[this.offset + 1] as number;
  }

  sample(now: number): void {
    const count = this.getCount();
    this.history.push({ at: now, count });
    while (this.history.length > 2 && now - (this.history[1] as { at: number }).at >= METER_WINDOW_SECONDS * 1000) this.history.shift();
    const first = this.history[0] as { at: number; count: number };
    const seconds = (now - first.at) / 1000;
    this.slots[this.offset + 1] = seconds > 0 ? (count - first.count) / seconds : 0;
  }
}

class WindowHistogram implements Histogram {
  private readonly window: Float64Array;
  private count = 0;

  constructor(windowSize: number) {
    this.window = new Float64Array(windowSize);
  }

  update(value: number): void {
    this.window[this.count % this.window.length] = value;
    this.count++;
  }

  getCount(): number {
    return this.count;
  }

  getStatistics(): HistogramStatistics {
    const values = this.window.slice(0, Math.min(this.count, this.window.length)).sort();
    let sum = 0;
    for (const value of values) sum += value;
    const size = values.length;
    return {
      size,
      min: size === 0 ? 0 : (values[0] as number),
      max: size === 0 ? 0 : (values[size - 1] as number),
      mean: size === 0 ? 0 : sum / size,
      getQuantile: (quantile) => (size === 0 ? 0 : (values[Math.min(size - 1, Math.max(0, Math.ceil(quantile * size) - 1))] as number)),
    };
  }

  writeTo(slots: Float64Array, offset: number): void {
    const statistics = this.getStatistics();
    slots[offset] = this.count;
    slots[offset + 1] = statistics.min;
    slots[offset + 2] = statistics.max;
    slots[offset + 3] = statistics.mean;
    HISTOGRAM_QUANTILES.forEach((quantile, i) => {
      slots[offset + 4 + i] = statistics.getQuantile(quantile);
    });
  }
}

/** An operator's MetricGroup over the runtime's slots (or local ones); one per operator, names unique within it. */
export function createOperatorMetricGroup(backing: UserMetricsBacking | undefined, operatorId: string, operatorName: string): MetricGroup {
  const target = backing ?? LOCAL;
  const names = new Set<string>();
  const register = (kind: UserMetricKind, name: string, sample?: (slots: Float64Array, offset: number) => void): { slots: Float64Array; offset: number } => {
    if (typeof name !== 'string' || name === '') throw new TypeError(`A metric of operator '${operatorName}' needs a non-empty name`);
    if (names.has(name)) throw new Error(`Operator '${operatorName}' already has a metric named '${name}'; register each metric once, in open()`);
    const slots = target.register({ kind, operatorId, operatorName, name }, sample);
    names.add(name);
    return slots;
  };
  return {
    counter(name) {
      const { slots, offset } = register('counter', name);
      return new SlotCounter(slots, offset);
    },
    gauge(name, value) {
      if (typeof value !== 'function') throw new TypeError(`gauge('${name}') of operator '${operatorName}' needs a function that returns the value`);
      register('gauge', name, (slots, offset) => {
        try {
          slots[offset] = Number(value());
        } catch {
          slots[offset] = Number.NaN;
        }
      });
      return { getValue: () => Number(value()) };
    },
    histogram(name, windowSize = 1024) {
      if (!Number.isInteger(windowSize) || windowSize < 1) throw new RangeError(`histogram('${name}') of operator '${operatorName}' needs a window of at least 1 value, got ${windowSize}`);
      const histogram = new WindowHistogram(windowSize);
      register('histogram', name, (slots, offset) => histogram.writeTo(slots, offset));
      return histogram;
    },
    meter(name) {
      const meter = new SlotMeter();
      const { slots, offset } = register('meter', name, () => meter.sample(Date.now()));
      meter.slots = slots;
      meter.offset = offset;
      return meter;
    },
  };
}
