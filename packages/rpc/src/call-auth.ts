/**
 * Authentication of gRPC calls with the cluster's shared token (security.auth.token).
 *
 * Client side: an interceptor on every channel of the RpcService adds `authorization: Bearer
 * <token>` to each call's metadata, gateway calls and stream calls alike (blob transfers, job
 * events). Server side: an interceptor on the RpcService's one gRPC server checks that header
 * before any handler runs, the handshake included, and answers a call without the right token
 * with UNAUTHENTICATED and an UnauthenticatedError in the error trailer, so the caller rebuilds an
 * error that says which option to set. The comparison runs in constant time (sha256 of both sides,
 * then timingSafeEqual), so how long a refusal takes says nothing about the token.
 *
 * In-process calls (LocalTransport) never reach the server and are not checked: they come from
 * the process itself.
 *
 * The token is never logged: a refusal is logged once per peer host (OncePerKey), with
 * the method and whether a token was sent at all.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { OncePerKey, type Logger } from '@eddy/common';
import { ERROR_TRAILER, errorToWire, UnauthenticatedError } from './rpc-errors.js';

/** The metadata key the token travels in, as `Bearer <token>` (gRPC's and HTTP's usual form). */
export const AUTHORIZATION_HEADER = 'authorization';
const BEARER_PREFIX = 'Bearer ';


function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Checks presented tokens against the expected one in constant time. */
export class AuthTokenCheck {
  readonly #expected: Buffer;

  constructor(token: string) {
    if (token === '') throw new Error('AuthTokenCheck needs a token; with none, do not check calls at all');
    this.#expected = digest(token);
  }

  /** Whether `presented` is the token; its length and content do not change how long this takes. */
  matches(presented: string): boolean {
    return timingSafeEqual(digest(presented), this.#expected);
  }

  /** Whether an `Authorization` value (`Bearer <token>`) carries the token. */
  matchesBearer(header: string | undefined): boolean {
    if (header === undefined || !header.startsWith(BEARER_PREFIX)) return false;
    return this.matches(header.slice(BEARER_PREFIX.length));
  }
}

/** The `Authorization` header value that carries `token`. */
export function bearer(token: string): string {
  return `${BEARER_PREFIX}${token}`;
}

/** A client interceptor that puts the token into every call's metadata. */
export function authClientInterceptor(token: string): grpc.Interceptor {
  const value = bearer(token);
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(AUTHORIZATION_HEADER, value);
        next(metadata, listener);
      },
    });
}

/**
 * A server interceptor that refuses every call without the token. `address` is the server's own
 * address, for the error; `log` gets one warning per refused peer host.
 */
export function authServerInterceptor(token: string, address: () => string, log: Logger): grpc.ServerInterceptor {
  const check = new AuthTokenCheck(token);
  const loggedPeers = new OncePerKey();
  return (methodDescriptor, call) => {
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const presented = metadata.get(AUTHORIZATION_HEADER)[0];
        const header = typeof presented === 'string' ? presented : undefined;
        if (check.matchesBearer(header)) {
          next(metadata);
          return;
        }
        const error = new UnauthenticatedError({ method: methodDescriptor.path, address: address(), tokenPresent: header !== undefined });
        const peerHost = call.getPeer().replace(/:\d+$/, '');
        if (loggedPeers.first(peerHost)) {
          log.warn({ peer: peerHost, method: methodDescriptor.path, tokenPresent: header !== undefined }, 'Refused a call without the cluster auth token (logged once per peer host)');
        }
        const trailer = new grpc.Metadata();
        trailer.set(ERROR_TRAILER, errorToWire(error));
        call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: error.message, metadata: trailer });
      })
      .build();
    const responder = new grpc.ResponderBuilder().withStart((next) => next(listener)).build();
    return new grpc.ServerInterceptingCall(call, responder);
  };
}
