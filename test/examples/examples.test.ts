/**
 * The job files in examples/ run and give the right results: each one on a JobManager and two
 * TaskManagers as child processes, submitted by the JobClient, its records sent back through
 * collect(); WordCount once more on an in-process MiniCluster (what `eddy run --local` runs).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JobClient } from '@eddy/client';
import { Configuration, silentLogger } from '@eddy/common';
import { MiniCluster } from '@eddy/runtime';
import { startJobManager, startTaskManager, stopClusterProcesses, waitFor, type JobManagerProcess } from '../cluster/cluster-harness.js';

after(stopClusterProcesses);

const inRepository = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const example = (name: string): string => inRepository(`examples/${name}.ts`);
const SHIPPED_TEXT = inRepository('examples/data/river.txt');

type WordCount = [string, number];

/** Final count per word, computed here the way the examples tokenize: lower case, split at non-word characters. */
function countWords(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of text.toLowerCase().split(/\W+/)) if (word !== '') counts.set(word, (counts.get(word) ?? 0) + 1);
  return counts;
}

const totalWords = (counts: Map<string, number>): number => [...counts.values()].reduce((sum, n) => sum + n, 0);

/** The running counts of a keyed sum: every word's counts must be exactly 1, 2, ..., its final count. */
function assertRunningCounts(records: unknown[], expected: Map<string, number>): void {
  const seen = new Map<string, number[]>();
  for (const [word, count] of records as WordCount[]) seen.set(word, [...(seen.get(word) ?? []), count]);
  assert.deepEqual([...seen.keys()].sort(), [...expected.keys()].sort(), 'every word and no other');
  for (const [word, total] of expected) {
    assert.deepEqual(
      [...(seen.get(word) ?? [])].sort((a, b) => a - b),
      Array.from({ length: total }, (_, i) => i + 1),
      `running counts of '${word}'`,
    );
  }
}

/** Reads a job's collect() output into `records` until the job ends; `ended` settles then. */
function collectInBackground(client: JobClient, jobId: string): { records: unknown[]; ended: Promise<void> } {
  const records: unknown[] = [];
  const ended = (async () => {
    for await (const batch of client.collectResults(jobId)) records.push(...batch.records);
  })();
  return { records, ended };
}

describe('the examples on a JobManager and two TaskManagers', () => {
  let client: JobClient;
  let jobManager: JobManagerProcess;

  before(async () => {
    jobManager = await startJobManager();
    await Promise.all([startTaskManager(jobManager.address, { slots: 2 }), startTaskManager(jobManager.address, { slots: 2 })]);
    client = await JobClient.connect(jobManager.address);
  });
  after(() => client?.close());

  it('word-count.ts counts every word of the shipped text', async () => {
    const { jobId } = await client.submitJobFile(example('word-count'), { args: [SHIPPED_TEXT, 'collect'] });
    const { records, ended } = collectInBackground(client, jobId);
    assert.equal((await client.followJob(jobId)).to, 'FINISHED');
    await ended;
    const expected = countWords(readFileSync(SHIPPED_TEXT, 'utf8'));
    assert.ok(expected.size > 50, 'the shipped text has words to count');
    assertRunningCounts(records, expected);
  });

  it('socket-word-count.ts counts lines as they arrive from a socket, until it is canceled; with checkpointing it is warned once that a socket is read at most once', async () => {
    const connections: Socket[] = [];
    const server: Server = createServer((socket) => connections.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const { jobId } = await client.submitJobFile(example('socket-word-count'), {
        args: ['127.0.0.1', String(port), 'collect'],
        configuration: { 'execution.checkpointing.interval': '1s' },
      });
      const { records, ended } = collectInBackground(client, jobId);
      await waitFor(() => connections.length === 1, 'the socket source to connect', 20_000);
      const socket = connections[0] as Socket;

      const first = 'To be, or not to be:\nthat is the question.\n';
      socket.write(first);
      await waitFor(() => records.length >= totalWords(countWords(first)), 'the counts of the first lines', 10_000);
      assertRunningCounts(records, countWords(first));

      // More text on the same connection: the counts go on from where they were.
      const second = 'Whether tis nobler in the mind to suffer\nthe slings and arrows\n';
      socket.write(second);
      const expected = countWords(first + second);
      await waitFor(() => records.length >= totalWords(expected), 'the counts of every line', 10_000);
      assertRunningCounts(records, expected);

      await client.cancelJob(jobId);
      assert.equal((await client.followJob(jobId)).to, 'CANCELED');
      await ended;
      const warnings = jobManager.linesWith(/reads a socket, which cannot be read again after a failure/).filter((line) => line['jobId'] === jobId);
      assert.equal(warnings.length, 1, 'one warning for the job');
      assert.match(warnings[0]?.msg ?? '', /^'Source: Socket Stream[^']*' reads a socket, .* \(at most once\), whatever the checkpointing mode$/);
    } finally {
      for (const socket of connections) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('keyed-state-timers.ts alerts once per quiet user per round, with that session\'s clicks', async () => {
    // 20 clicks per second: a user's clicks are 100 ms apart, a quiet spell lasts 1.1 s, the gap is 600 ms.
    const gapMs = 600;
    const { jobId } = await client.submitJobFile(example('keyed-state-timers'), { args: ['collect', String(gapMs), '20'] });
    const { records, ended } = collectInBackground(client, jobId);
    await waitFor(() => records.length >= 6, 'the alerts of two rounds', 20_000);
    await client.cancelJob(jobId);
    assert.equal((await client.followJob(jobId)).to, 'CANCELED');
    await ended;

    const alerts = records as { user: string; clicks: number; pages: Record<string, number>; idleMs: number }[];
    const twice = { home: 2, search: 2, product: 2, cart: 2, checkout: 2 };
    const fourTimes = { home: 4, search: 4, product: 4, cart: 4, checkout: 4 };
    const round = [
      { user: 'ann', clicks: 10, pages: twice },
      { user: 'bob', clicks: 10, pages: twice },
      { user: 'cid', clicks: 20, pages: fourTimes },
    ];
    const byUser = (a: { user: string }, b: { user: string }): number => a.user.localeCompare(b.user);
    // Each session's state was cleared when its alert fired: the second round counts from zero again.
    for (const [index, roundAlerts] of [alerts.slice(0, 3), alerts.slice(3, 6)].entries()) {
      assert.deepEqual(
        roundAlerts.map(({ user, clicks, pages }) => ({ user, clicks, pages })).sort(byUser),
        round,
        `the alerts of round ${index + 1}`,
      );
    }
    for (const alert of alerts) assert.ok(alert.idleMs >= gapMs, `${alert.user} was quiet for ${alert.idleMs} ms before the alert`);
  });
});

describe('an example in one process', () => {
  it('word-count.ts gives the same counts on an in-process MiniCluster, reading its input by a relative path', async () => {
    const cluster = await MiniCluster.start({ taskManagers: 1, slotsPerTaskManager: 2, logger: silentLogger(), configuration: Configuration.empty() });
    const client = await JobClient.connect(cluster.address);
    try {
      // The default input is examples/data/river.txt, relative to where the tasks run: here, this process.
      const { jobId } = await client.submitJobFile(example('word-count'), { args: [relative(process.cwd(), SHIPPED_TEXT), 'collect'] });
      const { records, ended } = collectInBackground(client, jobId);
      assert.equal((await client.followJob(jobId)).to, 'FINISHED');
      await ended;
      assertRunningCounts(records, countWords(readFileSync(SHIPPED_TEXT, 'utf8')));
    } finally {
      await client.close();
      await cluster.stop();
    }
  });
});
