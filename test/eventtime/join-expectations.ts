/** The results of test/eventtime/jobs/joins.ts, computed here from its generators, as "<result>|<timestamp>" lines, sorted. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SharedCluster } from '../cluster/cluster-harness.js';
import { CONNECT_WINDOW, LOWER, UPPER, WINDOW, left, right, threshold, value, type Ev, type JoinMode } from './jobs/joins.js';

const windowEnd = (ts: number, size: number): number => ts - (ts % size) + size - 1;

export function expectedJoinResults(mode: JoinMode, events: number): string[] {
  const ls: Ev[] = Array.from({ length: events }, (_, i) => left(i));
  const rs: Ev[] = Array.from({ length: events }, (_, i) => right(i));
  const lines: string[] = [];
  if (mode === 'window-join') {
    for (const l of ls) for (const r of rs) if (l.key === r.key && windowEnd(l.ts, WINDOW) === windowEnd(r.ts, WINDOW)) lines.push(`L${l.id}+R${r.id}|${windowEnd(l.ts, WINDOW)}`);
  } else if (mode === 'cogroup') {
    const groups = new Map<string, [number, number]>();
    for (const [side, list] of [[0, ls], [1, rs]] as const) {
      for (const e of list) {
        const id = `${e.key},${e.ts - (e.ts % WINDOW)}`;
        const counts = groups.get(id) ?? [0, 0];
        counts[side]++;
        groups.set(id, counts);
      }
    }
    for (const [id, [l, r]] of groups) lines.push(`${id},${l},${r}|${Number(id.split(',')[1]) + WINDOW - 1}`);
  } else if (mode === 'interval-join') {
    for (const l of ls) for (const r of rs) if (l.key === r.key && r.ts >= l.ts + LOWER && r.ts <= l.ts + UPPER) lines.push(`L${l.id}+R${r.id}|${Math.max(l.ts, r.ts)}`);
  } else if (mode === 'connect') {
    const counts = new Map<string, [number, number]>();
    for (const [side, list] of [[0, ls], [1, rs]] as const) {
      for (const e of list) {
        const id = `${e.key},${windowEnd(e.ts, CONNECT_WINDOW)}`;
        const entry = counts.get(id) ?? [0, 0];
        entry[side]++;
        counts.set(id, entry);
      }
    }
    for (const [id, [l, r]] of counts) lines.push(`${id},${l},${r},EVENT_TIME|${id.split(',')[1]}`);
  } else {
    for (const e of ls) {
      for (const name of ['r0', 'r1']) {
        const versions = rs.filter((r) => `r${r.id % 2}` === name && r.ts <= e.ts).sort((a, b) => a.ts - b.ts);
        const latest = versions.at(-1);
        if (latest !== undefined && value(e) > threshold(latest)) lines.push(`L${e.id}>${name}|${e.ts}`);
      }
    }
  }
  return lines.sort();
}

/** The lines of a writeAsText output (a file, or a directory of part files; hidden in-progress files left out), sorted. */
export function readResults(path: string): string[] {
  if (!existsSync(path)) return [];
  const files = statSync(path).isDirectory() ? readdirSync(path).filter((name) => !name.startsWith('.')).sort().map((name) => join(path, name)) : [path];
  return files.flatMap((file) => readFileSync(file, 'utf8').split('\n').filter((line) => line !== '')).sort();
}

const JOB = fileURLToPath(new URL('../../../test/eventtime/jobs/joins.ts', import.meta.url));

/** Runs `modes` of the joins job in one job on `cluster` (on the same two sources) and checks each mode's results. */
export async function runAndCheckJoins(cluster: SharedCluster, scratch: string, modes: readonly JoinMode[], events: number): Promise<void> {
  const out = join(scratch, modes.join('+'));
  const { jobId } = await cluster.client.submitJobFile(JOB, { args: [modes.join(','), out, String(events)] });
  const terminal = await cluster.client.followJob(jobId);
  assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
  for (const mode of modes) {
    const expected = expectedJoinResults(mode, events);
    assert.ok(expected.length > 40, `${mode}: the input gives ${expected.length} results`);
    assert.deepEqual(readResults(join(out, mode)), expected, mode);
  }
}
