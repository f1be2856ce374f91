import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeapKeyedStateBackend } from '../../src/internal/state/keyed-state-backend.js';
import { InternalTimeServiceManager, type InternalTimer } from '../../src/internal/state/internal-timer-service.js';
import { KeyedStateSnapshot, restoreKeyedState } from '../../src/internal/state/keyed-state-snapshot.js';

const backend = (): HeapKeyedStateBackend => new HeapKeyedStateBackend(128, { startKeyGroup: 0, endKeyGroup: 127 });

interface Fired {
  domain: string;
  key: unknown;
  namespace: unknown;
  time: number;
  currentKey: unknown;
}

function service(state: HeapKeyedStateBackend, manager = new InternalTimeServiceManager(state, (error) => assert.fail(String(error))), name = 'windows') {
  const fired: Fired[] = [];
  const record = (domain: string) => (timer: InternalTimer<{ start: number }>) =>
    fired.push({ domain, key: timer.key, namespace: timer.namespace, time: timer.timestamp, currentKey: state.getCurrentKey() });
  const timers = manager.getInternalTimerService<{ start: number }>(name, (w) => String(w.start), { onEventTime: record('event'), onProcessingTime: record('processing') });
  return { manager, timers, fired };
}

describe('the internal timer service', () => {
  it('fires event-time timers up to the watermark in time order, with their key current, once per key, namespace and time', () => {
    const state = backend();
    const { manager, timers, fired } = service(state);
    state.setCurrentKey('b');
    timers.registerEventTimeTimer({ start: 0 }, 30);
    timers.registerEventTimeTimer({ start: 0 }, 30);
    state.setCurrentKey('a');
    timers.registerEventTimeTimer({ start: 0 }, 10);
    timers.registerEventTimeTimer({ start: 10 }, 10);
    timers.registerEventTimeTimer({ start: 0 }, 50);
    manager.advanceWatermark(30);
    assert.deepEqual(
      fired.map((f) => [f.key, f.namespace, f.time, f.currentKey]),
      [
        ['a', { start: 0 }, 10, 'a'],
        ['a', { start: 10 }, 10, 'a'],
        ['b', { start: 0 }, 30, 'b'],
      ],
    );
    assert.equal(timers.currentWatermark(), 30);
    manager.advanceWatermark(Number.POSITIVE_INFINITY);
    assert.deepEqual(fired.at(-1)?.time, 50);
    assert.equal(fired.length, 4);
  });

  it('does not fire a deleted timer, and deletes only the one of the current key and namespace', () => {
    const state = backend();
    const { manager, timers, fired } = service(state);
    state.setCurrentKey('a');
    timers.registerEventTimeTimer({ start: 0 }, 10);
    timers.registerEventTimeTimer({ start: 5 }, 10);
    state.setCurrentKey('b');
    timers.registerEventTimeTimer({ start: 0 }, 10);
    timers.deleteEventTimeTimer({ start: 0 }, 10);
    manager.advanceWatermark(100);
    assert.deepEqual(
      fired.map((f) => [f.key, f.namespace]),
      [
        ['a', { start: 0 }],
        ['a', { start: 5 }],
      ],
    );
  });

  it('fires a timer registered while firing when it is already due', () => {
    const state = backend();
    const manager = new InternalTimeServiceManager(state, (error) => assert.fail(String(error)));
    const fired: number[] = [];
    const timers = manager.getInternalTimerService<undefined>('t', () => '', {
      onEventTime: (timer) => {
        fired.push(timer.timestamp);
        if (timer.timestamp === 10) timers.registerEventTimeTimer(undefined, 20);
      },
      onProcessingTime: () => {},
    });
    state.setCurrentKey('k');
    timers.registerEventTimeTimer(undefined, 10);
    manager.advanceWatermark(25);
    assert.deepEqual(fired, [10, 20]);
  });

  it('fires processing-time timers from the clock', async () => {
    const state = backend();
    const { timers, fired } = service(state);
    state.setCurrentKey('p');
    timers.registerProcessingTimeTimer({ start: 1 }, Date.now() + 5);
    const deadline = Date.now() + 5_000;
    while (fired.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(fired.map((f) => [f.domain, f.key, f.namespace]), [['processing', 'p', { start: 1 }]]);
  });

  it('snapshots the timers of both domains with key and namespace, and restores them to the service of the same name', async () => {
    const state = backend();
    const { manager, timers } = service(state);
    state.setCurrentKey(['composite', 1]);
    timers.registerEventTimeTimer({ start: 100 }, 199);
    state.setCurrentKey('x');
    timers.registerProcessingTimeTimer({ start: 0 }, Date.now() + 3_600_000);
    const snapshot = new KeyedStateSnapshot(state, manager.snapshotTimers());
    const chunks: Uint8Array[] = [];
    const { offsets } = await snapshot.write((chunk) => void chunks.push(chunk));
    snapshot.release();
    manager.quiesceProcessingTime();

    const restoredState = backend();
    const restoredManager = new InternalTimeServiceManager(restoredState, (error) => assert.fail(String(error)));
    restoreKeyedState(restoredState, [{ keyGroupStart: 0, keyGroupEnd: 127, offsets, bytes: Buffer.concat(chunks), where: 'test' }], (timer) => restoredManager.addRestored(timer));
    const restored = service(restoredState, restoredManager);
    assert.equal(restoredManager.pendingProcessingTimeTimers, 1);
    restoredManager.advanceWatermark(199);
    assert.deepEqual(restored.fired.map((f) => [f.domain, f.key, f.namespace, f.time]), [['event', ['composite', 1], { start: 100 }, 199]]);
    restoredManager.quiesceProcessingTime();
  });
});
