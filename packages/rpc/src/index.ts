export { RpcService, type RpcServiceOptions } from './rpc-service.js';
export { RpcEndpoint, type EndpointState, type ScheduledTask } from './rpc-endpoint.js';
export { FencedRpcEndpoint } from './fenced-rpc-endpoint.js';
export type { EndpointHost, HostedEndpoint } from './endpoint-host.js';
export { RpcOptions } from './rpc-options.js';
export { parseEndpointAddress, formatHostPort, InvalidAddressError, type EndpointAddress } from './rpc-address.js';
export { RPC_PROTOCOL_VERSION } from './call-router.js';
export { RpcCallError } from './grpc-transport.js';
export * from './rpc-errors.js';
export { StreamClient, StreamCallError, type StreamWriter, type IncomingStream, type BidiStream, type StreamServiceHandlers, type StreamClientOptions } from './stream-service.js';
/** gRPC's status codes, which RPC and stream calls fail with: the rest of Eddy reaches grpc-js only through this package. */
export { status as GrpcStatus } from '@grpc/grpc-js';
export { AuthTokenCheck, bearer, AUTHORIZATION_HEADER } from './call-auth.js';
export { channelCredentials, pinRefusal, secureContextOptions, tlsFailureReason, type MutualTls } from './tls-credentials.js';
export { MutualTlsListener, type MutualTlsListenerOptions } from './tls-listener.js';
