import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createOwnedTempDir, createOwnedTempDirSync, isOwnerAlive, processStartTime, removeStaleTempDirs } from '../src/owned-temp-dir.js';

describe('temp directories named after their owner process', () => {
  let parent: string;
  before(async () => {
    parent = await mkdtemp(join(tmpdir(), 'eddy-owned-dirs-test-'));
  });
  after(() => rm(parent, { recursive: true, force: true }));

  /** A process that has ended, with the start time it had. */
  function endedProcess(): { pid: number; startTime: string } {
    const child = spawnSync(process.execPath, ['-e', "process.stdout.write(require('fs').readFileSync('/proc/self/stat', 'utf8'))"], { encoding: 'utf8' });
    const stat = child.stdout;
    const pid = Number(stat.split(' ')[0]);
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
    return { pid, startTime };
  }

  it('names a directory after this process: its pid and its start time', async () => {
    const startTime = processStartTime(process.pid);
    assert.match(String(startTime), /^\d+$/, 'this machine has /proc');
    for (const path of [createOwnedTempDirSync('eddy-test-owned-', parent), await createOwnedTempDir('eddy-test-owned-', parent)]) {
      assert.match(basename(path), new RegExp(`^eddy-test-owned-${process.pid}-${startTime}-[A-Za-z0-9]{6}$`));
      assert.ok(existsSync(path));
    }
    assert.equal(isOwnerAlive(process.pid, String(startTime)), true);
  });

  it("removes the directories of processes that are gone, or whose pid another process now has, and keeps a live process's and every other", async () => {
    const prefix = 'eddy-test-stale-';
    const ended = endedProcess();
    assert.equal(isOwnerAlive(ended.pid, ended.startTime), false);
    const own = createOwnedTempDirSync(prefix, parent);
    const named = (name: string): string => {
      mkdirSync(join(parent, name));
      writeFileSync(join(parent, name, 'blob'), 'left behind');
      return join(parent, name);
    };
    const dead = named(`${prefix}${ended.pid}-${ended.startTime}-AbC123`);
    // This process's pid, but another start time: the pid was used again after its owner ended.
    const reused = named(`${prefix}${process.pid}-${Number(processStartTime(process.pid)) - 1}-XyZ789`);
    const oldStyle = named(`${prefix}Qw3rTy`);
    const otherKind = named(`eddy-test-other-${ended.pid}-${ended.startTime}-AbC123`);

    const removed = await removeStaleTempDirs(prefix, parent);
    assert.deepEqual(removed.sort(), [dead, reused].sort());
    assert.equal(existsSync(dead), false);
    assert.equal(existsSync(reused), false);
    assert.ok(existsSync(own), "a live process's directory was removed");
    assert.ok(existsSync(oldStyle), 'a directory without an owner in its name was removed');
    assert.ok(existsSync(otherKind), 'a directory of another kind was removed');
    assert.deepEqual(readdirSync(parent).filter((name) => name.startsWith(prefix)).sort(), [basename(own), basename(oldStyle)].sort());
  });
});
