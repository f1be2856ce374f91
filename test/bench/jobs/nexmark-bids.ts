/**
 * A Nexmark-style stream of bids for bench:windows, deterministic (a hash of the event index, no
 * random state), so every run and every subtask cut of it is the same.
 *
 *   - event time advances EVENTS_PER_SECOND bids per second of event time (a 10 s window holds
 *     100 K bids), each bid up to MAX_DELAY_MS behind its place (out of order, inside the bound);
 *   - auctions open one per 50 bids; three bids in four go to a "hot" auction (one of the ten
 *     latest hundreds), the rest to one of the 1,000 latest auctions, as Nexmark's hot ratio;
 *   - bidders and prices spread by the hash.
 */
export interface Bid {
  readonly auction: number;
  readonly bidder: number;
  readonly price: number;
  readonly dateTime: number;
}

export const EVENTS_PER_SECOND = 10_000;
export const MAX_DELAY_MS = 500;
/** Event time of the first bid (2026-01-01T00:00:00Z). */
const BASE_TIME = 1_767_225_600_000;

/** A 32-bit mix of the index (Murmur3's finalizer). */
function mix(index: number): number {
  let h = (index ^ (index / 4_294_967_296)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function bid(index: number): Bid {
  const h = mix(index);
  const latestAuction = Math.floor(index / 50);
  const hot = (h & 3) !== 0;
  const auction = hot ? Math.max(0, Math.floor(latestAuction / 100) * 100 - ((h >>> 2) % 10) * 100) : Math.max(0, latestAuction - ((h >>> 2) % 1000));
  return {
    auction,
    bidder: (h >>> 8) % 10_000,
    price: 100 + ((h >>> 12) % 10_000),
    dateTime: BASE_TIME + Math.floor((index * 1000) / EVENTS_PER_SECOND) - ((h >>> 20) % MAX_DELAY_MS),
  };
}
