/**
 * Event time end to end on 1 JobManager + 2 TaskManagers (child processes, real TCP), parallelism
 * 2, out-of-order events: event-time timers of a KeyedProcessFunction give exactly the
 * independently computed counts, the end of a bounded input fires every remaining timer, records
 * carry their timestamps across the network (the timer's, out of onTimer), side outputs reach
 * their stream, and an idle source subtask holds event time back unless withIdleness says it is idle.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { useCluster, waitFor } from '../cluster/cluster-harness.js';

const JOB = fileURLToPath(new URL('../../../test/eventtime/jobs/event-time-timers.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'eddy-event-time-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const WINDOW = 1000;
const event = (i: number): { key: string; ts: number } => ({ key: `k${i % 7}`, ts: 1000 * Math.floor(i / 10) + ((i * 37) % 10) * 97 });

/** "key,windowEnd,count,EVENT_TIME,windowEnd" for every key and window, computed here. */
function expectedWindows(events: number): string[] {
  const counts = new Map<string, number>();
  for (let i = 0; i < events; i++) {
    const { key, ts } = event(i);
    const end = ts - (ts % WINDOW) + WINDOW - 1;
    counts.set(`${key},${end}`, (counts.get(`${key},${end}`) ?? 0) + 1);
  }
  return [...counts].map(([keyAndEnd, count]) => `${keyAndEnd},${count},EVENT_TIME,${keyAndEnd.split(',')[1]}`).sort();
}

function expectedTens(events: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < events; i++) {
    const { key, ts } = event(i);
    if (ts % 10 === 0) lines.push(`${key},${ts}`);
  }
  return lines.sort();
}

const lines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter((line) => line !== '').sort();

describe('event time on a cluster', () => {
  const cluster = useCluster({ taskManagers: 2, slots: 2 });

  it('fires event-time timers per key and window with exactly the counts computed here, the last ones at the end of the bounded input, and sends side outputs on', async () => {
    const events = 3000;
    const out = join(scratch, 'bounded');
    const { jobId } = await cluster.client.submitJobFile(JOB, { args: ['bounded', out, '', String(events)] });
    const terminal = await cluster.client.followJob(jobId);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    assert.deepEqual(lines(join(out, 'windows.txt')), expectedWindows(events));
    assert.deepEqual(lines(join(out, 'tens.txt')), expectedTens(events));
  });

  it('holds event time back while a source subtask is silent without withIdleness, and fires everything when it ends', async () => {
    const events = 1000;
    const out = join(scratch, 'idle');
    const markers = join(scratch, 'idle-markers');
    mkdirSync(markers, { recursive: true });
    const { jobId } = await cluster.client.submitJobFile(JOB, { args: ['idle', out, markers, String(events)] });
    await waitFor(() => existsSync(join(markers, 'emitted')), 'subtask 0 emitted its events', 20_000);
    // Periodic watermarks go out every 200 ms: a second is five of them. The silent subtask's
    // channel stays at -Infinity, so no timer may fire meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(existsSync(join(markers, 'fired')), false, 'no event-time timer fired while a source subtask was silent and not idle');
    writeFileSync(join(markers, 'release'), '');
    const terminal = await cluster.client.followJob(jobId);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    assert.equal(readFileSync(join(markers, 'idle-source-ended'), 'utf8'), 'released');
    assert.deepEqual(lines(join(out, 'windows.txt')), expectedWindows(events));
  });

  it('fires event-time timers while a source subtask is silent when the strategy has withIdleness', async () => {
    const events = 1000;
    const out = join(scratch, 'idleness');
    const markers = join(scratch, 'idleness-markers');
    mkdirSync(markers, { recursive: true });
    const { jobId } = await cluster.client.submitJobFile(JOB, { args: ['idle-with-idleness', out, markers, String(events)] });
    const terminal = await cluster.client.followJob(jobId);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    assert.equal(readFileSync(join(markers, 'idle-source-ended'), 'utf8'), 'after a timer fired', 'the silent subtask ended because a timer fired while it ran');
    assert.ok(Number(readFileSync(join(markers, 'fired'), 'utf8')) < Number.POSITIVE_INFINITY, 'the first timer fired on a watermark below the end of input');
    assert.deepEqual(lines(join(out, 'windows.txt')), expectedWindows(events));
  });
});
