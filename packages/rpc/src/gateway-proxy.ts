/**
 * Builds the typed proxy RpcService.connect() returns: one plain function per gateway method that
 * encodes the request, checks its size, sends it through a transport and decodes the answer.
 *
 * Asks return a promise with a deadline (`rpc.ask-timeout` unless the call passes `timeoutMs`).
 * Tells (methods returning eddy.rpc.v1.OneWay) return nothing: the caller does not wait, and
 * nothing the callee does reaches it. A request that cannot be sent at all (too large, not
 * encodable) fails at the caller: asks reject, tells throw.
 */
import type { Logger } from '@eddy/common';
import type { CallOptions, GatewayDescriptor, MethodDescriptor } from '@eddy/proto';
import { codecFor } from './rpc-codec.js';
import { MalformedPayloadError, MessageTooLargeError } from './rpc-errors.js';
import type { CallTarget, RpcTransport } from './rpc-transport.js';

export interface ProxySettings {
  readonly askTimeoutMs: number;
  readonly maxMessageSize: number;
  readonly logger: Logger;
}

export function createGatewayProxy<G>(gateway: GatewayDescriptor<G>, target: CallTarget, transport: RpcTransport, settings: ProxySettings): G {
  const proxy: Record<string, unknown> = {};
  const gatewayShortName = gateway.name.slice(gateway.name.lastIndexOf('.') + 1);
  for (const method of Object.values(gateway.methods) as MethodDescriptor[]) {
    const label = `${gatewayShortName}.${method.name}`;
    const requestCodec = codecFor(method.requestType);
    const responseCodec = codecFor(method.responseType);
    const encode = (request: unknown): Buffer => {
      let bytes: Buffer;
      try {
        bytes = requestCodec.encode(request);
      } catch (error) {
        throw new MalformedPayloadError({
          method: label,
          address: target.address,
          messageType: method.requestType,
          detail: `could not encode the request: ${error instanceof Error ? error.message : String(error)}`,
        });
      }
      if (bytes.length > settings.maxMessageSize) {
        throw new MessageTooLargeError({ direction: 'request', method: label, address: target.address, actualBytes: bytes.length, allowedBytes: settings.maxMessageSize });
      }
      return bytes;
    };
    const timeoutOf = (options: CallOptions | undefined): number => {
      const timeoutMs = options?.timeoutMs ?? settings.askTimeoutMs;
      if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
        throw new RangeError(`${label}: timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
      }
      return timeoutMs;
    };
    if (method.oneWay) {
      proxy[method.name] = (request: unknown, options?: CallOptions): void => {
        const bytes = encode(request);
        transport.call(target, method, label, bytes, timeoutOf(options)).then(undefined, (error: unknown) => {
          if (settings.logger.isLevelEnabled('debug')) settings.logger.debug({ err: error, method: label, address: target.address }, 'One-way RPC was not delivered');
        });
      };
    } else {
      proxy[method.name] = (request: unknown, options?: CallOptions): Promise<unknown> => {
        let bytes: Buffer;
        let timeoutMs: number;
        try {
          bytes = encode(request);
          timeoutMs = timeoutOf(options);
        } catch (error) {
          return Promise.reject(error);
        }
        return transport.call(target, method, label, bytes, timeoutMs).then((response) => {
          try {
            return responseCodec.decode(response);
          } catch (error) {
            throw new MalformedPayloadError({
              method: label,
              address: target.address,
              messageType: method.responseType,
              detail: `could not decode the response: ${error instanceof Error ? error.message : String(error)}`,
            });
          }
        });
      };
    }
  }
  Object.defineProperty(proxy, 'toString', { value: () => `${gatewayShortName}@${target.address}`, enumerable: false });
  return Object.freeze(proxy) as G;
}
