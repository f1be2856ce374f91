/** How the dashboard writes numbers, sizes, times and durations. */

export function count(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  return Math.round(value).toLocaleString('en-US');
}

export function rate(perSecond: number | undefined): string {
  if (perSecond === undefined || !Number.isFinite(perSecond)) return '-';
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(1)} M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} K/s`;
  return `${perSecond.toFixed(perSecond < 10 && perSecond > 0 ? 1 : 0)}/s`;
}

export function bytes(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value) || value < 0) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = value;
  let unit = 0;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return `${unit === 0 ? scaled : scaled.toFixed(1)} ${units[unit]}`;
}

export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const seconds = Math.floor(ms / 1_000);
  if (seconds < 60) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h ${m}m ${s}s` : `${m}m ${s}s`;
}

/** A wall-clock time, local, with milliseconds; '-' for Flink's "not yet" (-1 or 0). */
export function time(epochMs: number | undefined | null): string {
  if (epochMs === undefined || epochMs === null || epochMs <= 0) return '-';
  const date = new Date(epochMs);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** A watermark: Long.MIN_VALUE-like values mean "none yet". */
export function watermark(value: string | number | undefined): string {
  const n = typeof value === 'string' ? Number(value) : value;
  if (n === undefined || !Number.isFinite(n) || n <= -9e15) return 'none';
  if (n >= 9e15) return 'end of input';
  return time(n);
}
