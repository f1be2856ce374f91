/**
 * TaskManagerNetwork: the data plane of one TaskManager, on its TaskExecutor's thread (Flink's
 * NettyShuffleEnvironment with its connection manager). Records never pass through here one by
 * one: it connects the MessagePorts of producer and consumer tasks, and bridges the ports of
 * channels that cross TaskManagers to one stream per pair of TaskManagers.
 *
 * Lifecycle: start() serves NetworkService on the TaskManager's RpcService; close() fails what is
 * waiting, closes every connection (their channels fail) and forgets every producer. Close it
 * before stopping the RpcService: streams other TaskManagers hold open would otherwise keep the
 * server's graceful shutdown waiting until it is forced (a second).
 *
 * Within one TaskManager:
 *
 *     producer worker ◄─port─┐ MessageChannel ┌─port─► consumer worker
 *                            └────────────────┘   (the ports cross no thread of ours afterwards)
 *
 * Between TaskManagers A (consumer) and B (producer):
 *
 *     consumer worker ◄─► A: PartitionRequestClient ◄═ gRPC stream, one per (A, B) ═► B: PartitionRequestServer ◄─► producer worker
 *
 * The stream runs on a data channel of its own (StreamClientOptions.dataChannel) with a 16 MiB
 * receive window, so data neither waits behind control calls nor delays them. How many bytes are in
 * flight is bounded by the consumers' credits, not by gRPC: credits × segment size per channel.
 *
 * Threading: the TaskExecutor's event loop. `deliverPort` and `onError` callbacks run from network
 * events (ports, streams, timers), outside any endpoint's mailbox: a TaskExecutor that touches its
 * own state from them hands the work to its main thread (runAsync). They never run from inside
 * the call that registered them.
 */
import type { MessagePort } from 'node:worker_threads';
import { Configuration, silentLogger, type Logger } from '@eddy/common';
import { eddy_network_v1 as network, type eddy_network_v1 } from '@eddy/proto';
import * as grpc from '@grpc/grpc-js';
import { StreamCallError, type RpcService, type StreamWriter } from '@eddy/rpc';
import { NetworkOptions } from './network-options.js';
import { PartitionRequestClient } from './partition-request-client.js';
import { PartitionRequestServer } from './partition-request-server.js';
import { ResultPartitionManager, type PendingRequest, type ProducerPortDelivery } from './result-partition-manager.js';

/** Receive window of the data channel to another TaskManager. */
export const DATA_CHANNEL_FLOW_CONTROL_WINDOW_BYTES = 16 * 1024 * 1024;

export interface TaskManagerNetworkOptions {
  readonly rpcService: RpcService;
  readonly configuration?: Configuration;
  readonly logger?: Logger;
}

/** Which subpartition a consumer's input channel reads. */
export interface ConsumedSubpartition {
  /** `host:port` of the RpcService of the producer's TaskManager. */
  readonly producerAddress: string;
  readonly partitionId: string;
  readonly subpartition: number;
}

/** A consumer's connection in progress or made; cancel() gives it up (see connectConsumer). */
export interface ConsumerConnection {
  cancel(): void;
}

export class TaskManagerNetwork {
  readonly requestTimeoutMs: number;
  readonly #rpcService: RpcService;
  readonly #logger: Logger;
  readonly #partitions: ResultPartitionManager;
  readonly #clients = new Map<string, PartitionRequestClient>();
  readonly #servers = new Set<PartitionRequestServer>();
  #started = false;
  #closed = false;

  constructor(options: TaskManagerNetworkOptions) {
    this.#rpcService = options.rpcService;
    this.#logger = (options.logger ?? silentLogger()).child({ component: 'TaskManagerNetwork' });
    const configuration = options.configuration ?? Configuration.empty();
    this.requestTimeoutMs = configuration.get(NetworkOptions.requestTimeout);
    this.#partitions = new ResultPartitionManager(() => this.#rpcService.address, this.requestTimeoutMs);
  }

  /** Serves NetworkService, so other TaskManagers can consume partitions produced here. */
  start(): void {
    if (this.#started) return;
    if (this.#closed) throw new Error('The TaskManagerNetwork is closed');
    this.#started = true;
    this.#rpcService.serveStreamService(network.NetworkService, {
      openConnection: (requests: AsyncIterable<eddy_network_v1.ConsumerMessage>, out: StreamWriter<eddy_network_v1.ProducerMessage>) => this.#serve(requests, out),
    });
    this.#logger.info({ address: this.#rpcService.address }, 'TaskManager network started');
  }

  /**
   * A producer task was deployed here. Each consumer that connects to one of its subpartitions gets
   * a MessageChannel; `deliverPort` hands the producer's end to the task (the TaskExecutor posts it
   * into the producer's worker for ResultPartitionWriter.connectSubpartition). Throws when the
   * partition is registered already.
   */
  registerProducer(partitionId: string, numberOfSubpartitions: number, deliverPort: ProducerPortDelivery): void {
    this.#partitions.registerProducer(partitionId, numberOfSubpartitions, deliverPort);
    this.#logger.debug({ partitionId, numberOfSubpartitions }, 'Registered a result partition');
  }

  /**
   * The producer is gone (its task ended, failed or was canceled): consumers still waiting for it,
   * and any that ask later, fail with PartitionNotFoundError. Channels already connected end or fail
   * through their ports.
   */
  unregisterProducer(partitionId: string): void {
    this.#partitions.unregisterProducer(partitionId);
    this.#logger.debug({ partitionId }, 'Released a result partition');
  }

  /**
   * Connects a consumer's input channel to a subpartition. `deliverPort` gets the consumer's end
   * of the channel (the TaskExecutor posts it into the consumer's worker for
   * InputGate.connectChannel); `onError` runs at most once, when the channel cannot be connected
   * (PartitionNotFoundError: released, not registered within taskmanager.network.request-timeout,
   * no such subpartition, already consumed) or its connection to the producer's TaskManager is lost
   * (ConnectionLostError; the port is closed too, so the consumer's gate notices). Neither callback
   * runs after cancel().
   *
   * Locally, the consumer gets its port once the producer is registered. Remotely, it gets it at
   * once, and credits it grants wait on the producer's side until the producer is there.
   */
  connectConsumer(consumed: ConsumedSubpartition, deliverPort: (port: MessagePort) => void, onError: (error: Error) => void): ConsumerConnection {
    const { producerAddress, partitionId, subpartition } = consumed;
    let cancelled = false;
    const fail = (error: Error): void => {
      if (cancelled) return;
      cancelled = true;
      this.#logger.debug({ producerAddress, partitionId, subpartition, err: error }, 'Input channel failed');
      try {
        onError(error);
      } catch (callbackError) {
        // Not ours to handle, but the network's loops must not stop halfway for it.
        this.#logger.error({ producerAddress, partitionId, subpartition, err: callbackError }, 'The error callback of an input channel threw');
      }
    };
    if (this.#closed) {
      setImmediate(() => fail(new Error(`The network of TaskManager ${this.#rpcService.address} is closed`)));
      return { cancel: () => void (cancelled = true) };
    }
    let request: PendingRequest;
    if (producerAddress === this.#rpcService.address || producerAddress === this.#rpcService.bindAddress) {
      request = this.#partitions.requestSubpartition(partitionId, subpartition, deliverPort, fail);
    } else {
      try {
        request = this.#clientFor(producerAddress).requestSubpartition(partitionId, subpartition, deliverPort, fail);
      } catch (error) {
        // The RpcService is stopping: it opens no connections.
        setImmediate(() => fail(error instanceof Error ? error : new Error(String(error))));
        return { cancel: () => void (cancelled = true) };
      }
    }
    return {
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        request.cancel();
      },
    };
  }

  /** Fails what waits, closes every connection to and from other TaskManagers. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#partitions.close();
    for (const client of [...this.#clients.values()]) client.close();
    this.#clients.clear();
    for (const server of [...this.#servers]) server.close();
    this.#servers.clear();
    this.#logger.info({ address: this.#rpcService.address }, 'TaskManager network closed');
  }

  /** Addresses of the TaskManagers this one has a data connection to, as consumer (for tests and metrics). */
  get connectedTaskManagers(): string[] {
    return [...this.#clients.keys()];
  }

  /** Data connections other TaskManagers have open to this one, as producer (for tests and metrics). */
  get servedConnections(): number {
    return this.#servers.size;
  }

  #clientFor(producerAddress: string): PartitionRequestClient {
    let client = this.#clients.get(producerAddress);
    if (client === undefined || client.isClosed) {
      const streams = this.#rpcService.streamClient(producerAddress, { dataChannel: { flowControlWindowBytes: DATA_CHANNEL_FLOW_CONTROL_WINDOW_BYTES } });
      client = new PartitionRequestClient(producerAddress, streams, this.#logger, (closed) => {
        if (this.#clients.get(producerAddress) === closed) this.#clients.delete(producerAddress);
      });
      this.#clients.set(producerAddress, client);
      this.#logger.info({ remoteAddress: producerAddress }, 'Opened a data connection to a TaskManager');
    }
    return client;
  }

  async #serve(requests: AsyncIterable<eddy_network_v1.ConsumerMessage>, out: StreamWriter<eddy_network_v1.ProducerMessage>): Promise<void> {
    if (this.#closed) throw new Error(`The network of TaskManager ${this.#rpcService.address} is closed`);
    const server = new PartitionRequestServer(this.#partitions, out, this.#logger);
    this.#servers.add(server);
    try {
      await Promise.race([server.serve(requests), server.closed]);
    } finally {
      this.#servers.delete(server);
    }
    if (this.#closed) throw new StreamCallError(grpc.status.UNAVAILABLE, `The network of TaskManager ${this.#rpcService.address} was closed`);
  }
}
