/**
 * Fetch requests for the KafkaSource (and the tests' read_committed reader), and Kafka's
 * read_committed filter on the client side.
 *
 * Why not `Consumer#fetch`: with isolation level read_committed, @platformatic/kafka 1.x (up to
 * 1.35, its newest 1.x) filters each response itself and assumes every ABORT marker in it belongs
 * to a producer the broker listed in the partition's `abortedTransactions`. The broker lists only
 * aborted transactions that wrote records to the partition: a transaction that added the partition
 * and was aborted before its records landed there (a producer killed mid-send, then fenced, as
 * happens to an exactly-once sink on a TaskManager kill) leaves an ABORT marker of an unlisted
 * producer, and the client fails with "Cannot set properties of undefined". So `fetchRaw` sends the
 * same Fetch request through the client's own connections, API version negotiation and retries,
 * and answers the batches as the broker sent them; `AbortedTransactions` does the filtering.
 */
import { kGetApi, kGetConnection, kMetadata, kPerformWithRetry, UserError, type Callback, type Consumer, type Connection } from '@platformatic/kafka';

/** A Fetch response (topics by id, partitions with their record batches and aborted transactions). */
export type FetchResponse = Awaited<ReturnType<Consumer['fetch']>>;

export interface FetchPartition {
  readonly partition: number;
  readonly fetchOffset: bigint;
  readonly partitionMaxBytes: number;
}

export interface FetchRequest {
  /** The node id of the partitions' leader. */
  readonly node: number;
  readonly topics: readonly { readonly topicId: string; readonly partitions: readonly FetchPartition[] }[];
  readonly maxWaitTime: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  /** 0: read_uncommitted, 1: read_committed (the broker stops at the last stable offset and lists aborted transactions). */
  readonly isolationLevel: 0 | 1;
}

type FetchApi = (connection: Connection, ...args: [number, number, number, number, number, number, unknown[], unknown[], string, Callback<FetchResponse>]) => void;

/**
 * One Fetch request to `request.node`, with the client's request timeout and retries (its
 * `retries` and jittered `retryDelay`), without the client's read_committed filter: filter the
 * batches with AbortedTransactions.
 */
export function fetchRaw(consumer: Consumer, request: FetchRequest): Promise<FetchResponse> {
  const topics = request.topics.map(({ topicId, partitions }) => ({
    topicId,
    partitions: partitions.map(({ partition, fetchOffset, partitionMaxBytes }) => ({ partition, fetchOffset, partitionMaxBytes, currentLeaderEpoch: -1, lastFetchedEpoch: -1 })),
  }));
  return new Promise<FetchResponse>((resolve, reject) => {
    consumer[kPerformWithRetry]<FetchResponse>(
      'fetch',
      (retry) => {
        consumer[kMetadata]({ topics: [] }, (metadataError, metadata) => {
          if (metadataError !== null || metadata === undefined) return retry(metadataError ?? new Error('no cluster metadata'));
          const broker = metadata.brokers.get(request.node);
          if (broker === undefined) return retry(new UserError(`Cannot find broker with node id ${request.node}`));
          consumer[kGetConnection](broker, (connectionError, connection) => {
            if (connectionError !== null || connection === undefined) return retry(connectionError ?? new Error(`no connection to broker ${request.node}`));
            consumer[kGetApi]<unknown[], FetchResponse>('Fetch', (apiError, api) => {
              if (apiError !== null || api === undefined) return retry(apiError ?? new Error('no Fetch API'));
              (api as unknown as FetchApi)(connection, request.maxWaitTime, request.minBytes, request.maxBytes, request.isolationLevel, 0, 0, topics, [], '', retry);
            });
          });
        });
      },
      (error: Error | null, response?: FetchResponse) => (error !== null || response === undefined ? reject(error ?? new Error('empty Fetch response')) : resolve(response)),
      0,
    );
  });
}

/**
 * Kafka's read_committed filter on the client side (the Java consumer's): the broker lists the
 * aborted transactions that overlap the fetched range (producer id and first offset); a
 * transactional batch of such a producer at or after that offset is skipped until the producer's
 * next control marker. Feed it a partition's batches in offset order. As in the Java consumer, a
 * marker first takes in the listed transactions that began before it, so a fetch that starts
 * between an aborted transaction's first record and its marker ends it there, and a marker of a
 * producer not listed (an aborted transaction without records here) changes nothing.
 */
export class AbortedTransactions {
  private readonly pending: { producerId: bigint; firstOffset: bigint }[];
  private readonly active = new Set<bigint>();

  constructor(list: readonly { producerId: bigint; firstOffset: bigint }[] | undefined) {
    this.pending = [...(list ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  }

  /** For a transactional data batch: true when it belongs to an aborted transaction. */
  isAborted(producerId: bigint, offset: bigint): boolean {
    this.takeUpTo(offset);
    return this.active.has(producerId);
  }

  /** For a control batch (a transaction's COMMIT or ABORT marker) at `offset`. */
  onControl(producerId: bigint, offset: bigint): void {
    this.takeUpTo(offset);
    this.active.delete(producerId);
  }

  private takeUpTo(offset: bigint): void {
    while (this.pending.length > 0 && (this.pending[0] as { firstOffset: bigint }).firstOffset <= offset) this.active.add((this.pending.shift() as { producerId: bigint }).producerId);
  }
}
