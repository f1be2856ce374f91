import type { TimeDomain, TimerService } from '../../process-function.js';
import { USER_TIMERS_SERVICE } from '../state/keyed-state-snapshot.js';
import type { InternalTimer, InternalTimerService, Triggerable } from '../state/internal-timer-service.js';
import { NO_TIMESTAMP } from './stream-operator.js';

/** The operator a UserTimerService works for. */
export interface UserTimerHost {
  /** For messages. */
  readonly operatorName: string;
  currentWatermark(): number;
  /** A timer fired (its key is the current key): call the function's onTimer; `timestamp` is what its output carries. */
  onUserTimer(time: number, timestamp: number): void;
}

/**
 * The timers a keyed process function sets through `ctx.timerService()` (KeyedProcessFunction,
 * KeyedCoProcessFunction, KeyedBroadcastProcessFunction): per key, both domains, in the operator's
 * timer service 'user-timers' (keyed state: in snapshots). An event-time timer's output carries
 * the timer's time, a processing-time one's none (Flink's TimestampedCollector); timeDomain tells
 * which fired, for the function's context.
 */
export class UserTimerService implements TimerService, Triggerable<undefined> {
  private timers: InternalTimerService<undefined> | undefined;
  timeDomain: TimeDomain = 'PROCESSING_TIME';

  constructor(private readonly host: UserTimerHost) {}

  /** In the operator's open(): `get` is its getInternalTimerService. */
  open(get: (name: string, toKey: () => string, triggerable: Triggerable<undefined>, restore: () => undefined) => InternalTimerService<undefined>): void {
    this.timers = get(USER_TIMERS_SERVICE, () => '', this, () => undefined);
  }

  onEventTime(timer: InternalTimer<undefined>): void {
    this.fire(timer.timestamp, 'EVENT_TIME', timer.timestamp);
  }

  onProcessingTime(timer: InternalTimer<undefined>): void {
    this.fire(timer.timestamp, 'PROCESSING_TIME', NO_TIMESTAMP);
  }

  private fire(time: number, domain: TimeDomain, timestamp: number): void {
    this.timeDomain = domain;
    try {
      this.host.onUserTimer(time, timestamp);
    } finally {
      this.timeDomain = 'PROCESSING_TIME';
    }
  }

  currentProcessingTime(): number {
    return Date.now();
  }
  currentWatermark(): number {
    return this.host.currentWatermark();
  }
  registerProcessingTimeTimer(time: number): void {
    this.active().registerProcessingTimeTimer(undefined, time);
  }
  deleteProcessingTimeTimer(time: number): void {
    this.active().deleteProcessingTimeTimer(undefined, time);
  }
  registerEventTimeTimer(time: number): void {
    this.active().registerEventTimeTimer(undefined, time);
  }
  deleteEventTimeTimer(time: number): void {
    this.active().deleteEventTimeTimer(undefined, time);
  }

  private active(): InternalTimerService<undefined> {
    const timers = this.timers;
    if (timers === undefined) throw new Error(`'${this.host.operatorName}': timers can be registered from open() on`);
    return timers;
  }
}
