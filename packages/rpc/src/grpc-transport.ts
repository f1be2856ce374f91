/**
 * The remote side of RpcTransport: one gRPC channel per remote RpcService (`host:port`), shared by
 * every proxy that talks to it. Requests go out as pre-encoded bytes; the endpoint id and fencing
 * token ride in metadata; errors come back as gRPC statuses plus the `eddy-error-bin` trailer and
 * are rebuilt as the RpcError the server raised. Transport failures become RpcUnreachableError,
 * missed deadlines RpcTimeoutError.
 */
import * as grpc from '@grpc/grpc-js';
import type { MethodDescriptor } from '@eddy/proto';
import {
  ERROR_TRAILER,
  errorFromWire,
  MessageTooLargeError,
  RpcError,
  RpcTimeoutError,
  RpcUnreachableError,
  type UnreachableCause,
} from './rpc-errors.js';
import type { CallTarget, RpcTransport } from './rpc-transport.js';

export const ENDPOINT_HEADER = 'eddy-endpoint';
export const FENCING_TOKEN_HEADER = 'eddy-fencing-token';

const identity = (bytes: Buffer): Buffer => bytes;

/** gRPC's own size limits sit above rpc.max-message-size, so the sender's check is the one that fires. */
export function grpcMessageLimit(maxMessageSize: number): number {
  return maxMessageSize + 64 * 1024;
}

/** Any other gRPC failure, carried with its code and the transport's words. */
export class RpcCallError extends RpcError {
  override readonly name = 'RpcCallError';
  readonly code: grpc.status;
  constructor(readonly fields: { readonly method: string; readonly address: string; readonly grpcCode: number; readonly detail: string }) {
    super(`${fields.method} to ${fields.address} failed with gRPC status ${grpc.status[fields.grpcCode] ?? fields.grpcCode}: ${fields.detail}`);
    this.code = fields.grpcCode;
  }
}

export class GrpcTransport implements RpcTransport {
  /** The channel; stream services (see stream-service.ts) share it with gateway calls. */
  readonly client: grpc.Client;
  /** True over mutual TLS: a refused certificate then looks like a connection that failed. */
  readonly secure: boolean;
  private closed = false;

  /**
   * `channelOptions` adds to or overrides the defaults below (the data channel's window, the auth
   * interceptor); `credentials` are mutual TLS's (tls-credentials.ts) when the cluster uses it,
   * plaintext otherwise.
   */
  constructor(
    readonly hostPort: string,
    maxMessageSize: number,
    channelOptions: grpc.ClientOptions = {},
    credentials?: grpc.ChannelCredentials,
  ) {
    const limit = grpcMessageLimit(maxMessageSize);
    this.secure = credentials !== undefined;
    this.client = new grpc.Client(hostPort, credentials ?? grpc.credentials.createInsecure(), {
      'grpc.max_send_message_length': limit,
      'grpc.max_receive_message_length': limit,
      // Calls are never retried under the caller: a retry is the caller's decision.
      'grpc.enable_retries': 0,
      // A restarted peer is found again within a second, not after gRPC's default two minutes.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      ...channelOptions,
    });
  }

  call(target: CallTarget, method: MethodDescriptor, label: string, request: Buffer, timeoutMs: number): Promise<Buffer> {
    const metadata = new grpc.Metadata();
    metadata.set(ENDPOINT_HEADER, target.endpointId);
    if (target.fencingToken !== '') metadata.set(FENCING_TOKEN_HEADER, target.fencingToken);
    return new Promise<Buffer>((resolve, reject) => {
      if (this.closed) {
        reject(new RpcUnreachableError({ method: label, address: target.address, cause: 'connection closed', detail: 'the calling RpcService has stopped' }));
        return;
      }
      try {
        this.client.makeUnaryRequest<Buffer, Buffer>(
          method.path,
          identity,
          identity,
          request,
          metadata,
          { deadline: Date.now() + timeoutMs },
          (error, response) => {
            if (error) reject(toRpcError(error, label, target.address, timeoutMs, this.secure));
            else resolve(response ?? Buffer.alloc(0));
          },
        );
      } catch (error) {
        // grpc-js throws synchronously on a channel that was closed under us.
        const detail = error instanceof Error ? error.message : String(error);
        reject(new RpcUnreachableError({ method: label, address: target.address, cause: 'connection closed', detail }));
      }
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    this.client.close();
  }
}

export function toRpcError(error: grpc.ServiceError, label: string, address: string, timeoutMs: number, secure = false): RpcError {
  const trailer = error.metadata?.get(ERROR_TRAILER)[0];
  if (trailer instanceof Buffer) {
    const rebuilt = errorFromWire(trailer, address);
    if (rebuilt !== undefined) return rebuilt;
  }
  const detail = grpcDetail(error.details || error.message);
  switch (error.code) {
    case grpc.status.DEADLINE_EXCEEDED:
      return new RpcTimeoutError({ method: label, address, timeoutMs });
    case grpc.status.UNAVAILABLE:
      return new RpcUnreachableError({ method: label, address, cause: unreachableCause(detail), detail: secure ? withTlsHint(detail) : detail });
    case grpc.status.RESOURCE_EXHAUSTED: {
      const sizes = /larger than max \((\d+) vs\. (\d+)\)/.exec(detail);
      if (sizes !== null) {
        return new MessageTooLargeError({ direction: 'response', method: label, address, actualBytes: Number(sizes[1]), allowedBytes: Number(sizes[2]) });
      }
      break;
    }
    case grpc.status.INTERNAL:
    case grpc.status.CANCELLED:
    case grpc.status.UNKNOWN:
      // A peer that dies mid-call can surface as a reset stream rather than UNAVAILABLE.
      if (/ECONNRESET|EPIPE|RST_STREAM|Connection dropped|socket hang up|GOAWAY|ECONNREFUSED/i.test(detail)) {
        return new RpcUnreachableError({ method: label, address, cause: unreachableCause(detail), detail });
      }
      break;
  }
  return new RpcCallError({ method: label, address, grpcCode: error.code, detail });
}

/**
 * grpc-js's status details in the words that matter. Its pick-first balancer reports a failed
 * connection as "No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1.
 * Resolution note: " (the note is usually empty); that becomes "connect ECONNREFUSED 127.0.0.1:1",
 * with the note after a semicolon when there is one.
 */
export function grpcDetail(details: string): string {
  const noConnection = /^(?:[\w ]+: )?No connection established\. Last error: ([\s\S]*?)(?:\. Resolution note: ([\s\S]*))?$/.exec(details);
  if (noConnection !== null) {
    const lastError = (noConnection[1] ?? '').replace(/^Error: /, '').trim();
    const note = (noConnection[2] ?? '').trim();
    return [lastError === '' || lastError === 'null' ? 'no connection established' : lastError, note].filter((part) => part !== '').join('; ');
  }
  const noAddresses = /^No addresses resolved\. Resolution note: ([\s\S]*)$/.exec(details);
  if (noAddresses !== null) return (noAddresses[1] ?? '').trim() || 'no addresses resolved';
  return details.replace(/\.? Resolution note: ?$/, '');
}

/**
 * A server that refuses this process's certificate closes the connection right after the handshake,
 * without a word the client could show (grpc-js says "Failed to connect"): say where to look.
 */
function withTlsHint(detail: string): string {
  if (!/Failed to connect|socket hang up|ECONNRESET|Connection dropped|disconnected before secure/i.test(detail)) return detail;
  return `${detail}; over mutual TLS this is how a peer refuses this process's certificate (security.ssl.internal.cert): expired, or not signed by the CA the peer trusts; the peer's log names the reason`;
}

function unreachableCause(detail: string): UnreachableCause {
  if (/ECONNREFUSED/.test(detail)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN|EAI_NONAME|Name resolution failed|DNS resolution failed/i.test(detail)) return 'host not found';
  if (/ECONNRESET|EPIPE|RST_STREAM|Connection dropped|socket hang up/i.test(detail)) return 'connection reset';
  if (/closed|GOAWAY|ended/i.test(detail)) return 'connection closed';
  return 'unavailable';
}
