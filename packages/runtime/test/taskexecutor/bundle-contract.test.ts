import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTRACT_VERSION } from '@eddy/api/internal';
import { checkBundle, ContractVersionMismatchError, RUNTIME_CONTRACT_VERSION } from '../../src/taskexecutor/stream-task.js';

const bundle = (version: number | undefined): Record<string, unknown> => ({
  default: () => undefined,
  __eddy: { ...(version === undefined ? {} : { CONTRACT_VERSION: version }), createTaskChain: () => undefined, checkPlan: () => undefined },
});

describe('the contract between a job bundle and the runtime', () => {
  it('is the same version on both sides of this build', () => {
    assert.equal(CONTRACT_VERSION, RUNTIME_CONTRACT_VERSION);
    assert.doesNotThrow(() => checkBundle(bundle(RUNTIME_CONTRACT_VERSION)));
  });

  it('refuses a bundle of an older client (one without a version is version 1) and of a newer one, naming both versions', () => {
    for (const [version, which] of [
      [undefined, 'older'],
      [1, 'older'],
      [2, 'older'],
      [RUNTIME_CONTRACT_VERSION + 1, 'newer'],
    ] as const) {
      assert.throws(
        () => checkBundle(bundle(version)),
        (error: Error) =>
          error instanceof ContractVersionMismatchError &&
          error.message.includes(`built by ${which === 'older' ? 'an older' : 'a newer'} Eddy client`) &&
          error.message.includes(`version ${version ?? 1} of the contract`) &&
          error.message.includes(`this cluster speaks version ${RUNTIME_CONTRACT_VERSION}`),
      );
    }
  });
});
