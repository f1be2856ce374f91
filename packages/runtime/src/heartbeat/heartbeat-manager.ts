/**
 * Heartbeats: how an endpoint notices that a peer it depends on has died or gone silent.
 *
 * The ResourceManager monitors its TaskManagers, a JobMaster the TaskManagers running its tasks,
 * and a TaskManager its ResourceManager and JobMasters. Each side sends heartbeat RPCs whose
 * answers carry a payload (slot reports, the sender's event-loop lag), and may also receive
 * heartbeats from the other side; either one is a sign of life.
 *
 * A target is lost in one of two ways:
 *   - silence: nothing heard from it (no answer, no incoming heartbeat) for `heartbeat.timeout`.
 *     This catches a cut-off network or a stalled process, and is the only way to catch them.
 *   - unreachable: `heartbeat.rpc-failure-threshold` heartbeat RPCs in a row failed with
 *     RpcUnreachableError (connection refused, reset or closed). The process is gone; waiting for
 *     the timeout would only delay recovery. After such a failure the next heartbeat goes out
 *     within 200 ms (jittered), so a dead TaskManager is noticed within about one interval plus
 *     half a second instead of ten seconds. Other calls of the owner that could not reach the
 *     target count too (`reportUnreachable`): a deployment refused with "connection refused" is
 *     as good a sign as a failed heartbeat.
 * While a target has unreachable failures that no answer has cleared since, it is *suspect*
 * (`isReachable` is false): the owner offers it no new work until it answers again or is lost.
 * Any other failure (a timeout, an error thrown by the target's handler) proves nothing about
 * the process being gone, so it only resets the unreachable count, as in Flink.
 *
 * Threading: every callback (sendHeartbeat, notifyHeartbeat, notifyTargetLost) runs in the
 * owning endpoint's mailbox: timers go through `scheduleInMainThread`, and the settling of a
 * heartbeat RPC is handed back through `runInMainThread`. The manager's own methods must be
 * called from that mailbox too. After `stop()` nothing is called back.
 */
import { Backoff, type Logger } from '@eddy/common';

import { HeartbeatOptions } from './heartbeat-options.js';

/** Monitors a set of targets by id; see the file comment. */
export interface HeartbeatManager<P> {
  /**
   * Starts monitoring `targetId`: a heartbeat goes out right away and then every interval. The
   * timeout counts from now until something is heard. Does nothing if it is already monitored.
   */
  monitorTarget(targetId: string): void;
  /** Stops monitoring `targetId` without reporting it lost. Does nothing if it is not monitored. */
  unmonitorTarget(targetId: string): void;
  /** Records a heartbeat received from `targetId` as a sign of life. Ignored for unknown targets. */
  reportHeartbeatFrom(targetId: string): void;
  /** When `targetId` was last heard from (clock of `now`), or undefined if never or not monitored. */
  lastHeartbeatFrom(targetId: string): number | undefined;
  /** Whether `targetId` is monitored (it was added and is neither removed nor lost). */
  isMonitoring(targetId: string): boolean;
  /**
   * Counts a call of the owner that could not reach `targetId` (RpcUnreachableError) like a failed
   * heartbeat: the target becomes suspect, is lost at heartbeat.rpc-failure-threshold, and gets
   * its next heartbeat soon. Other errors are ignored. Ignored for targets that are not monitored.
   */
  reportUnreachable(targetId: string, error: unknown): void;
  /**
   * False while the last call to `targetId` (heartbeat or reported) could not reach it and nothing
   * has been heard from it since; true otherwise, also for targets that are not monitored.
   */
  isReachable(targetId: string): boolean;
  /** Stops monitoring every target and cancels every timer; nothing is called back afterwards. */
  stop(): void;
}

/** A timer of the owning endpoint (RpcEndpoint.scheduleRunAsync returns one). */
export interface HeartbeatTimer {
  cancel(): void;
}

export interface HeartbeatManagerOptions<P> {
  /** What the targets are, for log lines and loss reasons, e.g. 'TaskManager'. */
  readonly name: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Consecutive unreachable failures after which a target is lost; -1 turns the check off. */
  readonly rpcFailureThreshold: number;
  readonly logger: Logger;
  /** Runs `fn` in the owning endpoint's mailbox (RpcEndpoint.runAsync). */
  readonly runInMainThread: (fn: () => void) => void;
  /** Runs `fn` in the owning endpoint's mailbox after `delayMs` (RpcEndpoint.scheduleRunAsync). */
  readonly scheduleInMainThread: (fn: () => void, delayMs: number) => HeartbeatTimer;
  /** Current time in ms. Defaults to a monotonic clock on the Unix epoch scale. */
  readonly now?: () => number;
  /** Random numbers in [0, 1) for the jitter of sooner heartbeats; default Math.random (tests fix it). */
  readonly random?: () => number;
  /** Sends one heartbeat RPC to the target; resolves to the payload it answers with. */
  readonly sendHeartbeat: (targetId: string) => Promise<P>;
  /** Receives the payload of each answered heartbeat. */
  readonly notifyHeartbeat: (targetId: string, payload: P) => void;
  /** Called once when a target is lost; the target is no longer monitored by then. */
  readonly notifyTargetLost: (targetId: string, reason: string) => void;
}

/** Longest wait before the next heartbeat after one could not reach its target (jittered down to half of it). */
const UNREACHABLE_RETRY_MS = 200;

/** The error name RpcUnreachableError carries (matched by name so that any transport can use it). */
const UNREACHABLE_ERROR_NAME = 'RpcUnreachableError';

interface MonitoredTarget {
  readonly id: string;
  /** When monitoring started: the timeout counts from here until something is heard. */
  readonly monitoredSince: number;
  lastHeardAt: number | undefined;
  sendInFlight: boolean;
  consecutiveUnreachable: number;
  nextSend: HeartbeatTimer | undefined;
  timeoutCheck: HeartbeatTimer | undefined;
  /** When the pending timeout check was due, to tell whether it ran late. */
  timeoutCheckDueAt: number;
  /** Whether the current silence already got its one extra interval after a stall of our own. */
  graceGiven: boolean;
  /** Delays of the sooner heartbeats after unreachable failures. */
  readonly unreachableRetry: Backoff;
}

/** Whether `error` says the peer's process could not be reached (RpcUnreachableError, matched by name). */
export function isUnreachable(error: unknown): boolean {
  return error instanceof Error && error.name === UNREACHABLE_ERROR_NAME;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The heartbeat manager every endpoint uses; see the file comment for what counts as lost.
 *
 * The timeout is checked by one timer per target that is due when the silence would reach the
 * timeout; a heartbeat does not reschedule it, the check looks at the last sign of life and
 * re-arms itself. If that check runs late by more than an interval, this process was itself
 * stalled (a long synchronous task, a GC pause) and heartbeats that arrived meanwhile may still
 * be queued behind the timer; the check then waits one more interval before declaring the loss,
 * so a stall on our side does not cost every TaskManager at once.
 */
export class DefaultHeartbeatManager<P> implements HeartbeatManager<P> {
  readonly #name: string;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #rpcFailureThreshold: number;
  readonly #logger: Logger;
  readonly #runInMainThread: (fn: () => void) => void;
  readonly #scheduleInMainThread: (fn: () => void, delayMs: number) => HeartbeatTimer;
  readonly #now: () => number;
  readonly #random: (() => number) | undefined;
  readonly #sendHeartbeat: (targetId: string) => Promise<P>;
  readonly #notifyHeartbeat: (targetId: string, payload: P) => void;
  readonly #notifyTargetLost: (targetId: string, reason: string) => void;
  readonly #targets = new Map<string, MonitoredTarget>();
  #stopped = false;

  constructor(options: HeartbeatManagerOptions<P>) {
    const { intervalMs, timeoutMs, rpcFailureThreshold } = options;
    if (!(intervalMs > 0) || !(timeoutMs > 0)) {
      throw new RangeError(`Heartbeat interval and timeout must be positive, got ${intervalMs} ms and ${timeoutMs} ms`);
    }
    if (!(Number.isInteger(rpcFailureThreshold) && (rpcFailureThreshold >= 1 || rpcFailureThreshold === -1))) {
      throw new RangeError(`Heartbeat RPC failure threshold must be at least 1, or -1 for off, got ${rpcFailureThreshold}`);
    }
    this.#name = options.name;
    this.#intervalMs = intervalMs;
    this.#timeoutMs = timeoutMs;
    this.#rpcFailureThreshold = rpcFailureThreshold;
    this.#logger = options.logger.child({ heartbeatTargets: options.name });
    this.#runInMainThread = options.runInMainThread;
    this.#scheduleInMainThread = options.scheduleInMainThread;
    this.#now = options.now ?? monotonicNow;
    this.#random = options.random;
    this.#sendHeartbeat = options.sendHeartbeat;
    this.#notifyHeartbeat = options.notifyHeartbeat;
    this.#notifyTargetLost = options.notifyTargetLost;
  }

  monitorTarget(targetId: string): void {
    if (this.#stopped) {
      this.#logger.debug({ target: targetId }, 'Heartbeat manager is stopped; not monitoring target');
      return;
    }
    if (this.#targets.has(targetId)) return;
    const now = this.#now();
    const target: MonitoredTarget = {
      id: targetId,
      monitoredSince: now,
      lastHeardAt: undefined,
      sendInFlight: false,
      consecutiveUnreachable: 0,
      nextSend: undefined,
      timeoutCheck: undefined,
      timeoutCheckDueAt: 0,
      graceGiven: false,
      unreachableRetry: this.#unreachableRetry(),
    };
    this.#targets.set(targetId, target);
    this.#logger.debug({ target: targetId }, 'Monitoring heartbeat target');
    this.#scheduleTimeoutCheck(target, now + this.#timeoutMs);
    // Through the mailbox rather than inline, so the caller finishes (e.g. answers the
    // registration) before the first heartbeat goes out.
    this.#runInMainThread(() => this.#sendTick(target));
  }

  unmonitorTarget(targetId: string): void {
    const target = this.#targets.get(targetId);
    if (target === undefined) return;
    this.#remove(target);
    this.#logger.debug({ target: targetId }, 'Stopped monitoring heartbeat target');
  }

  reportHeartbeatFrom(targetId: string): void {
    const target = this.#targets.get(targetId);
    if (target === undefined) {
      this.#logger.trace({ target: targetId }, 'Ignored heartbeat from a target that is not monitored');
      return;
    }
    target.lastHeardAt = this.#now();
    target.consecutiveUnreachable = 0;
    target.unreachableRetry.reset();
    this.#logger.trace({ target: targetId }, 'Received heartbeat');
  }

  lastHeartbeatFrom(targetId: string): number | undefined {
    return this.#targets.get(targetId)?.lastHeardAt;
  }

  isMonitoring(targetId: string): boolean {
    return this.#targets.has(targetId);
  }

  reportUnreachable(targetId: string, error: unknown): void {
    const target = this.#targets.get(targetId);
    if (target === undefined || !isUnreachable(error)) return;
    this.#countUnreachable(target, error, 'A call could not reach the target; sending the next heartbeat sooner');
  }

  isReachable(targetId: string): boolean {
    return (this.#targets.get(targetId)?.consecutiveUnreachable ?? 0) === 0;
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const target of [...this.#targets.values()]) this.#remove(target);
  }

  /** Whether `target` is still the live entry for its id (not removed, lost, or replaced since). */
  #isCurrent(target: MonitoredTarget): boolean {
    return !this.#stopped && this.#targets.get(target.id) === target;
  }

  #remove(target: MonitoredTarget): void {
    this.#targets.delete(target.id);
    target.nextSend?.cancel();
    target.timeoutCheck?.cancel();
    target.nextSend = undefined;
    target.timeoutCheck = undefined;
  }

  // -------------------------------------------------------------------------
  // Sending

  #scheduleSend(target: MonitoredTarget, delayMs: number): void {
    target.nextSend?.cancel();
    target.nextSend = this.#scheduleInMainThread(() => this.#sendTick(target), delayMs);
  }

  #sendTick(target: MonitoredTarget): void {
    if (!this.#isCurrent(target)) return;
    this.#scheduleSend(target, this.#intervalMs);
    if (target.sendInFlight) {
      this.#logger.trace({ target: target.id }, 'Previous heartbeat still outstanding; skipping this one');
      return;
    }
    target.sendInFlight = true;
    this.#logger.trace({ target: target.id }, 'Sending heartbeat');
    let answer: Promise<P>;
    try {
      answer = this.#sendHeartbeat(target.id);
    } catch (error) {
      answer = Promise.reject(error);
    }
    answer.then(
      (payload) => this.#handBack(() => this.#onAnswer(target, payload)),
      (error: unknown) => this.#handBack(() => this.#onSendFailure(target, error)),
    );
  }

  /** Hands the settling of a heartbeat RPC back to the mailbox; nothing after stop(). */
  #handBack(fn: () => void): void {
    if (this.#stopped) return;
    try {
      this.#runInMainThread(fn);
    } catch (error) {
      this.#logger.debug({ err: error }, 'Could not hand a heartbeat answer back to the main thread');
    }
  }

  #onAnswer(target: MonitoredTarget, payload: P): void {
    if (!this.#isCurrent(target)) return;
    target.sendInFlight = false;
    target.consecutiveUnreachable = 0;
    target.unreachableRetry.reset();
    target.lastHeardAt = this.#now();
    this.#logger.trace({ target: target.id }, 'Received heartbeat answer');
    this.#notifyHeartbeat(target.id, payload);
  }

  #onSendFailure(target: MonitoredTarget, error: unknown): void {
    if (!this.#isCurrent(target)) return;
    target.sendInFlight = false;
    if (!isUnreachable(error)) {
      target.consecutiveUnreachable = 0;
      this.#logger.debug({ target: target.id, err: error }, 'Heartbeat RPC failed; the timeout decides whether the target is lost');
      return;
    }
    this.#countUnreachable(target, error, 'Heartbeat RPC could not reach target; sending the next one sooner');
  }

  #countUnreachable(target: MonitoredTarget, error: unknown, message: string): void {
    target.consecutiveUnreachable += 1;
    const failures = target.consecutiveUnreachable;
    if (this.#rpcFailureThreshold !== -1 && failures >= this.#rpcFailureThreshold) {
      this.#lose(
        target,
        `heartbeat of ${this.#name} ${target.id} failed: ${failures} consecutive RPCs (heartbeats or other calls) could not reach it ` +
          `(${HeartbeatOptions.rpcFailureThreshold.key}); last error: ${messageOf(error)}`,
        { consecutiveUnreachable: failures, err: error },
      );
      return;
    }
    const retryMs = target.unreachableRetry.nextDelayMs();
    this.#logger.debug({ target: target.id, consecutiveUnreachable: failures, retryMs, err: error }, message);
    // A heartbeat in flight is answered or fails on its own; the one after it comes sooner.
    this.#scheduleSend(target, retryMs);
  }

  #unreachableRetry(): Backoff {
    const maxMs = Math.max(1, Math.min(this.#intervalMs, UNREACHABLE_RETRY_MS));
    return new Backoff({ initialMs: Math.max(1, Math.floor(maxMs / 2)), maxMs, ...(this.#random === undefined ? {} : { random: this.#random }) });
  }

  // -------------------------------------------------------------------------
  // Timeout

  #scheduleTimeoutCheck(target: MonitoredTarget, dueAt: number): void {
    target.timeoutCheck?.cancel();
    target.timeoutCheckDueAt = dueAt;
    target.timeoutCheck = this.#scheduleInMainThread(() => this.#checkTimeout(target), Math.max(0, dueAt - this.#now()));
  }

  #checkTimeout(target: MonitoredTarget): void {
    if (!this.#isCurrent(target)) return;
    target.timeoutCheck = undefined;
    const now = this.#now();
    const lastSignOfLife = target.lastHeardAt ?? target.monitoredSince;
    const silentMs = now - lastSignOfLife;
    if (silentMs < this.#timeoutMs) {
      target.graceGiven = false;
      this.#scheduleTimeoutCheck(target, lastSignOfLife + this.#timeoutMs);
      return;
    }
    const lateByMs = now - target.timeoutCheckDueAt;
    if (lateByMs > this.#intervalMs && !target.graceGiven) {
      target.graceGiven = true;
      this.#logger.debug(
        { target: target.id, silentMs, lateByMs },
        'Heartbeat timeout check ran late (this process stalled); waiting one more interval for queued heartbeats',
      );
      this.#scheduleTimeoutCheck(target, now + this.#intervalMs);
      return;
    }
    this.#lose(
      target,
      `heartbeat of ${this.#name} ${target.id} timed out: nothing heard for ${Math.round(silentMs)} ms (${HeartbeatOptions.timeout.key})`,
      { silentMs, lastHeardAt: target.lastHeardAt, sendInFlight: target.sendInFlight },
    );
  }

  #lose(target: MonitoredTarget, reason: string, details: Record<string, unknown>): void {
    this.#remove(target);
    this.#logger.debug({ target: target.id, reason, ...details }, 'Heartbeat target lost');
    this.#notifyTargetLost(target.id, reason);
  }
}
