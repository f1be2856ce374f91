/**
 * Savepoints triggered over REST, by Flink's trigger id (32 hex digits): each runs in the
 * background and its outcome is kept for STORE_DURATION_MS after it ends (Flink's
 * rest.async.store-duration, 5 minutes), for GET /jobs/:jobid/savepoints/:triggerid. Expired and
 * excess entries go when the next one is added or asked for; no timer outlives the server.
 */
import { randomBytes } from 'node:crypto';

export const STORE_DURATION_MS = 5 * 60_000;
/** Triggers kept at most; the oldest ended ones go first. */
export const MAX_TRIGGERS = 1000;

export type TriggerOutcome =
  | { readonly status: 'IN_PROGRESS' }
  | { readonly status: 'COMPLETED'; readonly location: string; readonly endedAt: number }
  | { readonly status: 'COMPLETED'; readonly failure: { readonly class: string; readonly 'stack-trace': string }; readonly endedAt: number };

interface Trigger {
  readonly jobId: string;
  outcome: TriggerOutcome;
}

export class SavepointTriggers {
  private readonly triggers = new Map<string, Trigger>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Starts tracking `savepoint` (which resolves to the savepoint's path) under a new trigger id. */
  add(jobId: string, savepoint: Promise<string>): string {
    this.expire();
    const triggerId = randomBytes(16).toString('hex');
    const trigger: Trigger = { jobId, outcome: { status: 'IN_PROGRESS' } };
    this.triggers.set(triggerId, trigger);
    savepoint.then(
      (location) => (trigger.outcome = { status: 'COMPLETED', location, endedAt: this.now() }),
      (error: unknown) => {
        const failure = error instanceof Error ? { class: error.name, 'stack-trace': error.stack ?? error.message } : { class: 'Error', 'stack-trace': String(error) };
        trigger.outcome = { status: 'COMPLETED', failure, endedAt: this.now() };
      },
    );
    return triggerId;
  }

  /** The outcome of a trigger of `jobId`; undefined for one it does not know (or that expired). */
  get(jobId: string, triggerId: string): TriggerOutcome | undefined {
    this.expire();
    const trigger = this.triggers.get(triggerId.toLowerCase());
    return trigger === undefined || trigger.jobId !== jobId ? undefined : trigger.outcome;
  }

  get size(): number {
    return this.triggers.size;
  }

  private expire(): void {
    const now = this.now();
    for (const [id, trigger] of this.triggers) {
      if (trigger.outcome.status === 'COMPLETED' && now - trigger.outcome.endedAt > STORE_DURATION_MS) this.triggers.delete(id);
    }
    for (const [id, trigger] of this.triggers) {
      if (this.triggers.size < MAX_TRIGGERS) break;
      if (trigger.outcome.status === 'COMPLETED') this.triggers.delete(id);
    }
  }
}
