import assert from 'node:assert/strict';
import { ConfigurationError } from '../../src/config/config-option.js';

/** Asserts that `action` throws a ConfigurationError and returns it. */
export function configurationError(action: () => unknown): ConfigurationError {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof ConfigurationError, `expected a ConfigurationError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigurationError, but nothing was thrown');
}
