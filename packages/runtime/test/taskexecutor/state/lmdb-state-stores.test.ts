import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { after, describe, it } from 'node:test';
import { Configuration } from '@eddy/common';
import { LmdbStateStores } from '../../../src/taskexecutor/state/lmdb-state-stores.js';
import { resolveStateBackendSettings } from '../../../src/taskexecutor/state/state-backend-options.js';

const scratch = mkdtempSync(join(tmpdir(), 'eddy-lmdb-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const bytes = (text: string): string => text;
const text = (value: unknown): unknown => value;

describe('LmdbStateStores', () => {
  it('keeps entries by (key group, state, key), reads a key group as one range, and a snapshot does not see later writes', async () => {
    const stores = new LmdbStateStores(join(scratch, 'task-a'));
    const store = stores.open('op-1');
    assert.equal(store.startedEmpty, true, 'a new environment holds nothing');
    store.transaction(() => {
      store.put(3, 0, 'b', bytes('3/0/b'));
      store.put(3, 1, 'a', bytes('3/1/a'));
      store.put(3, 0, 7, bytes('3/0/7'));
      store.put(4, 0, 'a', bytes('4/0/a'));
      store.put(2, 0, true, bytes('2/0/true'));
    });
    assert.equal(text(store.get(3, 0, 'b')), '3/0/b');
    assert.equal(text(store.get(3, 0, 7)), '3/0/7');
    assert.equal(store.get(3, 0, '7'), undefined, 'a number key and its string are different keys');
    const view = store.snapshot();
    store.transaction(() => {
      store.put(3, 0, 'c', bytes('late'));
      store.remove(3, 0, 'b');
    });
    const seen: string[] = [];
    view.forEachInKeyGroup(3, (state, key, value) => seen.push(`${state}:${String(key)}=${text(value)}`));
    assert.deepEqual(seen, ['0:7=3/0/7', '0:b=3/0/b', '1:a=3/1/a'], 'key group 3 only, in (state, key) order, as it was at the snapshot');
    view.release();
    assert.throws(() => view.forEachInKeyGroup(3, () => {}), /released/);
    assert.equal(store.get(3, 0, 'b'), undefined);
    assert.equal(text(store.get(3, 0, 'c')), 'late');
    await stores.close();
  });

  it('keeps every kind of value state holds, and a read view sees only the entries', async () => {
    const stores = new LmdbStateStores(join(scratch, 'task-values'));
    const store = stores.open('op-1');
    const values: unknown[] = [
      42,
      -0.5,
      'text',
      true,
      null,
      [1, undefined, 'x', [2]],
      { count: 3, nested: { list: [1, 2], when: new Date(5) } },
      new Map<unknown, unknown>([['a', 1], [2, { b: 3 }]]),
      new Set(['x', 'y']),
      12345678901234567890123n,
      -7n,
      new Uint8Array([1, 2, 3]),
      new Float64Array([0.5, 1.5]),
    ];
    store.transaction(() => values.forEach((value, i) => store.put(5, 0, i, value)));
    values.forEach((value, i) => assert.deepEqual(store.get(5, 0, i), value, `value #${i} read back`));
    const seen: unknown[] = [];
    const view = store.snapshot();
    for (let group = 0; group < 128; group++) view.forEachInKeyGroup(group, (_state, _key, value) => seen.push(value));
    view.release();
    assert.deepEqual(seen, values, 'every value, in key order, and nothing else (msgpackr keeps its shared structures outside the key groups)');
    await stores.close();
  });

  it('closes every environment, even with a snapshot still open, and removes the task directory', async () => {
    const directory = join(scratch, 'task-b');
    const stores = new LmdbStateStores(directory);
    assert.equal(existsSync(directory), false, 'nothing created before a keyed operator opens its store');
    const first = stores.open('op-1');
    stores.open('op-2');
    assert.equal(readdirSync(directory).length > 0, true);
    first.transaction(() => first.put(0, 0, 'k', bytes('v')));
    const open = first.snapshot();
    await stores.close();
    assert.equal(existsSync(directory), false, 'the directory is removed');
    assert.throws(() => open.forEachInKeyGroup(0, () => {}), /released/);
    assert.throws(() => stores.open('op-3'), /closed/);
    await stores.close();
  });

  it("resolves the job's state.backend.type over the TaskManager's, and a directory per attempt under taskmanager.state.local.root-dirs or io.tmp.dirs", () => {
    const attempt = { jobId: 'job1', subtaskIndex: 1, executionAttemptId: 'v/1-1-2-e1' };
    const cluster = Configuration.fromRecord({ 'state.backend.type': 'lmdb', 'taskmanager.state.local.root-dirs': '/a,/b', 'io.tmp.dirs': '/t' }, 'test');
    const settings = resolveStateBackendSettings(cluster, {}, attempt);
    assert.equal(settings.type, 'lmdb');
    assert.equal(settings.localDir, '/b/eddy-state-job1-v_1-1-2-e1');
    assert.equal(resolveStateBackendSettings(cluster, { 'state.backend.type': 'HashMap' }, attempt).type, 'hashmap');
    assert.equal(resolveStateBackendSettings(Configuration.fromRecord({ 'io.tmp.dirs': '/t' }, 'test'), {}, attempt).localDir, '/t/eddy-state-job1-v_1-1-2-e1');
    assert.equal(resolveStateBackendSettings(Configuration.empty(), {}, attempt).type, 'hashmap', 'the heap by default');
    assert.throws(() => resolveStateBackendSettings(cluster, { 'state.backend.type': 'rocksdb' }, attempt), /state\.backend\.type.*rocksdb.*job configuration|rocksdb.*'hashmap' or 'lmdb'/s);
  });

  it("resolves state.backend.lmdb.cache.size, the job's over the TaskManager's, and caps the cache at a quarter of the task thread's heap", () => {
    const attempt = { jobId: 'job1', subtaskIndex: 0, executionAttemptId: 'e1' };
    assert.equal(resolveStateBackendSettings(Configuration.empty(), {}, attempt).cacheBytes, 128 * 1024 * 1024, '128 mb by default');
    const cluster = Configuration.fromRecord({ 'state.backend.lmdb.cache.size': '32 mb' }, 'test');
    assert.equal(resolveStateBackendSettings(cluster, {}, attempt).cacheBytes, 32 * 1024 * 1024);
    assert.equal(resolveStateBackendSettings(cluster, { 'state.backend.lmdb.cache.size': '0' }, attempt).cacheBytes, 0, 'a job turns it off');
    assert.throws(() => resolveStateBackendSettings(cluster, { 'state.backend.lmdb.cache.size': 'lots' }, attempt), /state\.backend\.lmdb\.cache\.size.*lots|lots.*memory size/s);
    assert.equal(new LmdbStateStores(join(scratch, 'cache'), 1024).cacheBytes, 1024);
    assert.equal(new LmdbStateStores(join(scratch, 'cache'), Number.MAX_SAFE_INTEGER).cacheBytes, Math.floor(getHeapStatistics().heap_size_limit / 4));
  });
});
