import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StreamWriter } from '@eddy/rpc';
import { BoundedLog } from '../../src/dispatcher/job-event-log.js';
import { follow } from '../../src/dispatcher/job-events-service.js';

/** A stream writer whose every write yields, calling `during` on the first one. */
function slowWriter(written: number[], during: () => void): StreamWriter<number> {
  let first = true;
  return {
    cancelled: false,
    onCancel: () => undefined,
    write: async (value: number) => {
      written.push(value);
      await new Promise((resolve) => setImmediate(resolve));
      if (first) {
        first = false;
        during();
      }
    },
  };
}

describe('following a job log', () => {
  it('sends entries appended while it was writing, even when the log closes meanwhile', async () => {
    const log = new BoundedLog<number>();
    log.append(1);
    const written: number[] = [];
    await follow(log, slowWriter(written, () => {
      log.append(2);
      log.append(3);
      log.close();
    }));
    assert.deepEqual(written, [1, 2, 3]);
  });

  it('does not wait for the next append when entries arrived during a write', async () => {
    const log = new BoundedLog<number>();
    log.append(1);
    const written: number[] = [];
    const following = follow(log, slowWriter(written, () => log.append(2)));
    const deadline = Date.now() + 2_000;
    while (written.length < 2 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(written, [1, 2], 'the entry appended during the first write went out without another append');
    log.close();
    await following;
  });

  it('with replayOnly, ends after the entries the log holds though the log stays open', async () => {
    const log = new BoundedLog<number>();
    log.append(1);
    log.append(2);
    const written: number[] = [];
    await follow(log, slowWriter(written, () => log.append(3)), true);
    assert.deepEqual(written, [1, 2, 3], 'what came while it wrote went out too');
    assert.equal(log.closed, false);
  });
});
