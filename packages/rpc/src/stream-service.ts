/**
 * Streaming services: gRPC services with streaming methods, served next to the gateways on a
 * process's one gRPC server and called over the same channel. They carry what must not go through
 * a gateway call: blob transfers in chunks, a followed job's events, later the data plane.
 *
 * Unlike gateways they have no endpoint, mailbox or fencing token; a handler runs as soon as its
 * call arrives, and it is the handler's job to hand work to an endpoint (runAsync) when it touches
 * endpoint state. Messages are encoded with the same protobufjs schema as gateway messages.
 *
 * Flow control: a server-stream handler's `out.write()` resolves once the transport took the
 * message, and the client's side pulls messages only as fast as its iteration consumes them; a
 * client stream writes the next request only once the previous ones drained. A slow peer therefore
 * slows its partner down instead of filling memory.
 *
 * Cancellation: a client that cancels a server stream, stops iterating it early, or goes away makes
 * the handler's `out.cancelled` true and runs its `onCancel` hooks; writes after that are dropped.
 * A client stream whose caller goes away ends the handler's iteration with an error. Caveat: a
 * client that cancels a client stream first half-closes it (Node's HTTP/2 ends the stream's
 * writable side before it resets it), so the handler may see its input end normally and learn of
 * the cancellation only afterwards. A handler that must not act on cut-off input has its messages
 * say how much to expect (as blob uploads do with their total size and hash).
 */
import * as grpc from '@grpc/grpc-js';
import type { StreamMethodDescriptor, StreamServiceDescriptor } from '@eddy/proto';
import { toRpcError, type GrpcTransport } from './grpc-transport.js';
import { MalformedPayloadError, RpcError, RpcUnreachableError } from './rpc-errors.js';
import { codecFor, type MessageCodec } from './rpc-codec.js';

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
export type BidiStreamHandler = (requests: AsyncIterable<never>, out: StreamWriter<never>) => Promise<void>;

/** The implementation of a StreamServiceDescriptor: one function per method, by method name. */
export type StreamServiceHandlers = Record<string, UnaryStreamHandler | ServerStreamHandler | ClientStreamHandler | BidiStreamHandler>;

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

/** Longest status message sent: gRPC carries it in a header, which peers limit in size. */
const MAX_DETAILS = 1024;

function toServiceError(error: unknown): Partial<grpc.ServiceError> {
  let code: grpc.status;
  let details: string;
  if (error instanceof StreamCallError || error instanceof RpcError) {
    code = error.code;
    details = error.message;
  } else {
    code = grpc.status.INTERNAL;
    details = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  return { code, details: details.length > MAX_DETAILS ? `${details.slice(0, MAX_DETAILS)}...` : details };
}

function decodeRequest(codec: MessageCodec, bytes: Buffer, methodPath: string): unknown {
  try {
    return codec.decode(bytes);
  } catch (error) {
    throw new StreamCallError(grpc.status.INVALID_ARGUMENT, `${methodPath}: the request is not a valid ${codec.typeName} (${String(error)})`);
  }
}

/** The decoded requests of a client or bidirectional stream. */
async function* requestsOf(call: grpc.ServerReadableStream<Buffer, Buffer> | grpc.ServerDuplexStream<Buffer, Buffer>, codec: MessageCodec, methodPath: string): AsyncGenerator<unknown> {
  // Plain `for await` destroys a stream whose end it reaches, which for a bidirectional call would
  // also cut off the responses still to come.
  for await (const chunk of call.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) yield decodeRequest(codec, chunk, methodPath);
  // A cancel known by now must not pass for the end of input (see the caveat at the top).
  if (call.cancelled) throw new StreamCallError(grpc.status.CANCELLED, `${methodPath}: the client cancelled the call or went away before it finished sending`);
}

/** The StreamWriter of a server or bidirectional stream. */
function writerFor(call: grpc.ServerWritableStream<Buffer, Buffer> | grpc.ServerDuplexStream<Buffer, Buffer>, codec: MessageCodec): StreamWriter<unknown> {
  let cancelled = false;
  const cancelHooks = new Set<() => void>();
  call.on('cancelled', () => {
    cancelled = true;
    for (const hook of [...cancelHooks]) {
      cancelHooks.delete(hook);
      hook();
    }
  });
  return {
    get cancelled() {
      return cancelled;
    },
    onCancel: (fn) => {
      if (cancelled) fn();
      else cancelHooks.add(fn);
    },
    write: async (message) => {
      if (cancelled) return;
      if (call.write(codec.encode(message))) return;
      // One pair of listeners per blocked write, both removed when either fires: a long
      // stream must not pile up listeners on the call.
      await new Promise<void>((resolve) => {
        const resume = (): void => {
          call.off('drain', resume);
          cancelHooks.delete(resume);
          resolve();
        };
        call.on('drain', resume);
        cancelHooks.add(resume);
      });
    },
  };
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
    // Handlers run inside a promise chain: one that throws synchronously answers an error status
    // like one that rejects, and an unencodable response does too.
    if (method.requestStream && method.responseStream) {
      const serve = handler as unknown as (requests: AsyncIterable<unknown>, out: StreamWriter<unknown>) => Promise<void>;
      implementation[method.name] = (call: grpc.ServerDuplexStream<Buffer, Buffer>): void => {
        const out = writerFor(call, responseCodec);
        Promise.resolve()
          .then(() => serve(requestsOf(call, requestCodec, method.path), out))
          .then(
            () => {
              if (!out.cancelled) call.end();
            },
            (error: unknown) => {
              if (!out.cancelled) call.emit('error', toServiceError(error));
            },
          );
      };
    } else if (method.responseStream) {
      const serve = handler as unknown as (request: unknown, out: StreamWriter<unknown>) => Promise<void>;
      implementation[method.name] = (call: grpc.ServerWritableStream<Buffer, Buffer>): void => {
        const out = writerFor(call, responseCodec);
        Promise.resolve()
          .then(() => serve(decodeRequest(requestCodec, call.request, method.path), out))
          .then(
            () => {
              if (!out.cancelled) call.end();
            },
            (error: unknown) => {
              // grpc-js turns an 'error' event on the call into the status it sends.
              if (!out.cancelled) call.emit('error', toServiceError(error));
            },
          );
      };
    } else if (method.requestStream) {
      const serve = handler as unknown as (requests: AsyncIterable<unknown>) => Promise<unknown>;
      implementation[method.name] = (call: grpc.ServerReadableStream<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>): void => {
        Promise.resolve()
          .then(() => serve(requestsOf(call, requestCodec, method.path)))
          .then((response) => responseCodec.encode(response))
          .then(
            (response) => callback(null, response),
            (error: unknown) => callback(toServiceError(error)),
          );
      };
    } else {
      const serve = handler as unknown as (request: unknown) => Promise<unknown>;
      implementation[method.name] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>): void => {
        Promise.resolve()
          .then(() => serve(decodeRequest(requestCodec, call.request, method.path)))
          .then((response) => responseCodec.encode(response))
          .then(
            (response) => callback(null, response),
            (error: unknown) => callback(toServiceError(error)),
          );
      };
    }
  }
  return { definition, implementation };
}

/** How RpcService.streamClient() connects. */
export interface StreamClientOptions {
  /**
   * Use the data channel to this host:port instead of the channel gateway calls share: a second
   * HTTP/2 connection, so bulk data neither queues behind nor delays control calls (heartbeats,
   * deployments), with its own receive window. The window is what paces a stream whose client
   * receives: grpc-js's default (64 KiB) halves the throughput of a data stream, 16 MiB reaches
   * 85-90 % of raw TCP. There is one data channel per host:port, made by the first caller that asks
   * for it, whose window it keeps. Like the shared channel it never retries a call, and it keeps no
   * retry buffer, whose cost would grow with every message of a long-lived stream.
   */
  readonly dataChannel?: { readonly flowControlWindowBytes: number };
}

/** A server stream being received: iterate it; cancel() ends it early. */
export interface IncomingStream<T> extends AsyncIterable<T> {
  cancel(): void;
}

/**
 * A bidirectional stream seen from its client: write() requests, iterate the responses. Failures of
 * the call (including failing to open it) surface when the responses are iterated.
 */
export interface BidiStream<Req, Resp> extends AsyncIterable<Resp> {
  /**
   * Sends one request; resolves once the transport took it, so a caller that awaits each write
   * sends no faster than its peer reads. After end(), cancel() or a failure of the call the
   * message is dropped (the failure shows in the iteration); rejects only when the message does not
   * fit its type.
   */
  write(message: Req): Promise<void>;
  /** Half-closes the call: the server's iteration of the requests ends; responses keep coming. */
  end(): void;
  /** Cancels the call; the iteration ends quietly. */
  cancel(): void;
}

/** Calls the methods of streaming services on one remote RpcService. */
export class StreamClient {
  constructor(private readonly transport: GrpcTransport) {}

  get address(): string {
    return this.transport.hostPort;
  }

  private closedError(method: StreamMethodDescriptor, detail: string): RpcUnreachableError {
    return new RpcUnreachableError({ method: method.path, address: this.address, cause: 'connection closed', detail });
  }

  private checkOpen(method: StreamMethodDescriptor): void {
    if (this.transport.isClosed) throw this.closedError(method, 'the calling RpcService has stopped');
  }

  private decodeResponse(method: StreamMethodDescriptor, codec: MessageCodec, bytes: Buffer | undefined): unknown {
    try {
      return codec.decode(bytes ?? Buffer.alloc(0));
    } catch (error) {
      throw new MalformedPayloadError({ method: method.path, address: this.address, messageType: codec.typeName, detail: String(error) });
    }
  }

  /** Rebuilds any failure of a call as an RpcError. */
  private toCallError(method: StreamMethodDescriptor, error: unknown, timeoutMs: number): RpcError {
    if (error instanceof RpcError) return error;
    if (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number') {
      return toRpcError(error as grpc.ServiceError, method.path, this.address, timeoutMs);
    }
    return this.closedError(method, error instanceof Error ? error.message : String(error));
  }

  async unary<Req, Resp>(method: StreamMethodDescriptor, request: Req, timeoutMs: number): Promise<Resp> {
    this.checkOpen(method);
    const requestBytes = codecFor(method.requestType).encode(request);
    const responseCodec = codecFor(method.responseType);
    return new Promise<Resp>((resolve, reject) => {
      try {
        this.transport.client.makeUnaryRequest<Buffer, Buffer>(method.path, identity, identity, requestBytes, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) => {
          try {
            if (error) reject(toRpcError(error, method.path, this.address, timeoutMs));
            else resolve(this.decodeResponse(method, responseCodec, response) as Resp);
          } catch (failure) {
            reject(failure);
          }
        });
      } catch (error) {
        // grpc-js throws synchronously on a channel that was closed under us.
        reject(this.toCallError(method, error, timeoutMs));
      }
    });
  }

  /**
   * Opens a server stream. Without timeoutMs it lives until the server ends it or cancel().
   * Failures, including failing to open the call, surface when the stream is iterated. A consumer
   * that stops iterating early (break, throw) cancels the call, so the server stops sending.
   */
  serverStream<Req, Resp>(method: StreamMethodDescriptor, request: Req, timeoutMs?: number): IncomingStream<Resp> {
    const responseCodec = codecFor(method.responseType);
    let call: grpc.ClientReadableStream<Buffer> | undefined;
    let openFailure: unknown;
    // grpc-js emits 'error' on the call whether or not its consumer iterates yet; with no listener
    // that would be an uncaught exception, so one listener keeps it for the iteration.
    const state: IncomingCallState = { finished: false, cancelled: false, earlyError: undefined };
    try {
      this.checkOpen(method);
      const requestBytes = codecFor(method.requestType).encode(request);
      const options: grpc.CallOptions = timeoutMs === undefined ? {} : { deadline: Date.now() + timeoutMs };
      call = this.transport.client.makeServerStreamRequest<Buffer, Buffer>(method.path, identity, identity, requestBytes, new grpc.Metadata(), options);
      call.on('error', (error: unknown) => (state.earlyError ??= error));
      call.on('status', () => (state.finished = true));
    } catch (error) {
      openFailure = this.toCallError(method, error, timeoutMs ?? 0);
    }
    const fail = (error: unknown): RpcError => this.toCallError(method, error, timeoutMs ?? 0);
    const decode = (bytes: Buffer): Resp => this.decodeResponse(method, responseCodec, bytes) as Resp;
    const iterator = incomingResponses(call, openFailure, state, decode, fail);
    return {
      [Symbol.asyncIterator]: () => iterator,
      cancel: () => {
        state.cancelled = true;
        call?.cancel();
      },
    };
  }

  /**
   * Sends every message of `requests` as one client stream and resolves to the server's answer.
   * The next request is taken from `requests` only once the transport drained the previous ones.
   * Stops sending once the server has answered. When `requests` throws, the call is cancelled and
   * the promise rejects with that error.
   */
  async clientStream<Req, Resp>(method: StreamMethodDescriptor, requests: AsyncIterable<Req> | Iterable<Req>, timeoutMs: number): Promise<Resp> {
    this.checkOpen(method);
    const requestCodec = codecFor(method.requestType);
    const responseCodec = codecFor(method.responseType);
    let settled = false;
    let wake: (() => void) | undefined;
    let resolveAnswer!: (response: Resp) => void;
    let rejectAnswer!: (error: unknown) => void;
    const answer = new Promise<Resp>((resolve, reject) => {
      resolveAnswer = resolve;
      rejectAnswer = reject;
    });
    // Observed at the end; until then a rejection must not count as unhandled.
    answer.catch(() => undefined);
    let stream: grpc.ClientWritableStream<Buffer>;
    try {
      stream = this.transport.client.makeClientStreamRequest<Buffer, Buffer>(method.path, identity, identity, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) => {
        settled = true;
        try {
          if (error) rejectAnswer(toRpcError(error, method.path, this.address, timeoutMs));
          else resolveAnswer(this.decodeResponse(method, responseCodec, response) as Resp);
        } catch (failure) {
          rejectAnswer(failure);
        }
        wake?.();
      });
    } catch (error) {
      throw this.toCallError(method, error, timeoutMs);
    }
    try {
      for await (const request of requests) {
        if (settled) break;
        if (!stream.write(requestCodec.encode(request))) {
          await new Promise<void>((resolve) => {
            const resume = (): void => {
              stream.off('drain', resume);
              wake = undefined;
              resolve();
            };
            stream.on('drain', resume);
            wake = resume;
          });
        }
        if (settled) break;
      }
    } catch (error) {
      stream.cancel();
      throw error;
    }
    stream.end();
    return answer;
  }

  /**
   * Opens a bidirectional stream. Without timeoutMs it lives until either side ends it or cancel().
   * A consumer that stops iterating early (break, throw) cancels the call.
   */
  bidiStream<Req, Resp>(method: StreamMethodDescriptor, timeoutMs?: number): BidiStream<Req, Resp> {
    const requestCodec = codecFor(method.requestType);
    const responseCodec = codecFor(method.responseType);
    let call: grpc.ClientDuplexStream<Buffer, Buffer> | undefined;
    let openFailure: unknown;
    const state: IncomingCallState = { finished: false, cancelled: false, earlyError: undefined };
    let ended = false;
    const blockedWrites = new Set<() => void>();
    const releaseWrites = (): void => {
      for (const release of [...blockedWrites]) release();
    };
    try {
      this.checkOpen(method);
      const options: grpc.CallOptions = timeoutMs === undefined ? {} : { deadline: Date.now() + timeoutMs };
      call = this.transport.client.makeBidiStreamRequest<Buffer, Buffer>(method.path, identity, identity, new grpc.Metadata(), options);
      call.on('error', (error: unknown) => {
        state.earlyError ??= error;
        releaseWrites();
      });
      call.on('status', () => {
        state.finished = true;
        releaseWrites();
      });
    } catch (error) {
      openFailure = this.toCallError(method, error, timeoutMs ?? 0);
    }
    const fail = (error: unknown): RpcError => this.toCallError(method, error, timeoutMs ?? 0);
    const decode = (bytes: Buffer): Resp => this.decodeResponse(method, responseCodec, bytes) as Resp;
    const iterator = incomingResponses(call, openFailure, state, decode, fail, releaseWrites);
    return {
      [Symbol.asyncIterator]: () => iterator,
      write: async (message) => {
        const bytes = requestCodec.encode(message);
        if (call === undefined || state.cancelled || ended || state.finished || state.earlyError !== undefined) return;
        if (call.write(bytes)) return;
        const stream = call;
        await new Promise<void>((resolve) => {
          const resume = (): void => {
            stream.off('drain', resume);
            blockedWrites.delete(resume);
            resolve();
          };
          stream.on('drain', resume);
          blockedWrites.add(resume);
        });
      },
      end: () => {
        if (call === undefined || ended || state.cancelled) return;
        ended = true;
        call.end();
      },
      cancel: () => {
        state.cancelled = true;
        call?.cancel();
        releaseWrites();
      },
    };
  }
}

/** Where a call whose responses stream in stands; shared by the call's handlers and its reader. */
interface IncomingCallState {
  /** The call has its status: it ended, one way or another. */
  finished: boolean;
  /** The caller cancelled it (or stopped reading early). */
  cancelled: boolean;
  /** An error grpc-js emitted, kept until the reader gets to it. */
  earlyError: unknown;
}

/**
 * Reads the responses of a server or bidirectional stream: decodes each, turns errors into
 * RpcErrors, and cancels the call when its consumer stops early (break, throw), calling
 * `onStoppedEarly` then.
 */
async function* incomingResponses<Resp>(
  call: (AsyncIterable<Buffer> & { cancel(): void }) | undefined,
  openFailure: unknown,
  state: IncomingCallState,
  decode: (bytes: Buffer) => Resp,
  fail: (error: unknown) => RpcError,
  onStoppedEarly?: () => void,
): AsyncGenerator<Resp> {
  if (call === undefined) throw openFailure;
  try {
    for await (const chunk of call) yield decode(chunk);
  } catch (error) {
    if (state.cancelled) return;
    throw fail(error);
  } finally {
    if (!state.finished) {
      state.cancelled = true;
      call.cancel();
      onStoppedEarly?.();
    }
  }
  // An error emitted before the iteration began ends the stream without reaching the loop.
  if (state.earlyError !== undefined && !state.cancelled) throw fail(state.earlyError);
}
