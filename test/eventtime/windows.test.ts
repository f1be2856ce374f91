/**
 * Windows end to end on 1 JobManager + 2 TaskManagers (child processes, real TCP), parallelism 2,
 * out-of-order events inside the watermark bound: tumbling, sliding and session windows with
 * reduce, aggregate, process and the combined forms, and windowAll, give exactly the results
 * computed here, each with the timestamp window.maxTimestamp(); records too late for their windows
 * go to the late side output. The same job with `eddy run --local` writes the same files.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { useCluster } from '../cluster/cluster-harness.js';
import { killCliProcesses, runEddy } from '../cli/eddy-cli.js';
import { event, lateEvent, type Event } from './jobs/windows.js';
import { eventsPerWindow, floorTo, sessions, sumOf } from './window-expectations.js';

const JOB = fileURLToPath(new URL('../../../test/eventtime/jobs/windows.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'eddy-windows-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
after(killCliProcesses);

const EVENTS = 2000;
const isLate = (i: number) => i % 25 === 24;
const all = (make: (i: number) => Event) => Array.from({ length: EVENTS }, (_, i) => make(i));

function expected(): Record<string, string[]> {
  const input = all(event);
  const tumbling = [...eventsPerWindow(input, (ts) => [floorTo(ts, 1000)])];
  const sliding = [...eventsPerWindow(input, (ts) => [0, 500, 1000, 1500].map((back) => floorTo(ts, 500) - back))];
  const sessionLines = sessions(input, 500).map(({ key, start, end, events }) => `${key},${start},${end},${events.length},${sumOf(events)}@${end - 1}`);
  const perWindow = new Map<number, number>();
  for (const e of input) perWindow.set(floorTo(e.ts, 1000), (perWindow.get(floorTo(e.ts, 1000)) ?? 0) + 1);
  const lateInput = all(lateEvent);
  const onTime = [...eventsPerWindow(lateInput.filter((_, i) => !isLate(i)), (ts) => [floorTo(ts, 1000)])];
  return {
    tumbling: tumbling.map(([id, group]) => `${id.split(',')[0]},${sumOf(group)}@${Number(id.split(',')[1]) + 999}`),
    sliding: sliding.map(([id, group]) => {
      const [key, start] = id.split(',') as [string, string];
      return `${key},${start},${Number(start) + 2000},${group.length},${sumOf(group)}@${Number(start) + 1999}`;
    }),
    sessions: sessionLines,
    combined: tumbling.map(([id, group]) => `${id},${Number(id.split(',')[1]) + 1000},${sumOf(group)}@${Number(id.split(',')[1]) + 999}`),
    all: [...perWindow].map(([start, count]) => `${count}@${start + 999}`),
    'on-time': onTime.map(([id, group]) => `${id},${Number(id.split(',')[1]) + 1000},${group.length}@${Number(id.split(',')[1]) + 999}`),
    late: lateInput.filter((_, i) => isLate(i)).map((e) => `${e.key},${e.value}@${e.ts}`),
  };
}

/** The job's output file, split by pipeline. */
function read(dir: string): Record<string, string[]> {
  const result: Record<string, string[]> = Object.fromEntries(Object.keys(expected()).map((name) => [name, []]));
  for (const line of readFileSync(join(dir, 'windows.txt'), 'utf8').split('\n')) {
    if (line === '') continue;
    const [name, rest] = line.split('|') as [string, string];
    (result[name] ??= []).push(rest);
  }
  return sorted(result);
}

function sorted(files: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(files).map(([name, lines]) => [name, [...lines].sort()]));
}

describe('windows on a cluster', () => {
  const cluster = useCluster({ taskManagers: 2, slots: 4 });

  it('give exactly the windows computed here, with reduce, aggregate, process, the combined forms and windowAll, and send late records to the side output', async () => {
    const out = join(scratch, 'cluster');
    const { jobId } = await cluster.client.submitJobFile(JOB, { args: [out, String(EVENTS)] });
    const terminal = await cluster.client.followJob(jobId);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    const want = sorted(expected());
    assert.ok(want.late!.length > 0 && want.sessions!.length > 10, 'the input has late records and many sessions');
    assert.deepEqual(read(out), want);
  });

  it('writes the same with eddy run --local', async () => {
    const out = join(scratch, 'local');
    const { code, stdout, stderr } = await runEddy(['run', JOB, '--local', '--', out, String(EVENTS)], { timeoutMs: 60_000 });
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.deepEqual(read(out), sorted(expected()));
  });
});
