/**
 * What the REST API read from the JobManager's endpoints, kept for a short while (Flink's
 * ExecutionGraphCache, whose time to live is web.refresh-interval too): requests for the same
 * thing while it is being read, or within `ttlMs` after, share one gateway call. So a flood of
 * requests costs the Dispatcher, the JobMasters and the ResourceManager a few calls per second
 * instead of one each, and their mailboxes stay free for heartbeats and submissions. A failed
 * read is not kept.
 */

interface Entry {
  readonly value: Promise<unknown>;
  /** When the read ended; undefined while it runs. */
  endedAt: number | undefined;
}

/** Above this many entries, expired ones are swept on the next read. */
const SWEEP_ABOVE = 256;

export class CachedReads {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The value under `key`: a running read's, one that ended less than ttlMs ago, or a new `load()`. */
  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit !== undefined && (hit.endedAt === undefined || now - hit.endedAt < this.ttlMs)) return hit.value as Promise<T>;
    if (this.entries.size > SWEEP_ABOVE) this.sweep(now);
    const value = load();
    const entry: Entry = { value, endedAt: undefined };
    this.entries.set(key, entry);
    value.then(
      () => (entry.endedAt = this.now()),
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return value;
  }

  get size(): number {
    return this.entries.size;
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) if (entry.endedAt !== undefined && now - entry.endedAt >= this.ttlMs) this.entries.delete(key);
  }
}
