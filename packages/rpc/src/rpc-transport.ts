/**
 * How a gateway proxy's calls reach the CallRouter of the RpcService hosting the endpoint: over
 * gRPC (GrpcTransport) or, when the endpoint lives in the caller's own process, directly
 * (LocalTransport). Both carry already-encoded requests and responses and enforce the deadline.
 */
import type { MethodDescriptor } from '@eddy/proto';
import type { CallRouter } from './call-router.js';
import { RpcTimeoutError } from './rpc-errors.js';

/** One call's routing data. */
export interface CallTarget {
  /** Fully qualified gateway name. */
  readonly gateway: string;
  /** Full endpoint address, for error messages. */
  readonly address: string;
  readonly endpointId: string;
  /** '' for none. */
  readonly fencingToken: string;
}

export interface RpcTransport {
  /** Sends one call; resolves to the encoded response; rejects with an RpcError. */
  call(target: CallTarget, method: MethodDescriptor, label: string, request: Buffer, timeoutMs: number): Promise<Buffer>;
}

/** Calls into this process's own CallRouter: no network, same checks, same deadline. */
export class LocalTransport implements RpcTransport {
  constructor(private readonly router: CallRouter) {}

  call(target: CallTarget, method: MethodDescriptor, label: string, request: Buffer, timeoutMs: number): Promise<Buffer> {
    const served = this.router.serve(target.gateway, method, target.endpointId, target.fencingToken, request, false);
    if (method.oneWay) return served;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new RpcTimeoutError({ method: label, address: target.address, timeoutMs })), timeoutMs);
      served.then(
        (response) => {
          clearTimeout(timer);
          resolve(response);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
