/**
 * The contract between an RpcService and the endpoints it hosts, kept apart from both classes so
 * neither imports the other.
 */
import type { GatewayDescriptor, MethodDescriptor } from '@eddy/proto';
import type { Logger } from '@eddy/common';

/** What an RpcService needs from an endpoint to route calls to it. */
export interface HostedEndpoint {
  readonly endpointId: string;
  readonly gateway: GatewayDescriptor<object>;
  /** Whether calls must carry the endpoint's current fencing token. */
  readonly fenced: boolean;
  /**
   * Runs one call of `method`. Resolves to the handler's result; rejects with an RpcError: the
   * endpoint is not started, the token is stale, or (as RemoteHandlerError) the handler failed.
   * `fromNetwork` says the call comes straight from a network callback, with no JavaScript frame
   * of another endpoint beneath it, so an idle mailbox may run it at once.
   */
  dispatch(method: MethodDescriptor, request: unknown, fencingToken: string, fromNetwork: boolean): Promise<unknown>;
  /** Stops the endpoint; resolves when it has terminated. */
  closeAsync(): Promise<void>;
}

/** What an endpoint needs from the RpcService that hosts it. */
export interface EndpointHost {
  /** `host:port` under which this service is reached (the advertised address). */
  readonly address: string;
  /** The process's root logger; endpoints log through children of it. */
  readonly logger: Logger;
  /** `rpc.ask-timeout` in milliseconds. */
  readonly askTimeoutMs: number;
  /** Connects to the endpoint at `host:port/endpointId` (see RpcService.connect). */
  connect<G>(address: string, gateway: GatewayDescriptor<G>, fencingToken?: string): Promise<G>;
  /** Called by an endpoint's constructor. Throws when the id is taken. */
  registerEndpoint(endpoint: HostedEndpoint): void;
  /** Called when an endpoint has terminated. */
  unregisterEndpoint(endpoint: HostedEndpoint): void;
}
