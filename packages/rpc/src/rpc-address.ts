/**
 * Endpoint addresses: `host:port/endpointId`, e.g. `127.0.0.1:6123/dispatcher` or
 * `[::1]:6123/resourcemanager`. The `host:port` part names an RpcService (one per process); the
 * endpoint id names one endpoint it hosts.
 */

export interface EndpointAddress {
  /** `host:port`, as a gRPC target. */
  readonly hostPort: string;
  readonly endpointId: string;
}

export class InvalidAddressError extends Error {
  override readonly name = 'InvalidAddressError';
  constructor(readonly address: string, reason: string) {
    super(`Invalid endpoint address '${address}': ${reason}; expected host:port/endpointId, e.g. 127.0.0.1:6123/dispatcher`);
  }
}

export function parseEndpointAddress(address: string): EndpointAddress {
  const slash = address.indexOf('/');
  if (slash < 0) throw new InvalidAddressError(address, 'no endpoint id');
  const hostPort = address.slice(0, slash);
  const endpointId = address.slice(slash + 1);
  if (endpointId === '') throw new InvalidAddressError(address, 'empty endpoint id');
  const colon = hostPort.lastIndexOf(':');
  if (colon <= 0) throw new InvalidAddressError(address, 'no host:port');
  const port = Number(hostPort.slice(colon + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidAddressError(address, `port '${hostPort.slice(colon + 1)}' is not in 1-65535`);
  return { hostPort, endpointId };
}

/** `host:port` for a host that may be an IPv6 literal. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}
