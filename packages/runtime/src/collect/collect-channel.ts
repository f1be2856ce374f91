/**
 * CollectChannel: a task's way out for what its collect() sinks send, inside the task's worker
 * thread. Each batch is encoded once (msgpack), numbered (0, 1, 2, ...) and posted to the
 * TaskExecutor, which forwards it to the JobMaster and acknowledges it here once the JobManager
 * stored it. Batches posted but not yet acknowledged count against `maxInFlightBytes`
 * (collect-sink.max-in-flight-size): beyond it the channel is backpressured like a full network
 * output, so the task's source waits (or its inputs stop returning credit) until the JobManager,
 * and through it the job's client, has caught up.
 *
 * A batch is cut into parts of at most half the window (so one batch never fills it alone, and a
 * small window still fits a small JobManager buffer); a single record larger than that travels
 * alone. A refused batch (collect-sink.max-buffered-size too small for it) fails the channel: the error
 * goes to `onError` (the task fails with it), waiters reject and later sends throw.
 *
 * Threading: the task's event loop; acknowledgements arrive as port messages between its turns.
 * Per batch, not per record: one encode, one post, a few counters.
 */
import { pack } from 'msgpackr';

type Waiter = { resolve: () => void; reject: (error: unknown) => void };

export class CollectChannel {
  #nextSequence = 0;
  #inFlightBytes = 0;
  /** Sizes of the posted, unacknowledged batches, oldest first; acknowledgements come in order. */
  readonly #inFlight: { sequence: number; bytes: number }[] = [];
  #available: Waiter[] = [];
  #drained: Waiter[] = [];
  #failure: Error | undefined;
  #onError: ((error: Error) => void) | undefined;

  constructor(
    /** Posts batch `sequence` to the TaskExecutor; `batch` is the only view of its buffer, which may be transferred. */
    private readonly post: (sequence: number, batch: Uint8Array) => void,
    private readonly maxInFlightBytes: number,
  ) {}

  /** Where a failure of the channel goes (the task fails with it). */
  bind(onError: (error: Error) => void): void {
    this.#onError = onError;
  }

  /** Bytes posted and not yet acknowledged. */
  get inFlightBytes(): number {
    return this.#inFlightBytes;
  }

  /** Encodes and posts one batch of records, in parts when it is large. Throws once the channel failed. */
  send(records: unknown[]): void {
    if (this.#failure !== undefined) throw this.#failure;
    this.#sendPacked(records, pack(records));
  }

  #sendPacked(records: unknown[], packed: Uint8Array): void {
    const maxBatchBytes = Math.max(1, Math.floor(this.maxInFlightBytes / 2));
    if (packed.byteLength > maxBatchBytes && records.length > 1) {
      // Even parts by count; a part that is still too large (records of uneven size) is cut again.
      const parts = Math.min(records.length, Math.ceil(packed.byteLength / maxBatchBytes));
      const size = Math.ceil(records.length / parts);
      for (let start = 0; start < records.length; start += size) {
        const part = records.slice(start, start + size);
        this.#sendPacked(part, pack(part));
      }
      return;
    }
    // A copy of exactly the batch's bytes: msgpackr hands out a view into a buffer it reuses.
    const batch = new Uint8Array(packed);
    const sequence = this.#nextSequence++;
    this.#inFlight.push({ sequence, bytes: batch.byteLength });
    this.#inFlightBytes += batch.byteLength;
    this.post(sequence, batch);
  }

  /** True while the unacknowledged batches reach the window; also once the channel failed. */
  isBackPressured(): boolean {
    return this.#inFlightBytes >= this.maxInFlightBytes || this.#failure !== undefined;
  }

  /** Resolves once the channel is below its window; rejects when it fails first. */
  whenAvailable(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (!this.isBackPressured()) return Promise.resolve();
    return new Promise((resolve, reject) => this.#available.push({ resolve, reject }));
  }

  /** Resolves once every posted batch was acknowledged (before the task reports FINISHED). */
  finish(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#inFlight.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.#drained.push({ resolve, reject }));
  }

  /** The JobManager stored every batch up to `sequence`. */
  acknowledge(sequence: number): void {
    while (this.#inFlight.length > 0 && (this.#inFlight[0] as { sequence: number }).sequence <= sequence) {
      this.#inFlightBytes -= (this.#inFlight.shift() as { bytes: number }).bytes;
    }
    if (!this.isBackPressured()) this.#available = settle(this.#available);
    if (this.#inFlight.length === 0) this.#drained = settle(this.#drained);
  }

  /** The batches cannot be delivered (a refused batch, a task that ends): fails what waits and what comes. */
  fail(error: Error): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#available = settle(this.#available, error);
    this.#drained = settle(this.#drained, error);
    this.#onError?.(error);
  }
}

function settle(waiters: readonly Waiter[], error?: Error): Waiter[] {
  for (const waiter of waiters) {
    if (error === undefined) waiter.resolve();
    else waiter.reject(error);
  }
  return [];
}
