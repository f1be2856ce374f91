/**
 * TEMPORARY (until branch et-lane is merged): local copies of the event-time contract that the
 * foundation helper puts into stream-operator.ts, internal-timer-service.ts and the side-output
 * API, with the same names, so the window operator can be written and unit-tested now. After the
 * merge, the window code imports the real ones and this file goes.
 */
import { fromStateKey, toStateKey, type HeapKeyedStateBackend } from '../state/keyed-state-backend.js';
import { MapStateDescriptor, type MapState } from '../../state.js';

/** A record without a timestamp (Flink's Long.MIN_VALUE marker). */
export const NO_TIMESTAMP = Number.NEGATIVE_INFINITY;
/** The watermark at the end of a bounded input: fires every event-time timer and window. */
export const MAX_WATERMARK = Number.POSITIVE_INFINITY;

/** Names a side output (Flink's OutputTag); TEMPORARY placeholder for the foundation's class. */
export class OutputTag<T> {
  declare readonly __type?: T;
  constructor(readonly id: string) {
    if (typeof id !== 'string' || id.length === 0) throw new TypeError('an OutputTag needs a non-empty id');
  }
}

/** The Output of the foundation: records with timestamps, watermarks, side outputs. */
export interface TimestampedOutput {
  collect(record: unknown, timestamp?: number): void;
  emitWatermark?(watermark: number): void;
  collectSide?(tag: OutputTag<unknown>, record: unknown, timestamp: number): void;
}

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
  currentWatermark(): number;
  registerEventTimeTimer(namespace: N, time: number): void;
  deleteEventTimeTimer(namespace: N, time: number): void;
  registerProcessingTimeTimer(namespace: N, time: number): void;
  deleteProcessingTimeTimer(namespace: N, time: number): void;
}

type Domain = 'e' | 'p';

interface PendingTimer<N> {
  readonly domain: Domain;
  readonly stateKey: unknown;
  readonly key: unknown;
  readonly namespace: N;
  readonly namespaceId: string;
  readonly timestamp: number;
}

/**
 * TEMPORARY: a namespaced timer service of one keyed operator. Timers (both domains) are kept in
 * the operator's keyed state (map state `_timers_<name>`: per key, timer id -> [domain, time,
 * namespace id]), so they are in its snapshots; open() reads them back. Event-time timers fire in
 * advanceWatermark; processing-time timers on a setTimeout, or, with a manual clock, in
 * advanceProcessingTime.
 */
export class TemporaryInternalTimerService<N> implements InternalTimerService<N> {
  private readonly pending = new Map<string, PendingTimer<N>>();
  private readonly persisted: MapState<string, [Domain, number, string]>;
  private watermark = Number.NEGATIVE_INFINITY;
  private handle: ReturnType<typeof setTimeout> | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private quiesced = false;

  constructor(
    private readonly backend: HeapKeyedStateBackend,
    name: string,
    private readonly toKey: (namespace: N) => string,
    private readonly fromKey: (id: string) => N,
    private readonly triggerable: Triggerable<N>,
    private readonly failAsync: (error: unknown) => void,
    /** A clock for tests; with it, processing-time timers fire only in advanceProcessingTime. */
    private readonly manualClock?: () => number,
  ) {
    this.persisted = backend.getMapState(new MapStateDescriptor<string, [Domain, number, string]>(`_timers_${name}`));
    const table = backend.restoreTable(`_timers_${name}`, 'map');
    for (const [stateKey, timers] of table.entries()) {
      for (const [, [domain, time, namespaceId]] of timers as Map<string, [Domain, number, string]>) {
        this.add({ domain, stateKey, key: fromStateKey(stateKey), namespace: fromKey(namespaceId), namespaceId, timestamp: time });
      }
    }
    this.arm();
  }

  currentProcessingTime(): number {
    return this.manualClock === undefined ? Date.now() : this.manualClock();
  }

  currentWatermark(): number {
    return this.watermark;
  }

  registerEventTimeTimer(namespace: N, time: number): void {
    this.register('e', namespace, time);
  }

  deleteEventTimeTimer(namespace: N, time: number): void {
    this.remove('e', namespace, time);
  }

  registerProcessingTimeTimer(namespace: N, time: number): void {
    this.register('p', namespace, time);
    this.arm();
  }

  deleteProcessingTimeTimer(namespace: N, time: number): void {
    this.remove('p', namespace, time);
  }

  /** Sets the watermark and fires every event-time timer at or before it, in time order. */
  advanceWatermark(watermark: number): void {
    this.watermark = watermark;
    this.fireDue('e', watermark);
  }

  /** With a manual clock: fires the processing-time timers due by its time. */
  advanceProcessingTime(): void {
    this.fireDue('p', this.currentProcessingTime());
  }

  /** Number of pending processing-time timers. */
  get pendingProcessingTimers(): number {
    let n = 0;
    for (const timer of this.pending.values()) if (timer.domain === 'p') n++;
    return n;
  }

  /** Stops processing-time timers for good (end of input, close). */
  quiesce(): void {
    this.quiesced = true;
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }

  private register(domain: Domain, namespace: N, time: number): void {
    if (typeof time !== 'number' || Number.isNaN(time)) throw new TypeError(`a timer needs a time in epoch milliseconds, got ${String(time)}`);
    const namespaceId = this.toKey(namespace);
    const stateKey = this.backend.currentStateKey;
    const timer: PendingTimer<N> = { domain, stateKey, key: this.backend.getCurrentKey(), namespace, namespaceId, timestamp: time };
    this.add(timer);
    this.persisted.put(timerId(domain, time, namespaceId), [domain, time, namespaceId]);
  }

  private remove(domain: Domain, namespace: N, time: number): void {
    const namespaceId = this.toKey(namespace);
    const id = timerId(domain, time, namespaceId);
    this.pending.delete(`${id}\u0000${stateKeyId(this.backend.currentStateKey)}`);
    this.persisted.remove(id);
  }

  private add(timer: PendingTimer<N>): void {
    this.pending.set(`${timerId(timer.domain, timer.timestamp, timer.namespaceId)}\u0000${stateKeyId(timer.stateKey)}`, timer);
  }

  private fireDue(domain: Domain, time: number): void {
    for (;;) {
      const due: [string, PendingTimer<N>][] = [];
      for (const entry of this.pending) if (entry[1].domain === domain && entry[1].timestamp <= time) due.push(entry);
      if (due.length === 0) return;
      due.sort((a, b) => a[1].timestamp - b[1].timestamp);
      for (const [id, timer] of due) {
        if (!this.pending.has(id)) continue; // deleted by an earlier timer of this round
        this.pending.delete(id);
        this.backend.setCurrentStateKey(timer.stateKey, timer.key);
        this.persisted.remove(timerId(domain, timer.timestamp, timer.namespaceId));
        if (domain === 'e') this.triggerable.onEventTime(timer);
        else this.triggerable.onProcessingTime(timer);
      }
    }
  }

  private arm(): void {
    if (this.manualClock !== undefined || this.quiesced) return;
    let next = Number.POSITIVE_INFINITY;
    for (const timer of this.pending.values()) if (timer.domain === 'p' && timer.timestamp < next) next = timer.timestamp;
    if (next === Number.POSITIVE_INFINITY || next >= this.armedFor) return;
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.armedFor = next;
    this.handle = setTimeout(() => {
      this.handle = undefined;
      this.armedFor = Number.POSITIVE_INFINITY;
      try {
        this.fireDue('p', Date.now());
      } catch (error) {
        this.quiesce();
        this.failAsync(error);
        return;
      }
      this.arm();
    }, Math.max(0, next - Date.now()));
  }
}

function timerId(domain: Domain, time: number, namespaceId: string): string {
  return `${domain}|${time}|${namespaceId}`;
}

function stateKeyId(stateKey: unknown): string {
  return `${typeof stateKey}:${String(toStateKey(stateKey))}`;
}
