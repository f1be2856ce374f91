import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CachedReads } from '../../src/rest/cached-reads.js';

describe('cached reads of the REST API', () => {
  it('shares one read among concurrent requests and for ttlMs after it ended', async () => {
    let now = 0;
    const cache = new CachedReads(1_000, () => now);
    let loads = 0;
    const load = async () => ++loads;
    const answers = await Promise.all(Array.from({ length: 100 }, () => cache.get('job a', load)));
    assert.deepEqual([...new Set(answers)], [1]);
    now = 999;
    assert.equal(await cache.get('job a', load), 1);
    assert.equal(await cache.get('job b', load), 2, 'another key reads on its own');
    now = 2_000;
    assert.equal(await cache.get('job a', load), 3, 'read again once the time to live passed');
  });

  it('keeps no failed read', async () => {
    const cache = new CachedReads(60_000);
    await assert.rejects(cache.get('job x', () => Promise.reject(new Error('no such job'))));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(cache.size, 0);
    assert.equal(await cache.get('job x', async () => 'found'), 'found');
  });

  it('with a time to live of 0 shares only reads in flight', async () => {
    const cache = new CachedReads(0);
    let loads = 0;
    const load = async () => ++loads;
    await Promise.all([cache.get('k', load), cache.get('k', load)]);
    assert.equal(await cache.get('k', load), 2);
  });

  it('sweeps expired entries, so unknown keys cannot grow it without bound', async () => {
    let now = 0;
    const cache = new CachedReads(10, () => now);
    for (let i = 0; i < 300; i++) await cache.get(`job ${i}`, async () => i);
    now = 100;
    await cache.get('one more', async () => 0);
    assert.equal(cache.size, 1);
  });
});
