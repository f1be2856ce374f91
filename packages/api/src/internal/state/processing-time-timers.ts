/**
 * Processing-time timers of one operator (Flink's InternalTimerService, processing time only).
 * Timers are kept per time and key (registering the same one twice gives one firing); one
 * physical setTimeout is armed for the earliest. When it fires, every timer due by Date.now() runs,
 * in time order, including timers registered while firing that are already due.
 */
import { TimeHeap } from './time-heap.js';
export class ProcessingTimeTimers {
  /** time -> (state key -> key), for deduplication and deletion. */
  private readonly byTime = new Map<number, Map<unknown, unknown>>();
  /** Distinct times, a binary min-heap; deleted times are dropped lazily. */
  private readonly heap = new TimeHeap();
  private handle: ReturnType<typeof setTimeout> | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private quiesced = false;
  private readonly fireDue = (): void => this.fire();

  constructor(
    /** Runs one timer; throws to fail the task. */
    private readonly onTimer: (time: number, stateKey: unknown, key: unknown) => void,
    /** Reports an error thrown by onTimer, which runs outside any call from the runtime. */
    private readonly failAsync: (error: unknown) => void,
  ) {}

  register(time: number, stateKey: unknown, key: unknown): void {
    if (this.quiesced) return;
    if (typeof time !== 'number' || Number.isNaN(time)) throw new TypeError(`a timer needs a time in epoch milliseconds, got ${String(time)}`);
    let keys = this.byTime.get(time);
    if (keys === undefined) {
      this.byTime.set(time, (keys = new Map()));
      this.heap.push(time);
    }
    keys.set(stateKey, key);
    if (time < this.armedFor) this.arm();
  }

  delete(time: number, stateKey: unknown): void {
    const keys = this.byTime.get(time);
    if (keys === undefined) return;
    keys.delete(stateKey);
    if (keys.size === 0) this.byTime.delete(time);
  }

  /** Number of pending timers (time, key) pairs. */
  get size(): number {
    let n = 0;
    for (const keys of this.byTime.values()) n += keys.size;
    return n;
  }

  /** Every pending timer as (time, key), for a snapshot. */
  snapshot(): { time: number; key: unknown }[] {
    const timers: { time: number; key: unknown }[] = [];
    for (const [time, keys] of this.byTime) for (const key of keys.values()) timers.push({ time, key });
    return timers;
  }

  /** Stops firing for good (end of input, close, dispose), as Flink does with processing-time timers. */
  quiesce(): void {
    this.quiesced = true;
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
  }

  private arm(): void {
    while (this.heap.size > 0 && !this.byTime.has(this.heap.peek() as number)) this.heap.pop();
    const next = this.heap.peek();
    if (next === undefined || next >= this.armedFor) return;
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.armedFor = next;
    this.handle = setTimeout(this.fireDue, Math.max(0, next - Date.now()));
  }

  private fire(): void {
    this.handle = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = Date.now();
    try {
      while (!this.quiesced && this.heap.size > 0 && (this.heap.peek() as number) <= now) {
        const time = this.heap.pop();
        const keys = this.byTime.get(time);
        if (keys === undefined) continue;
        this.byTime.delete(time);
        for (const [stateKey, key] of keys) this.onTimer(time, stateKey, key);
      }
    } catch (error) {
      this.quiesce();
      this.failAsync(error);
      return;
    }
    if (!this.quiesced) this.arm();
  }
}
