/** Times and durations as the read commands print them for people (their --json keeps ms numbers). */

/** Local date and time to the second, e.g. '2024-05-01 14:03:22'; '-' for 0 (not yet). */
export function formatTimestamp(epochMs: number): string {
  if (epochMs <= 0) return '-';
  const date = new Date(epochMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** A duration in its two largest units: '850 ms', '12.3 s', '4m 05s', '2h 03m', '3d 04h'. */
export function formatElapsed(ms: number): string {
  const clamped = Math.max(0, Math.round(ms));
  if (clamped < 1000) return `${clamped} ms`;
  if (clamped < 60_000) return `${(Math.floor(clamped / 100) / 10).toFixed(1)} s`;
  const seconds = Math.floor(clamped / 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${two(seconds % 60)}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${two(Math.floor(seconds / 60) % 60)}m`;
  return `${Math.floor(seconds / 86_400)}d ${two(Math.floor(seconds / 3600) % 24)}h`;
}

/** How long ago `epochMs` was, e.g. '1.2 s ago'; '-' for 0 (never). */
export function formatAge(epochMs: number, now: number): string {
  return epochMs <= 0 ? '-' : `${formatElapsed(now - epochMs)} ago`;
}
