/**
 * Every way an RPC can fail, each its own class so callers can tell them apart with `instanceof`.
 *
 * Each error is built from a plain `fields` object and derives its message from it, so it can
 * cross the wire as `{ name, fields }` (in the `eddy-error-bin` trailer) and be rebuilt as the same
 * class on the caller's side. The message says what failed, where, and what to change.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';

/** Base of every RPC failure. `code` is the gRPC status it travels as. */
export abstract class RpcError extends Error {
  abstract readonly code: GrpcStatus;
  abstract readonly fields: object;
}

export interface RpcTimeoutFields {
  /** `Gateway.method`, or the mailbox operation for callAsync. */
  readonly method: string;
  readonly address: string;
  readonly timeoutMs: number;
}

/** An ask (or callAsync) got no answer before its deadline. */
export class RpcTimeoutError extends RpcError {
  override readonly name = 'RpcTimeoutError';
  readonly code = GrpcStatus.DEADLINE_EXCEEDED;
  constructor(readonly fields: RpcTimeoutFields) {
    super(
      `${fields.method} to ${fields.address} timed out after ${fields.timeoutMs} ms; ` +
        'if the callee needs longer, raise rpc.ask-timeout or pass { timeoutMs } to this call',
    );
  }
}

/** What went wrong at the transport level. */
export type UnreachableCause = 'connection refused' | 'connection reset' | 'host not found' | 'connection closed' | 'unavailable';

export interface RpcUnreachableFields {
  readonly method: string;
  readonly address: string;
  readonly cause: UnreachableCause;
  /** The transport's own words. */
  readonly detail: string;
}

/** The peer's process could not be reached, or went away during the call. */
export class RpcUnreachableError extends RpcError {
  override readonly name = 'RpcUnreachableError';
  readonly code = GrpcStatus.UNAVAILABLE;
  constructor(readonly fields: RpcUnreachableFields) {
    super(
      `${fields.method} could not reach ${fields.address}: ${fields.cause} (${fields.detail}); ` +
        'check that the process at that address is running and that the address is the one it advertises',
    );
  }
}

export interface UnknownEndpointFields {
  readonly address: string;
  readonly endpointId: string;
  /** Endpoint ids the RpcService at that address does host. */
  readonly hosted: readonly string[];
  /** The endpoint existed but stopped before it could run the call. */
  readonly stopped?: boolean;
}

/** No endpoint with that id is hosted at the address (never was, or it has stopped). */
export class UnknownEndpointError extends RpcError {
  override readonly name = 'UnknownEndpointError';
  readonly code = GrpcStatus.NOT_FOUND;
  constructor(readonly fields: UnknownEndpointFields) {
    const hosted = fields.hosted.length > 0 ? fields.hosted.join(', ') : 'none';
    super(
      fields.stopped === true
        ? `The ${endpointAt(fields.address, fields.endpointId)} stopped before it could run the call; connect to its successor`
        : `No ${endpointAt(fields.address, fields.endpointId)} (endpoints hosted there: ${hosted}); ` +
            'check the endpoint id in the address, or whether that endpoint has stopped',
    );
  }
}

export interface EndpointNotStartedFields {
  readonly address: string;
  readonly endpointId: string;
  readonly method: string;
}

/** The endpoint exists but its start() has not been called; the call was not run. */
export class EndpointNotStartedError extends RpcError {
  override readonly name = 'EndpointNotStartedError';
  readonly code = GrpcStatus.UNAVAILABLE;
  constructor(readonly fields: EndpointNotStartedFields) {
    super(
      `${fields.method} refused: ${endpointAt(fields.address, fields.endpointId)} is not started; ` +
        'retry once it has started (its process may still be coming up)',
    );
  }
}

export interface FencingTokenMismatchFields {
  readonly address: string;
  readonly endpointId: string;
  readonly method: string;
  /** The token the call carried; '' for none. */
  readonly received: string;
  /** The endpoint's current token; '' while it has none. */
  readonly expected: string;
}

/** The call carried a fencing token that is not the endpoint's current one; it was not run. */
export class FencingTokenMismatchError extends RpcError {
  override readonly name = 'FencingTokenMismatchError';
  readonly code = GrpcStatus.FAILED_PRECONDITION;
  constructor(readonly fields: FencingTokenMismatchFields) {
    const received = fields.received === '' ? 'no fencing token' : `fencing token '${fields.received}'`;
    const expected = fields.expected === '' ? 'has no leader session yet' : `expects '${fields.expected}'`;
    super(
      `${fields.method} to ${endpointAt(fields.address, fields.endpointId)} carried ${received} but the endpoint ${expected}; ` +
        'the caller holds a stale leader session: reconnect with the current fencing token',
    );
  }
}

export interface MessageTooLargeFields {
  readonly direction: 'request' | 'response';
  readonly method: string;
  readonly address: string;
  readonly actualBytes: number;
  readonly allowedBytes: number;
}

/** A request or response exceeds rpc.max-message-size; it was refused by its sender. */
export class MessageTooLargeError extends RpcError {
  override readonly name = 'MessageTooLargeError';
  readonly code = GrpcStatus.RESOURCE_EXHAUSTED;
  constructor(readonly fields: MessageTooLargeFields) {
    super(
      `The ${fields.direction} of ${fields.method} (${fields.address}) is ${fields.actualBytes} bytes, ` +
        `more than rpc.max-message-size allows (${fields.allowedBytes} bytes); ` +
        'send large payloads through the blob store, or raise rpc.max-message-size on both sides',
    );
  }
}

export interface RemoteHandlerFields {
  readonly method: string;
  readonly address: string;
  readonly remoteName: string;
  readonly remoteMessage: string;
  readonly remoteStack: string;
}

/** The remote handler threw or rejected; its error's name, message and stack are kept. */
export class RemoteHandlerError extends RpcError {
  override readonly name = 'RemoteHandlerError';
  readonly code = GrpcStatus.UNKNOWN;
  constructor(readonly fields: RemoteHandlerFields) {
    super(`${fields.method} failed at ${fields.address}: ${fields.remoteName}: ${fields.remoteMessage}`);
  }

  get remoteName(): string {
    return this.fields.remoteName;
  }

  get remoteMessage(): string {
    return this.fields.remoteMessage;
  }

  get remoteStack(): string {
    return this.fields.remoteStack;
  }
}

export interface MalformedPayloadFields {
  readonly method: string;
  readonly address: string;
  readonly messageType: string;
  readonly detail: string;
}

/** A payload could not be decoded as the method's message type (or a request could not be encoded). */
export class MalformedPayloadError extends RpcError {
  override readonly name = 'MalformedPayloadError';
  readonly code = GrpcStatus.INVALID_ARGUMENT;
  constructor(readonly fields: MalformedPayloadFields) {
    super(
      `${fields.method} at ${fields.address}: the payload is not a valid ${fields.messageType} (${fields.detail}); ` +
        'the caller must send messages built from the same proto/ as the callee',
    );
  }
}

export interface GatewayMismatchFields {
  readonly address: string;
  readonly endpointId: string;
  /** The gateway the client was built for. */
  readonly clientGateway: string;
  readonly clientFingerprint: string;
  /** The gateway the endpoint serves. */
  readonly serverGateway: string;
  readonly serverFingerprint: string;
}

/** The endpoint serves another gateway than the client was built for, or another version of it. */
export class GatewayMismatchError extends RpcError {
  override readonly name = 'GatewayMismatchError';
  readonly code = GrpcStatus.FAILED_PRECONDITION;
  constructor(readonly fields: GatewayMismatchFields) {
    const what =
      fields.clientGateway !== fields.serverGateway
        ? `serves ${fields.serverGateway}, but the client was built for ${fields.clientGateway}; connect with the ${shortName(fields.serverGateway)} descriptor or fix the address`
        : `serves ${fields.serverGateway} with schema ${fields.serverFingerprint}, but the client was built against schema ${fields.clientFingerprint}; run the same Eddy version on both sides`;
    super(`The ${endpointAt(fields.address, fields.endpointId)} ${what}`);
  }
}

export interface ProtocolVersionMismatchFields {
  readonly address: string;
  readonly clientVersion: number;
  readonly serverVersion: number;
}

/** Client and server speak different versions of the RPC layer's own protocol. */
export class ProtocolVersionMismatchError extends RpcError {
  override readonly name = 'ProtocolVersionMismatchError';
  readonly code = GrpcStatus.FAILED_PRECONDITION;
  constructor(readonly fields: ProtocolVersionMismatchFields) {
    super(
      `The RpcService at ${fields.address} speaks RPC protocol version ${fields.serverVersion}, ` +
        `this client speaks version ${fields.clientVersion}; run the same Eddy version on both sides`,
    );
  }
}

export interface UnauthenticatedFields {
  /** The gRPC method path the call named. */
  readonly method: string;
  readonly address: string;
  /** Whether the call carried a token at all (a wrong one otherwise). */
  readonly tokenPresent: boolean;
}

/** The call did not carry the cluster's security.auth.token; it was not run. */
export class UnauthenticatedError extends RpcError {
  override readonly name = 'UnauthenticatedError';
  readonly code = GrpcStatus.UNAUTHENTICATED;
  constructor(readonly fields: UnauthenticatedFields) {
    super(
      `${fields.address} refused ${fields.method}: the call carried ${fields.tokenPresent ? 'a wrong auth token' : 'no auth token'}; ` +
        'the cluster requires security.auth.token: set it on the caller to the cluster\'s token ' +
        '(for the eddy CLI: -D security.auth.token=... or the EDDY_AUTH_TOKEN environment variable)',
    );
  }
}

/** `'id' at host:port`, or the endpoint address alone when it already names the endpoint. */
function endpointAt(address: string, endpointId: string): string {
  return address.endsWith(`/${endpointId}`) ? `endpoint ${address}` : `endpoint '${endpointId}' at ${address}`;
}

function shortName(gateway: string): string {
  return gateway.slice(gateway.lastIndexOf('.') + 1);
}

type ErrorConstructor = new (fields: never) => RpcError;

/** Errors a server sends to its callers, rebuilt by name on the caller's side. */
const WIRE_ERRORS: ReadonlyMap<string, ErrorConstructor> = new Map<string, ErrorConstructor>([
  ['UnknownEndpointError', UnknownEndpointError],
  ['EndpointNotStartedError', EndpointNotStartedError],
  ['FencingTokenMismatchError', FencingTokenMismatchError],
  ['MessageTooLargeError', MessageTooLargeError],
  ['RemoteHandlerError', RemoteHandlerError],
  ['MalformedPayloadError', MalformedPayloadError],
  ['GatewayMismatchError', GatewayMismatchError],
  ['ProtocolVersionMismatchError', ProtocolVersionMismatchError],
  ['UnauthenticatedError', UnauthenticatedError],
]);

/** The trailer an RpcError travels in. */
export const ERROR_TRAILER = 'eddy-error-bin';

export function errorToWire(error: RpcError): Buffer {
  return Buffer.from(JSON.stringify({ name: error.name, fields: error.fields }));
}

/**
 * Rebuilds an error a server sent. `address` replaces the server's view of its own address with
 * the one the caller used. Returns undefined when the trailer is not an error we know.
 */
export function errorFromWire(payload: Buffer, address: string): RpcError | undefined {
  let parsed: { name?: unknown; fields?: unknown };
  try {
    parsed = JSON.parse(payload.toString('utf8')) as { name?: unknown; fields?: unknown };
  } catch {
    return undefined;
  }
  const ctor = typeof parsed.name === 'string' ? WIRE_ERRORS.get(parsed.name) : undefined;
  if (ctor === undefined || typeof parsed.fields !== 'object' || parsed.fields === null) return undefined;
  return new ctor({ ...parsed.fields, address } as never);
}
