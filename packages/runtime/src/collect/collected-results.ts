/**
 * CollectedResults: what one job's collect() sinks sent, held on the JobManager until the client
 * that submitted the job has read it. Bounded in bytes (`collect-sink.max-buffered-size`): when
 * full, `offer` answers BUFFER_FULL and the batch's sender waits (the JobMaster holds the report,
 * the TaskExecutor sends it again, the sink's task is backpressured meanwhile), so nothing is
 * dropped and memory stays bounded.
 *
 * Batches get consecutive sequence numbers (0, 1, 2, ...) in the order they were stored. Readers
 * follow from a sequence number; the acknowledging reader (the submitting client) releases what
 * it has read. After the job ended, what is unread stays `collect-sink.retention`, then `expire()`
 * releases it. A reader that asks for a released batch gets CollectedResultsReleasedError: it is
 * told, never silently skipped.
 *
 * Each sending attempt numbers its batches too; `offer` stores a batch once, whatever the retries.
 *
 * Threading: used from the JobManager's event loop only (the JobMaster's and Dispatcher's
 * mailboxes and the stream handlers); everything here is synchronous except the waits.
 */
import type { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import { formatMemorySize } from '@eddy/common';
import { CollectSinkOptions } from './collect-sink-options.js';

/** Bytes counted per stored batch on top of its records (ids, numbers, array slot). */
const BATCH_OVERHEAD_BYTES = 128;

/** Which attempt of which collect sink subtask a batch came from. */
export interface CollectSource {
  readonly executionAttemptId: string;
  readonly vertexId: string;
  readonly subtask: number;
  readonly attempt: number;
}

/** The answers to ReportCollectedRecords (see jobmaster.proto). */
export type CollectOutcome = 'ACCEPTED' | 'DUPLICATE' | 'BUFFER_FULL' | 'UNKNOWN_ATTEMPT' | 'REFUSED';

export interface OfferResult {
  readonly outcome: Exclude<CollectOutcome, 'UNKNOWN_ATTEMPT'>;
  /** Why, for REFUSED. */
  readonly message?: string;
}

/** A reader asked for batches that were released. */
export class CollectedResultsReleasedError extends Error {
  override readonly name = 'CollectedResultsReleasedError';
}

export class CollectedResults {
  /** entries[0] has sequence number `first`. */
  private entries: dispatcher.CollectedBatch[] = [];
  private first = 0;
  private bytes = 0;
  /** Next batch number expected from each sending attempt. */
  private readonly expected = new Map<string, number>();
  private closedFlag = false;
  private expiredFlag = false;
  private readers: (() => void)[] = [];
  private roomWaiters: (() => void)[] = [];
  /** Most bytes held at any time; for tests and the log. */
  private peak = 0;

  constructor(
    readonly jobId: string,
    readonly maxBufferedBytes: number,
    readonly retentionMs: number,
  ) {}

  /** Bytes held now. */
  get bufferedBytes(): number {
    return this.bytes;
  }

  get peakBufferedBytes(): number {
    return this.peak;
  }

  /** Sequence number the next stored batch gets. */
  get end(): number {
    return this.first + this.entries.length;
  }

  /** Sequence number of the oldest batch still held (everything below was released). */
  get releasedUpTo(): number {
    return this.first;
  }

  /** The job ended: nothing more is stored; readers end once they have everything. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** True while the buffer cannot take a batch of `bytes`. */
  isFull(bytes: number): boolean {
    return this.entries.length > 0 && this.bytes + bytes + BATCH_OVERHEAD_BYTES > this.maxBufferedBytes;
  }

  /**
   * Stores batch `sequence` of `source` unless it was stored already (a retry), there is no room
   * now, or it can never fit or follows a gap (REFUSED, with the reason).
   */
  offer(source: CollectSource, sequence: number, batch: Uint8Array): OfferResult {
    const expected = this.expected.get(source.executionAttemptId) ?? 0;
    if (sequence < expected) return { outcome: 'DUPLICATE' };
    if (this.closedFlag) {
      return { outcome: 'REFUSED', message: `Job ${this.jobId} has ended; its collected results take no more batches` };
    }
    if (sequence > expected) {
      return {
        outcome: 'REFUSED',
        message: `Collect sink ${source.vertexId} (${source.subtask + 1}) attempt ${source.attempt} sent batch ${sequence} while batch ${expected} is missing; the batches in between were lost`,
      };
    }
    const size = batch.byteLength + BATCH_OVERHEAD_BYTES;
    if (size > this.maxBufferedBytes) {
      const key = CollectSinkOptions.maxBufferedSize.key;
      return {
        outcome: 'REFUSED',
        message: `A batch of ${formatMemorySize(size)} from collect sink ${source.vertexId} (${source.subtask + 1}) is larger than ${key} (${formatMemorySize(this.maxBufferedBytes)}) of job ${this.jobId}; raise ${key}`,
      };
    }
    if (this.isFull(batch.byteLength)) return { outcome: 'BUFFER_FULL' };
    this.expected.set(source.executionAttemptId, sequence + 1);
    this.entries.push({ vertexId: source.vertexId, subtask: source.subtask, attempt: source.attempt, batch, sequence: this.end });
    this.bytes += size;
    if (this.bytes > this.peak) this.peak = this.bytes;
    wakeAll(this.readers);
    this.readers = [];
    return { outcome: 'ACCEPTED' };
  }

  /**
   * The batches from sequence number `from` on. Throws CollectedResultsReleasedError when some of
   * them were released already.
   */
  since(from: number): { entries: dispatcher.CollectedBatch[]; next: number } {
    if (from < this.first) throw this.releasedError(from);
    return { entries: this.entries.slice(from - this.first), next: Math.max(from, this.end) };
  }

  /** The submitting client read everything below `upTo`: those batches are released. */
  acknowledge(upTo: number): void {
    const count = Math.min(upTo, this.end) - this.first;
    if (count <= 0) return;
    for (let i = 0; i < count; i++) this.bytes -= (this.entries[i] as dispatcher.CollectedBatch).batch.byteLength + BATCH_OVERHEAD_BYTES;
    this.entries = this.entries.slice(count);
    this.first += count;
    wakeAll(this.roomWaiters);
    this.roomWaiters = [];
  }

  /** The job ended; its readers end once they have what is stored. */
  close(): void {
    this.closedFlag = true;
    wakeAll(this.readers);
    this.readers = [];
    wakeAll(this.roomWaiters);
    this.roomWaiters = [];
  }

  /** The retention after the job's end passed: everything still held is released. */
  expire(): void {
    this.close();
    this.expiredFlag = true;
    this.acknowledge(this.end);
  }

  /** Resolves at the next stored batch, or when the job ends. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.readers.push(resolve));
  }

  /** Resolves when batches were released (room may have come), or when the job ends. */
  whenRoom(): Promise<void> {
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  private releasedError(from: number): CollectedResultsReleasedError {
    const what = `Collected results ${from} to ${this.first - 1} of job ${this.jobId} were released`;
    const key = CollectSinkOptions.retention.key;
    return new CollectedResultsReleasedError(
      this.expiredFlag
        ? `${what}: the job ended more than ${key} (${this.retentionMs} ms) ago and nobody read them; raise ${key} to keep unread results longer`
        : `${what} once the client that submitted the job had read them; only that client reads every batch (another reader has to keep up with it)`,
    );
  }
}

function wakeAll(waiters: readonly (() => void)[]): void {
  for (const wake of waiters) wake();
}
