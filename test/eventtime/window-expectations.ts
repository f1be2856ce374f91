/** Windows computed directly from a list of events, for the window tests to compare a job's output with. */

export interface TimedEvent {
  readonly key: string;
  readonly value: number;
  readonly ts: number;
}

/** The events of each key and window, by "key,start"; `startsOf(ts)` lists the starts of the windows that hold ts. */
export function eventsPerWindow<E extends TimedEvent>(events: readonly E[], startsOf: (ts: number) => number[]): Map<string, E[]> {
  const groups = new Map<string, E[]>();
  for (const e of events) {
    for (const start of startsOf(e.ts)) {
      const id = `${e.key},${start}`;
      let group = groups.get(id);
      if (group === undefined) groups.set(id, (group = []));
      group.push(e);
    }
  }
  return groups;
}

/** Each key's sessions: its events sorted by time, split where the next is more than `gap` ms after the previous. */
export function sessions<E extends TimedEvent>(events: readonly E[], gap: number): { key: string; start: number; end: number; events: E[] }[] {
  const result: { key: string; start: number; end: number; events: E[] }[] = [];
  for (const key of new Set(events.map((e) => e.key))) {
    const own = events.filter((e) => e.key === key).sort((a, b) => a.ts - b.ts);
    let current: E[] = [];
    const close = () => {
      result.push({ key, start: (current[0] as E).ts, end: (current.at(-1) as E).ts + gap, events: current });
      current = [];
    };
    for (const e of own) {
      if (current.length > 0 && e.ts - (current.at(-1) as E).ts > gap) close();
      current.push(e);
    }
    if (current.length > 0) close();
  }
  return result;
}

/** The rows windows-checkpointed.ts writes for `input`: every tumbling 1 s window and session (500 ms gap), as sorted JSON. */
export function tumblingAndSessionRows(input: readonly TimedEvent[]): string[] {
  const rows = [
    ...[...eventsPerWindow(input, (ts) => [floorTo(ts, 1000)])].map(([id, group]) => {
      const [key, start] = id.split(',') as [string, string];
      return ['tumbling', key, Number(start), Number(start) + 1000, group.length, sumOf(group)];
    }),
    ...sessions(input, 500).map(({ key, start, end, events }) => ['session', key, start, end, events.length, sumOf(events)]),
  ];
  return rows.map((row) => JSON.stringify(row)).sort();
}

export const sumOf = (events: readonly TimedEvent[]): number => events.reduce((s, e) => s + e.value, 0);
export const floorTo = (ts: number, size: number): number => ts - (((ts % size) + size) % size);
