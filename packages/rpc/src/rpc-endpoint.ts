/**
 * RpcEndpoint: a component that serves one gateway, with a lifecycle and a mailbox.
 *
 * THE THREADING RULE (every endpoint relies on it)
 *
 *   An endpoint lives on its process's event loop. Everything addressed to it goes through its
 *   mailbox: RPCs from any caller, local or remote, `runAsync`, `scheduleRunAsync` timers and
 *   `callAsync`. The mailbox starts them one at a time, in arrival order, and each runs undisturbed
 *   until its first `await` (or until it returns). Handlers are therefore free to read and change
 *   the endpoint's fields without locks, as long as they do it before awaiting.
 *
 *   After any `await`, other messages may have run: the endpoint's state may have changed. Re-check
 *   what you rely on (the fencing token, a job's status, an attempt number, whether the endpoint is
 *   still running) before acting on it.
 *
 *   A handler never waits for its own mailbox to drain; a message is started as soon as the one
 *   before it yields. So two endpoints that ask each other from inside their handlers cannot
 *   deadlock, and an endpoint may await a `callAsync` it enqueued itself.
 *
 *   Code outside the endpoint (callbacks of I/O the endpoint started, promises of other libraries)
 *   does not run in the mailbox. Hop back with `runAsync` before touching the endpoint's state from
 *   such a callback, unless the callback is an `await` continuation inside a handler (those follow
 *   the rule above).
 *
 * LIFECYCLE
 *
 *   constructed ──start()──► STARTING (onStart) ──► RUNNING ──closeAsync()──► STOPPING (onStop) ──► TERMINATED
 *
 *   Constructed: registered with the RpcService, so callers get "endpoint not started" rather than
 *   "unknown endpoint". STARTING: calls are held and run, in order, once onStart has completed;
 *   mailbox tasks the endpoint sends itself run at once. STOPPING: still serves calls. TERMINATED:
 *   timers are cancelled, queued calls are refused, the endpoint leaves the RpcService and
 *   `terminated` settles (rejecting when onStop failed).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@eddy/common';
import type { GatewayDescriptor, MethodDescriptor } from '@eddy/proto';
import type { EndpointHost, HostedEndpoint } from './endpoint-host.js';
import { Mailbox } from './mailbox.js';
import { EndpointNotStartedError, RemoteHandlerError, RpcTimeoutError, UnknownEndpointError, type RpcError } from './rpc-errors.js';

export type EndpointState = 'CREATED' | 'STARTING' | 'RUNNING' | 'STOPPING' | 'TERMINATED';

/** A timer scheduled with scheduleRunAsync. */
export interface ScheduledTask {
  /** Prevents the task from running, if it has not yet. */
  cancel(): void;
}

type Handler = (this: unknown, request: unknown) => unknown;

/** Longest remote error message or stack sent back to a caller, in characters. */
const MAX_REMOTE_TEXT = 4096;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}... [${text.length - max} more characters cut]`;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/**
 * Base class of every endpoint. A subclass implements its gateway's interface and passes the
 * gateway's descriptor: `class Counter extends RpcEndpoint implements CounterGateway`.
 */
export abstract class RpcEndpoint implements HostedEndpoint {
  readonly endpointId: string;
  readonly gateway: GatewayDescriptor<object>;
  protected readonly log: Logger;
  /** Resolves when the endpoint has terminated; rejects with onStop's error if it failed. */
  readonly terminated: Promise<void>;

  private state: EndpointState = 'CREATED';
  private readonly mailbox: Mailbox;
  private readonly timers = new Set<NodeJS.Timeout>();
  private heldCalls: (() => void)[] = [];
  /** Rejecters of callAsync promises not yet settled; termination rejects them. */
  private readonly pendingCallAsync = new Set<(error: unknown) => void>();
  private stopRequested = false;
  private startResult: Promise<void> | undefined;
  private settleTermination!: (error?: unknown) => void;

  protected constructor(
    protected readonly rpcService: EndpointHost,
    gateway: GatewayDescriptor<object>,
    endpointId: string = randomUUID(),
  ) {
    this.endpointId = endpointId;
    this.gateway = gateway;
    this.log = rpcService.logger.child({ component: new.target.name, endpointId });
    this.mailbox = new Mailbox((error) => this.log.error({ err: error }, 'Uncaught error in a mailbox task'));
    this.terminated = new Promise<void>((resolve, reject) => {
      this.settleTermination = (error?: unknown) => (error === undefined ? resolve() : reject(error));
    });
    // Nobody may be waiting on termination; a failed onStop is logged where it happens.
    this.terminated.catch(() => undefined);
    for (const method of Object.values(gateway.methods) as MethodDescriptor[]) {
      if (typeof (this as unknown as Record<string, unknown>)[method.name] !== 'function') {
        throw new TypeError(`${new.target.name} does not implement ${gateway.name}.${method.name}`);
      }
    }
    rpcService.registerEndpoint(this);
  }

  /** Whether calls must carry the current fencing token; see FencedRpcEndpoint. */
  get fenced(): boolean {
    return false;
  }

  /** `host:port/endpointId`: what other processes pass to RpcService.connect(). */
  get address(): string {
    return `${this.rpcService.address}/${this.endpointId}`;
  }

  get lifecycleState(): EndpointState {
    return this.state;
  }

  /** Runs onStart(); the endpoint serves calls once it resolves. Rejects (and terminates) if onStart fails. */
  start(): Promise<void> {
    if (this.state !== 'CREATED') {
      return Promise.reject(new Error(`Endpoint '${this.endpointId}' cannot start: it is ${this.state}`));
    }
    this.state = 'STARTING';
    this.startResult = this.runStart();
    return this.startResult;
  }

  /** Stops the endpoint (onStop() runs in the mailbox); resolves when it has terminated. */
  closeAsync(): Promise<void> {
    switch (this.state) {
      case 'CREATED':
        this.terminate(undefined);
        break;
      case 'STARTING':
        // Honoured as soon as onStart completes; RpcService.stop() bounds the wait.
        this.stopRequested = true;
        break;
      case 'RUNNING':
        this.state = 'STOPPING';
        this.log.info('Stopping RPC endpoint');
        this.mailbox.enqueue(() => this.runStop());
        break;
      case 'STOPPING':
      case 'TERMINATED':
        break;
    }
    return this.terminated;
  }

  /** Called once when the endpoint starts; calls are held until it completes. */
  protected onStart(): void | Promise<void> {}

  /** Called once when the endpoint stops, in the mailbox; calls are still served meanwhile. */
  protected onStop(): void | Promise<void> {}

  /** Runs `task` in the mailbox, after everything already in it. */
  runAsync(task: () => void): void {
    this.mailbox.enqueue(() => {
      if (this.state === 'TERMINATED') return;
      task();
    });
  }

  /** Runs `task` in the mailbox after `delayMs`, unless the endpoint has terminated by then. */
  scheduleRunAsync(task: () => void, delayMs: number): ScheduledTask {
    if (this.state === 'TERMINATED') return { cancel: () => undefined };
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.runAsync(task);
    }, delayMs);
    this.timers.add(timer);
    return {
      cancel: () => {
        clearTimeout(timer);
        this.timers.delete(timer);
      },
    };
  }

  /**
   * Runs `task` in the mailbox and resolves to its result. Rejects with RpcTimeoutError when it
   * has not completed within `timeoutMs`, and with UnknownEndpointError when the endpoint
   * terminates before the task has completed.
   */
  callAsync<T>(task: () => T | Promise<T>, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        finish(new RpcTimeoutError({ method: `callAsync on endpoint '${this.endpointId}'`, address: this.address, timeoutMs }));
      }, timeoutMs);
      this.timers.add(timer);
      const finish = (error: unknown, value?: T): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.timers.delete(timer);
        this.pendingCallAsync.delete(finish);
        if (error === undefined) resolve(value as T);
        else reject(error);
      };
      this.pendingCallAsync.add(finish);
      this.mailbox.enqueue(() => {
        if (settled) return;
        if (this.state === 'TERMINATED') {
          finish(this.terminatedError());
          return;
        }
        try {
          Promise.resolve(task()).then(
            (value) => finish(undefined, value),
            (error: unknown) => finish(error ?? new Error('callAsync task rejected without a reason')),
          );
        } catch (error) {
          finish(error ?? new Error('callAsync task threw without a reason'));
        }
      });
    });
  }

  /** The fencing check of a call; undefined when it may run. See FencedRpcEndpoint. */
  protected checkFencingToken(_method: MethodDescriptor, _fencingToken: string): RpcError | undefined {
    return undefined;
  }

  dispatch(method: MethodDescriptor, request: unknown, fencingToken: string, fromNetwork: boolean): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const run = (): void => {
        if (this.state === 'TERMINATED') {
          reject(this.terminatedError());
          return;
        }
        const fencingError = this.checkFencingToken(method, fencingToken);
        if (fencingError !== undefined) {
          reject(fencingError);
          return;
        }
        const handler = (this as unknown as Record<string, Handler>)[method.name] as Handler;
        let result: unknown;
        try {
          result = handler.call(this, request);
        } catch (error) {
          reject(this.handlerError(method, error));
          return;
        }
        if (isThenable(result)) {
          result.then(resolve, (error: unknown) => reject(this.handlerError(method, error)));
        } else {
          resolve(result);
        }
      };
      switch (this.state) {
        case 'CREATED':
          reject(new EndpointNotStartedError({ address: this.address, endpointId: this.endpointId, method: this.methodLabel(method) }));
          return;
        case 'STARTING':
          this.heldCalls.push(run);
          return;
        default:
          if (fromNetwork) this.mailbox.runOrEnqueue(run);
          else this.mailbox.enqueue(run);
      }
    });
  }

  private async runStart(): Promise<void> {
    this.log.info('Starting RPC endpoint');
    try {
      await this.onStart();
    } catch (error) {
      this.log.error({ err: error }, 'RPC endpoint failed to start');
      this.terminate(error);
      throw error;
    }
    this.state = 'RUNNING';
    const held = this.heldCalls;
    this.heldCalls = [];
    for (const call of held) this.mailbox.enqueue(call);
    this.log.info('RPC endpoint started');
    if (this.stopRequested) void this.closeAsync();
  }

  private runStop(): void {
    let stopped: Promise<void>;
    try {
      stopped = Promise.resolve(this.onStop());
    } catch (error) {
      stopped = Promise.reject(error);
    }
    stopped.then(
      () => this.terminate(undefined),
      (error: unknown) => {
        this.log.error({ err: error }, 'RPC endpoint failed to stop cleanly');
        this.terminate(error);
      },
    );
  }

  private terminate(error: unknown): void {
    if (this.state === 'TERMINATED') return;
    this.state = 'TERMINATED';
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const held = this.heldCalls;
    this.heldCalls = [];
    for (const call of held) call();
    for (const rejectCall of [...this.pendingCallAsync]) rejectCall(this.terminatedError());
    this.rpcService.unregisterEndpoint(this);
    this.log.info('RPC endpoint terminated');
    this.settleTermination(error);
  }

  private terminatedError(): UnknownEndpointError {
    return new UnknownEndpointError({ address: this.rpcService.address, endpointId: this.endpointId, hosted: [], stopped: true });
  }

  private handlerError(method: MethodDescriptor, error: unknown): RemoteHandlerError {
    const err = error instanceof Error ? error : new Error(String(error));
    // The error travels in HTTP/2 headers, which peers cap at tens of KiB: keep it well below.
    return new RemoteHandlerError({
      method: this.methodLabel(method),
      address: this.address,
      remoteName: truncate(err.name, 200),
      remoteMessage: truncate(err.message, MAX_REMOTE_TEXT),
      remoteStack: truncate(err.stack ?? `${err.name}: ${err.message}`, MAX_REMOTE_TEXT),
    });
  }

  protected methodLabel(method: MethodDescriptor): string {
    return `${this.gateway.name.slice(this.gateway.name.lastIndexOf('.') + 1)}.${method.name}`;
  }
}
