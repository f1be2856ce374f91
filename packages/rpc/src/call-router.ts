/**
 * The server side of every call, remote or local: finds the endpoint, checks the gateway, decodes
 * the request, hands it to the endpoint's mailbox, and encodes the response within the size limit.
 * Both the gRPC server and the in-process transport call `serve`, so a local call behaves exactly
 * like a remote one apart from the network hop.
 */
import type { Logger } from '@eddy/common';
import { eddy_rpc_v1, type MethodDescriptor } from '@eddy/proto';
import type { HostedEndpoint } from './endpoint-host.js';
import { codecFor } from './rpc-codec.js';
import {
  GatewayMismatchError,
  MalformedPayloadError,
  MessageTooLargeError,
  ProtocolVersionMismatchError,
  RemoteHandlerError,
  RpcError,
  UnknownEndpointError,
} from './rpc-errors.js';

/** Version of the RPC layer's own protocol (metadata, handshake, error trailers). */
export const RPC_PROTOCOL_VERSION = 1;

/** The handshake method, served by every RpcService. */
export const HANDSHAKE_METHOD: MethodDescriptor = eddy_rpc_v1.RpcHandshake.methods.handshake;

const EMPTY = Buffer.alloc(0);

export class CallRouter {
  private readonly endpoints = new Map<string, HostedEndpoint>();

  constructor(
    private readonly addressOf: () => string,
    private readonly maxMessageSize: number,
    private readonly logger: Logger,
    private readonly protocolVersion: number = RPC_PROTOCOL_VERSION,
  ) {}

  register(endpoint: HostedEndpoint): void {
    if (this.endpoints.has(endpoint.endpointId)) {
      throw new Error(`An endpoint with id '${endpoint.endpointId}' is already hosted at ${this.addressOf()}; endpoint ids must be unique per RpcService`);
    }
    this.endpoints.set(endpoint.endpointId, endpoint);
  }

  unregister(endpoint: HostedEndpoint): void {
    if (this.endpoints.get(endpoint.endpointId) === endpoint) this.endpoints.delete(endpoint.endpointId);
  }

  hostedEndpoints(): HostedEndpoint[] {
    return [...this.endpoints.values()];
  }

  /**
   * Serves one call of `method` of `gateway` on endpoint `endpointId`. Resolves to the encoded
   * response (empty for one-way methods, which resolve as soon as the call is in the mailbox);
   * rejects with an RpcError.
   */
  serve(gatewayName: string, method: MethodDescriptor, endpointId: string, fencingToken: string, request: Uint8Array, fromNetwork: boolean): Promise<Buffer> {
    if (method === HANDSHAKE_METHOD) return this.handshake(request);
    const endpoint = this.endpoints.get(endpointId);
    if (endpoint === undefined) return Promise.reject(this.unknownEndpoint(endpointId));
    const label = `${gatewayName.slice(gatewayName.lastIndexOf('.') + 1)}.${method.name}`;
    if (endpoint.gateway.name !== gatewayName) {
      return Promise.reject(this.gatewayMismatch(endpoint, gatewayName, endpoint.gateway.fingerprint));
    }
    let decoded: unknown;
    try {
      decoded = codecFor(method.requestType).decode(request);
    } catch (error) {
      return Promise.reject(this.malformed(label, method.requestType, error));
    }
    if (this.logger.isLevelEnabled('debug')) {
      this.logger.debug({ endpointId, method: label, bytes: request.length, local: !fromNetwork }, 'Serving RPC');
    }
    const handled = endpoint.dispatch(method, decoded, fencingToken, fromNetwork);
    if (method.oneWay) {
      handled.then(undefined, (error: unknown) => this.logger.warn({ err: error, endpointId, method: label }, 'One-way RPC failed at its receiver'));
      return Promise.resolve(EMPTY);
    }
    return handled.then((result) => this.encodeResponse(label, method, result));
  }

  private encodeResponse(label: string, method: MethodDescriptor, result: unknown): Buffer {
    let bytes: Buffer;
    try {
      bytes = codecFor(method.responseType).encode(result);
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      throw new RemoteHandlerError({
        method: label,
        address: this.addressOf(),
        remoteName: err.name,
        remoteMessage: `the handler's result is not a valid ${method.responseType}: ${err.message}`,
        remoteStack: err.stack ?? '',
      });
    }
    if (bytes.length > this.maxMessageSize) {
      throw new MessageTooLargeError({ direction: 'response', method: label, address: this.addressOf(), actualBytes: bytes.length, allowedBytes: this.maxMessageSize });
    }
    return bytes;
  }

  private handshake(requestBytes: Uint8Array): Promise<Buffer> {
    let request: eddy_rpc_v1.HandshakeRequest;
    try {
      request = codecFor(HANDSHAKE_METHOD.requestType).decode(requestBytes) as eddy_rpc_v1.HandshakeRequest;
    } catch (error) {
      return Promise.reject(this.malformed('RpcHandshake.handshake', HANDSHAKE_METHOD.requestType, error));
    }
    if (request.protocolVersion !== this.protocolVersion) {
      return Promise.reject(new ProtocolVersionMismatchError({ address: this.addressOf(), clientVersion: request.protocolVersion, serverVersion: this.protocolVersion }));
    }
    const endpoint = this.endpoints.get(request.endpointId);
    if (endpoint === undefined) return Promise.reject(this.unknownEndpoint(request.endpointId));
    if (endpoint.gateway.name !== request.gateway || endpoint.gateway.fingerprint !== request.gatewayFingerprint) {
      return Promise.reject(this.gatewayMismatch(endpoint, request.gateway, request.gatewayFingerprint));
    }
    const response: eddy_rpc_v1.HandshakeResponse = { protocolVersion: this.protocolVersion, fenced: endpoint.fenced };
    return Promise.resolve(codecFor(HANDSHAKE_METHOD.responseType).encode(response));
  }

  private unknownEndpoint(endpointId: string): RpcError {
    return new UnknownEndpointError({ address: this.addressOf(), endpointId, hosted: [...this.endpoints.keys()] });
  }

  private gatewayMismatch(endpoint: HostedEndpoint, clientGateway: string, clientFingerprint: string): RpcError {
    return new GatewayMismatchError({
      address: this.addressOf(),
      endpointId: endpoint.endpointId,
      clientGateway,
      clientFingerprint,
      serverGateway: endpoint.gateway.name,
      serverFingerprint: endpoint.gateway.fingerprint,
    });
  }

  private malformed(label: string, messageType: string, error: unknown): RpcError {
    return new MalformedPayloadError({
      method: label,
      address: this.addressOf(),
      messageType,
      detail: error instanceof Error ? error.message : String(error),
    });
  }
}
