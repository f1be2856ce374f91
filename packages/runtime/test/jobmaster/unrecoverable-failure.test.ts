import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unrecoverableReason } from '../../src/jobmaster/failover/unrecoverable-failure.js';

describe('unrecoverable failures', () => {
  it('gives a reason for state that does not fit the code, and none for failures a restart may fix', () => {
    assert.match(unrecoverableReason({ name: 'StateMigrationError' }) ?? '', /the restored state does not fit the state types of the code/);
    assert.equal(unrecoverableReason({ name: 'Error' }), undefined);
    assert.equal(unrecoverableReason({ name: 'TaskManagerLostError' }), undefined);
  });
});
