/**
 * The transaction calls an exactly-once KafkaSink makes outside a producer's own transaction
 * (Flink's FlinkKafkaInternalProducer.resumeTransaction and the abort of lingering transactions):
 *
 * - commitPrepared: commits a transaction a checkpoint prepared, by its transactional id,
 *   producer id and epoch (EndTxn straight to the transaction coordinator: a producer would first
 *   call InitProducerId, which aborts it). Committing one that was already committed succeeds.
 * - fence: InitProducerId for a transactional id: it aborts that id's open transaction and fences
 *   any producer still using it; answers the new epoch (0 for an id never used before).
 *
 * Every call has the client's request timeout, and a bounded number of retries with jittered,
 * growing delays for the errors that say "try again" (coordinator moving or loading, concurrent
 * transactions).
 */
import { Admin, Connection, endTxnV4, initProducerIdV4, type BaseOptions } from '@platformatic/kafka';
import { describeError } from './kafka-client-options.js';

/** What a checkpoint keeps of a prepared transaction. */
export interface PreparedTransaction {
  readonly transactionalId: string;
  /** A bigint, as text. */
  readonly producerId: string;
  readonly producerEpoch: number;
  /** The transaction protocol the producer wrote it with (1: Kafka's classic one, KIP-890's is 2). */
  readonly transactionVersion: number;
}

const TRANSACTION_KEY_TYPE = 1;
const RETRIABLE = /CONCURRENT_TRANSACTIONS|COORDINATOR_LOAD_IN_PROGRESS|NOT_COORDINATOR|COORDINATOR_NOT_AVAILABLE|timed out|ECONNREFUSED|ECONNRESET|Network|socket/i;
const ATTEMPTS = 20;

export class KafkaTransactions {
  private readonly admin: Admin;

  constructor(
    private readonly options: BaseOptions,
    private readonly transactionTimeoutMs: number,
  ) {
    this.admin = new Admin(options);
  }

  async commitPrepared(prepared: PreparedTransaction): Promise<void> {
    if (prepared.transactionVersion !== 1) throw new Error(`the checkpoint holds transaction ${prepared.transactionalId} of transaction protocol ${prepared.transactionVersion}, which this KafkaSink cannot commit`);
    await this.withCoordinator(prepared.transactionalId, `commit the prepared transaction ${prepared.transactionalId}`, (connection) =>
      endTxnV4.api.async(connection, prepared.transactionalId, BigInt(prepared.producerId), prepared.producerEpoch, true).then(() => undefined),
    );
  }

  /** Aborts `transactionalId`'s open transaction (if any) and fences its producers; the new epoch. */
  async fence(transactionalId: string): Promise<number> {
    return this.withCoordinator(transactionalId, `fence the transactional id ${transactionalId}`, async (connection) => {
      const response = await initProducerIdV4.api.async(connection, transactionalId, this.transactionTimeoutMs, -1n, -1);
      return response.producerEpoch;
    });
  }

  /** The broker's transaction.max.timeout.ms (undefined when it does not say). */
  async brokerMaxTransactionTimeoutMs(): Promise<number | undefined> {
    const metadata = await this.admin.metadata({ topics: [] });
    const [nodeId] = metadata.brokers.keys();
    if (nodeId === undefined) return undefined;
    const [described] = await this.admin.describeConfigs({ resources: [{ resourceType: 4, resourceName: String(nodeId), configurationKeys: ['transaction.max.timeout.ms'] }] });
    const value = described?.configs.find((config) => config.name === 'transaction.max.timeout.ms')?.value;
    return value === undefined || value === null ? undefined : Number(value);
  }

  async close(): Promise<void> {
    await this.admin.close().catch(() => undefined);
  }

  private async withCoordinator<R>(transactionalId: string, what: string, call: (connection: Connection) => Promise<R>): Promise<R> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      let connection: Connection | undefined;
      try {
        const [coordinator] = await this.admin.findCoordinator({ keyType: TRANSACTION_KEY_TYPE, keys: [transactionalId] });
        if (coordinator === undefined || coordinator.nodeId < 0) throw new Error('COORDINATOR_NOT_AVAILABLE');
        connection = new Connection(this.options.clientId, { connectTimeout: this.options.connectTimeout ?? 10_000, requestTimeout: this.options.timeout ?? 30_000 });
        await connection.connect(coordinator.host, coordinator.port);
        return await call(connection);
      } catch (error) {
        lastError = error;
        if (!RETRIABLE.test(describeError(error)) && !RETRIABLE.test(JSON.stringify(errorCodes(error)))) break;
        // Jittered, growing: the coordinator is loading or busy finishing an earlier transaction.
        await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2)));
      } finally {
        await connection?.close().catch(() => undefined);
      }
    }
    throw new Error(`KafkaSink could not ${what}: ${describeError(lastError)}`, { cause: lastError });
  }
}

/** Kafka error codes a ResponseError carries, named where they matter here. */
function errorCodes(error: unknown): string[] {
  const names: Record<number, string> = { 14: 'COORDINATOR_LOAD_IN_PROGRESS', 15: 'COORDINATOR_NOT_AVAILABLE', 16: 'NOT_COORDINATOR', 51: 'CONCURRENT_TRANSACTIONS' };
  const codes: string[] = [];
  const response = (error as { response?: { errorCode?: number } } | undefined)?.response;
  if (typeof response?.errorCode === 'number') codes.push(names[response.errorCode] ?? String(response.errorCode));
  return codes;
}
