/**
 * RpcService: one per process. It owns one gRPC server on host:port that hosts every endpoint of
 * the process (each addressed by its endpoint id, carried in call metadata), and it connects to
 * endpoints anywhere, returning typed gateway proxies.
 *
 * Calls to an endpoint of this same RpcService skip the network (LocalTransport) but go through the
 * same CallRouter: same encoding, size checks, start/stop gating, fencing, ordering, deadlines and
 * error types as a remote call.
 *
 * Lifecycle: `RpcService.start()` binds the server; `stop()` stops every endpoint, then closes the
 * outgoing channels and the server.
 */
import * as grpc from '@grpc/grpc-js';
import { Configuration, silentLogger, type Logger } from '@eddy/common';
import { allGateways, eddy_rpc_v1, type GatewayDescriptor, type MethodDescriptor, type StreamServiceDescriptor } from '@eddy/proto';
import { CallRouter, HANDSHAKE_METHOD, RPC_PROTOCOL_VERSION } from './call-router.js';
import type { EndpointHost, HostedEndpoint } from './endpoint-host.js';
import { createGatewayProxy } from './gateway-proxy.js';
import { authClientInterceptor, authServerInterceptor } from './call-auth.js';
import { ENDPOINT_HEADER, FENCING_TOKEN_HEADER, GrpcTransport, grpcMessageLimit } from './grpc-transport.js';
import { formatHostPort, parseEndpointAddress } from './rpc-address.js';
import { codecFor } from './rpc-codec.js';
import { ERROR_TRAILER, errorToWire, RpcError } from './rpc-errors.js';
import { RpcOptions } from './rpc-options.js';
import { LocalTransport, type RpcTransport } from './rpc-transport.js';
import { grpcServiceFor, StreamClient, type StreamClientOptions, type StreamServiceHandlers } from './stream-service.js';
import { channelCredentials, TLS_CHANNEL_OPTIONS, type MutualTls } from './tls-credentials.js';
import { MutualTlsListener } from './tls-listener.js';

export interface RpcServiceOptions {
  /** Interface the server listens on. Default 127.0.0.1. */
  readonly bindHost?: string;
  /** Port to listen on; 0 picks a free one. Default 0. */
  readonly port?: number;
  /** Host other processes use to reach this one. Defaults to the bind host (127.0.0.1 for a wildcard bind). */
  readonly advertisedHost?: string;
  /** Source of rpc.* options. */
  readonly configuration?: Configuration;
  readonly logger?: Logger;
  /**
   * The cluster's security.auth.token ('' or absent: none). When set, the server refuses calls
   * that do not carry it and every outgoing call carries it (call-auth.ts).
   */
  readonly authToken?: string;
  /** Only for tests of the handshake: pretend to speak another protocol version. */
  readonly protocolVersion?: number;
  /**
   * Mutual TLS (tls-credentials.ts): the server takes only peers with a certificate of the
   * cluster's CA, and every channel out presents this one. Plaintext when absent.
   */
  readonly tls?: MutualTls;
}

const identity = (bytes: Buffer): Buffer => bytes;

export class RpcService implements EndpointHost {
  /** The process's logger, as given: endpoints and other components take their child loggers from it. */
  readonly logger: Logger;
  /** This service's own lines. */
  private readonly log: Logger;
  readonly askTimeoutMs: number;
  readonly maxMessageSize: number;
  private readonly router: CallRouter;
  private readonly localTransport: LocalTransport;
  private readonly remoteTransports = new Map<string, GrpcTransport>();
  /** Data channels (see StreamClientOptions), by host:port. */
  private readonly dataTransports = new Map<string, GrpcTransport>();
  private readonly server: grpc.Server;
  private readonly protocolVersion: number;
  /** What every outgoing channel gets: the auth interceptor when a token is set. */
  private readonly clientOptions: grpc.ClientOptions;
  /** Mutual TLS's: the credentials of every channel out, and the listener the server sits behind. */
  private readonly credentials: grpc.ChannelCredentials | undefined;
  private tlsListener: MutualTlsListener | undefined;
  private boundAddress = '';
  private advertisedAddress = '';
  private boundPort = 0;
  private stopping: Promise<void> | undefined;

  private constructor(options: RpcServiceOptions) {
    const configuration = options.configuration ?? Configuration.empty();
    this.askTimeoutMs = configuration.get(RpcOptions.askTimeout);
    this.maxMessageSize = configuration.get(RpcOptions.maxMessageSize);
    this.logger = options.logger ?? silentLogger();
    this.log = this.logger.child({ component: 'RpcService' });
    this.protocolVersion = options.protocolVersion ?? RPC_PROTOCOL_VERSION;
    this.credentials = options.tls === undefined ? undefined : channelCredentials(options.tls);
    this.router = new CallRouter(() => this.advertisedAddress, this.maxMessageSize, this.log, this.protocolVersion);
    this.localTransport = new LocalTransport(this.router);
    const limit = grpcMessageLimit(this.maxMessageSize);
    const authToken = options.authToken ?? '';
    this.clientOptions = authToken === '' ? {} : { interceptors: [authClientInterceptor(authToken)] };
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': limit,
      'grpc.max_send_message_length': limit,
      ...(authToken === '' ? {} : { interceptors: [authServerInterceptor(authToken, () => this.advertisedAddress, this.log)] }),
    });
    for (const gateway of allGateways) this.serveGateway(gateway);
  }

  /** Starts an RpcService listening on bindHost:port. */
  static async start(options: RpcServiceOptions = {}): Promise<RpcService> {
    const service = new RpcService(options);
    await service.bind(options.bindHost ?? '127.0.0.1', options.port ?? 0, options.advertisedHost, options.tls);
    return service;
  }

  /** `host:port` other processes reach this service under (the advertised address). */
  get address(): string {
    return this.advertisedAddress;
  }

  /** True when the server and every channel use mutual TLS. */
  get isSecure(): boolean {
    return this.credentials !== undefined;
  }

  /** `host:port` the server listens on. */
  get bindAddress(): string {
    return this.boundAddress;
  }

  get port(): number {
    return this.boundPort;
  }

  registerEndpoint(endpoint: HostedEndpoint): void {
    if (this.stopping !== undefined) throw new Error(`RpcService at ${this.address} is stopping; it hosts no new endpoints`);
    this.router.register(endpoint);
  }

  unregisterEndpoint(endpoint: HostedEndpoint): void {
    this.router.unregister(endpoint);
  }

  /**
   * Connects to the endpoint at `address` (`host:port/endpointId`) and returns a proxy for
   * `gateway`. Performs a handshake first: rejects when the endpoint does not exist, serves another
   * gateway (or another version of it), speaks another protocol version, or cannot be reached.
   * Calls made through the proxy carry `fencingToken`.
   */
  async connect<G>(address: string, gateway: GatewayDescriptor<G>, fencingToken?: string): Promise<G> {
    if (this.stopping !== undefined) throw new Error(`RpcService at ${this.address} is stopping; it makes no new connections`);
    const { hostPort, endpointId } = parseEndpointAddress(address);
    const transport = this.transportFor(hostPort);
    const target = { gateway: eddy_rpc_v1.RpcHandshake.name, address, endpointId, fencingToken: '' };
    const request: eddy_rpc_v1.HandshakeRequest = {
      endpointId,
      gateway: gateway.name,
      gatewayFingerprint: gateway.fingerprint,
      protocolVersion: this.protocolVersion,
    };
    const requestBytes = codecFor(HANDSHAKE_METHOD.requestType).encode(request);
    await transport.call(target, HANDSHAKE_METHOD, 'RpcHandshake.handshake', requestBytes, this.askTimeoutMs);
    this.log.debug({ address, gateway: gateway.name }, 'Connected to endpoint');
    return createGatewayProxy(gateway, { gateway: gateway.name, address, endpointId, fencingToken: fencingToken ?? '' }, transport, {
      askTimeoutMs: this.askTimeoutMs,
      maxMessageSize: this.maxMessageSize,
      logger: this.log,
    });
  }

  /** Stops every endpoint (running their onStop), then the outgoing channels and the server. */
  stop(): Promise<void> {
    this.stopping ??= this.runStop();
    return this.stopping;
  }

  private async runStop(): Promise<void> {
    // Endpoints get rpc.ask-timeout to stop; one stuck in onStart or onStop must not keep the
    // process from closing its server.
    const lingering = new Set(this.router.hostedEndpoints().map((endpoint) => endpoint.endpointId));
    let bound: NodeJS.Timeout | undefined;
    const closed = Promise.allSettled(
      this.router.hostedEndpoints().map((endpoint) =>
        endpoint.closeAsync().then(
          () => void lingering.delete(endpoint.endpointId),
          (error: unknown) => {
            lingering.delete(endpoint.endpointId);
            this.log.warn({ err: error, endpointId: endpoint.endpointId }, 'An endpoint did not stop cleanly');
          },
        ),
      ),
    );
    await Promise.race([closed, new Promise<void>((resolve) => (bound = setTimeout(resolve, this.askTimeoutMs)))]);
    clearTimeout(bound);
    if (lingering.size > 0) {
      this.log.warn({ endpointIds: [...lingering], waitedMs: this.askTimeoutMs }, 'Endpoints did not terminate in time; closing the RPC service anyway');
    }
    for (const transport of [...this.remoteTransports.values(), ...this.dataTransports.values()]) transport.close();
    this.remoteTransports.clear();
    this.dataTransports.clear();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 1000);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    await this.tlsListener?.close();
    this.log.info({ address: this.advertisedAddress }, 'RPC service stopped');
  }

  /**
   * Serves a streaming service (see stream-service.ts) on this RpcService's server. Each service
   * can be served once per process.
   */
  serveStreamService(descriptor: StreamServiceDescriptor, handlers: StreamServiceHandlers): void {
    if (this.stopping !== undefined) throw new Error(`RpcService at ${this.address} is stopping; it serves no new services`);
    const { definition, implementation } = grpcServiceFor(descriptor, handlers);
    this.server.addService(definition, implementation);
  }

  /**
   * A client for streaming services of the RpcService at `hostPort`: over the channel gateway calls
   * share, or over the data channel to it (see StreamClientOptions).
   */
  streamClient(hostPort: string, options: StreamClientOptions = {}): StreamClient {
    if (this.stopping !== undefined) throw new Error(`RpcService at ${this.address} is stopping; it makes no new connections`);
    if (options.dataChannel === undefined) return new StreamClient(this.grpcTransportFor(hostPort));
    let transport = this.dataTransports.get(hostPort);
    if (transport === undefined) {
      transport = new GrpcTransport(hostPort, this.maxMessageSize, {
        ...this.clientOptions,
        'grpc-node.flow_control_window': options.dataChannel.flowControlWindowBytes,
        'grpc.per_rpc_retry_buffer_size': 0,
        // Its own connection: grpc-js shares one between channels of equal options otherwise.
        'grpc.use_local_subchannel_pool': 1,
        ...(this.credentials === undefined ? {} : TLS_CHANNEL_OPTIONS),
      }, this.credentials);
      this.dataTransports.set(hostPort, transport);
    }
    return new StreamClient(transport);
  }

  private transportFor(hostPort: string): RpcTransport {
    if (hostPort === this.advertisedAddress || hostPort === this.boundAddress) return this.localTransport;
    return this.grpcTransportFor(hostPort);
  }

  private grpcTransportFor(hostPort: string): GrpcTransport {
    let transport = this.remoteTransports.get(hostPort);
    if (transport === undefined) {
      transport = new GrpcTransport(hostPort, this.maxMessageSize, { ...this.clientOptions, ...(this.credentials === undefined ? {} : TLS_CHANNEL_OPTIONS) }, this.credentials);
      this.remoteTransports.set(hostPort, transport);
    }
    return transport;
  }

  private async bind(bindHost: string, port: number, advertisedHost: string | undefined, tls: MutualTls | undefined): Promise<void> {
    const boundPort = tls !== undefined ? await this.bindTls(bindHost, port, tls) : await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(formatHostPort(bindHost, port), grpc.ServerCredentials.createInsecure(), (error, actualPort) => {
        if (error) reject(new Error(`RpcService could not listen on ${formatHostPort(bindHost, port)}: ${error.message}`, { cause: error }));
        else resolve(actualPort);
      });
    });
    const wildcard = bindHost === '0.0.0.0' || bindHost === '::';
    this.boundPort = boundPort;
    this.boundAddress = formatHostPort(bindHost, boundPort);
    this.advertisedAddress = formatHostPort(advertisedHost ?? (wildcard ? '127.0.0.1' : bindHost), boundPort);
    this.log.info({ bindAddress: this.boundAddress, advertisedAddress: this.advertisedAddress, tls: tls !== undefined }, 'RPC service listening');
  }

  /**
   * Mutual TLS: a node:tls listener does the handshake (so a refused peer is logged with its
   * address and the reason, which grpc-js's own TLS server keeps to itself) and hands each
   * accepted connection to the gRPC server, which speaks HTTP/2 over it.
   */
  private async bindTls(bindHost: string, port: number, tls: MutualTls): Promise<number> {
    const injector = this.server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    try {
      this.tlsListener = await MutualTlsListener.listen({
        tls,
        host: bindHost,
        port,
        name: 'RPC',
        alpnProtocols: ['h2'],
        logger: this.log,
        onConnection: (socket) => injector.injectConnection(socket),
      });
    } catch (error) {
      throw new Error(`RpcService could not listen on ${formatHostPort(bindHost, port)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return this.tlsListener.port;
  }

  /** Registers a gRPC service whose every method routes to the CallRouter. */
  private serveGateway(gateway: GatewayDescriptor<object>): void {
    const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const method of Object.values(gateway.methods) as MethodDescriptor[]) {
      definition[method.name] = {
        path: method.path,
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      };
      const routed = method.path === HANDSHAKE_METHOD.path ? HANDSHAKE_METHOD : method;
      implementation[method.name] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>): void => {
        const endpointId = call.metadata.get(ENDPOINT_HEADER)[0];
        const token = call.metadata.get(FENCING_TOKEN_HEADER)[0];
        this.router
          .serve(gateway.name, routed, typeof endpointId === 'string' ? endpointId : '', typeof token === 'string' ? token : '', call.request, true)
          .then(
            (response) => callback(null, response),
            (error: unknown) => callback(toServiceError(error)),
          );
      };
    }
    this.server.addService(definition, implementation);
  }
}

/** Longest status message sent; the full error rides in the trailer. */
const MAX_DETAILS = 1024;

function toServiceError(error: unknown): Partial<grpc.ServiceError> {
  const metadata = new grpc.Metadata();
  const message = error instanceof Error ? error.message : String(error);
  const details = message.length > MAX_DETAILS ? `${message.slice(0, MAX_DETAILS)}...` : message;
  if (error instanceof RpcError) {
    metadata.set(ERROR_TRAILER, errorToWire(error));
    return { code: error.code, details, metadata };
  }
  return { code: grpc.status.INTERNAL, details, metadata };
}
