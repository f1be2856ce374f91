/**
 * The shared memory of a task's user metrics (see @eddy/api's internal/user-metrics.ts for the
 * slot layouts): the parent allocates it, the worker's UserMetricsRegistrar hands out slots and
 * announces each metric to the parent once, in one message, when user code registers it; updates
 * are writes to the memory and no message. The worker samples gauges, histograms and meters once
 * per interval into their slots; the parent's metric registry reads the slots at each scrape.
 *
 * Values are plain Float64 writes by the one worker thread, read without Atomics, as Flink's
 * reporters read its SimpleCounter's plain long from another thread: a read may be a moment old.
 *
 * Loaded by task worker threads: imports only types.
 */
import type { UserMetricDefinition, UserMetricsBacking } from '@eddy/api/internal';

/** Slots of user metrics per task: 8 KiB of shared memory. */
export const USER_METRIC_SLOTS = 1024;
/** How often the worker samples gauges, histograms and meters. */
export const USER_METRIC_SAMPLE_INTERVAL_MS = 1000;

/** A metric the worker registered, and where its slots start. */
export interface UserMetricAnnouncement extends UserMetricDefinition {
  readonly offset: number;
}

export class UserMetricsRegion {
  /** Hand it to the worker (workerData) and wrap it there with `new UserMetricsRegion(buffer)`. */
  readonly buffer: SharedArrayBuffer;
  readonly slots: Float64Array;
  /** On the parent: the metrics the worker announced, in the order it registered them. */
  readonly announced: UserMetricAnnouncement[] = [];

  constructor(buffer?: SharedArrayBuffer) {
    const bytes = USER_METRIC_SLOTS * Float64Array.BYTES_PER_ELEMENT;
    if (buffer !== undefined && buffer.byteLength < bytes) throw new RangeError(`UserMetricsRegion needs a SharedArrayBuffer of ${bytes} bytes, got ${buffer.byteLength}`);
    this.buffer = buffer ?? new SharedArrayBuffer(bytes);
    this.slots = new Float64Array(this.buffer, 0, USER_METRIC_SLOTS);
  }
}

/** The worker's side: slots for the chain's user metrics (ChainContext.userMetrics) and their sampling timer. */
export class UserMetricsRegistrar implements UserMetricsBacking {
  #next = 0;
  readonly #samplers: { readonly offset: number; readonly sample: (slots: Float64Array, offset: number) => void }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly region: UserMetricsRegion,
    private readonly width: Readonly<Record<UserMetricDefinition['kind'], number>>,
    private readonly announce: (metric: UserMetricAnnouncement) => void,
    private readonly intervalMs = USER_METRIC_SAMPLE_INTERVAL_MS,
  ) {}

  register(definition: UserMetricDefinition, sample: ((slots: Float64Array, offset: number) => void) | undefined): { slots: Float64Array; offset: number } {
    const width = this.width[definition.kind];
    if (this.#next + width > USER_METRIC_SLOTS) {
      throw new RangeError(
        `Operator '${definition.operatorName}' cannot register ${definition.kind} '${definition.name}': the task's user metrics fill their ${USER_METRIC_SLOTS} slots ` +
          '(a counter or gauge takes 1, a meter 2, a histogram 10); register fewer metrics, once each in open()',
      );
    }
    const offset = this.#next;
    this.#next += width;
    if (sample !== undefined) {
      this.#samplers.push({ offset, sample });
      sample(this.region.slots, offset);
      if (!this.#closed) this.#timer ??= setInterval(() => this.sample(), this.intervalMs).unref();
    }
    this.announce({ ...definition, offset });
    return { slots: this.region.slots, offset };
  }

  /** Samples every gauge, histogram and meter into its slots. */
  sample(): void {
    for (const { offset, sample } of this.#samplers) sample(this.region.slots, offset);
  }

  /** The task ends: a last sample, and the timer stops. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.sample();
  }
}
