/**
 * The timers of a keyed operator (Flink's InternalTimerService and InternalTimeServiceManager).
 *
 * A timer is (key, namespace, time) in one of two domains: event time fires when the operator's
 * watermark reaches the time, processing time when the wall clock does. The key is the keyed
 * backend's current key when the timer is registered; the namespace is the operator's (a window,
 * or undefined for a KeyedProcessFunction's timers). Registering the same timer twice gives one
 * firing; a deleted timer does not fire.
 *
 * Firing sets the backend's current key to the timer's key and calls the Triggerable, in time
 * order (ties in registration order). Timers registered while firing that are already due fire in
 * the same pass. Event-time timers fire only from advanceWatermark (the operator's
 * processWatermark); processing-time timers from one setTimeout per service, armed for the
 * earliest, on the task's thread between batches.
 *
 * Both domains are keyed state: snapshotTimers() lists them (with service name, domain, key and
 * namespace) for the keyed state snapshot, and a restore hands them back to the service of the
 * same name when the operator asks for it (which it does in open(), after the restore).
 */
import { TimeHeap } from './time-heap.js';
import type { HeapKeyedStateBackend } from './keyed-state-backend.js';
import type { KeyedTimer, TimerDomain } from './keyed-state-snapshot.js';

export interface InternalTimer<N> {
  readonly key: unknown;
  readonly namespace: N;
  readonly timestamp: number;
}

export interface Triggerable<N> {
  onEventTime(timer: InternalTimer<N>): void;
  onProcessingTime(timer: InternalTimer<N>): void;
}

export interface InternalTimerService<N> {
  currentProcessingTime(): number;
  /** The operator's current event time: the last watermark it processed (MIN_WATERMARK before the first). */
  currentWatermark(): number;
  registerEventTimeTimer(namespace: N, time: number): void;
  deleteEventTimeTimer(namespace: N, time: number): void;
  registerProcessingTimeTimer(namespace: N, time: number): void;
  deleteProcessingTimeTimer(namespace: N, time: number): void;
}

/** One timer as a queue keeps it: the public fields plus what finds it again. */
class TimerEntry<N> implements InternalTimer<N> {
  constructor(
    readonly key: unknown,
    readonly stateKey: unknown,
    readonly namespace: N,
    readonly namespaceKey: string,
    readonly timestamp: number,
  ) {}
}

/**
 * Timers of one domain, by time: a map time -> (state key -> (namespace key -> timer)) for
 * deduplication and deletion, and a binary min-heap of the distinct times (deleted times are
 * dropped lazily).
 */
export class TimerQueue<N> {
  private readonly byTime = new Map<number, Map<unknown, Map<string, TimerEntry<N>>>>();
  private readonly heap = new TimeHeap();

  add(time: number, stateKey: unknown, key: unknown, namespace: N, namespaceKey: string): void {
    let keys = this.byTime.get(time);
    if (keys === undefined) {
      this.byTime.set(time, (keys = new Map()));
      this.heap.push(time);
    }
    let namespaces = keys.get(stateKey);
    if (namespaces === undefined) keys.set(stateKey, (namespaces = new Map()));
    if (!namespaces.has(namespaceKey)) namespaces.set(namespaceKey, new TimerEntry(key, stateKey, namespace, namespaceKey, time));
  }

  delete(time: number, stateKey: unknown, namespaceKey: string): void {
    const keys = this.byTime.get(time);
    const namespaces = keys?.get(stateKey);
    if (keys === undefined || namespaces === undefined) return;
    namespaces.delete(namespaceKey);
    if (namespaces.size > 0) return;
    keys.delete(stateKey);
    if (keys.size === 0) this.byTime.delete(time);
  }

  /** The earliest pending time, or undefined. */
  peek(): number | undefined {
    while (this.heap.size > 0 && !this.byTime.has(this.heap.peek() as number)) this.heap.pop();
    return this.heap.peek();
  }

  /** Removes and returns the timers of the earliest time if it is <= `limit`. */
  pollUpTo(limit: number): TimerEntry<N>[] | undefined {
    const time = this.peek();
    if (time === undefined || time > limit) return undefined;
    this.heap.pop();
    const keys = this.byTime.get(time) as Map<unknown, Map<string, TimerEntry<N>>>;
    this.byTime.delete(time);
    const due: TimerEntry<N>[] = [];
    for (const namespaces of keys.values()) for (const timer of namespaces.values()) due.push(timer);
    return due;
  }

  get size(): number {
    let n = 0;
    for (const keys of this.byTime.values()) for (const namespaces of keys.values()) n += namespaces.size;
    return n;
  }

  forEach(visit: (timer: TimerEntry<N>) => void): void {
    for (const keys of this.byTime.values()) for (const namespaces of keys.values()) for (const timer of namespaces.values()) visit(timer);
  }

  clear(): void {
    this.byTime.clear();
    this.heap.clear();
  }
}

function checkTime(time: number): void {
  if (typeof time !== 'number' || Number.isNaN(time)) throw new TypeError(`a timer needs a time in epoch milliseconds, got ${String(time)}`);
}

/** The services of one keyed operator; see the file comment. */
export class InternalTimeServiceManager {
  private readonly services = new Map<string, DefaultInternalTimerService<unknown>>();
  /** Restored timers of services the operator has not asked for yet, by service name. */
  private readonly restored = new Map<string, KeyedTimer[]>();
  private watermark = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly backend: HeapKeyedStateBackend,
    /** Reports an error a processing-time timer throws (it runs outside any call from the runtime). */
    private readonly failAsync: (error: unknown) => void,
  ) {}

  getInternalTimerService<N>(name: string, toKey: (namespace: N) => string, triggerable: Triggerable<N>, restoreNamespace?: (stored: unknown) => N): InternalTimerService<N> {
    const existing = this.services.get(name);
    if (existing !== undefined) {
      existing.bind(toKey as (namespace: unknown) => string, triggerable as Triggerable<unknown>);
      return existing as unknown as InternalTimerService<N>;
    }
    const service = new DefaultInternalTimerService<N>(name, this.backend, toKey, triggerable, this.failAsync);
    service.advanceWatermark(this.watermark);
    this.services.set(name, service as unknown as DefaultInternalTimerService<unknown>);
    for (const timer of this.restored.get(name) ?? []) service.restore(timer, restoreNamespace === undefined ? (timer.namespace as N) : restoreNamespace(timer.namespace));
    this.restored.delete(name);
    return service;
  }

  /** A timer from a restored snapshot; goes to its service when the operator asks for it. */
  addRestored(timer: KeyedTimer): void {
    const service = this.services.get(timer.service);
    if (service !== undefined) {
      service.restore(timer, timer.namespace);
      return;
    }
    let list = this.restored.get(timer.service);
    if (list === undefined) this.restored.set(timer.service, (list = []));
    list.push(timer);
  }

  /** Fires every event-time timer <= watermark, service by service. */
  advanceWatermark(watermark: number): void {
    this.watermark = watermark;
    for (const service of this.services.values()) service.advanceWatermark(watermark);
  }

  /** Every timer of every service (and restored ones not claimed yet), for a snapshot. */
  snapshotTimers(): KeyedTimer[] {
    const timers: KeyedTimer[] = [];
    for (const service of this.services.values()) service.snapshotTimers(timers);
    for (const list of this.restored.values()) timers.push(...list);
    return timers;
  }

  /** Pending processing-time timers over all services. */
  get pendingProcessingTimeTimers(): number {
    let n = 0;
    for (const service of this.services.values()) n += service.processingTimeTimers;
    return n;
  }

  /** Stops processing-time timers for good (end of input, close), as Flink does. */
  quiesceProcessingTime(): void {
    for (const service of this.services.values()) service.quiesce();
  }
}

export class DefaultInternalTimerService<N> implements InternalTimerService<N> {
  private readonly eventTime = new TimerQueue<N>();
  private readonly processingTime = new TimerQueue<N>();
  private watermark = Number.NEGATIVE_INFINITY;
  private handle: ReturnType<typeof setTimeout> | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private quiesced = false;
  private firingEventTime = false;
  private readonly fireProcessingTime = (): void => this.onProcessingTimeTimeout();

  constructor(
    readonly name: string,
    private readonly backend: HeapKeyedStateBackend,
    private toKey: (namespace: N) => string,
    private triggerable: Triggerable<N>,
    private readonly failAsync: (error: unknown) => void,
  ) {}

  /** The operator asked again (a restarted open): new callbacks, same timers. */
  bind(toKey: (namespace: N) => string, triggerable: Triggerable<N>): void {
    this.toKey = toKey;
    this.triggerable = triggerable;
  }

  currentProcessingTime(): number {
    return Date.now();
  }

  currentWatermark(): number {
    return this.watermark;
  }

  registerEventTimeTimer(namespace: N, time: number): void {
    checkTime(time);
    const backend = this.backend;
    this.eventTime.add(time, backend.currentStateKey, backend.getCurrentKey(), namespace, this.toKey(namespace));
  }

  deleteEventTimeTimer(namespace: N, time: number): void {
    this.eventTime.delete(time, this.backend.currentStateKey, this.toKey(namespace));
  }

  registerProcessingTimeTimer(namespace: N, time: number): void {
    if (this.quiesced) return;
    checkTime(time);
    const backend = this.backend;
    this.processingTime.add(time, backend.currentStateKey, backend.getCurrentKey(), namespace, this.toKey(namespace));
    if (time < this.armedFor) this.arm();
  }

  deleteProcessingTimeTimer(namespace: N, time: number): void {
    this.processingTime.delete(time, this.backend.currentStateKey, this.toKey(namespace));
  }

  /** Fires every event-time timer <= watermark, in time order; errors go to the caller (the task fails). */
  advanceWatermark(watermark: number): void {
    if (watermark > this.watermark) this.watermark = watermark;
    if (this.firingEventTime) return;
    this.firingEventTime = true;
    try {
      const backend = this.backend;
      const triggerable = this.triggerable;
      for (let due = this.eventTime.pollUpTo(this.watermark); due !== undefined; due = this.eventTime.pollUpTo(this.watermark)) {
        for (const timer of due) {
          backend.setCurrentStateKey(timer.stateKey, timer.key);
          triggerable.onEventTime(timer);
          backend.flushIfLarge();
        }
      }
    } finally {
      this.firingEventTime = false;
    }
  }

  get processingTimeTimers(): number {
    return this.processingTime.size;
  }

  get eventTimeTimers(): number {
    return this.eventTime.size;
  }

  snapshotTimers(into: KeyedTimer[]): void {
    const name = this.name;
    const add = (domain: TimerDomain) => (timer: TimerEntry<N>) => into.push({ service: name, domain, key: timer.key, namespace: timer.namespace, time: timer.timestamp });
    this.eventTime.forEach(add('EVENT_TIME'));
    this.processingTime.forEach(add('PROCESSING_TIME'));
  }

  restore(timer: KeyedTimer, namespace: N): void {
    this.backend.setCurrentKey(timer.key);
    if (timer.domain === 'EVENT_TIME') this.registerEventTimeTimer(namespace, timer.time);
    else this.registerProcessingTimeTimer(namespace, timer.time);
  }

  quiesce(): void {
    this.quiesced = true;
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
  }

  private arm(): void {
    const next = this.processingTime.peek();
    if (next === undefined || next >= this.armedFor) return;
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.armedFor = next;
    this.handle = setTimeout(this.fireProcessingTime, Math.max(0, next - Date.now()));
  }

  private onProcessingTimeTimeout(): void {
    this.handle = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = Date.now();
    try {
      const backend = this.backend;
      for (let due = this.processingTime.pollUpTo(now); due !== undefined && !this.quiesced; due = this.processingTime.pollUpTo(now)) {
        for (const timer of due) {
          backend.setCurrentStateKey(timer.stateKey, timer.key);
          this.triggerable.onProcessingTime(timer);
          backend.flushIfLarge();
        }
      }
      backend.endOfBatch();
    } catch (error) {
      this.quiesce();
      this.failAsync(error);
      return;
    }
    if (!this.quiesced) this.arm();
  }
}
