/**
 * FencedRpcEndpoint: an endpoint that only runs calls carrying its current fencing token.
 *
 * The token stands for a leader session (Flink's DispatcherId, ResourceManagerId, JobMasterId).
 * A caller gets it when it connects; once the endpoint takes a new token (a new leader session),
 * calls made with the old one are refused with FencingTokenMismatchError and never run. The check
 * happens in the mailbox, right before the handler would run, so a call that was queued before the
 * token changed is refused too. While the endpoint has no token, every call is refused.
 */
import type { GatewayDescriptor, MethodDescriptor } from '@eddy/proto';
import type { EndpointHost } from './endpoint-host.js';
import { RpcEndpoint } from './rpc-endpoint.js';
import { FencingTokenMismatchError, type RpcError } from './rpc-errors.js';

export abstract class FencedRpcEndpoint<Token extends string> extends RpcEndpoint {
  private fencingToken: Token | undefined;

  protected constructor(rpcService: EndpointHost, gateway: GatewayDescriptor<object>, endpointId?: string, initialToken?: Token) {
    super(rpcService, gateway, endpointId);
    this.fencingToken = initialToken;
  }

  override get fenced(): boolean {
    return true;
  }

  getFencingToken(): Token | undefined {
    return this.fencingToken;
  }

  /**
   * Starts a new leader session (or ends it, with undefined). Call it from the mailbox: calls
   * already queued are checked against the new token when their turn comes.
   */
  protected setFencingToken(token: Token | undefined): void {
    if (token !== this.fencingToken) {
      this.log.info({ fencingToken: token ?? null, previous: this.fencingToken ?? null }, 'Fencing token changed');
    }
    this.fencingToken = token;
  }

  protected override checkFencingToken(method: MethodDescriptor, fencingToken: string): RpcError | undefined {
    if (this.fencingToken !== undefined && fencingToken === this.fencingToken) return undefined;
    return new FencingTokenMismatchError({
      address: this.address,
      endpointId: this.endpointId,
      method: this.methodLabel(method),
      received: fencingToken,
      expected: this.fencingToken ?? '',
    });
  }
}
