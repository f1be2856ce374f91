/**
 * TaskManagerNetwork: the data plane of one TaskManager, on its TaskExecutor's thread (Flink's
 * NettyShuffleEnvironment with its connection manager). Records never pass through here one by
 * one: it connects the MessagePorts of producer and consumer tasks, and bridges the ports of
 * channels that cross TaskManagers to one TCP connection per pair of TaskManagers.
 *
 * Lifecycle: start() opens the data server (taskmanager.data.port, on the RpcService's bind host)
 * and serves the NetworkGateway on the RpcService, so consumers know where to connect;
 * close() fails what is waiting, closes the data server and every connection (their channels
 * fail) and forgets every producer.
 *
 * Within one TaskManager:
 *
 *     producer worker ◄─port─┐ MessageChannel ┌─port─► consumer worker
 *                            └────────────────┘   (the ports cross no thread of ours afterwards)
 *
 * Between TaskManagers A (consumer) and B (producer):
 *
 *     consumer worker ◄─► A: PartitionRequestClient ◄═ TCP, one per (A, B) ═► B: PartitionRequestServer ◄─► producer worker
 *
 * A asks B's NetworkGateway for B's data port once (within the request timeout), then
 * connects to that port on the host of B's RPC address. With security.ssl.internal.enabled the
 * connection is mutual TLS with the RPC's certificates (a MutualTlsListener of @eddy/rpc on B's
 * side); TLS is per socket, so the frames and batches on it are the same. Data never shares a connection with
 * control calls, and skips gRPC's framing, flow control and copies (per buffer that cost the
 * TaskExecutor's thread several times what a socket write does). How many bytes are in flight is
 * bounded by the consumers' credits: credits × segment size per channel.
 *
 * Threading: the TaskExecutor's event loop. `deliverPort` and `onError` callbacks run from network
 * events (ports, streams, timers), outside any endpoint's mailbox: a TaskExecutor that touches its
 * own state from them hands the work to its main thread (runAsync). They never run from inside
 * the call that registered them.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import type { MessagePort } from 'node:worker_threads';
import { Configuration, silentLogger, type Logger } from '@eddy/common';
import { eddy_network_v1 as network } from '@eddy/proto';
import { MutualTlsListener, pinRefusal, secureContextOptions, type MutualTls, type RpcService } from '@eddy/rpc';
import { authTokenOf } from '@eddy/cluster-common';
import { DataConnectionAuth } from './data-auth.js';
import { NETWORK_ENDPOINT_ID, NetworkEndpoint } from './network-endpoint.js';
import { NetworkOptions } from './network-options.js';
import { PartitionRequestClient } from './partition-request-client.js';
import { PartitionRequestServer } from './partition-request-server.js';
import { ResultPartitionManager, type PendingRequest, type ProducerPortDelivery } from './result-partition-manager.js';

/** How often an idle data connection is probed, so a peer that vanished is noticed. */
const KEEP_ALIVE_DELAY_MS = 10_000;

export interface TaskManagerNetworkOptions {
  readonly rpcService: RpcService;
  readonly configuration?: Configuration;
  readonly logger?: Logger;
  /** Mutual TLS on every data connection, both ways (security.ssl.internal.*); plain TCP when absent. */
  readonly tls?: MutualTls;
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
  readonly #dataPort: number;
  readonly #handshakeTimeoutMs: number;
  readonly #auth: DataConnectionAuth;
  readonly #tls: MutualTls | undefined;
  #dataServer: Server | undefined;
  #tlsServer: MutualTlsListener | undefined;
  #endpoint: NetworkEndpoint | undefined;
  #started = false;
  #closed = false;

  constructor(options: TaskManagerNetworkOptions) {
    this.#rpcService = options.rpcService;
    this.#logger = (options.logger ?? silentLogger()).child({ component: 'TaskManagerNetwork' });
    const configuration = options.configuration ?? Configuration.empty();
    this.requestTimeoutMs = configuration.get(NetworkOptions.requestTimeout);
    this.#dataPort = configuration.get(NetworkOptions.dataPort);
    this.#handshakeTimeoutMs = configuration.get(NetworkOptions.handshakeTimeout);
    this.#auth = new DataConnectionAuth(authTokenOf(configuration), this.#logger);
    this.#tls = options.tls === undefined ? undefined : { ...options.tls, handshakeTimeoutMs: this.#handshakeTimeoutMs };
    this.#partitions = new ResultPartitionManager(() => this.#rpcService.address, this.requestTimeoutMs);
  }

  /** Opens the data server and serves NetworkService, so other TaskManagers can consume partitions produced here. */
  async start(): Promise<void> {
    if (this.#started) return;
    if (this.#closed) throw new Error('The TaskManagerNetwork is closed');
    this.#started = true;
    const bindHost = hostOf(this.#rpcService.bindAddress);
    const tls = this.#tls;
    await (async () => {
      if (tls !== undefined) {
        this.#tlsServer = await MutualTlsListener.listen({ tls, host: bindHost, port: this.#dataPort, name: 'data', logger: this.#logger, onConnection: (socket) => this.#accept(socket) });
        return;
      }
      const server = createServer((socket) => this.#accept(socket));
      this.#dataServer = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.#dataPort, bindHost, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (error) => this.#logger.error({ err: error }, 'The data server failed'));
    })().catch((error: unknown) => {
      throw new Error(`The TaskManager's data server could not listen on ${bindHost}:${this.#dataPort} (taskmanager.data.port): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
    this.#endpoint = new NetworkEndpoint(this.#rpcService, () => this.dataPort);
    await this.#endpoint.start();
    this.#logger.info({ address: this.#rpcService.address, dataPort: this.dataPort, tls: tls !== undefined }, 'TaskManager network started');
  }

  /** Port of the data server; 0 before start(). */
  get dataPort(): number {
    if (this.#tlsServer !== undefined) return this.#tlsServer.port;
    const address = this.#dataServer?.address();
    return address !== null && typeof address === 'object' ? address.port : 0;
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
    this.#dataServer?.close();
    this.#tlsServer?.close().catch(() => undefined);
    this.#endpoint?.closeAsync().catch((error: unknown) => this.#logger.warn({ err: error }, 'The network endpoint did not stop cleanly'));
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
      client = new PartitionRequestClient(
        producerAddress,
        () => this.#connect(producerAddress),
        this.#logger,
        (closed) => {
          if (this.#clients.get(producerAddress) === closed) this.#clients.delete(producerAddress);
        },
        this.#auth.helloBody(),
      );
      this.#clients.set(producerAddress, client);
    }
    return client;
  }

  /** Asks the producer's TaskManager for its data port, then connects to it; both within the request timeout. */
  async #connect(producerAddress: string): Promise<Socket> {
    const deadline = Date.now() + this.requestTimeoutMs;
    const host = hostOf(producerAddress);
    let port = 0;
    let socket: Socket | undefined;
    let timer: NodeJS.Timeout | undefined;
    let expired = false;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        expired = true;
        socket?.destroy();
        reject(new Error(`no data connection to ${producerAddress} (data port ${port || 'unknown'}) within ${this.requestTimeoutMs} ms (taskmanager.network.request-timeout)`));
      }, this.requestTimeoutMs);
    });
    const connecting = (async (): Promise<Socket> => {
      const gateway = await this.#rpcService.connect(`${producerAddress}/${NETWORK_ENDPOINT_ID}`, network.NetworkGateway);
      ({ port } = await gateway.getDataPort({}, { timeoutMs: Math.max(1, deadline - Date.now()) }));
      return new Promise<Socket>((resolve, reject) => {
        if (expired) throw new Error('gave up waiting');
        const opened = this.#tls === undefined ? connect({ host, port, noDelay: true, keepAlive: true, keepAliveInitialDelay: KEEP_ALIVE_DELAY_MS }) : this.#connectTls(host, port, this.#tls);
        socket = opened;
        opened.once('error', reject);
        opened.once(this.#tls === undefined ? 'connect' : 'secureConnect', () => {
          opened.off('error', reject);
          opened.setNoDelay(true);
          opened.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
          resolve(opened);
        });
      });
    })();
    try {
      const connected = await Promise.race([connecting, timedOut]);
      const tls = this.#tls === undefined ? false : (connected as TLSSocket).getProtocol();
      this.#logger.info({ remoteAddress: producerAddress, dataAddress: `${host}:${port}`, tls }, 'Opened a data connection to a TaskManager');
      return connected;
    } finally {
      clearTimeout(timer);
      connecting.catch(() => undefined);
      timedOut.catch(() => undefined);
    }
  }

  /** A TLS connection to a data port: this TaskManager's certificate out, the producer's checked (tls-credentials.ts). */
  #connectTls(host: string, port: number, tls: MutualTls): TLSSocket {
    return connectTls({ host, port, ...secureContextOptions(tls), checkServerIdentity: (_host, certificate) => pinRefusal(tls, certificate) });
  }

  #accept(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    const server = new PartitionRequestServer(this.#partitions, socket, this.#logger, (closed) => this.#servers.delete(closed), this.#handshakeTimeoutMs, this.#auth);
    this.#servers.add(server);
  }
}

/** The host of a host:port (an IPv6 host without its brackets). */
function hostOf(hostPort: string): string {
  return hostPort.slice(0, hostPort.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1');
}
