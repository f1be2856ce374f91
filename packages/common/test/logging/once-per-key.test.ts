import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OncePerKey } from '../../src/logging/once-per-key.js';

describe('OncePerKey', () => {
  it('says first once per key, and nothing more once it holds its maximum', () => {
    const once = new OncePerKey(2);
    assert.deepEqual(['a', 'a', 'b', 'a', 'b', 'c', 'c'].map((key) => once.first(key)), [true, false, true, false, false, false, false]);
  });
});
