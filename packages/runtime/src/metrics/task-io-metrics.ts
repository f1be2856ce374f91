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
}

const NUM_RECORDS_IN = 0;
const NUM_RECORDS_OUT = 1;
const COUNTERS = 2;

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

  /** Fresh counters at zero, or a view of counters another thread created. */
  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(COUNTERS * BigInt64Array.BYTES_PER_ELEMENT)) {
    if (buffer.byteLength < COUNTERS * BigInt64Array.BYTES_PER_ELEMENT) {
      throw new RangeError(`TaskIOMetrics needs a SharedArrayBuffer of ${COUNTERS * BigInt64Array.BYTES_PER_ELEMENT} bytes, got ${buffer.byteLength}`);
    }
    this.buffer = buffer;
    const counts = new BigInt64Array(buffer, 0, COUNTERS);
    this.numRecordsIn = new SharedCounter(counts, NUM_RECORDS_IN);
    this.numRecordsOut = new SharedCounter(counts, NUM_RECORDS_OUT);
  }

  snapshot(): TaskIOMetricsSnapshot {
    return { numRecordsIn: this.numRecordsIn.getCount(), numRecordsOut: this.numRecordsOut.getCount() };
  }
}
