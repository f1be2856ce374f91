/**
 * Streaming services: gRPC services with streaming methods, served next to the gateways on a
 * process's one gRPC server and called over the same channel. They carry what must not go through
 * a gateway call: blob transfers in chunks, a followed job's events, later the data plane.
 *
 * Unlike gateways they have no endpoint, mailbox or fencing token; a handler runs as soon as its
 * call arrives, and it is the handler's job to hand work to an endpoint (runAsync) when it touches
 * endpoint state. Messages are encoded with the same protobufjs schema as gateway messages.
 */
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import type { StreamMethodDescriptor, StreamServiceDescriptor } from '@eddy/proto';
import { toRpcError, type GrpcTransport } from './grpc-transport.js';
import { RpcError, RpcUnreachableError } from './rpc-errors.js';
import { codecFor } from './rpc-codec.js';

const identity = (bytes: Buffer): Buffer => bytes;

/** Writes the messages of a server stream; write() resolves once the transport accepted it. */
export interface StreamWriter<T> {
  write(message: T): Promise<void>;
  /** True once the client cancelled or went away; the handler should stop writing. */
  readonly cancelled: boolean;
  /** Runs fn when the client cancels or goes away. */
  onCancel(fn: () => void): void;
}

export type UnaryStreamHandler = (request: never) => Promise<unknown>;
export type ServerStreamHandler = (request: never, out: StreamWriter<never>) => Promise<void>;
export type ClientStreamHandler = (requests: AsyncIterable<never>) => Promise<unknown>;

/** The implementation of a StreamServiceDescriptor: one function per method, by method name. */
export type StreamServiceHandlers = Record<string, UnaryStreamHandler | ServerStreamHandler | ClientStreamHandler>;

/** An error that a stream handler raises for its caller: the gRPC status and the message. */
export class StreamCallError extends Error {
  override readonly name = 'StreamCallError';
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

function toServiceError(error: unknown): Partial<grpc.ServiceError> {
  if (error instanceof StreamCallError) return { code: error.code, details: error.message };
  if (error instanceof RpcError) return { code: error.code, details: error.message };
  return { code: grpc.status.INTERNAL, details: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}

/** Builds the grpc-js service definition and implementation for `descriptor`. */
export function grpcServiceFor(
  descriptor: StreamServiceDescriptor,
  handlers: StreamServiceHandlers,
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of Object.values(descriptor.methods)) {
    const handler = handlers[method.name];
    if (handler === undefined) throw new Error(`No handler for ${descriptor.name}.${method.name}`);
    definition[method.name] = {
      path: method.path,
      requestStream: method.requestStream,
      responseStream: method.responseStream,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    };
    const requestCodec = codecFor(method.requestType);
    const responseCodec = codecFor(method.responseType);
    if (method.requestStream && method.responseStream) {
      throw new Error(`${descriptor.name}.${method.name}: bidirectional streams are not served yet`);
    } else if (method.responseStream) {
      const serve = handler as unknown as (request: unknown, out: StreamWriter<unknown>) => Promise<void>;
      implementation[method.name] = (call: grpc.ServerWritableStream<Buffer, Buffer>): void => {
        let cancelled = false;
        const cancelHooks: (() => void)[] = [];
        call.on('cancelled', () => {
          cancelled = true;
          for (const hook of cancelHooks.splice(0)) hook();
        });
        const out: StreamWriter<unknown> = {
          get cancelled() {
            return cancelled;
          },
          onCancel: (fn) => (cancelled ? fn() : cancelHooks.push(fn)),
          write: async (message) => {
            if (cancelled) return;
            if (!call.write(responseCodec.encode(message))) await Promise.race([once(call, 'drain'), once(call, 'cancelled')]);
          },
        };
        let request: unknown;
        try {
          request = requestCodec.decode(call.request);
        } catch (error) {
          call.destroy(Object.assign(new Error(`malformed request: ${String(error)}`), { code: grpc.status.INVALID_ARGUMENT }));
          return;
        }
        serve(request, out).then(
          () => {
            if (!cancelled) call.end();
          },
          (error: unknown) => {
            if (!cancelled) call.emit('error', toServiceError(error));
          },
        );
      };
    } else if (method.requestStream) {
      const serve = handler as unknown as (requests: AsyncIterable<unknown>) => Promise<unknown>;
      implementation[method.name] = (call: grpc.ServerReadableStream<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>): void => {
        const requests = (async function* () {
          for await (const chunk of call as AsyncIterable<Buffer>) yield requestCodec.decode(chunk);
        })();
        serve(requests).then(
          (response) => callback(null, responseCodec.encode(response)),
          (error: unknown) => callback(toServiceError(error)),
        );
      };
    } else {
      const serve = handler as unknown as (request: unknown) => Promise<unknown>;
      implementation[method.name] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>): void => {
        Promise.resolve()
          .then(() => serve(requestCodec.decode(call.request)))
          .then(
            (response) => callback(null, responseCodec.encode(response)),
            (error: unknown) => callback(toServiceError(error)),
          );
      };
    }
  }
  return { definition, implementation };
}

/** A server stream being received: iterate it; cancel() ends it early. */
export interface IncomingStream<T> extends AsyncIterable<T> {
  cancel(): void;
}

/** Calls the methods of streaming services on one remote RpcService. */
export class StreamClient {
  constructor(private readonly transport: GrpcTransport) {}

  get address(): string {
    return this.transport.hostPort;
  }

  private checkOpen(method: StreamMethodDescriptor): void {
    if (this.transport.isClosed) {
      throw new RpcUnreachableError({ method: method.path, address: this.address, cause: 'connection closed', detail: 'the calling RpcService has stopped' });
    }
  }

  unary<Req, Resp>(method: StreamMethodDescriptor, request: Req, timeoutMs: number): Promise<Resp> {
    this.checkOpen(method);
    const requestBytes = codecFor(method.requestType).encode(request);
    const responseCodec = codecFor(method.responseType);
    return new Promise<Resp>((resolve, reject) => {
      this.transport.client.makeUnaryRequest<Buffer, Buffer>(method.path, identity, identity, requestBytes, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error) reject(toRpcError(error, method.path, this.address, timeoutMs));
        else resolve(responseCodec.decode(response ?? Buffer.alloc(0)) as Resp);
      });
    });
  }

  /** Opens a server stream. Without timeoutMs it lives until the server ends it or cancel(). */
  serverStream<Req, Resp>(method: StreamMethodDescriptor, request: Req, timeoutMs?: number): IncomingStream<Resp> {
    this.checkOpen(method);
    const requestBytes = codecFor(method.requestType).encode(request);
    const responseCodec = codecFor(method.responseType);
    const options: grpc.CallOptions = timeoutMs === undefined ? {} : { deadline: Date.now() + timeoutMs };
    const call = this.transport.client.makeServerStreamRequest<Buffer, Buffer>(method.path, identity, identity, requestBytes, new grpc.Metadata(), options);
    const address = this.address;
    let cancelled = false;
    async function* messages(): AsyncGenerator<Resp> {
      try {
        for await (const chunk of call as AsyncIterable<Buffer>) yield responseCodec.decode(chunk) as Resp;
      } catch (error) {
        if (cancelled) return;
        throw toRpcError(error as grpc.ServiceError, method.path, address, timeoutMs ?? 0);
      }
    }
    const iterator = messages();
    return {
      [Symbol.asyncIterator]: () => iterator,
      cancel: () => {
        cancelled = true;
        call.cancel();
      },
    };
  }

  /** Sends every message of `requests` as one client stream and resolves to the server's answer. */
  async clientStream<Req, Resp>(method: StreamMethodDescriptor, requests: AsyncIterable<Req> | Iterable<Req>, timeoutMs: number): Promise<Resp> {
    this.checkOpen(method);
    const requestCodec = codecFor(method.requestType);
    const responseCodec = codecFor(method.responseType);
    let call: grpc.ClientWritableStream<Buffer> | undefined;
    const answer = new Promise<Resp>((resolve, reject) => {
      call = this.transport.client.makeClientStreamRequest<Buffer, Buffer>(method.path, identity, identity, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error) reject(toRpcError(error, method.path, this.address, timeoutMs));
        else resolve(responseCodec.decode(response ?? Buffer.alloc(0)) as Resp);
      });
    });
    const stream = call as unknown as grpc.ClientWritableStream<Buffer>;
    let settled = false;
    answer.then(
      () => (settled = true),
      () => (settled = true),
    );
    try {
      for await (const request of requests) {
        if (settled) break;
        if (!stream.write(requestCodec.encode(request))) await Promise.race([once(stream, 'drain'), answer.catch(() => undefined)]);
      }
      stream.end();
    } catch (error) {
      stream.cancel();
      throw error;
    }
    return answer;
  }
}
