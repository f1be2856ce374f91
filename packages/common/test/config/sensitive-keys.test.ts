import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HIDDEN_CONTENT, hideSensitiveValues, isSensitiveKey } from '../../src/config/sensitive-keys.js';

describe('sensitive configuration keys', () => {
  it("hides the values of secrets by Flink's rule, and nothing else", () => {
    for (const key of ['security.auth.token', 's3.secret-key', 'SECURITY.AUTH.TOKEN', 'my.password', 'kafka.sasl.jaas.config']) assert.equal(isSensitiveKey(key), true, key);
    for (const key of ['rest.port', 's3.endpoint', 'security.rest.read-only-anonymous', 'parallelism.default']) assert.equal(isSensitiveKey(key), false, key);
    assert.deepEqual(hideSensitiveValues({ 'security.auth.token': 'abc', 'rest.port': '8081' }), { 'security.auth.token': HIDDEN_CONTENT, 'rest.port': '8081' });
  });
});
