/**
 * "Logged once per peer": remembers which keys (peer hosts) were already reported, so a peer
 * that retries every second gets one log line, not one per attempt. Bounded: past `max` keys
 * nothing more is remembered and nothing more is reported, so a flood of addresses cannot grow it.
 */
export class OncePerKey {
  readonly #seen = new Set<string>();

  constructor(private readonly max = 1024) {}

  /** True the first time `key` comes (while fewer than `max` were seen); false after, and once full. */
  first(key: string): boolean {
    if (this.#seen.has(key) || this.#seen.size >= this.max) return false;
    this.#seen.add(key);
    return true;
  }
}
