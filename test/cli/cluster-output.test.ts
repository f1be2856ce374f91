/**
 * Where a cluster's output goes, on a cluster started by scripts/start-cluster.sh: each daemon
 * logs to <name>.log, a TaskManager's print() output goes to <name>.out next to it, both roll over
 * by size, `eddy run` says where a job's printed output went and `eddy logs <jobId> --stdout`
 * fetches it from the TaskManagers.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { JobClient } from '@eddy/client';
import { cliJob, runEddy } from './eddy-cli.js';
import { cleanUpScriptClusters, marker, scriptCluster } from './script-cluster.js';

after(cleanUpScriptClusters);

/** The lines of `file` that print() wrote for `word`, as [subtask, n]. */
function printedLines(file: string, word: string): [number, number][] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      const match = new RegExp(`^(\\d)> ${word} (\\d+)$`).exec(line);
      return match === null ? [] : [[Number(match[1]), Number(match[2])] as [number, number]];
    });
}

describe("a cluster's output, started by the scripts", () => {
  it("writes print() output to each TaskManager's .out file, not its log; eddy run says where, eddy logs --stdout shows it from both TaskManagers, and the files roll over at their cap, the JobManager's log too", async () => {
    const cluster = await scriptCluster('output');
    const start = await cluster.run('start-cluster.sh', '2', '-D', 'log.max-file-size=4kb', '-D', 'log.max-backup-index=2', '-D', marker);
    assert.equal(start.code, 0, `${start.stdout}\n${start.stderr}`);
    try {
      const address = `localhost:${cluster.port}`;
      const out = (tm: number, suffix = ''): string => join(cluster.logDir, `taskmanager-${tm}.out${suffix}`);
      const log = (tm: number, suffix = ''): string => join(cluster.logDir, `taskmanager-${tm}.log${suffix}`);

      const run = await runEddy(['run', cliJob('prints'), '-m', address, '--', '40', 'first'], { env: { EDDY_PROPERTIES: '' }, timeoutMs: 60_000 });
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      const jobId = /JobID ([0-9a-f]+)/.exec(run.stdout)?.[1] ?? assert.fail(run.stdout);
      assert.match(run.stdout, new RegExp(`print\\(\\) output went to the \\.out files .*taskmanager-\\d\\.out \\(taskmanager-.*\\), .*taskmanager-\\d\\.out \\(taskmanager-.*\\); \`eddy logs ${jobId} --stdout\` shows it\\.`));
      const perTaskManager = [1, 2].map((tm) => printedLines(out(tm), 'first'));
      assert.ok(perTaskManager.every((lines) => lines.length > 0), 'both TaskManagers printed');
      assert.deepEqual(
        perTaskManager.flat().map(([, n]) => n).sort((a, b) => a - b),
        Array.from({ length: 40 }, (_, i) => i + 1),
        'every line once, in the .out files',
      );
      for (const tm of [1, 2]) {
        const logLines = readFileSync(log(tm), 'utf8').split('\n').filter((line) => line !== '');
        assert.ok(logLines.every((line) => line.startsWith('{') && !/first \d/.test(line)), `taskmanager-${tm}.log holds JSON log lines only`);
      }

      const logs = await runEddy(['logs', jobId, '--stdout', '-m', address], { env: { EDDY_PROPERTIES: '' } });
      assert.equal(logs.code, 0, logs.stderr);
      const headers = logs.stdout.split('\n').filter((line) => line.startsWith('==> '));
      assert.equal(headers.length, 2, logs.stdout);
      assert.ok(headers.every((header) => /^==> taskmanager-\S+ \(.+\), .*taskmanager-\d\.out <==$/.test(header)), headers.join('\n'));
      assert.equal(logs.stdout.split('\n').filter((line) => /^\d> first \d+$/.test(line)).length, 40);

      // 3,000 more lines, submitted in-process (the test's time goes to what it checks): each .out
      // file passes 4 KiB several times and keeps 2 rolled-over files.
      const client = await JobClient.connect(address);
      try {
        const { jobId: secondId } = await client.submitJobFile(cliJob('prints'), { args: ['3000', 'second'] });
        assert.equal((await client.followJob(secondId)).to, 'FINISHED');
        for (const tm of [1, 2]) {
          assert.ok(existsSync(out(tm, '.1')) && existsSync(out(tm, '.2')), `taskmanager-${tm}.out rolled over`);
          assert.ok(!existsSync(out(tm, '.3')), `taskmanager-${tm}.out keeps log.max-backup-index (2) rolled files`);
          assert.ok(!existsSync(log(tm, '.3')), `taskmanager-${tm}.log keeps log.max-backup-index (2) rolled files`);
        }
        assert.ok(existsSync(log(1, '.1')) || existsSync(log(2, '.1')), 'a TaskManager log rolled over at 4 KiB');
        const jobManagerLog = (suffix = ''): string => join(cluster.logDir, `jobmanager.log${suffix}`);
        assert.ok(existsSync(jobManagerLog('.1')), 'the JobManager log rolled over at 4 KiB (two jobs of transitions)');
        assert.ok(!existsSync(jobManagerLog('.3')), 'jobmanager.log keeps log.max-backup-index (2) rolled files');
        assert.ok(readFileSync(jobManagerLog(), 'utf8').split('\n').every((line) => line === '' || line.startsWith('{')), 'jobmanager.log holds JSON log lines');
        // What the .out files rolled away, the TaskManagers still show for the job.
        const kept = (await client.requestJobStdout(secondId, 1 << 20)).flatMap((tm) => (tm.stdout?.text ?? '').split('\n'));
        assert.equal(kept.filter((line) => /^\d> second \d+$/.test(line)).length, 3000, 'every line the TaskManagers kept');
      } finally {
        await client.close();
      }
    } finally {
      const stop = await cluster.run('stop-cluster.sh');
      assert.equal(stop.code, 0, stop.stderr);
    }
  });
});
