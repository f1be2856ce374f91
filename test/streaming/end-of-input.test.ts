/**
 * End of input, end to end on a MiniCluster (worker threads, the data plane, a file sink): a
 * function's finish(out) writes what it held back once the input has ended, and the timers still
 * pending then are dropped and logged, as Flink does.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { JobClient } from '@eddy/client';
import { Configuration } from '@eddy/common';
import { MiniCluster } from '@eddy/runtime';

const JOB = fileURLToPath(new URL('../../../test/streaming/jobs/top-words.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'eddy-end-of-input-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('the end of a bounded input', () => {
  it("writes the top 5 words of a file from the function's finish(), once, and logs the timer it dropped", async () => {
    const words = ['river', 'stone', 'river', 'light', 'river', 'stone', 'moss', 'light', 'stone', 'river', 'fern', 'moss', 'light', 'reed', 'river'];
    const input = join(scratch, 'words.txt');
    writeFileSync(input, Array.from({ length: 200 }, (_, i) => `${words[i % words.length]} ${words[(i * 7) % words.length]}`).join('\n'));
    const expected = new Map<string, number>();
    for (const word of readFileSync(input, 'utf8').split(/\W+/)) if (word !== '') expected.set(word, (expected.get(word) ?? 0) + 1);
    const top = [...expected].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).slice(0, 5);

    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const cluster = await MiniCluster.start({ taskManagers: 1, slotsPerTaskManager: 2, logger, configuration: Configuration.empty() });
    const client = await JobClient.connect(cluster.address);
    try {
      const output = join(scratch, 'top.txt');
      const { jobId } = await client.submitJobFile(JOB, { args: [input, output, '5'] });
      assert.equal((await client.followJob(jobId)).to, 'FINISHED');
      assert.deepEqual(
        readFileSync(output, 'utf8').trimEnd().split('\n'),
        top.map(([word, count], rank) => `${rank + 1}. ${word} ${count}`),
      );
      const dropped = lines.filter((line) => line['msg'] === 'Dropped processing-time timers still pending at the end of input' && line['jobId'] === jobId);
      assert.deepEqual(
        dropped.map((line) => [line['operator'], line['timers']]),
        [['Process', 1]],
        'one line, from the task that had the timer',
      );
    } finally {
      await client.close();
      await cluster.stop();
    }
  });
});
