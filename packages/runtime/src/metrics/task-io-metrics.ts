/**
 * Flink's task IO metrics of one execution attempt: numRecordsIn (records the task's input gates
 * handed to its chain) and numRecordsOut (records its result partitions serialized for consumers;
 * a broadcast record counts once per consumer subtask). A fully chained job therefore shows 0 and
 * 0, as in Flink: only records that cross a task boundary count.
 *
 * Counted in the task's worker thread and read on the TaskExecutor's thread, through a
 * SharedArrayBuffer both hold: counting costs no message and the TaskExecutor reads the current
 * values whenever it reports (each heartbeat to the JobMaster, and the attempt's terminal state,
 * which carries the final values). The record path adds per batch, never per record.
 *
 * Also numBytesIn and numBytesOut (the bytes of the buffers behind those records, per buffer), the
 * time the task waited for output credit (Flink's back-pressured time, see BackPressureTimer; the
 * TaskExecutor turns it into backPressuredTimeMsPerSecond, see task-metrics-view.ts) and the last
 * watermark the task emitted (currentOutputWatermark).
 *
 * Event time: the task's input watermark (Flink's currentInputWatermark gauge) and, when one input
 * channel holds it back, which one, set by the worker each time a watermark or watermark status
 * arrives (never per record); a source task sets the watermark it emits. The TaskExecutor sends
 * them with the counts (see TaskWatermarkGauge).
 *
 * Loaded by task worker threads: imports nothing.
 */

/** A monotonic count, as Flink's Counter. */
export interface Counter {
  inc(n: number): void;
  getCount(): number;
}

/** The values of a TaskIOMetrics at one moment. */
export interface TaskIOMetricsSnapshot {
  readonly numRecordsIn: number;
  readonly numRecordsOut: number;
  readonly numBytesIn: number;
  readonly numBytesOut: number;
  /** Microseconds the task waited for output credit since it started, including a wait in progress. */
  readonly backPressuredTimeUs: number;
}

const NUM_RECORDS_IN = 0;
const NUM_RECORDS_OUT = 1;
// The watermark gauge: its value (encoded, see encodeWatermark), the input gate and channel that
// hold it back (-1: none), and whether a watermark below the end of input ever reached the task.
const WATERMARK = 2;
const LAGGING_GATE = 3;
const LAGGING_CHANNEL = 4;
const WATERMARK_SEEN = 5;
const NUM_BYTES_IN = 6;
const NUM_BYTES_OUT = 7;
// Microseconds spent backpressured in waits that ended, and when the wait in progress began (epoch
// microseconds; 0: none).
const BACK_PRESSURED_US = 8;
const BACK_PRESSURED_SINCE_US = 9;
// The last watermark the task emitted (encoded), and whether it emitted one.
const OUTPUT_WATERMARK = 10;
const OUTPUT_WATERMARK_SEEN = 11;
const COUNTERS = 12;

/** Now, in microseconds since the epoch: comparable between threads (each has its own timeOrigin). */
export function epochMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

const MIN_ENCODED = -(2n ** 63n);
const MAX_ENCODED = 2n ** 63n - 1n;

/** Watermarks are epoch milliseconds; -Infinity and Infinity (end of input) take the ends of the range. */
function encodeWatermark(watermark: number): bigint {
  if (watermark === Number.NEGATIVE_INFINITY) return MIN_ENCODED;
  if (watermark === Number.POSITIVE_INFINITY) return MAX_ENCODED;
  return BigInt(Math.floor(watermark));
}

function decodeWatermark(encoded: bigint): number {
  if (encoded === MIN_ENCODED) return Number.NEGATIVE_INFINITY;
  if (encoded === MAX_ENCODED) return Number.POSITIVE_INFINITY;
  return Number(encoded);
}

/** The task's input watermark as last set; undefined until a watermark below the end of input reached it. */
export interface TaskWatermarkSnapshot {
  readonly currentInputWatermark: number;
  /** The input gate (index in the deployment's input gates) and its channel that hold the watermark back; -1 when none does. */
  readonly laggingGate: number;
  readonly laggingChannel: number;
}

/**
 * Flink's currentInputWatermark of one task, in the same shared memory as the counts. Each slot is
 * written and read atomically; a reader may see a watermark with the lagging channel of the
 * update before it, which a gauge tolerates.
 */
export class TaskWatermarkGauge {
  constructor(private readonly slots: BigInt64Array) {}

  /** Sets the input watermark and the channel holding it back (-1, -1: none); `watermark` may be +-Infinity. */
  set(watermark: number, laggingGate: number, laggingChannel: number): void {
    if (watermark > Number.NEGATIVE_INFINITY && watermark < Number.POSITIVE_INFINITY) Atomics.store(this.slots, WATERMARK_SEEN, 1n);
    Atomics.store(this.slots, LAGGING_GATE, BigInt(laggingGate));
    Atomics.store(this.slots, LAGGING_CHANNEL, BigInt(laggingChannel));
    Atomics.store(this.slots, WATERMARK, encodeWatermark(watermark));
  }

  /** Marks that a watermark below the end of input reached the task (on any channel). */
  markSeen(): void {
    Atomics.store(this.slots, WATERMARK_SEEN, 1n);
  }

  snapshot(): TaskWatermarkSnapshot | undefined {
    if (Atomics.load(this.slots, WATERMARK_SEEN) === 0n) return undefined;
    return {
      currentInputWatermark: decodeWatermark(Atomics.load(this.slots, WATERMARK)),
      laggingGate: Number(Atomics.load(this.slots, LAGGING_GATE)),
      laggingChannel: Number(Atomics.load(this.slots, LAGGING_CHANNEL)),
    };
  }
}

/**
 * Flink's back-pressured time of a task: the time it waits for output credit (its outputs' queues
 * are full and it awaits their availability). start() and stop() run in the worker once per wait,
 * never per record; nested waits (a source's and its chain's) count once.
 */
export class BackPressureTimer {
  #depth = 0;

  constructor(private readonly slots: BigInt64Array) {}

  start(): void {
    if (this.#depth++ === 0) Atomics.store(this.slots, BACK_PRESSURED_SINCE_US, BigInt(epochMicros()));
  }

  stop(): void {
    if (this.#depth === 0 || --this.#depth > 0) return;
    const since = Number(Atomics.load(this.slots, BACK_PRESSURED_SINCE_US));
    Atomics.add(this.slots, BACK_PRESSURED_US, BigInt(Math.max(0, epochMicros() - since)));
    Atomics.store(this.slots, BACK_PRESSURED_SINCE_US, 0n);
  }

  /** Microseconds backpressured so far, a wait in progress included (read on any thread). */
  timeUs(): number {
    const since = Number(Atomics.load(this.slots, BACK_PRESSURED_SINCE_US));
    const ended = Number(Atomics.load(this.slots, BACK_PRESSURED_US));
    return since === 0 ? ended : ended + Math.max(0, epochMicros() - since);
  }
}

/** Flink's currentOutputWatermark of a task: the last watermark it emitted; undefined before the first. */
export class OutputWatermarkGauge {
  constructor(private readonly slots: BigInt64Array) {}

  set(watermark: number): void {
    Atomics.store(this.slots, OUTPUT_WATERMARK, encodeWatermark(watermark));
    Atomics.store(this.slots, OUTPUT_WATERMARK_SEEN, 1n);
  }

  value(): number | undefined {
    if (Atomics.load(this.slots, OUTPUT_WATERMARK_SEEN) === 0n) return undefined;
    return decodeWatermark(Atomics.load(this.slots, OUTPUT_WATERMARK));
  }
}

/**
 * One slot of a BigInt64Array over shared memory. Atomics keep a read on the other thread from
 * ever seeing half of a write; BigInt keeps counts exact past 2^53 in principle and costs one
 * small allocation per batch.
 */
class SharedCounter implements Counter {
  constructor(
    private readonly counts: BigInt64Array,
    private readonly index: number,
  ) {}

  inc(n: number): void {
    Atomics.add(this.counts, this.index, BigInt(n));
  }

  getCount(): number {
    return Number(Atomics.load(this.counts, this.index));
  }
}

export class TaskIOMetrics {
  /** The shared memory; hand it to the worker (workerData) and wrap it there with `new TaskIOMetrics(buffer)`. */
  readonly buffer: SharedArrayBuffer;
  readonly numRecordsIn: Counter;
  readonly numRecordsOut: Counter;
  readonly numBytesIn: Counter;
  readonly numBytesOut: Counter;
  readonly backPressure: BackPressureTimer;
  readonly currentInputWatermark: TaskWatermarkGauge;
  readonly currentOutputWatermark: OutputWatermarkGauge;

  /** Fresh counters at zero (and no watermark), or a view of the ones another thread created. */
  constructor(buffer?: SharedArrayBuffer) {
    const bytes = COUNTERS * BigInt64Array.BYTES_PER_ELEMENT;
    if (buffer !== undefined && buffer.byteLength < bytes) {
      throw new RangeError(`TaskIOMetrics needs a SharedArrayBuffer of ${bytes} bytes, got ${buffer.byteLength}`);
    }
    this.buffer = buffer ?? new SharedArrayBuffer(bytes);
    const counts = new BigInt64Array(this.buffer, 0, COUNTERS);
    if (buffer === undefined) {
      counts[WATERMARK] = MIN_ENCODED;
      counts[LAGGING_GATE] = -1n;
      counts[LAGGING_CHANNEL] = -1n;
    }
    this.numRecordsIn = new SharedCounter(counts, NUM_RECORDS_IN);
    this.numRecordsOut = new SharedCounter(counts, NUM_RECORDS_OUT);
    this.numBytesIn = new SharedCounter(counts, NUM_BYTES_IN);
    this.numBytesOut = new SharedCounter(counts, NUM_BYTES_OUT);
    this.backPressure = new BackPressureTimer(counts);
    this.currentInputWatermark = new TaskWatermarkGauge(counts);
    this.currentOutputWatermark = new OutputWatermarkGauge(counts);
  }

  snapshot(): TaskIOMetricsSnapshot {
    return {
      numRecordsIn: this.numRecordsIn.getCount(),
      numRecordsOut: this.numRecordsOut.getCount(),
      numBytesIn: this.numBytesIn.getCount(),
      numBytesOut: this.numBytesOut.getCount(),
      backPressuredTimeUs: this.backPressure.timeUs(),
    };
  }
}
