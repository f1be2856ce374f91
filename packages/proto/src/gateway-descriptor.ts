/**
 * What the generated code says about a gateway, and what the RPC layer needs to carry its calls.
 *
 * A gateway is declared once, as a gRPC service under proto/. scripts/gen-proto.mjs turns it into
 * a TypeScript interface of the same name (methods resolve to the response message, or return void
 * when the response is eddy.rpc.v1.OneWay) and a descriptor constant, also of the same name, of the
 * type below. `rpcService.connect(address, CounterGateway)` takes the constant and returns the
 * interface.
 */

/** Per-call settings a caller may pass as the last argument of any gateway method. */
export interface CallOptions {
  /** Deadline of this call in milliseconds; defaults to `rpc.ask-timeout`. */
  readonly timeoutMs?: number;
}

/** One unary method of a gateway. */
export interface MethodDescriptor {
  /** Method name as the TypeScript interface spells it (lowerCamelCase). */
  readonly name: string;
  /** gRPC path: `/<package>.<Service>/<Method>`. */
  readonly path: string;
  /** Fully qualified protobuf type names. */
  readonly requestType: string;
  readonly responseType: string;
  /** A tell: the caller does not wait for the handler and is never failed by it. */
  readonly oneWay: boolean;
}

/**
 * A gateway's identity and methods. `G` is the gateway interface; it exists only for typing, so
 * that connect() can return the right proxy type.
 */
export interface GatewayDescriptor<G> {
  /** Fully qualified gRPC service name, e.g. `eddy.testing.v1.CounterGateway`. */
  readonly name: string;
  /** Hash of the methods and message schemas; client and server compare it at handshake. */
  readonly fingerprint: string;
  readonly methods: { readonly [K in keyof G]: MethodDescriptor };
}

/** One method of a streaming service (see StreamServiceDescriptor). */
export interface StreamMethodDescriptor {
  readonly name: string;
  readonly path: string;
  readonly requestType: string;
  readonly responseType: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

/**
 * A gRPC service with streaming methods. It is not a gateway (no endpoint, no mailbox, no
 * fencing): its process serves it directly on its RpcService's server, for bulk or long-lived
 * traffic such as blob transfers and followed job events.
 */
export interface StreamServiceDescriptor {
  readonly name: string;
  readonly methods: { readonly [name: string]: StreamMethodDescriptor };
}
