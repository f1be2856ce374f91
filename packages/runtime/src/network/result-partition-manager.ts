/**
 * ResultPartitionManager: the partitions produced on this TaskManager, and the rendezvous between
 * their producers and the consumers that ask for their subpartitions (Flink's ResultPartitionManager
 * plus the retry-until-registered of its partition requests).
 *
 * Producers and consumers are deployed at the same time, so a request for a partition whose
 * producer has not registered yet waits, up to `taskmanager.network.request-timeout`. A partition
 * that was registered and then unregistered is released: requests for it fail at once, including
 * those still waiting.
 *
 * Connecting a subpartition makes a MessageChannel: one port goes to the producer (its
 * `deliverPort`, which posts it into the producer's worker thread), the other to whoever asked: the
 * local consumer, or the PartitionRequestServer that bridges it to a remote one.
 *
 * Threading: the TaskExecutor's event loop. Callbacks run from registerProducer() or a timer, never
 * from inside requestSubpartition().
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { PartitionNotFoundError } from './network-errors.js';

/** Hands a port of a subpartition's channel to the producer's task. */
export type ProducerPortDelivery = (subpartition: number, port: MessagePort) => void;

/** A request that may still be waiting; cancel() drops it without calling back. */
export interface PendingRequest {
  cancel(): void;
}

interface RegisteredProducer {
  readonly numberOfSubpartitions: number;
  readonly deliverPort: ProducerPortDelivery;
  readonly connected: Set<number>;
}

interface Waiter {
  readonly partitionId: string;
  readonly subpartition: number;
  readonly onConnected: (port: MessagePort) => void;
  readonly onError: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Released partition ids remembered (so late requests fail at once instead of waiting). */
const MAX_REMEMBERED_RELEASES = 10_000;

export class ResultPartitionManager {
  readonly #producers = new Map<string, RegisteredProducer>();
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #released = new Set<string>();
  #closed = false;

  constructor(
    /** This TaskManager's address, for error messages. */
    private readonly address: () => string,
    private readonly requestTimeoutMs: number,
  ) {}

  registerProducer(partitionId: string, numberOfSubpartitions: number, deliverPort: ProducerPortDelivery): void {
    if (this.#closed) throw new Error(`The network of TaskManager ${this.address()} is closed; it takes no producers`);
    if (this.#producers.has(partitionId)) throw new Error(`Partition ${partitionId} is already registered at TaskManager ${this.address()}`);
    if (!Number.isInteger(numberOfSubpartitions) || numberOfSubpartitions < 1) {
      throw new RangeError(`numberOfSubpartitions must be a whole number of at least 1, got ${numberOfSubpartitions}`);
    }
    this.#released.delete(partitionId);
    this.#producers.set(partitionId, { numberOfSubpartitions, deliverPort, connected: new Set() });
    const waiting = this.#waiters.get(partitionId);
    if (waiting === undefined) return;
    this.#waiters.delete(partitionId);
    for (const waiter of waiting) {
      clearTimeout(waiter.timer);
      waiter.timer = undefined;
      this.#connect(waiter);
    }
  }

  /** Releases a partition: requests for it, waiting or future, fail with PartitionNotFoundError. */
  unregisterProducer(partitionId: string): void {
    this.#producers.delete(partitionId);
    this.#released.add(partitionId);
    if (this.#released.size > MAX_REMEMBERED_RELEASES) {
      const oldest = this.#released.values().next();
      if (oldest.done !== true) this.#released.delete(oldest.value);
    }
    const waiting = this.#waiters.get(partitionId);
    if (waiting === undefined) return;
    this.#waiters.delete(partitionId);
    for (const waiter of waiting) {
      clearTimeout(waiter.timer);
      waiter.timer = undefined;
      waiter.onError(this.#releasedError(partitionId, waiter.subpartition));
    }
  }

  get registeredPartitions(): number {
    return this.#producers.size;
  }

  /**
   * Connects to a subpartition once its producer is registered: `onConnected` gets the consumer's
   * port, after the producer got the other. `onError` gets a PartitionNotFoundError when the
   * partition is released, does not register in time, has no such subpartition or the subpartition
   * is already consumed. Exactly one of them runs, on a later turn, unless the request is cancelled.
   */
  requestSubpartition(partitionId: string, subpartition: number, onConnected: (port: MessagePort) => void, onError: (error: Error) => void): PendingRequest {
    const waiter: Waiter = { partitionId, subpartition, onConnected, onError, timer: undefined };
    let cancelled = false;
    // The answer comes on a later turn even when it is known now: callers set up before they hear.
    const start = setImmediate(() => {
      if (cancelled) return;
      if (this.#closed) {
        onError(new PartitionNotFoundError(partitionId, subpartition, this.address(), 'released', 'the TaskManager network is closed'));
      } else if (this.#producers.has(partitionId)) {
        this.#connect(waiter);
      } else if (this.#released.has(partitionId)) {
        onError(this.#releasedError(partitionId, subpartition));
      } else {
        let waiting = this.#waiters.get(partitionId);
        if (waiting === undefined) this.#waiters.set(partitionId, (waiting = new Set()));
        waiting.add(waiter);
        waiter.timer = setTimeout(() => {
          waiter.timer = undefined;
          this.#removeWaiter(waiter);
          onError(
            new PartitionNotFoundError(
              partitionId,
              subpartition,
              this.address(),
              'timeout',
              `no producer registered it within ${this.requestTimeoutMs} ms; raise taskmanager.network.request-timeout if producers take longer to deploy`,
            ),
          );
        }, this.requestTimeoutMs);
      }
    });
    return {
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        clearImmediate(start);
        clearTimeout(waiter.timer);
        waiter.timer = undefined;
        this.#removeWaiter(waiter);
      },
    };
  }

  /** Fails every waiting request and forgets every producer. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const waiters = [...this.#waiters.values()].flatMap((set) => [...set]);
    this.#waiters.clear();
    this.#producers.clear();
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.timer = undefined;
      waiter.onError(new PartitionNotFoundError(waiter.partitionId, waiter.subpartition, this.address(), 'released', 'the TaskManager network is closed'));
    }
  }

  #connect(waiter: Waiter): void {
    const { partitionId, subpartition } = waiter;
    const producer = this.#producers.get(partitionId);
    if (producer === undefined) {
      waiter.onError(this.#releasedError(partitionId, subpartition));
      return;
    }
    if (!Number.isInteger(subpartition) || subpartition < 0 || subpartition >= producer.numberOfSubpartitions) {
      waiter.onError(
        new PartitionNotFoundError(partitionId, subpartition, this.address(), 'no such subpartition', `the partition has ${producer.numberOfSubpartitions} subpartitions`),
      );
      return;
    }
    if (producer.connected.has(subpartition)) {
      waiter.onError(new PartitionNotFoundError(partitionId, subpartition, this.address(), 'already consumed', 'another consumer is connected to it'));
      return;
    }
    producer.connected.add(subpartition);
    const { port1: producerPort, port2: consumerPort } = new MessageChannel();
    try {
      producer.deliverPort(subpartition, producerPort);
    } catch (error) {
      producerPort.close();
      consumerPort.close();
      waiter.onError(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    try {
      waiter.onConnected(consumerPort);
    } catch (error) {
      consumerPort.close();
      waiter.onError(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #removeWaiter(waiter: Waiter): void {
    const waiting = this.#waiters.get(waiter.partitionId);
    if (waiting === undefined) return;
    waiting.delete(waiter);
    if (waiting.size === 0) this.#waiters.delete(waiter.partitionId);
  }

  #releasedError(partitionId: string, subpartition: number): PartitionNotFoundError {
    return new PartitionNotFoundError(partitionId, subpartition, this.address(), 'released', 'its producer was unregistered (the producing task ended, failed or was canceled)');
  }
}
