import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_TRIGGERS, SavepointTriggers, STORE_DURATION_MS } from '../../src/rest/savepoint-triggers.js';

const JOB = 'a'.repeat(32);

describe('savepoint triggers over REST', () => {
  it('says IN_PROGRESS, then COMPLETED with the location or the failure', async () => {
    const triggers = new SavepointTriggers();
    let resolve!: (path: string) => void;
    const ok = triggers.add(JOB, new Promise((r) => (resolve = r)));
    const failed = triggers.add(JOB, Promise.reject(Object.assign(new Error('no checkpointing'), { name: 'DispatcherError' })));
    assert.match(ok, /^[0-9a-f]{32}$/);
    assert.deepEqual(triggers.get(JOB, ok), { status: 'IN_PROGRESS' });
    resolve('/savepoints/savepoint-1');
    await new Promise((r) => setImmediate(r));
    assert.equal((triggers.get(JOB, ok) as { location: string }).location, '/savepoints/savepoint-1');
    const failure = triggers.get(JOB, failed) as { failure: { class: string; 'stack-trace': string } };
    assert.equal(failure.failure.class, 'DispatcherError');
    assert.match(failure.failure['stack-trace'], /no checkpointing/);
  });

  it('answers only for the job it was triggered for', () => {
    const triggers = new SavepointTriggers();
    const id = triggers.add(JOB, new Promise(() => undefined));
    assert.equal(triggers.get('b'.repeat(32), id), undefined);
    assert.deepEqual(triggers.get(JOB, id.toUpperCase()), { status: 'IN_PROGRESS' });
  });

  it('forgets an ended trigger after the store duration, and keeps at most MAX_TRIGGERS', async () => {
    let now = 0;
    const triggers = new SavepointTriggers(() => now);
    const id = triggers.add(JOB, Promise.resolve('/p'));
    await new Promise((r) => setImmediate(r));
    now = STORE_DURATION_MS;
    assert.ok(triggers.get(JOB, id) !== undefined);
    now = STORE_DURATION_MS + 1;
    assert.equal(triggers.get(JOB, id), undefined);
    for (let i = 0; i < MAX_TRIGGERS + 10; i++) triggers.add(JOB, Promise.resolve('/p'));
    await new Promise((r) => setImmediate(r));
    triggers.add(JOB, Promise.resolve('/p'));
    assert.ok(triggers.size <= MAX_TRIGGERS, `${triggers.size} triggers kept`);
  });
});
