import assert from 'node:assert/strict';
import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createFileLogger } from '../../src/logging/file-logger.js';
import { outFileOf } from '../../src/logging/log-options.js';
import { RotatingFile } from '../../src/logging/rotating-file.js';

const scratch = mkdtempSync(join(tmpdir(), 'eddy-rotating-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const line = (n: number): string => `line ${String(n).padStart(4, '0')} ${'x'.repeat(40)}\n`;
const linesOf = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : []);

describe('RotatingFile', () => {
  it('rolls over at the cap and keeps max-backup-index files, the newest as .1, losing no line of those kept', () => {
    const path = join(scratch, 'rename', 'daemon.log');
    const file = new RotatingFile({ path, maxFileSizeBytes: 500, maxBackupIndex: 3 });
    for (let n = 0; n < 100; n++) file.write(line(n));
    file.close();
    assert.deepEqual(readdirSync(join(scratch, 'rename')).sort(), ['daemon.log', 'daemon.log.1', 'daemon.log.2', 'daemon.log.3']);
    const kept = [3, 2, 1].flatMap((i) => linesOf(`${path}.${i}`)).concat(linesOf(path));
    for (const name of [path, `${path}.1`, `${path}.2`, `${path}.3`]) assert.ok(readFileSync(name).length <= 500, `${name} within the cap`);
    // The kept lines are the last ones written, in order, each once.
    assert.deepEqual(kept, Array.from({ length: kept.length }, (_, i) => line(100 - kept.length + i).trimEnd()));
    assert.ok(kept.length >= 3 * 8, `${kept.length} lines kept`);
  });

  it('appends to what the file already holds and rolls over counting it', () => {
    const path = join(scratch, 'existing.log');
    appendFileSync(path, 'x'.repeat(450) + '\n');
    const file = new RotatingFile({ path, maxFileSizeBytes: 500, maxBackupIndex: 1 });
    file.write(line(1));
    file.close();
    assert.equal(linesOf(`${path}.1`).length, 1, 'the old content rolled over');
    assert.deepEqual(linesOf(path), [line(1).trimEnd()]);
  });

  it('with max-backup-index 0 empties the file instead of keeping one', () => {
    const path = join(scratch, 'none.log');
    const file = new RotatingFile({ path, maxFileSizeBytes: 200, maxBackupIndex: 0 });
    for (let n = 0; n < 20; n++) file.write(line(n));
    file.close();
    assert.equal(existsSync(`${path}.1`), false);
    assert.ok(readFileSync(path).length <= 200);
  });

  it('copy-truncate: another appender to the same file goes on at the new end after a roll over', () => {
    const path = join(scratch, 'shared.out');
    const file = new RotatingFile({ path, maxFileSizeBytes: 300, maxBackupIndex: 2, mode: 'copy-truncate' });
    // Like the shell redirect start-cluster.sh sets up: its own appending descriptor.
    const other = openSync(path, 'a');
    try {
      writeSync(other, 'from the shell\n');
      for (let n = 0; n < 12; n++) file.write(line(n));
      writeSync(other, 'from the shell again\n');
      file.write(line(99));
    } finally {
      closeSync(other);
      file.close();
    }
    const current = linesOf(path);
    assert.ok(existsSync(`${path}.1`) && existsSync(`${path}.2`) && !existsSync(`${path}.3`));
    assert.ok(current.includes('from the shell again') && current.includes(line(99).trimEnd()), current.join('\n'));
    assert.ok(readFileSync(path).length <= 300, 'no hole of zeros where the other writer was before the truncation');
    assert.ok(!readFileSync(path).includes(0), 'no NUL bytes');
  });
});

describe('the file logger of a daemon', () => {
  it('writes JSON lines and rolls its file over like log4j does for Flink', () => {
    const path = join(scratch, 'logger', 'jobmanager.log');
    const logger = createFileLogger({ name: 'jobmanager', path, maxFileSizeBytes: 2048, maxBackupIndex: 2 });
    for (let n = 0; n < 100; n++) logger.info({ n }, 'A line');
    assert.deepEqual(readdirSync(join(scratch, 'logger')).sort(), ['jobmanager.log', 'jobmanager.log.1', 'jobmanager.log.2']);
    const last = linesOf(path).map((text) => JSON.parse(text) as { n: number; msg: string; name: string });
    assert.equal(last.at(-1)?.n, 99);
    assert.equal(last.at(-1)?.name, 'jobmanager');
  });

  it("names a TaskManager's .out file after its log file", () => {
    assert.equal(outFileOf('/var/log/eddy/taskmanager-1.log'), '/var/log/eddy/taskmanager-1.out');
    assert.equal(outFileOf('/var/log/eddy/tm'), '/var/log/eddy/tm.out');
  });
});
