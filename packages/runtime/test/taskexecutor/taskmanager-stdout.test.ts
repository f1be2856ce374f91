import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger } from '@eddy/common';
import { TaskManagerStdout } from '../../src/taskexecutor/taskmanager-stdout.js';

const scratch = mkdtempSync(join(tmpdir(), 'eddy-stdout-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('TaskManagerStdout', () => {
  it('writes printed lines to the .out file, and serves each job its own', () => {
    const path = join(scratch, 'taskmanager-1.out');
    const stdout = new TaskManagerStdout({ outFile: { path, maxFileSizeBytes: 1 << 20, maxBackupIndex: 1 }, retainedChars: 1 << 20, logger: silentLogger() });
    stdout.print('job-a', '1> a 1\n2> a 2\n');
    stdout.print('job-b', 'b 1\n');
    stdout.print('job-a', '1> a 3\n');
    stdout.close();
    assert.equal(readFileSync(path, 'utf8'), '1> a 1\n2> a 2\nb 1\n1> a 3\n', 'every line in the .out file, as printed');
    assert.deepEqual(stdout.tail('job-a', 1000), { known: true, text: '1> a 1\n2> a 2\n1> a 3\n', truncated: false });
    assert.deepEqual(stdout.tail('job-b', 1000), { known: true, text: 'b 1\n', truncated: false });
    assert.deepEqual(stdout.tail('job-c', 1000), { known: false, text: '', truncated: false });
    assert.equal(stdout.location, path);
  });

  it('without a log file writes to stdout, and keeps the end of each job in whole lines', () => {
    const written: string[] = [];
    const stdout = new TaskManagerStdout({ retainedChars: 20, write: (text) => written.push(text), logger: silentLogger() });
    for (let n = 1; n <= 10; n++) stdout.print('job', `line ${n}\n`);
    assert.equal(written.join(''), Array.from({ length: 10 }, (_, i) => `line ${i + 1}\n`).join(''));
    assert.equal(stdout.location, 'stdout');
    const kept = stdout.tail('job', 1000);
    assert.equal(kept.truncated, true);
    assert.ok(kept.text.length <= 20);
    assert.equal(kept.text, 'line 9\nline 10\n');
    assert.deepEqual(stdout.tail('job', 10), { known: true, text: 'line 10\n', truncated: true }, 'cut to whole lines');
  });

  it('forgets the job that printed least recently once it keeps 16', () => {
    const stdout = new TaskManagerStdout({ retainedChars: 100, write: () => undefined, logger: silentLogger() });
    for (let job = 0; job < 17; job++) stdout.print(`job-${job}`, 'x\n');
    assert.equal(stdout.tail('job-0', 100).known, false);
    assert.equal(stdout.tail('job-16', 100).known, true);
  });
});
