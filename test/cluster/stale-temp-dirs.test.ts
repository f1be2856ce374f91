/**
 * Temp directories of a JobManager or TaskManager killed with SIGKILL, with real processes sharing
 * one TMPDIR: the killed process cannot remove its blob store (`eddy-blobs-*`) or blob cache
 * (`eddy-blob-cache-*`), so the next process of its kind removes it when it starts, and leaves the
 * directories of processes that still run alone. (Which names count, and the pid/start time check:
 * packages/cluster-common/test/owned-temp-dir.test.ts.)
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startJobManager, startTaskManager, stopClusterProcesses, type ClusterProcess } from './cluster-harness.js';

after(stopClusterProcesses);

const scratch = mkdtempSync(join(tmpdir(), 'eddy-stale-temp-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Kind {
  readonly role: string;
  /** Starts one with TMPDIR `shared`. */
  start(shared: string): Promise<ClusterProcess>;
  readonly startLine: string;
  /** The field of the start line that names its temp directory. */
  readonly field: string;
  readonly prefix: string;
  readonly removalLine: string;
}

/**
 * Starts `killed` and `live` with one TMPDIR, kills `killed` with SIGKILL, starts `next`: its
 * start removes the killed one's directory and only that one.
 */
async function removesWhatTheKilledOneLeft(kind: Kind, shared: string): Promise<void> {
  const start = async (): Promise<{ process: ClusterProcess; dir: string }> => {
    const process = await kind.start(shared);
    const dir = process.linesWith(kind.startLine)[0]![kind.field] as string;
    assert.equal(dirname(dir), shared, `the ${kind.role}'s ${kind.field} is in its TMPDIR`);
    assert.ok(existsSync(dir), `${dir} exists`);
    return { process, dir };
  };
  const killed = await start();
  const live = await start();
  await killed.process.kill('SIGKILL');
  assert.ok(existsSync(killed.dir), `the directory stayed while its ${kind.role} ran (another one started meanwhile), and a kill leaves it behind`);
  const next = await start();
  // The JobManager's blob server has removed it before 'JobManager started'; the TaskManager's blob cache does it in the background.
  const removal = await next.process.waitForLine((line) => line.msg === kind.removalLine, `the removal of the killed ${kind.role}'s directory`, 15_000);
  assert.deepEqual(removal['removed'], [killed.dir]);
  assert.equal(next.process.linesWith(kind.removalLine).length, 1, 'one removal logged');
  assert.ok(!existsSync(killed.dir), `the killed ${kind.role}'s directory is gone`);
  assert.deepEqual(readdirSync(shared).filter((name) => name.startsWith(kind.prefix)).sort(), [basename(live.dir), basename(next.dir)].sort(), "the live ones' directories stay");
}

describe('temp directories a killed process left', () => {
  it("are removed by the next TaskManager's blob cache at its start, and a live TaskManager's stays", async () => {
    const jobManager = await startJobManager();
    await removesWhatTheKilledOneLeft(
      {
        role: 'TaskManager',
        start: (shared) => startTaskManager(jobManager.address, { slots: 1, env: { TMPDIR: shared } }),
        startLine: 'TaskManager started',
        field: 'blobCache',
        prefix: 'eddy-blob-cache-',
        removalLine: 'Removed blob cache directories that ended TaskManagers left in the temp directory',
      },
      mkdtempSync(join(scratch, 'taskmanagers-')),
    );
  });

  it("are removed by the next JobManager's blob server at its start, and a live JobManager's stays", async () => {
    await removesWhatTheKilledOneLeft(
      {
        role: 'JobManager',
        start: (shared) => startJobManager({ env: { TMPDIR: shared } }),
        startLine: 'JobManager started',
        field: 'blobStorage',
        prefix: 'eddy-blobs-',
        removalLine: 'Removed blob store directories that ended JobManagers left in the temp directory',
      },
      mkdtempSync(join(scratch, 'jobmanagers-')),
    );
  });
});
