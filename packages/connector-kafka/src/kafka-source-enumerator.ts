/**
 * KafkaSourceEnumerator (Flink's): the JobMaster's side of a KafkaSource. It lists the source's
 * partitions (its topics, or every topic matching its pattern) at start and, for an unbounded read,
 * every `partition.discovery.interval.ms`; resolves where each new partition starts (the source's
 * starting offsets in the first discovery, the earliest offset for partitions found later, as
 * Flink does, so records written to a new partition before it was found are read) and, bounded,
 * where it stops; and hands each partition to exactly one reader subtask (KafkaSplitAssignment).
 *
 * It runs in the JobManager, built by the runtime from the source's settings in the job's plan
 * (KafkaSource.splitEnumerator()): no job code runs there, and its Kafka client runs in a worker
 * thread of its own (DiscoveryThread, kafka-discovery-worker.ts), so a client that misbehaves ends
 * that thread, never the JobManager. Every discovery has a deadline (`request.timeout.ms` + 1 s;
 * past it the thread is terminated); a discovery that fails is tried again after a jittered,
 * growing delay, with a log line saying what it waits for, and after DISCOVERY_ATTEMPTS failures
 * the job fails (its restart strategy decides) with the bootstrap servers and the cause. A topic
 * that does not exist fails it at once. close() ends the thread (closing its clients) and the
 * timers; the JobMaster calls it when the job ends.
 *
 * Threading: the owner's main thread. Discovery results are applied through `runInMainThread`, and
 * dropped when the enumerator was restarted or closed since (a generation number).
 */
import { Worker } from 'node:worker_threads';
import { BOOTSTRAP_SERVERS, PARTITION_DISCOVERY_INTERVAL_MS, REQUEST_TIMEOUT_MS, wholeProperty } from './kafka-client-options.js';
import type { DiscoveryRequest } from './kafka-discovery-worker.js';
import { KafkaSplitAssignment, splitId, type KafkaEnumeratorSettings, type KafkaPartitionSplit, type KafkaSourceEnumState } from './kafka-split-assignment.js';

export { KAFKA_ENUMERATOR_KIND, type KafkaEnumeratorSettings } from './kafka-split-assignment.js';

/** What the enumerator needs of the JobMaster. */
export interface KafkaEnumeratorContext {
  /** Runs `fn` in the owner's main thread. */
  runInMainThread(fn: () => void): void;
  /** Runs `fn` in the owner's main thread after `delayMs`. */
  schedule(fn: () => void, delayMs: number): { cancel(): void };
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  /** New splits are waiting for some subtasks, or none can come any more (answer the requests held). */
  splitsAvailable(): void;
  /** Fails the job (its restart strategy decides what next). */
  failJob(cause: Error): void;
}

export const DEFAULT_DISCOVERY_INTERVAL_MS = 300_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Attempts of one discovery before the job fails. */
export const DISCOVERY_ATTEMPTS = 3;
const RETRY_INITIAL_MS = 500;
const RETRY_MAX_MS = 5_000;
/** Longest close() waits for the discovery thread to close its Kafka clients before it ends it. */
const CLOSE_TIMEOUT_MS = 5_000;

export class KafkaSourceEnumerator {
  private assignment: KafkaSplitAssignment;
  private generation = 0;
  private timer: { cancel(): void } | undefined;
  private readonly thread: DiscoveryThread;
  private closed = false;
  private readonly properties: ReadonlyMap<string, string>;
  private readonly pattern: RegExp | undefined;
  private readonly discoveryIntervalMs: number;
  private readonly deadlineMs: number;

  constructor(
    private readonly settings: KafkaEnumeratorSettings,
    readonly parallelism: number,
    private readonly context: KafkaEnumeratorContext,
  ) {
    this.properties = new Map(Object.entries(settings.properties));
    if (this.properties.get(BOOTSTRAP_SERVERS) === undefined) throw new Error('the KafkaSource in the plan has no bootstrap servers');
    this.pattern = settings.topicPattern === undefined ? undefined : new RegExp(settings.topicPattern.source, settings.topicPattern.flags);
    this.discoveryIntervalMs = settings.bounded ? 0 : wholeProperty(this.properties, PARTITION_DISCOVERY_INTERVAL_MS, DEFAULT_DISCOVERY_INTERVAL_MS);
    this.deadlineMs = wholeProperty(this.properties, REQUEST_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS) + 1_000;
    this.assignment = new KafkaSplitAssignment(parallelism);
    this.thread = new DiscoveryThread(settings);
  }

  /**
   * (Re)starts from `restored` (a checkpoint's state; undefined: nothing known) with a discovery now.
   * Splits handed out before are forgotten: the JobMaster calls it when it (re)deploys the readers.
   */
  start(restored?: KafkaSourceEnumState): void {
    if (this.closed) return;
    this.stop();
    this.assignment = new KafkaSplitAssignment(this.parallelism, restored);
    if (restored !== undefined && restored.splits.length > 0) this.context.splitsAvailable();
    // Bounded: one discovery, unless the restored state has it already.
    if (this.settings.bounded && this.assignment.initialDiscoveryFinished) return;
    this.discover(this.generation, 1);
  }

  /** Stops discovering (the job fails over or ends) until start(). */
  stop(): void {
    this.generation++;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** The next split for `subtask` (id and JSON); moreMayCome false once none can come any more. */
  nextSplit(subtask: number): { readonly split: { readonly id: string; readonly split: string } | undefined; readonly moreMayCome: boolean } {
    const next = this.assignment.nextSplit(subtask);
    if (next !== undefined) return { split: { id: splitId(next.topic, next.partition), split: JSON.stringify(next) }, moreMayCome: true };
    return { split: undefined, moreMayCome: this.moreMayCome };
  }

  /** False once a bounded source's partitions are all known: a subtask with none waiting gets no more. */
  get moreMayCome(): boolean {
    return !(this.settings.bounded && this.assignment.initialDiscoveryFinished);
  }

  hasPending(subtask: number): boolean {
    return this.assignment.hasPending(subtask);
  }

  snapshotState(): KafkaSourceEnumState {
    return this.assignment.snapshot();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stop();
    await this.thread.close();
  }

  private discover(generation: number, attempt: number): void {
    const initial = !this.assignment.initialDiscoveryFinished;
    this.thread.list(this.assignment.knownIds(), initial, this.deadlineMs).then(
      (splits) =>
        this.context.runInMainThread(() => {
          if (generation !== this.generation || this.closed) return;
          const added = this.assignment.addDiscovered(splits);
          if (added.length > 0) this.context.info({ partitions: added.map((split) => splitId(split.topic, split.partition)), bootstrapServers: this.servers }, 'Discovered new Kafka partitions');
          if (added.length > 0 || !this.moreMayCome) this.context.splitsAvailable();
          if (this.discoveryIntervalMs > 0) this.timer = this.context.schedule(() => this.discover(generation, 1), this.discoveryIntervalMs);
        }),
      (error: unknown) =>
        this.context.runInMainThread(() => {
          if (generation !== this.generation || this.closed) return;
          const cause = `KafkaSourceEnumerator could not read the partitions of ${this.describeTopics()} from the Kafka brokers at ${this.servers}: ${(error as Error).message}`;
          if (!(error as DiscoveryFailure).retriable || attempt >= DISCOVERY_ATTEMPTS) {
            this.stop();
            this.context.failJob(new Error(cause, { cause: error }));
            return;
          }
          const delayMs = Math.round(Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
          this.context.warn(
            { bootstrapServers: this.servers, attempt, attempts: DISCOVERY_ATTEMPTS, delayMs, err: (error as Error).message },
            'Kafka partition discovery failed; waiting for the Kafka brokers to answer before trying again',
          );
          this.timer = this.context.schedule(() => this.discover(generation, attempt + 1), delayMs);
        }),
    );
  }

  private get servers(): string {
    return this.properties.get(BOOTSTRAP_SERVERS) as string;
  }

  private describeTopics(): string {
    return this.pattern !== undefined ? `the topics matching ${String(this.pattern)}` : `topic(s) ${(this.settings.topics ?? []).join(', ')}`;
  }
}

/** A failed discovery; `retriable` false when trying again cannot help. */
interface DiscoveryFailure extends Error {
  readonly retriable: boolean;
}

function discoveryFailure(message: string, retriable: boolean): DiscoveryFailure {
  return Object.assign(new Error(message), { retriable });
}

/**
 * The worker thread the Kafka calls run in, started at the first discovery and again after it
 * died or was terminated at a deadline. Every request has a deadline; the thread's death rejects
 * what is pending. Threading: the owner's main thread.
 */
class DiscoveryThread {
  private worker: Worker | undefined;
  private lastId = 0;
  private readonly pending = new Map<number, { resolve(splits: KafkaPartitionSplit[]): void; reject(error: Error): void; timer: NodeJS.Timeout }>();

  constructor(private readonly settings: KafkaEnumeratorSettings) {}

  /** The partitions not in `known` with where they start (see KafkaPartitionLister); rejects with a DiscoveryFailure. */
  list(known: readonly string[], initial: boolean, deadlineMs: number): Promise<KafkaPartitionSplit[]> {
    const worker = this.started();
    const id = ++this.lastId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // A call that does not return: the thread goes, with its clients; the next discovery starts another.
        this.fail(discoveryFailure(`listing the partitions took longer than ${deadlineMs} ms (request.timeout.ms + 1 s)`, true));
        void worker.terminate();
      }, deadlineMs);
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage({ type: 'list', id, known, initial } satisfies DiscoveryRequest);
    });
  }

  /** Closes the thread's Kafka clients (waiting at most a few seconds) and ends it. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.fail(discoveryFailure('the enumerator was closed', false));
    if (worker === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => {
        worker.on('message', (message: { type?: string }) => message.type === 'closed' && resolve());
        worker.once('exit', () => resolve());
        worker.postMessage({ type: 'close' } satisfies DiscoveryRequest);
      }),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    await worker.terminate();
  }

  private started(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(new URL('./kafka-discovery-worker.js', import.meta.url), { workerData: { settings: this.settings } });
    worker.on('message', (message: { id?: number; splits?: KafkaPartitionSplit[]; error?: { message: string; retriable: boolean } }) => {
      const request = message.id === undefined ? undefined : this.pending.get(message.id);
      if (request === undefined) return;
      this.pending.delete(message.id as number);
      clearTimeout(request.timer);
      if (message.error !== undefined) request.reject(discoveryFailure(message.error.message, message.error.retriable));
      else request.resolve(message.splits ?? []);
    });
    worker.on('error', (error) => {
      if (this.worker === worker) this.worker = undefined;
      this.fail(discoveryFailure(`the Kafka discovery thread failed: ${error.message}`, true));
    });
    worker.on('exit', () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.fail(discoveryFailure('the Kafka discovery thread ended', true));
    });
    this.worker = worker;
    return worker;
  }

  private fail(error: DiscoveryFailure): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const request of pending) {
      clearTimeout(request.timer);
      request.reject(error);
    }
  }
}
